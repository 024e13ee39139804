package state

import (
	"fmt"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// checkOptionalKeys checks the fx and batch verifying keys against their
// genesis pins. A chain that pins none of a circuit (made before swaps, or
// before batch proofs) refuses what needs it (CodeNoFX, CodeNoBatch), so a
// key the node has is dropped; a chain that pins one needs the node to have
// that very key.
func (a *App) checkOptionalKeys(g *ledger.Genesis) error {
	for _, k := range []struct {
		c   zkp.Circuit
		pin string
	}{{zkp.FX, g.VKHashes.FX}, {zkp.Batch, g.VKHashes.Batch}} {
		vk := a.exec.verifier.keys[k.c]
		switch {
		case k.pin == "":
			a.exec.verifier.keys[k.c] = nil
		case vk == nil:
			return fmt.Errorf("ledger: the genesis pins a %s verifying key (%s) but the node has none; copy %s.vk from the chain's keys", k.c, k.pin, k.c)
		case vk.HashHex() != k.pin:
			return fmt.Errorf("ledger: the %s verifying key (hash %s) is not the one genesis pins (%s)", k.c, vk.HashHex(), k.pin)
		}
	}
	return nil
}

package state

import (
	"fmt"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// checkFXKey checks the fx verifying key against the genesis pin. A chain
// that pins none (made before swaps) refuses swaps, so a key the node has
// is dropped; a chain that pins one needs the node to have that very key.
func (a *App) checkFXKey(g *ledger.Genesis) error {
	vk := a.exec.verifier.keys[zkp.FX]
	switch {
	case g.VKHashes.FX == "":
		a.exec.verifier.keys[zkp.FX] = nil
	case vk == nil:
		return fmt.Errorf("ledger: the genesis pins an fx verifying key (%s) but the node has none; copy fx.vk from the chain's keys", g.VKHashes.FX)
	case vk.HashHex() != g.VKHashes.FX:
		return fmt.Errorf("ledger: the fx verifying key (hash %s) is not the one genesis pins (%s)", vk.HashHex(), g.VKHashes.FX)
	}
	return nil
}

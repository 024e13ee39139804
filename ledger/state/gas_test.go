package state

import (
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestGas: CheckTx asks a block for GasPerProof per proof plus one per
// batch payment, so block.max_gas bounds a block's payments as well as its
// proofs: a batch of 17 payments in one currency (two chunk proofs) costs
// 2·6 + 17, a single transfer one proof's gas, and a refused transaction
// asks for none.
func TestGas(t *testing.T) {
	f := newFixture(t)
	tos := make([]*member, 17)
	amounts := make([]uint64, len(tos))
	for j := range tos {
		tos[j], amounts[j] = f.b, uint64(1+j)
	}
	batch, total := f.batch(f.a, tos, amounts, -1)
	if res := f.checkTx(batch.Encode()); res.Code != ledger.CodeOK || res.GasWanted != 2*GasPerProof+17 || res.GasWanted != BatchGas(17) {
		t.Fatalf("batch of 17: code %d (%s), gas %d, want %d", res.Code, res.Log, res.GasWanted, 2*GasPerProof+17)
	}
	f.a.spend(total)
	single, _ := f.transfer(f.a, f.b, 5)
	if res := f.checkTx(single.Encode()); res.Code != ledger.CodeOK || res.GasWanted != GasPerProof {
		t.Fatalf("transfer: code %d (%s), gas %d, want %d", res.Code, res.Log, res.GasWanted, GasPerProof)
	}
	replay := f.checkTx(single.Encode()) // the nonce is spent in the check state
	if replay.Code == ledger.CodeOK || replay.GasWanted != 0 {
		t.Fatalf("a replayed transfer: code %d, gas %d; want a rejection asking no gas", replay.Code, replay.GasWanted)
	}
}

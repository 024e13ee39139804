package state

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// A bulk transfer's chunk proofs are verified once per node: in one batch
// at CheckTx, and found cached by the block that holds it.
func TestCheckTxBatchVerifiesOnce(t *testing.T) {
	f := newFixture(t)
	v := f.app.exec.verifier
	tx, total := f.bulk(f.a, f.b, amountsFrom(5, zkp.BatchSize+1), -1) // two chunks
	raw := tx.Encode()
	if res := f.checkTx(raw); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	if b, s := v.batched.Load(), v.singles.Load(); b != 2 || s != 0 {
		t.Fatalf("CheckTx: %d batched, %d single verifications; want the bulk's 2 in one batch", b, s)
	}
	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{raw}})
	if err != nil || prop.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("ProcessProposal: %v %v", prop, err)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	if b, s := v.batched.Load(), v.singles.Load(); b != 2 || s != 0 {
		t.Fatalf("after the block: %d batched, %d single verifications; want none beyond CheckTx's", b, s)
	}
}

// A transaction nobody signed costs no pairing: the signature is checked
// before the batch.
func TestCheckTxSignatureBeforeBatch(t *testing.T) {
	f := newFixture(t)
	v := f.app.exec.verifier
	tx, _ := f.bulk(f.a, f.b, amountsFrom(5, zkp.BatchSize+1), -1) // two chunks: a batch at CheckTx
	tx.Sig[0] ^= 1
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeBadSignature {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadSignature)
	}
	if b, s := v.batched.Load(), v.singles.Load(); b != 0 || s != 0 {
		t.Fatalf("%d batched, %d single verifications for an unsigned transaction; want none", b, s)
	}
}

// Proofs cached valid at CheckTx do not carry a bad proof beside them in
// the block's batch: it is still found and its transaction rejected.
func TestCachedVerdictsDoNotPassABadProof(t *testing.T) {
	f := newFixture(t)
	v := f.app.exec.verifier
	var txs [][]byte
	for _, amount := range []uint64{100, 200} {
		tx, amt := f.transfer(f.a, f.b, amount)
		f.a.spend(amt)
		if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeOK {
			t.Fatalf("CheckTx: %s", res.Log)
		}
		txs = append(txs, tx.Encode())
	}
	bad, _ := f.transfer(f.a, f.b, 300)
	other, _ := f.transfer(f.a, f.b, 301)
	bad.Body.(*ledger.Transfer).Proof = other.Body.(*ledger.Transfer).Proof
	bad.Sign(testChain, f.a.id.Sign)
	txs = append(txs, bad.Encode())
	checked := v.singles.Load()

	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatal("ProcessProposal accepted a block whose one unchecked proof is bad")
	}
	if got := v.singles.Load() - checked; got != 1 {
		t.Errorf("the block verified %d proofs alone, want only the unchecked one", got)
	}
	res := f.block(txs...)
	for i, r := range res.TxResults {
		want := uint32(ledger.CodeOK)
		if i == 2 {
			want = ledger.CodeBadProof
		}
		if r.Code != want {
			t.Errorf("tx %d: code %d (%s), want %d", i, r.Code, r.Log, want)
		}
	}
}

// A bulk transfer refused at CheckTx for a bad proof, then put in a block
// by a byzantine proposer, is refused in the block too, and changes nothing.
func TestRejectedAtCheckTxRejectedInBlock(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	tx, _ := f.bulk(f.a, f.b, []uint64{10, 20, 30, 40}, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	b.Books[0].Proofs[0] = f.foreignChunkProof(f.a, f.b, []uint64{10, 20, 30, 40})
	tx.Sign(testChain, f.a.id.Sign)
	raw := tx.Encode()
	if res := f.checkTx(raw); res.Code != ledger.CodeBadProof {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadProof)
	}
	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{raw}})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatal("ProcessProposal accepted a transaction refused at CheckTx for a bad proof")
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeBadProof {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadProof)
	}
	if f.snapshot() != before {
		t.Fatal("a rejected bulk transfer changed the state")
	}
}

// State is read back without the subgroup check, but a point from outside
// still gets it: a small-order available balance in a batch's book is
// refused at CheckTx and in a block with CodeBadPoint. A payment's amount
// is decoded without it (ledger.BatchPayment: its chunk proof implies
// it), so an amount moved off the subgroup by a small-order point, in a
// re-signed batch, is refused by its chunk proof (CodeBadProof), and
// changes nothing either.
func TestOutsidePointStillFullyChecked(t *testing.T) {
	f := newFixture(t)
	before := f.snapshot()
	tx, _ := f.bulk(f.a, f.b, []uint64{10, 20}, -1)
	raw := tx.Encode()
	i := indexOf(raw, tx.Body.(*ledger.BatchTransfer).Books[0].Available)
	copy(raw[i:], smallOrder())
	if res := f.checkTx(raw); res.Code != ledger.CodeBadPoint {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadPoint)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeBadPoint {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadPoint)
	}

	torsion, err := zkp.DecodeProvenCommitment(smallOrder())
	if err != nil {
		t.Fatal(err)
	}
	b := tx.Body.(*ledger.BatchTransfer)
	b.Payments[1].Amount = b.Payments[1].Amount.Add(torsion)
	tx.Sign(testChain, f.a.id.Sign)
	raw = tx.Encode()
	if enc := b.Payments[1].Amount.Bytes(); func() error { _, err := zkp.DecodeCommitment(enc[:]); return err }() != zkp.ErrNotInSubgroup {
		t.Fatalf("the tampered amount is not outside the subgroup: %v", err)
	}
	if res := f.checkTx(raw); res.Code != ledger.CodeBadProof {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadProof)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeBadProof {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadProof)
	}
	if f.snapshot() != before {
		t.Fatal("a rejected transaction changed the state")
	}
}

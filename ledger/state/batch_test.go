package state

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
)

// blockWithOneBadProof returns a block of three chained transfers and two
// mints in which the fourth transaction, a transfer, carries a valid proof
// of another transaction (its own signature is good): only it must fail.
func blockWithOneBadProof(f *fixture) (txs [][]byte, bad int) {
	for _, amount := range []uint64{100, 200} {
		tx, amt := f.transfer(f.a, f.b, amount)
		f.a.spend(amt)
		txs = append(txs, tx.Encode())
	}
	txs = append(txs, f.mint(f.b, 5000, nil).Encode())
	tx, _ := f.transfer(f.a, f.b, 300)
	other, _ := f.transfer(f.a, f.b, 301)
	tx.Body.(*ledger.Transfer).Proof = other.Body.(*ledger.Transfer).Proof
	tx.Sign(testChain, f.a.id.Sign)
	txs = append(txs, tx.Encode(), f.mint(f.b, 7000, nil).Encode())
	return txs, 3
}

func TestBlockBatchVerificationNamesTheBadProof(t *testing.T) {
	f := newFixture(t)
	txs, bad := blockWithOneBadProof(f)
	v := f.app.exec.verifier

	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatal("ProcessProposal accepted a block with a bad proof")
	}
	// Mints are transfer proofs (out of the supply's headroom), so the five
	// proofs make one batch; it failed and was re-verified one by one to
	// find the bad proof.
	if got := v.batched.Load(); got != 0 {
		t.Errorf("%d proofs accepted in batches, want 0: the one batch holds the bad proof", got)
	}
	if got := v.singles.Load(); got != 5 {
		t.Errorf("%d single verifications, want the 5 proofs of the failed batch", got)
	}

	res := f.block(txs...)
	for i, r := range res.TxResults {
		want := uint32(ledger.CodeOK)
		if i == bad {
			want = ledger.CodeBadProof
		}
		if r.Code != want {
			t.Errorf("tx %d: code %d (%s), want %d", i, r.Code, r.Log, want)
		}
	}
	if got := v.singles.Load(); got != 5 {
		t.Errorf("FinalizeBlock verified %d proofs again; the cache should hold them all", got-5)
	}
}

func TestBlockBatchVerificationAcceptsValidBlock(t *testing.T) {
	f := newFixture(t)
	var txs [][]byte
	for _, amount := range []uint64{100, 200, 300} {
		tx, amt := f.transfer(f.a, f.b, amount)
		f.a.spend(amt)
		txs = append(txs, tx.Encode())
	}
	txs = append(txs, f.mint(f.b, 1000, nil).Encode())
	v := f.app.exec.verifier

	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatal("ProcessProposal rejected a valid block")
	}
	if b, s := v.batched.Load(), v.singles.Load(); b != 4 || s != 0 {
		t.Fatalf("%d batched, %d single verifications; want 4 and 0", b, s)
	}
	res := f.block(txs...)
	for i, r := range res.TxResults {
		if r.Code != ledger.CodeOK {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if b, s := v.batched.Load(), v.singles.Load(); b != 4 || s != 0 {
		t.Fatalf("after FinalizeBlock: %d batched, %d single verifications; want 4 and 0 (cached)", b, s)
	}
}

// Two transfers whose proofs are each valid for the other's transaction: the
// batch must fail and both be named.
func TestBlockBatchVerificationSwappedProofs(t *testing.T) {
	f := newFixture(t)
	tx1, amt1 := f.transfer(f.a, f.b, 100)
	f.a.spend(amt1)
	tx2, _ := f.transfer(f.a, f.b, 200)
	p1, p2 := tx1.Body.(*ledger.Transfer).Proof, tx2.Body.(*ledger.Transfer).Proof
	tx1.Body.(*ledger.Transfer).Proof, tx2.Body.(*ledger.Transfer).Proof = p2, p1
	tx1.Sign(testChain, f.a.id.Sign)
	tx2.Sign(testChain, f.a.id.Sign)
	txs := [][]byte{tx1.Encode(), tx2.Encode()}
	prop, _ := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: txs})
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatal("ProcessProposal accepted swapped proofs")
	}
	v := f.app.exec.verifier
	for _, tx := range []*ledger.Tx{tx1, tx2} {
		pub, raw, _ := statement(tx, testChain)
		v.mu.Lock()
		ok, seen := v.valid[cacheKey(pub, raw)]
		v.mu.Unlock()
		if !seen || ok {
			t.Fatalf("swapped proof cached as seen=%v valid=%v, want judged invalid", seen, ok)
		}
	}
	res := f.block(txs...)
	if res.TxResults[0].Code != ledger.CodeBadProof {
		t.Fatalf("tx 0: code %d, want CodeBadProof", res.TxResults[0].Code)
	}
}

package state

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
)

// A transaction is decoded once per node: CheckTx decodes it, the block's
// passes find it decoded.
func TestTxDecodedOnce(t *testing.T) {
	f := newFixture(t)
	tx, amt := f.transfer(f.a, f.b, 100)
	raw := tx.Encode()
	if res := f.checkTx(raw); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{raw}})
	if err != nil || prop.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("ProcessProposal: %v %v", prop, err)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	f.a.spend(amt)
	if c := f.app.txs; c.miss != 1 || c.hits != 2 {
		t.Fatalf("decoded %d times, found decoded %d times; want 1 and 2", c.miss, c.hits)
	}
}

// Bytes that do not decode are refused the same way every time they come
// back: a cached rejection is the rejection.
func TestTxCacheKeepsRejections(t *testing.T) {
	f := newFixture(t)
	tx, _ := f.transfer(f.a, f.b, 100)
	raw := tx.Encode()
	copy(raw[indexOf(raw, tx.Body.(*ledger.Transfer).Amount):], smallOrder())
	for range 2 {
		if res := f.checkTx(raw); res.Code != ledger.CodeBadPoint {
			t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadPoint)
		}
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeBadPoint {
		t.Fatalf("block: code %d, want %d", res.TxResults[0].Code, ledger.CodeBadPoint)
	}
	if c := f.app.txs; c.miss != 1 || c.hits != 2 {
		t.Fatalf("decoded %d times, found decoded %d times; want 1 and 2", c.miss, c.hits)
	}
}

// A transaction's signature is verified once per node: CheckTx, the
// recheck, ProcessProposal and FinalizeBlock find the verdict kept with
// the decoded transaction. The verdict is the one for that signer key and
// those bytes: another key is refused, and the same signature on a body
// changed by one byte is verified afresh and refused.
func TestSignatureVerifiedOnce(t *testing.T) {
	f := newFixture(t)
	tx, amt := f.transfer(f.a, f.b, 100)
	raw := tx.Encode()
	v := f.app.exec.verifier
	if res := f.checkTx(raw); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	f.app.check = f.app.base() // as after a block that did not hold it
	res, err := f.app.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil || res.Code != ledger.CodeOK {
		t.Fatalf("recheck: %v %s", err, res.GetLog())
	}
	prop, err := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{raw}})
	if err != nil || prop.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("ProcessProposal: %v %v", prop, err)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	f.a.spend(amt)
	if n := v.sigs.Load(); n != 1 {
		t.Fatalf("the signature was verified %d times, want once", n)
	}

	d := f.app.txs.of(f.app.txs.decode(raw).tx)
	if d == nil || d.tx == nil {
		t.Fatal("the decoded transaction is not found by its pointer")
	}
	other, err := view{f.app.base()}.party("bank-b")
	if err != nil || other == nil {
		t.Fatalf("bank-b: %v", err)
	}
	if v.signed(d.tx, other.SignKey, testChain) {
		t.Fatal("a verdict kept for bank-a's key served bank-b's")
	}

	forged, _ := f.transfer(f.a, f.b, 200)
	sig := forged.Sig
	forged.Body.(*ledger.Transfer).Memo[0] ^= 1 // signed bytes changed, signature kept
	forged.Sig = sig
	before := v.sigs.Load()
	if res := f.checkTx(forged.Encode()); res.Code != ledger.CodeBadSignature {
		t.Fatalf("a body changed under its signature: code %d (%s), want CodeBadSignature", res.Code, res.Log)
	}
	if v.sigs.Load() != before+1 {
		t.Fatal("the changed transaction's signature was not verified afresh")
	}
}

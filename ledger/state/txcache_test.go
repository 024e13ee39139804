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

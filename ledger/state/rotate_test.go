package state

import (
	"bytes"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
)

// TestEpochQuery: before any rotation the chain is at epoch 0 with the
// genesis key, one regulator's; a transaction signed for another epoch
// is refused.
func TestEpochQuery(t *testing.T) {
	_, pk := he.GenerateKeys(he.DefaultParams())
	f := newFixtureWith(t, pk)
	var ep ledger.EpochInfo
	if code := f.query("/epoch", "", &ep); code != 0 {
		t.Fatalf("/epoch: code %d", code)
	}
	want, _ := pk.MarshalBinary()
	if ep.Epoch != 0 || ep.Height != 0 || ep.Shared() || !bytes.Equal(ep.PublicKey, want) {
		t.Fatalf("/epoch: %+v", ep)
	}
	if code := f.query("/epoch", "1", nil); code != ledger.QueryCodeBadQuery {
		t.Fatalf("/epoch 1 before any rotation: code %d", code)
	}
	tx, _ := f.transfer(f.a, f.b, 100)
	tx.Sign(ledger.EpochDomain(testChain, 1), f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeBadSignature {
		t.Fatalf("a transfer signed for epoch 1 at epoch 0: code %d %s", res.Code, res.Log)
	}
	tx.Sign(testChain, f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != 0 {
		t.Fatalf("the same transfer signed for epoch 0: code %d %s", res.Code, res.Log)
	}

	plain := newFixture(t) // no HE key: no epoch to read
	if code := plain.query("/epoch", "", nil); code != ledger.QueryCodeNotFound {
		t.Fatalf("/epoch without an HE key: code %d", code)
	}
}

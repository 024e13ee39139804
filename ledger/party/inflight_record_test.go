package party

import (
	"crypto/sha256"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestInflightRecordVersions: a record written before records kept the
// signed transaction (version 0) still decodes, without it; a version 1
// record keeps the bytes and whether a node accepted them, and one whose
// bytes are not its transaction is refused as corrupt.
func TestInflightRecordVersions(t *testing.T) {
	raw := []byte("signed transaction bytes")
	f := &inflight{Nonce: 7, TxID: sha256.Sum256(raw), Kind: ledger.KindTransfer, Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening(),
		Applies: []ledger.TxID{{1}}, Created: 1700000000}

	v0 := f.encode()
	g, err := decodeInflight(v0)
	if err != nil || g.Raw != nil || g.Sent || g.Nonce != 7 || g.TxID != f.TxID || len(g.Applies) != 1 {
		t.Fatalf("version 0: %+v, %v", g, err)
	}

	f.Raw, f.Sent = raw, true
	g, err = decodeInflight(f.encode())
	if err != nil || string(g.Raw) != string(raw) || !g.Sent || g.Created != f.Created {
		t.Fatalf("version 1: %+v, %v", g, err)
	}

	f.Raw = []byte("other bytes")
	if _, err := decodeInflight(f.encode()); err == nil {
		t.Fatal("a record whose bytes are not its transaction decoded")
	}
	if _, err := decodeInflight(append(v0, 9)); err == nil {
		t.Fatal("a record of an unknown version decoded")
	}
}

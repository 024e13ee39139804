package node

import (
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/store"
)

// TestTrackedDBAfterClose plays CometBFT's goroutines that outlive its
// Stop: the tx indexer's writes of the last block's index answer errClosed
// instead of panicking inside Pebble, a peer routine's reads (a commit it
// would gossip) find nothing instead of an error its block store panics
// on, and a second Close is harmless.
func TestTrackedDBAfterClose(t *testing.T) {
	raw, err := dbm.NewPebbleDB("tx_index", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := &trackedDB{db: raw}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	early := db.NewBatch() // made before Stop, written after, like the indexer's
	if err := early.Set([]byte("k2"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	late := db.NewBatch()
	for name, call := range map[string]func() error{
		"early batch Write":     early.Write,
		"early batch WriteSync": early.WriteSync,
		"late batch Set":        func() error { return late.Set([]byte("a"), []byte("b")) },
		"late batch WriteSync":  late.WriteSync,
		"Set":                   func() error { return db.Set([]byte("a"), []byte("b")) },
		"SetSync":               func() error { return db.SetSync([]byte("a"), []byte("b")) },
		"Delete":                func() error { return db.Delete([]byte("k")) },
	} {
		if err := call(); !errors.Is(err, errClosed) {
			t.Errorf("%s after Close: %v, want errClosed", name, err)
		}
	}
	if v, err := db.Get([]byte("k")); v != nil || err != nil {
		t.Errorf("Get after Close: %q, %v; want nothing stored", v, err)
	}
	if ok, err := db.Has([]byte("k")); ok || err != nil {
		t.Errorf("Has after Close: %v, %v; want nothing stored", ok, err)
	}
	for name, iter := range map[string]func([]byte, []byte) (dbm.Iterator, error){"Iterator": db.Iterator, "ReverseIterator": db.ReverseIterator} {
		it, err := iter(nil, nil)
		if err != nil || it.Valid() || it.Error() != nil || it.Close() != nil {
			t.Errorf("%s after Close: %v; want an empty iterator", name, err)
		}
	}
	early.Close()
	late.Close()
}

// A peer's consensus routine that outlives Stop loads a commit to gossip
// from the closed block store (as in queryMaj23Routine): it finds none,
// where a read error made CometBFT's block store panic.
func TestBlockStoreReadAfterClose(t *testing.T) {
	raw, err := dbm.NewPebbleDB("blockstore", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := &trackedDB{db: raw}
	bs := store.NewBlockStore(db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if c := bs.LoadSeenCommit(44); c != nil {
		t.Fatalf("a commit from a closed store: %v", c)
	}
	if c := bs.LoadBlockCommit(44); c != nil {
		t.Fatalf("a block commit from a closed store: %v", c)
	}
}

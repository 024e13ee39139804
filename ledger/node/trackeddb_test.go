package node

import (
	"errors"
	"testing"

	dbm "github.com/cometbft/cometbft-db"
)

// TestTrackedDBAfterClose plays CometBFT's tx indexer, whose goroutine can
// still write the last block's index after Stop closed the database: every
// call answers errClosed instead of panicking inside Pebble, and a second
// Close is harmless.
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
		"Get":                   func() error { _, err := db.Get([]byte("k")); return err },
		"Has":                   func() error { _, err := db.Has([]byte("k")); return err },
		"Iterator":              func() error { _, err := db.Iterator(nil, nil); return err },
	} {
		if err := call(); !errors.Is(err, errClosed) {
			t.Errorf("%s after Close: %v, want errClosed", name, err)
		}
	}
	early.Close()
	late.Close()
}

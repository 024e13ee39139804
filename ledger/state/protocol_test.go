package state

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble"
)

// A node refuses a state written under another protocol version, in one
// line naming both, before it executes any block: the chain's next blocks
// would reach other app hashes under this binary (a version 1 store, from
// before the record, never pruned expired FX quotes). The state is left
// as it was: with its record back, it opens at the same height and hash.
func TestProtocolVersion(t *testing.T) {
	for _, c := range []struct {
		name   string
		record []byte // nil: no record
		want   string
	}{
		{"before the record", nil, "follows protocol version 1 and this binary runs version 2"},
		{"a later release", binary.BigEndian.AppendUint64(nil, AppVersion+1), "follows protocol version 3 and"},
		{"damaged record", []byte{byte(AppVersion)}, "g/protocol is 1 bytes, want 8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			height, hash := f.app.height, string(f.app.appHash)
			f.app.store.Close()
			setRecord := func(v []byte) {
				store, err := OpenStore(f.dir)
				if err != nil {
					t.Fatal(err)
				}
				defer store.Close()
				if v == nil {
					err = store.db.Delete(keyProtocol, pebble.Sync)
				} else {
					err = store.db.Set(keyProtocol, v, pebble.Sync)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			setRecord(c.record)
			store, err := OpenStore(f.dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = NewApp(store, testKeys.keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
			store.Close()
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("opened: %v", err)
			}
			if damaged := c.record != nil && len(c.record) != 8; damaged == errors.Is(err, ErrProtocol) {
				t.Errorf("%v: a version mismatch is ErrProtocol, a damaged record is not", err)
			}
			setRecord(binary.BigEndian.AppendUint64(nil, AppVersion))
			f.open()
			if f.app.height != height || string(f.app.appHash) != hash {
				t.Fatalf("reopened at %d %x, was %d %x", f.app.height, f.app.appHash, height, hash)
			}
		})
	}
}

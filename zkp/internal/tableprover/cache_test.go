package tableprover

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tablesFile writes the named fixture's tables to a fresh file and returns
// its path and bytes.
func tablesFile(t *testing.T, name string) (string, []byte) {
	t.Helper()
	f := fixtureFor(t, name)
	path := filepath.Join(t.TempDir(), name+".tables")
	if err := f.prover.Write(path, keyHash(name)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data
}

// keyHash stands for the hash of the named fixture's key file.
func keyHash(name string) [32]byte { return sha256.Sum256([]byte("key of " + name)) }

func TestTablesRoundTrip(t *testing.T) {
	for _, name := range []string{"transfer", "mint"} {
		path, _ := tablesFile(t, name)
		f := fixtureFor(t, name)
		built := f.prover
		loaded, err := Read(path, f.key, keyHash(name))
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded.Tables()) != 4 {
			t.Fatal("tables missing")
		}
		for i, info := range loaded.Tables() {
			if info != built.Tables()[i] {
				t.Fatalf("%s: table %s differs: %+v, built %+v", name, info.Name, info, built.Tables()[i])
			}
		}
		for i := range built.b2.points {
			if built.b2.points[i] != loaded.b2.points[i] {
				t.Fatalf("%s: B2 entry %d differs", name, i)
			}
		}
		for i := range built.kz.points {
			if built.kz.points[i] != loaded.kz.points[i] {
				t.Fatalf("%s: KZ entry %d differs", name, i)
			}
		}
		w := f.witness(t, 1)
		proof, _, err := loaded.Prove(w)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.verify(proof, w); err != nil {
			t.Fatal(err)
		}
	}
}

// withCRC recomputes a table file's checksum after a change to its payload.
func withCRC(name string, data []byte) []byte {
	h := tablesFrameLen(name)
	binary.BigEndian.PutUint32(data[h-4:], crc32.Checksum(data[h:], castagnoli))
	return data
}

func TestTablesRefused(t *testing.T) {
	const name = "mint"
	_, good := tablesFile(t, name)
	h := tablesFrameLen(name)
	change := func(edit func(b []byte) []byte) []byte { return edit(append([]byte(nil), good...)) }
	f := fixtureFor(t, name)
	aPoints := f.prover
	m := aPoints.a.m
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotATablesFile},
		{"not a table file", []byte("SABLEKEY\x01P\x04mint"), ErrNotATablesFile},
		{"another version", change(func(b []byte) []byte { b[len(tablesMagic)] = 2; return b }), ErrNotATablesFile},
		{"truncated in the header", good[:len(tablesMagic)+10], ErrTablesTruncated},
		{"truncated in the payload", good[:len(good)/2], ErrTablesTruncated},
		{"one byte short", good[:len(good)-1], ErrTablesTruncated},
		{"trailing bytes", append(append([]byte(nil), good...), 0), ErrTablesCorrupted},
		{"a flipped bit", change(func(b []byte) []byte { b[len(b)/2] ^= 4; return b }), ErrTablesCorrupted},
		{"another key", change(func(b []byte) []byte { b[len(tablesMagic)+2+len(name)] ^= 1; return b }), ErrTablesStale},
		{"another circuit", change(func(b []byte) []byte { copy(b[len(tablesMagic)+2:], "tint"); return b }), ErrTablesStale},
		{"a key point changed, checksum redone", change(func(b []byte) []byte {
			copy(b[h+8:], b[h+8+g1Bytes:h+8+2*g1Bytes]) // point 0's first entry := its second
			return withCRC(name, b)
		}), ErrTablesStale},
		{"the multiples changed, checksum redone", change(func(b []byte) []byte {
			for i := range aPoints.a.n { // every entry of A := the key's point
				first := h + 8 + i*m*g1Bytes
				for j := 1; j < m; j++ {
					copy(b[first+j*g1Bytes:], b[first:first+g1Bytes])
				}
			}
			return withCRC(name, b)
		}), ErrTablesCorrupted},
		{"a window out of range, checksum redone", change(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[h+4:], 40)
			return withCRC(name, b)
		}), ErrTablesCorrupted},
	}
	for _, tc := range cases {
		path := filepath.Join(t.TempDir(), "mint.tables")
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(path, f.key, keyHash(name)); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none"), f.key, keyHash(name)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}

// The decoding path of big-endian machines reads the same tables.
func TestTablesPortableDecode(t *testing.T) {
	path, _ := tablesFile(t, "mint")
	f := fixtureFor(t, "mint")
	fast, err := Read(path, f.key, keyHash("mint"))
	if err != nil {
		t.Fatal(err)
	}
	littleEndian = false
	defer func() { littleEndian = true }()
	slow, err := Read(path, f.key, keyHash("mint"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range fast.b2.points {
		if fast.b2.points[i] != slow.b2.points[i] {
			t.Fatalf("B2 entry %d differs", i)
		}
	}
	for i := range fast.a.points {
		if fast.a.points[i] != slow.a.points[i] {
			t.Fatalf("A entry %d differs", i)
		}
	}
	w := f.witness(t, 3)
	proof, _, err := slow.Prove(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.verify(proof, w); err != nil {
		t.Fatal(err)
	}
}

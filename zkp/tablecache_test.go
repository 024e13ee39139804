package zkp

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// tablesFile writes c's dev keys and its tables to a fresh directory and
// returns the directory and the bytes of the table file.
func tablesFile(t *testing.T, c Circuit) (string, []byte) {
	t.Helper()
	dir := keyDir(t, c)
	p, _ := proverFor(t, c)
	path := TablesPath(dir, c)
	if err := p.WriteTables(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, data
}

// The hash that binds a cache to a key is the same whether the key came
// from SetupDev or from its file.
func TestProvingKeyPayloadHash(t *testing.T) {
	dir := keyDir(t, Mint)
	pk, _ := setupFor(t, Mint)
	pkPath, _ := KeyPaths(dir, Mint)
	read, err := ReadProvingKey(pkPath, Mint)
	if err != nil {
		t.Fatal(err)
	}
	h1, err := pk.payloadHash()
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := read.payloadHash()
	if h1 != h2 {
		t.Fatal("the key's hash depends on where the key came from")
	}
}

func TestTablesRoundTrip(t *testing.T) {
	for _, c := range Circuits() {
		dir, _ := tablesFile(t, c)
		built, vk := proverFor(t, c)
		pkPath, _ := KeyPaths(dir, c)
		pk, err := ReadProvingKey(pkPath, c)
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := ReadTableProver(TablesPath(dir, c), pk)
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded.Tables()) != 4 {
			t.Fatal("tables missing")
		}
		for i, info := range loaded.Tables() {
			if info != built.Tables()[i] {
				t.Fatalf("%s: table %s differs: %+v, built %+v", c, info.Name, info, built.Tables()[i])
			}
		}
		for i := range built.b2.points {
			if built.b2.points[i] != loaded.b2.points[i] {
				t.Fatalf("%s: B2 entry %d differs", c, i)
			}
		}
		for i := range built.kz.points {
			if built.kz.points[i] != loaded.kz.points[i] {
				t.Fatalf("%s: KZ entry %d differs", c, i)
			}
		}
		in := randomTransfer(t, 1)
		var pub Public
		var proof *Proof
		if c == Transfer {
			pub, proof, err = loaded.ProveTransfer(in, vk)
		} else {
			pub, proof, err = loaded.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}, vk)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyBoth(pub, proof, vk); err != nil {
			t.Fatal(err)
		}
	}
}

// withCRC recomputes a table file's checksum after a change to its payload.
func withCRC(c Circuit, data []byte) []byte {
	h := tablesFrameLen(c)
	binary.BigEndian.PutUint32(data[h-4:], crc32.Checksum(data[h:], castagnoli))
	return data
}

func TestTablesRefused(t *testing.T) {
	_, good := tablesFile(t, Mint)
	h := tablesFrameLen(Mint)
	change := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	aPoints, _ := proverFor(t, Mint)
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
		{"another key", change(func(b []byte) []byte { b[len(tablesMagic)+2+len(Mint)] ^= 1; return b }), ErrTablesStale},
		{"another circuit", change(func(b []byte) []byte { copy(b[len(tablesMagic)+2:], "tint"); return b }), ErrTablesStale},
		{"a key point changed, checksum redone", change(func(b []byte) []byte {
			copy(b[h+8:], b[h+8+g1Bytes:h+8+2*g1Bytes]) // point 0's first entry := its second
			return withCRC(Mint, b)
		}), ErrTablesStale},
		{"the multiples changed, checksum redone", change(func(b []byte) []byte {
			for i := range aPoints.a.n { // every entry of A := the key's point
				first := h + 8 + i*m*g1Bytes
				for j := 1; j < m; j++ {
					copy(b[first+j*g1Bytes:], b[first:first+g1Bytes])
				}
			}
			return withCRC(Mint, b)
		}), ErrTablesCorrupted},
		{"a window out of range, checksum redone", change(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[h+4:], 40)
			return withCRC(Mint, b)
		}), ErrTablesCorrupted},
	}
	pk, _ := setupFor(t, Mint)
	for _, tc := range cases {
		path := filepath.Join(t.TempDir(), "mint.tables")
		if err := os.WriteFile(path, tc.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadTableProver(path, pk); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := ReadTableProver(filepath.Join(t.TempDir(), "none"), pk); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: got %v", err)
	}
}

// The decoding path of big-endian machines reads the same tables.
func TestTablesPortableDecode(t *testing.T) {
	dir, _ := tablesFile(t, Mint)
	pk, vk := setupFor(t, Mint)
	fast, err := ReadTableProver(TablesPath(dir, Mint), pk)
	if err != nil {
		t.Fatal(err)
	}
	littleEndian = false
	defer func() { littleEndian = true }()
	slow, err := ReadTableProver(TablesPath(dir, Mint), pk)
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
	in := randomTransfer(t, 3)
	if _, _, err := slow.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}, vk); err != nil {
		t.Fatal(err)
	}
}

package zkp

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// A context made from a shared prefix is the context made in one go.
func TestContextPrefix(t *testing.T) {
	tx := bytes.Repeat([]byte{7}, 100_000)
	p := NewContextPrefix("sable/tx-ctx/v1", []byte("chain"), tx)
	for j := range 5 {
		idx := binary.BigEndian.AppendUint32(nil, uint32(j))
		got, err := p.With(idx)
		if err != nil {
			t.Fatal(err)
		}
		if want := NewContext("sable/tx-ctx/v1", []byte("chain"), tx, idx); got != want {
			t.Fatalf("payment %d: prefix context %x, want %x", j, got, want)
		}
	}
	if a, _ := p.With([]byte{1}); a == NewContext("sable/tx-ctx/v1", []byte("chain"), tx) {
		t.Fatal("the suffix is ignored")
	}
}

package iso

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// TestParseMutations feeds Parse pacs.008 messages mutated from the golden
// ones (bytes changed, dropped and inserted, from a fixed seed): it never
// panics, its verdict does not depend on the run, and a payable message
// holds only payments Sable can make (a known bank other than the sender,
// a known currency, at least one minor unit).
//
// It stands in for a Go fuzz target: the message library's generated code
// is so large that the fuzzer's coverage instrumentation slows each input
// to about a minute.
func TestParseMutations(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(golden, "pacs008_*.xml"))
	m := mapping(t, bankHome(t))
	r := rand.New(rand.NewSource(20261201))
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			checkParse(t, mutate(r, raw), m)
		}
	}
}

func mutate(r *rand.Rand, raw []byte) []byte {
	b := append([]byte{}, raw...)
	for range 1 + r.Intn(4) {
		p := r.Intn(len(b))
		switch r.Intn(3) {
		case 0:
			b[p] = byte(r.Intn(256))
		case 1:
			b = append(b[:p], b[p+1:]...)
		default:
			b = append(b[:p], append([]byte{byte(r.Intn(256))}, b[p:]...)...)
		}
	}
	return b
}

func checkParse(t *testing.T, raw []byte, m *Mapping) {
	t.Helper()
	msg := Parse(raw, "bank-sg", m)
	again := Parse(raw, "bank-sg", m)
	if msg.Payable() != again.Payable() || len(msg.Tx) != len(again.Tx) {
		t.Fatalf("two parses of the same bytes disagree:\n%s", raw)
	}
	if !msg.Payable() {
		return
	}
	if len(msg.Tx) == 0 {
		t.Fatalf("a payable message with no transaction:\n%s", raw)
	}
	for i, in := range msg.Tx {
		if in.Amount == 0 || !in.Currency.Known() || in.To == "" || in.To == "bank-sg" {
			t.Fatalf("payable transaction %d: %+v\n%s", i, in, raw)
		}
	}
}

package he

import (
	"math/rand/v2"
	"testing"
)

func TestBitPacking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 200; trial++ {
		n := rng.IntN(50)
		widths := make([]uint, n)
		vals := make([]uint64, n)
		for i := range vals {
			widths[i] = uint(1 + rng.IntN(64))
			vals[i] = rng.Uint64() >> (64 - widths[i])
		}
		w := bitWriter{}
		var total uint
		for i, v := range vals {
			w.put(v, widths[i])
			total += widths[i]
		}
		b := w.flush()
		if len(b) != int((total+7)/8) {
			t.Fatalf("%d bytes for %d bits", len(b), total)
		}
		r := bitReader{b: b}
		for i, v := range vals {
			if got := r.get(widths[i]); got != v {
				t.Fatalf("trial %d value %d: got %#x want %#x (width %d)", trial, i, got, v, widths[i])
			}
		}
		if !r.done() {
			t.Fatalf("trial %d: reader not done", trial)
		}
		if total%8 != 0 {
			b[len(b)-1] |= 0x80 // a padding bit
			r = bitReader{b: b}
			for i := range vals {
				r.get(widths[i])
			}
			if r.done() {
				t.Fatalf("trial %d: non-zero padding accepted", trial)
			}
		}
	}
}

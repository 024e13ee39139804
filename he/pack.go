package he

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// Residues are packed to the bit width of their prime, least significant
// bit first, in the order poly, prime, coefficient. Lattigo's own format
// spends 64 bits on each; at the aggregate level (51 + 42 bits) packing
// saves 27%. Decoding is strict, so every value has exactly one encoding:
// a residue must be below its prime and the padding bits of the last byte
// must be zero.

// bitWriter appends fixed-width values to a byte slice.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint // bits pending in acc, < 8 between calls
}

func (w *bitWriter) put(v uint64, width uint) {
	for width > 0 {
		k := min(width, 32)
		w.acc |= (v & (1<<k - 1)) << w.n
		w.n += k
		v >>= k
		width -= k
		for w.n >= 8 {
			w.b = append(w.b, byte(w.acc))
			w.acc >>= 8
			w.n -= 8
		}
	}
}

func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.b = append(w.b, byte(w.acc))
		w.acc, w.n = 0, 0
	}
	return w.b
}

// bitReader reads fixed-width values; the caller has checked the length,
// so reads never run past the end.
type bitReader struct {
	b   []byte
	i   int
	acc uint64
	n   uint
}

func (r *bitReader) get(width uint) uint64 {
	var v uint64
	var got uint
	for got < width {
		for r.n < 32 && r.i < len(r.b) {
			r.acc |= uint64(r.b[r.i]) << r.n
			r.i++
			r.n += 8
		}
		k := min(width-got, 32)
		v |= (r.acc & (1<<k - 1)) << got
		r.acc >>= k
		r.n -= k
		got += k
	}
	return v
}

// done reports whether the input is consumed and its padding bits zero.
func (r *bitReader) done() bool {
	return r.i == len(r.b) && r.acc == 0
}

// packPolys appends the residues of polys at level.
func (p *Params) packPolys(dst []byte, polys []ring.Poly, level int) []byte {
	w := bitWriter{b: dst}
	for _, poly := range polys {
		for i := 0; i <= level; i++ {
			width := p.qBits[i]
			for _, c := range poly.Coeffs[i] {
				w.put(c, width)
			}
		}
	}
	return w.flush()
}

// unpackPolys fills polys at level from src, whose length the caller has
// checked to be exactly packedSize(len(polys), level).
func (p *Params) unpackPolys(src []byte, polys []ring.Poly, level int) error {
	r := bitReader{b: src}
	q := p.hp.Q()
	for k, poly := range polys {
		for i := 0; i <= level; i++ {
			width, qi := p.qBits[i], q[i]
			coeffs := poly.Coeffs[i]
			for j := range coeffs {
				c := r.get(width)
				if c >= qi {
					return fmt.Errorf("%w: poly %d residue %d coefficient %d not below its prime", ErrMalformed, k, i, j)
				}
				coeffs[j] = c
			}
		}
	}
	if !r.done() {
		return fmt.Errorf("%w: non-zero padding", ErrMalformed)
	}
	return nil
}

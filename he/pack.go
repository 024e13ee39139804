package he

import (
	"encoding/binary"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// Residues are packed to the bit width of their prime, least significant
// bit first, in the order poly, prime, coefficient. Lattigo's own format
// spends 64 bits on each; at the aggregate level (51 + 42 bits) packing
// saves 27%. Decoding is strict, so every value has exactly one encoding:
// a residue must be below its prime and the padding bits of the last byte
// must be zero.

// bitWriter appends fixed-width values (width ≤ 64) to a byte slice,
// a 64-bit word at a time.
type bitWriter struct {
	b   []byte
	acc uint64
	n   uint // bits pending in acc, < 64 between calls
}

func (w *bitWriter) put(v uint64, width uint) {
	if width < 64 {
		v &= 1<<width - 1
	}
	w.acc |= v << w.n // bits shifted past 64 are lost here and kept below
	if w.n+width < 64 {
		w.n += width
		return
	}
	w.b = binary.LittleEndian.AppendUint64(w.b, w.acc)
	w.acc = v >> (64 - w.n) // 0 when n = 0: Go shifts of 64 give 0
	w.n = w.n + width - 64
}

func (w *bitWriter) flush() []byte {
	for ; w.n > 0; w.n -= min(w.n, 8) {
		w.b = append(w.b, byte(w.acc))
		w.acc >>= 8
	}
	return w.b
}

// bitReader reads fixed-width values (width ≤ 64); the caller has checked
// the length, so reads never run past the end.
type bitReader struct {
	b   []byte
	i   int
	acc uint64
	n   uint // bits available in acc
}

// word returns the next 64 bits of input (zero-padded at the end) and how
// many of them are real.
func (r *bitReader) word() (uint64, uint) {
	if len(r.b)-r.i >= 8 {
		x := binary.LittleEndian.Uint64(r.b[r.i:])
		r.i += 8
		return x, 64
	}
	var x uint64
	k := uint(len(r.b)-r.i) * 8
	for j := 0; r.i < len(r.b); j++ {
		x |= uint64(r.b[r.i]) << (8 * j)
		r.i++
	}
	return x, k
}

func (r *bitReader) get(width uint) uint64 {
	mask := uint64(1)<<width - 1 // all ones for width 64
	if r.n >= width {
		v := r.acc & mask
		r.acc >>= width // 0 when width = 64
		r.n -= width
		return v
	}
	x, k := r.word()
	v := (r.acc | x<<r.n) & mask
	used := width - r.n
	r.acc = x >> used
	r.n = k - used
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

package fixedbase

import (
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// Base is a fixed point B of the BN254 twisted Edwards curve together with
// its window tables. Tables are computed natively, once per scalar width, and
// shared by every Define that uses B (they enter the circuit as constants).
type Base struct {
	point tedwards.PointAffine

	mu     sync.Mutex
	tables map[int][]window // scalar width n → windows covering bits [0, n)
}

// NewBase returns B with no table computed yet. B must be on the curve.
func NewBase(b tedwards.PointAffine) *Base {
	if !b.IsOnCurve() {
		panic("fixedbase: base point is not on the curve")
	}
	return &Base{point: b, tables: make(map[int][]window)}
}

// Point returns B.
func (b *Base) Point() tedwards.PointAffine { return b.point }

// window covers the scalar bits [shift, shift+width) and selects
// k·2^shift·B for k = Σ_j 2^j·b_{shift+j}. x and y are the coordinates as
// multilinear polynomials in those bits: x(b) = Σ_S x[S]·Π_{j∈S} b_j, where
// the mask S ranges over [0, 2^width). Points on the selected side stay
// constants of the circuit; only the bits are variables.
type window struct {
	shift, width int
	x, y         []*big.Int
}

// windows returns the tables for n-bit scalars, computing them on first use.
func (b *Base) windows(n int) []window {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w, ok := b.tables[n]; ok {
		return w
	}
	w := buildWindows(b.point, widths(n))
	b.tables[n] = w
	return w
}

// widths splits n bits into windows, least significant first. Windows are
// 3 bits wide; when n is not a multiple of 3 the top one or two windows are
// 4 bits wide instead. Per bit, a 4-bit window costs the same as a 3-bit one
// (4 products + 2 selections + 6 for the addition over 4 bits, against
// 1 + 2 + 6 over 3), while a ragged 1- or 2-bit window would pay a whole
// addition for one or two bits. Scalars of 1, 2 or 5 bits keep a short window.
func widths(n int) []int {
	if n < 1 {
		panic("fixedbase: scalar width must be at least 1")
	}
	q, r := n/3, n%3
	var ws []int
	switch {
	case r == 1 && q >= 1:
		ws = append(repeat(3, q-1), 4)
	case r == 2 && q >= 2:
		ws = append(repeat(3, q-2), 4, 4)
	default:
		ws = repeat(3, q)
		if r > 0 {
			ws = append(ws, r)
		}
	}
	return ws
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// buildWindows tabulates k·2^shift·B for every window and converts each
// table to multilinear coefficients.
func buildWindows(b tedwards.PointAffine, ws []int) []window {
	out := make([]window, len(ws))
	q := b // 2^shift·B
	shift := 0
	for i, w := range ws {
		xs, ys := multiples(q, 1<<w)
		out[i] = window{shift: shift, width: w, x: mobius(xs), y: mobius(ys)}
		for range w {
			q.Double(&q)
		}
		shift += w
	}
	return out
}

// multiples returns the coordinates of k·q for k = 0 … n−1 (0·q = (0, 1)).
func multiples(q tedwards.PointAffine, n int) (xs, ys []fr.Element) {
	xs, ys = make([]fr.Element, n), make([]fr.Element, n)
	var p tedwards.PointAffine
	p.Y.SetOne()
	for k := range n {
		xs[k], ys[k] = p.X, p.Y
		p.Add(&p, &q)
	}
	return xs, ys
}

// mobius turns the values f(S) of a function on bit masks into the
// coefficients c[S] of its multilinear polynomial, f(S) = Σ_{T⊆S} c[T]
// (the Möbius transform on the subset lattice).
func mobius(f []fr.Element) []*big.Int {
	c := make([]fr.Element, len(f))
	copy(c, f)
	for bit := 1; bit < len(c); bit <<= 1 {
		for s := range c {
			if s&bit != 0 {
				c[s].Sub(&c[s], &c[s^bit])
			}
		}
	}
	out := make([]*big.Int, len(c))
	for i := range c {
		out[i] = c[i].BigInt(new(big.Int))
	}
	return out
}

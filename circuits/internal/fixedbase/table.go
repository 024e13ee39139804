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
// (k + 2)·2^shift·B for k = Σ_j 2^j·b_{shift+j}: the offset 2 keeps every
// entry away from the identity and every partial sum below the next entry
// (see the package doc). u, v are the entry's Montgomery coordinates and
// x, y its Edwards coordinates, each as the multilinear polynomial in the
// window's bits: u(b) = Σ_S u[S]·Π_{j∈S} b_j, where the mask S ranges over
// [0, 2^width). Points on the selected side stay constants of the
// circuit; only the bits are variables.
type window struct {
	shift, width int
	u, v, x, y   []*big.Int
}

// offset returns 2·2^shift, the multiple of B that every entry of w adds
// on top of the window's value.
func (w *window) offset() *big.Int {
	return new(big.Int).Lsh(big.NewInt(2), uint(w.shift))
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

// widths splits n bits into windows, least significant first: 3 bits wide,
// then one 2-bit window when n ≡ 2 mod 3, two when n ≡ 1 mod 3 (a lone
// 1-bit window only for n = 1). A 3-bit window costs 3 constraints to select
// and a 2-bit one 1, and each adds one addition (3), so both cost 2 per bit
// beyond the bit's boolean constraint; a 1-bit window would pay a whole
// addition for one bit, a 4-bit one 6 to select.
func widths(n int) []int {
	if n < 1 {
		panic("fixedbase: scalar width must be at least 1")
	}
	q, r := n/3, n%3
	switch {
	case n == 1:
		return []int{1}
	case r == 1:
		return append(repeat(3, q-1), 2, 2)
	case r == 2:
		return append(repeat(3, q), 2)
	default:
		return repeat(3, q)
	}
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// buildWindows tabulates (k + 2)·2^shift·B for every window and converts
// each table to multilinear coefficients.
func buildWindows(b tedwards.PointAffine, ws []int) []window {
	out := make([]window, len(ws))
	q := b // 2^shift·B
	shift := 0
	for i, w := range ws {
		us, vs, xs, ys := entries(q, 1<<w)
		out[i] = window{shift: shift, width: w, u: mobius(us), v: mobius(vs), x: mobius(xs), y: mobius(ys)}
		for range w {
			q.Double(&q)
		}
		shift += w
	}
	return out
}

// entries returns the Montgomery and Edwards coordinates of (k + 2)·q for
// k = 0 … n−1. q has odd order ℓ and k + 2 ≤ n + 1 < ℓ, so no entry is the
// identity and each has Montgomery coordinates.
func entries(q tedwards.PointAffine, n int) (us, vs, xs, ys []fr.Element) {
	us, vs = make([]fr.Element, n), make([]fr.Element, n)
	xs, ys = make([]fr.Element, n), make([]fr.Element, n)
	var p tedwards.PointAffine
	p.Double(&q)
	for k := range n {
		us[k], vs[k] = toMontgomery(p)
		xs[k], ys[k] = p.X, p.Y
		p.Add(&p, &q)
	}
	return us, vs, xs, ys
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

package fixedbase

import (
	"math/big"
	"math/bits"
	"sync"

	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"
)

func init() {
	solver.RegisterHint(lowBits)
}

// Point is an in-circuit point of the BN254 twisted Edwards curve.
type Point = twistededwards.Point

// curve holds a and d as integers, the form the frontend takes constants in.
var curve = sync.OnceValue(func() struct{ a, d *big.Int } {
	p := tedwards.GetEdwardsCurve()
	return struct{ a, d *big.Int }{p.A.BigInt(new(big.Int)), p.D.BigInt(new(big.Int))}
})

// Sum is a running point of the circuit that grows by fixed-base multiples.
// It starts either empty (the first looked-up point becomes the sum, with no
// addition) or at a given point.
type Sum struct {
	api   frontend.API
	acc   Point
	empty bool
}

// NewSum returns an empty sum.
func NewSum(api frontend.API) *Sum { return &Sum{api: api, empty: true} }

// NewSumFrom returns a sum starting at p. p must be on the curve (every
// addition below relies on it for completeness).
func NewSumFrom(api frontend.API, p Point) *Sum { return &Sum{api: api, acc: p} }

// AddMul adds s·B to the sum and asserts 0 ≤ s < 2^n: the window
// decomposition of s is its range check. n must be below the field's bit
// length.
func (s *Sum) AddMul(b *Base, scalar frontend.Variable, n int) {
	bits := Decompose(s.api, scalar, n)
	for _, w := range b.windows(n) {
		s.add(w.lookup(s.api, bits[w.shift:w.shift+w.width]))
	}
}

func (s *Sum) add(p Point) {
	if s.empty {
		s.acc, s.empty = p, false
		return
	}
	s.acc = Add(s.api, s.acc, p)
}

// AssertEqual asserts that the sum is p (2 constraints; the identity if the
// sum is still empty).
func (s *Sum) AssertEqual(p Point) {
	if s.empty {
		s.acc = Point{X: 0, Y: 1}
	}
	s.api.AssertIsEqual(s.acc.X, p.X)
	s.api.AssertIsEqual(s.acc.Y, p.Y)
}

// Decompose returns the n bits of x, least significant first, and so asserts
// 0 ≤ x < 2^n. It costs n constraints. The low n−1 bits are hinted and each
// constrained boolean. The top bit is no new variable but the linear
// expression t = (x − Σ_{i<n−1} 2^i·b_i) / 2^(n−1), constrained boolean too:
// that one constraint both recomposes x and range-checks the top bit. As
// n < the field's bit length, x = Σ 2^i·b_i holds over the integers, with no
// wrap-around.
func Decompose(api frontend.API, x frontend.Variable, n int) []frontend.Variable {
	if n < 1 || n >= api.Compiler().FieldBitLen() {
		panic("fixedbase: scalar width out of [1, field bit length)")
	}
	out := make([]frontend.Variable, n)
	low := frontend.Variable(0)
	if n > 1 {
		hinted, err := api.Compiler().NewHint(lowBits, n-1, x)
		if err != nil {
			panic(err)
		}
		for i, b := range hinted {
			api.AssertIsBoolean(b)
			low = api.Add(low, api.Mul(b, new(big.Int).Lsh(big.NewInt(1), uint(i))))
		}
		copy(out, hinted)
	}
	inv := new(big.Int).Lsh(big.NewInt(1), uint(n-1))
	inv.ModInverse(inv, api.Compiler().Field())
	out[n-1] = api.Mul(api.Sub(x, low), inv)
	api.AssertIsBoolean(out[n-1])
	return out
}

// lowBits is the hint behind Decompose: the len(out) low bits of in[0].
func lowBits(_ *big.Int, in, out []*big.Int) error {
	for i := range out {
		out[i].SetUint64(uint64(in[0].Bit(i)))
	}
	return nil
}

// lookup selects the window's point for bits b (len(b) = w.width, booleans).
// The products of the low bits (all bits for width ≤ 2, all but the top bit
// otherwise) are monomials m[S]; a coordinate is then either linear in them
// (width ≤ 2) or L0(m) + b_top·L1(m), one constraint. Cost by width:
// 1 → 0, 2 → 1, 3 → 1 + 2, 4 → 4 + 2 constraints.
func (w *window) lookup(api frontend.API, b []frontend.Variable) Point {
	low, top := b, frontend.Variable(nil)
	if w.width >= 3 {
		low, top = b[:w.width-1], b[w.width-1]
	}
	m := monomials(api, low)
	return Point{X: evaluate(api, w.x, m, top), Y: evaluate(api, w.y, m, top)}
}

// monomials returns m[S] = Π_{j∈S} b_j for every mask S, one constraint per
// mask with two or more bits.
func monomials(api frontend.API, b []frontend.Variable) []frontend.Variable {
	m := make([]frontend.Variable, 1<<len(b))
	m[0] = 1
	for s := 1; s < len(m); s++ {
		hi := bits.Len(uint(s)) - 1
		if rest := s &^ (1 << hi); rest == 0 {
			m[s] = b[hi]
		} else {
			m[s] = api.Mul(m[rest], b[hi])
		}
	}
	return m
}

// evaluate evaluates the multilinear polynomial with coefficients c at the
// monomials m (and the top bit, if not nil).
func evaluate(api frontend.API, c []*big.Int, m []frontend.Variable, top frontend.Variable) frontend.Variable {
	l0 := linear(api, c[:len(m)], m)
	if top == nil {
		return l0
	}
	return api.Add(l0, api.Mul(top, linear(api, c[len(m):], m)))
}

// linear returns Σ c[S]·m[S], with no constraint.
func linear(api frontend.API, c []*big.Int, m []frontend.Variable) frontend.Variable {
	sum := frontend.Variable(0)
	for s := range m {
		if c[s].Sign() != 0 {
			sum = api.Add(sum, api.Mul(c[s], m[s]))
		}
	}
	return sum
}

// Add returns p + q for p, q on the curve, in 6 constraints:
//
//	β = x1·y2, γ = y1·x2, δ = (−a·x1 + y1)·(x2 + y2), τ = β·γ,
//	x3·(1 + d·τ) = β + γ, y3·(1 − d·τ) = δ + a·β − γ.
//
// With a a square and d a non-square the law is complete: 1 ± d·τ ≠ 0 for
// any two points on the curve, so each division has exactly one solution.
func Add(api frontend.API, p, q Point) Point {
	a, d := curve().a, curve().d
	beta := api.Mul(p.X, q.Y)
	gamma := api.Mul(p.Y, q.X)
	delta := api.Mul(api.Sub(p.Y, api.Mul(a, p.X)), api.Add(q.X, q.Y))
	dtau := api.Mul(d, api.Mul(beta, gamma))
	return Point{
		X: api.DivUnchecked(api.Add(beta, gamma), api.Add(1, dtau)),
		Y: api.DivUnchecked(api.Sub(api.Add(delta, api.Mul(a, beta)), gamma), api.Sub(1, dtau)),
	}
}

// AssertOnCurve asserts a·x² + y² = 1 + d·x²·y² (4 constraints).
func AssertOnCurve(api frontend.API, p Point) {
	a, d := curve().a, curve().d
	xx := api.Mul(p.X, p.X)
	yy := api.Mul(p.Y, p.Y)
	dxxyy := api.Mul(api.Mul(d, xx), yy)
	api.AssertIsEqual(api.Add(api.Mul(a, xx), yy), api.Add(1, dxxyy))
}

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
	solver.RegisterHint(lowBits, montAdd)
}

// Point is an in-circuit point of the BN254 twisted Edwards curve.
type Point = twistededwards.Point

// curve holds a, d and ℓ as integers, the form the frontend takes constants in.
var curve = sync.OnceValue(func() struct{ a, d, order *big.Int } {
	p := tedwards.GetEdwardsCurve()
	return struct{ a, d, order *big.Int }{p.A.BigInt(new(big.Int)), p.D.BigInt(new(big.Int)), new(big.Int).Set(&p.Order)}
})

// order returns ℓ, the order of the prime-order subgroup.
func order() *big.Int { return curve().order }

// Sum is a running point of the circuit that grows by fixed-base multiples
// s·B, and ends with [Sum.AssertEqual] or [Sum.Point]. It starts empty.
//
// Internally the sum is kept on the Montgomery curve and grows by
// incomplete additions while the package doc's argument shows that no
// assignment reaches an exceptional case; from the first window where it
// does not, it moves to the Edwards curve and adds completely. Every window
// entry carries an offset (see window), which the sum removes at the end.
type Sum struct {
	api frontend.API

	acc    Point // on M while onMont, on the Edwards curve after
	onMont bool
	empty  bool

	first      tedwards.PointAffine // the base of the first AddMul
	firstHi    *big.Int             // the largest multiple of first the sum can hold, while in the first AddMul
	inFirst    bool                 // the first AddMul is running
	firstFixed bool                 // the first AddMul ended on M: the sum's coefficient of first is in [2, ℓ) and final

	offset tedwards.PointAffine // Σ of the entries' offsets, removed at the end
}

// NewSum returns an empty sum.
func NewSum(api frontend.API) *Sum {
	s := &Sum{api: api, empty: true}
	s.offset.Y.SetOne()
	return s
}

// AddMul adds s·B to the sum and asserts 0 ≤ s < 2^n: the window
// decomposition of s is its range check. n must be below the field's bit
// length.
func (s *Sum) AddMul(b *Base, scalar frontend.Variable, n int) {
	bits := Decompose(s.api, scalar, n)
	if s.empty {
		s.first, s.firstHi, s.inFirst = b.point, new(big.Int), true
	} else if b.point.Equal(&s.first) {
		s.firstFixed = false // the first base's coefficient changes again
	}
	for _, w := range b.windows(n) {
		s.addWindow(b, &w, bits[w.shift:w.shift+w.width])
	}
	if s.inFirst {
		s.firstFixed, s.inFirst = s.onMont, false
	}
}

// addWindow adds the window's entry for bits bs.
func (s *Sum) addWindow(b *Base, w *window, bs []frontend.Variable) {
	var off tedwards.PointAffine
	off.ScalarMultiplication(&b.point, w.offset())
	s.offset.Add(&s.offset, &off)
	hi := new(big.Int).Lsh(big.NewInt(int64(1)<<w.width+1), uint(w.shift)) // (2^width + 1)·2^shift
	switch {
	case s.empty:
		s.acc, s.onMont, s.empty = w.lookup(s.api, bs, w.u, w.v), true, false
		s.firstHi.Set(hi)
	case s.onMont && s.incompleteIsSafe(b, hi):
		s.acc = addIncomplete(s.api, s.acc, w.lookup(s.api, bs, w.u, w.v))
		if s.inFirst {
			s.firstHi.Add(s.firstHi, hi)
		}
	default:
		if s.onMont {
			s.acc, s.onMont = toEdwards(s.api, s.acc), false
		}
		s.acc = Add(s.api, s.acc, w.lookup(s.api, bs, w.x, w.y))
	}
}

// incompleteIsSafe says whether adding an entry of base b, at most hi·b,
// to the sum on M can reach no exceptional case. Within the first AddMul
// the sum is a·B with a below the entry (package doc) and a + hi < ℓ must
// hold; after it, b must differ from the first base, whose coefficient is
// then fixed in [2, ℓ), so that a collision would be a discrete-log
// relation between the bases.
func (s *Sum) incompleteIsSafe(b *Base, hi *big.Int) bool {
	if s.inFirst {
		return new(big.Int).Add(s.firstHi, hi).Cmp(order()) < 0
	}
	return s.firstFixed && !b.point.Equal(&s.first)
}

// edwards returns the sum with its offsets still in, on the Edwards curve
// (2 constraints if it is on M).
func (s *Sum) edwards() Point {
	if s.onMont {
		s.acc, s.onMont = toEdwards(s.api, s.acc), false
	}
	return s.acc
}

// negOffset returns −Σ offsets.
func (s *Sum) negOffset() tedwards.PointAffine {
	var n tedwards.PointAffine
	n.Neg(&s.offset)
	return n
}

// Point returns the sum on the Edwards curve: 2 constraints to leave M and
// 3 to remove the offsets; (0, 1) for an empty sum.
func (s *Sum) Point() Point {
	if s.empty {
		return Point{X: 0, Y: 1}
	}
	return addConst(s.api, s.edwards(), s.negOffset())
}

// AssertEqual asserts that the sum is p (5 constraints: the offsets'
// removal ends in p; 2 for an empty sum, which is the identity).
func (s *Sum) AssertEqual(p Point) {
	if s.empty {
		s.api.AssertIsEqual(p.X, 0)
		s.api.AssertIsEqual(p.Y, 1)
		return
	}
	assertAddConst(s.api, s.edwards(), s.negOffset(), p)
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

// lookup selects the window's entry for bits b (len(b) = w.width,
// booleans), as the coordinates whose polynomials are cu, cv (the
// Montgomery or the Edwards ones). The products of the low bits (all bits for width ≤ 2, all but the top bit
// otherwise) are monomials m[S]; a coordinate is then either linear in them
// (width ≤ 2) or L0(m) + b_top·L1(m), one constraint. Cost by width:
// 1 → 0, 2 → 1, 3 → 1 + 2, 4 → 4 + 2 constraints.
func (w *window) lookup(api frontend.API, b []frontend.Variable, cu, cv []*big.Int) Point {
	low, top := b, frontend.Variable(nil)
	if w.width >= 3 {
		low, top = b[:w.width-1], b[w.width-1]
	}
	m := monomials(api, low)
	return Point{X: evaluate(api, cu, m, top), Y: evaluate(api, cv, m, top)}
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
	t := newAddTerms(api, p, q)
	return Point{X: api.DivUnchecked(t.xNum, t.xDen), Y: api.DivUnchecked(t.yNum, t.yDen)}
}

// AssertAdd asserts p + q = r for p, q on the curve, in 6 constraints: Add
// with r in place of its two outputs.
func AssertAdd(api frontend.API, p, q, r Point) {
	t := newAddTerms(api, p, q)
	t.assertIs(api, r)
}

// addTerms holds the numerators and denominators of Add's two divisions.
type addTerms struct{ xNum, xDen, yNum, yDen frontend.Variable }

// newAddTerms computes them in 4 constraints (β, γ, δ, τ), or 1 (τ) when q
// is a constant: products by constants are free.
func newAddTerms(api frontend.API, p, q Point) addTerms {
	a, d := curve().a, curve().d
	beta := api.Mul(p.X, q.Y)
	gamma := api.Mul(p.Y, q.X)
	delta := api.Mul(api.Sub(p.Y, api.Mul(a, p.X)), api.Add(q.X, q.Y))
	dtau := api.Mul(d, api.Mul(beta, gamma))
	return addTerms{
		xNum: api.Add(beta, gamma), xDen: api.Add(1, dtau),
		yNum: api.Sub(api.Add(delta, api.Mul(a, beta)), gamma), yDen: api.Sub(1, dtau),
	}
}

// assertIs asserts that the sum is r: r.x·xDen = xNum, r.y·yDen = yNum
// (2 constraints).
func (t addTerms) assertIs(api frontend.API, r Point) {
	assertMul(api, r.X, t.xDen, t.xNum)
	assertMul(api, r.Y, t.yDen, t.yNum)
}

// addConst returns p + q for p on the curve and q a constant point (3
// constraints: τ and the two divisions).
func addConst(api frontend.API, p Point, q tedwards.PointAffine) Point {
	return Add(api, p, constPoint(q))
}

// assertAddConst asserts p + q = r for p on the curve and q a constant
// point (3 constraints).
func assertAddConst(api frontend.API, p Point, q tedwards.PointAffine, r Point) {
	AssertAdd(api, p, constPoint(q), r)
}

func constPoint(q tedwards.PointAffine) Point {
	return Point{X: q.X.BigInt(new(big.Int)), Y: q.Y.BigInt(new(big.Int))}
}

// AssertOnCurve asserts a·x² + y² = 1 + d·x²·y² (4 constraints).
func AssertOnCurve(api frontend.API, p Point) {
	a, d := curve().a, curve().d
	xx := api.Mul(p.X, p.X)
	yy := api.Mul(p.Y, p.Y)
	dxxyy := api.Mul(api.Mul(d, xx), yy)
	api.AssertIsEqual(api.Add(api.Mul(a, xx), yy), api.Add(1, dxxyy))
}

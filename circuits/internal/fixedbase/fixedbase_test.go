package fixedbase

import (
	"errors"
	"math/big"
	"math/rand"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

var field = ecc.BN254.ScalarField()

func pow2(n int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(n)) }

func pt(q tedwards.PointAffine) Point {
	return Point{X: q.X.BigInt(new(big.Int)), Y: q.Y.BigInt(new(big.Int))}
}

// bases are the bases a mulCircuit can use, by index.
func bases() [2]*Base { return [2]*Base{G(), H()} }

// mulCircuit asserts S·B_s + T·B_t = Want with S < 2^SBits and T < 2^TBits
// (T is skipped when TBits is 0), B_s and B_t chosen by Bases. With
// ViaPoint it compares Sum.Point instead of calling Sum.AssertEqual.
type mulCircuit struct {
	Want         Point
	S, T         frontend.Variable
	SBits, TBits int
	Bases        [2]int
	ViaPoint     bool
}

func (c *mulCircuit) Define(api frontend.API) error {
	b := bases()
	sum := NewSum(api)
	sum.AddMul(b[c.Bases[0]], c.S, c.SBits)
	if c.TBits > 0 {
		sum.AddMul(b[c.Bases[1]], c.T, c.TBits)
	}
	if c.ViaPoint {
		p := sum.Point()
		api.AssertIsEqual(p.X, c.Want.X)
		api.AssertIsEqual(p.Y, c.Want.Y)
		return nil
	}
	sum.AssertEqual(c.Want)
	return nil
}

func (c *mulCircuit) shape() *mulCircuit {
	return &mulCircuit{SBits: c.SBits, TBits: c.TBits, Bases: c.Bases, ViaPoint: c.ViaPoint}
}

// assign returns the assignment for s, t with the expected point computed
// natively.
func (c *mulCircuit) assign(s, t *big.Int) *mulCircuit {
	b := bases()
	var want, q tedwards.PointAffine
	want.ScalarMultiplication(&b[c.Bases[0]].point, s)
	if c.TBits > 0 {
		q.ScalarMultiplication(&b[c.Bases[1]].point, t)
		want.Add(&want, &q)
	}
	a := c.shape()
	a.S, a.T, a.Want = s, t, pt(want)
	return a
}

// gh is the commitment shape: s·G + t·H.
func gh(sBits, tBits int) *mulCircuit {
	return &mulCircuit{SBits: sBits, TBits: tBits, Bases: [2]int{0, 1}}
}

// compiled is a shape compiled to R1CS, to run gnark's solver (the path on
// which assertMul emits single constraints) on many assignments.
type compiled struct {
	t   *testing.T
	ccs constraint.ConstraintSystem
}

func compile(t *testing.T, c *mulCircuit) compiled {
	t.Helper()
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, c.shape())
	if err != nil {
		t.Fatal(err)
	}
	return compiled{t, ccs}
}

func (c compiled) solve(a frontend.Circuit, opts ...solver.Option) error {
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.ccs.IsSolved(w, opts...)
}

func TestCurveIsComplete(t *testing.T) {
	p := tedwards.GetEdwardsCurve()
	if p.A.Legendre() != 1 {
		t.Error("a is not a square: the addition law is not complete")
	}
	if p.D.Legendre() != -1 {
		t.Error("d is a square: the addition law is not complete")
	}
}

// TestMontgomeryMap checks the curve M and both maps natively: mapped
// points are on M, the hint's addition is the Edwards one, and toEdwards'
// formulas invert the map.
func TestMontgomeryMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := G().Point()
	m := mont()
	for range 50 {
		var p, q, r tedwards.PointAffine
		p.ScalarMultiplication(&g, new(big.Int).Rand(rng, order()))
		q.ScalarMultiplication(&g, new(big.Int).Rand(rng, order()))
		r.Add(&p, &q)
		pu, pv := toMontgomery(p)
		var lhs, rhs, t2 fr.Element
		lhs.Square(&pv)
		lhs.Mul(&lhs, &m.b)
		rhs.Square(&pu)
		t2.Mul(&rhs, &m.a)
		rhs.Mul(&rhs, &pu)
		rhs.Add(&rhs, &t2)
		rhs.Add(&rhs, &pu)
		if !lhs.Equal(&rhs) {
			t.Fatal("a mapped point is not on M")
		}
		qu, qv := toMontgomery(q)
		out := []*big.Int{new(big.Int), new(big.Int), new(big.Int)}
		in := []*big.Int{pu.BigInt(new(big.Int)), pv.BigInt(new(big.Int)), qu.BigInt(new(big.Int)), qv.BigInt(new(big.Int))}
		if err := montAdd(field, in, out); err != nil {
			t.Fatal(err)
		}
		ru, rv := toMontgomery(r)
		if out[1].Cmp(ru.BigInt(new(big.Int))) != 0 || out[2].Cmp(rv.BigInt(new(big.Int))) != 0 {
			t.Fatal("the Montgomery addition does not match the Edwards one")
		}
		var x, y, one, num, den fr.Element
		one.SetOne()
		x.Div(&ru, &rv)
		num.Sub(&ru, &one)
		den.Add(&ru, &one)
		y.Div(&num, &den)
		if !x.Equal(&r.X) || !y.Equal(&r.Y) {
			t.Fatal("toEdwards' formulas do not invert the map")
		}
	}
}

func TestWidths(t *testing.T) {
	for n := 1; n <= 260; n++ {
		ws, total := widths(n), 0
		for _, w := range ws {
			total += w
			if w < 1 || w > 3 || (n >= 2 && w < 2) {
				t.Fatalf("n=%d: window widths %v", n, ws)
			}
		}
		if total != n {
			t.Fatalf("n=%d: window widths %v cover %d bits", n, ws, total)
		}
	}
}

// TestTables evaluates every table polynomial at every bit pattern
// natively: entry k of the window at bit s is (k + 2)·2^s·G, in both
// coordinate systems.
func TestTables(t *testing.T) {
	g := G().Point()
	for _, n := range []int{1, 2, 4, 5, 64, 252} {
		for _, w := range G().windows(n) {
			for k := range 1 << w.width {
				var want tedwards.PointAffine
				want.ScalarMultiplication(&g, new(big.Int).Lsh(big.NewInt(int64(k+2)), uint(w.shift)))
				wu, wv := toMontgomery(want)
				u, v := evalNative(w.u, k), evalNative(w.v, k)
				x, y := evalNative(w.x, k), evalNative(w.y, k)
				if !x.Equal(&want.X) || !y.Equal(&want.Y) || !u.Equal(&wu) || !v.Equal(&wv) {
					t.Fatalf("n=%d window at bit %d: entry %d is not (%d+2)·2^%d·G", n, w.shift, k, k, w.shift)
				}
			}
		}
	}
}

// evalNative evaluates Σ c[S]·Π_{j∈S} b_j at the bits b of k.
func evalNative(c []*big.Int, k int) fr.Element {
	var sum, term fr.Element
	for s := range c {
		if s&k == s {
			term.SetBigInt(c[s])
			sum.Add(&sum, &term)
		}
	}
	return sum
}

// TestOffsetLayout checks the integer argument of the package doc for every
// width: within one scalar, every partial sum is positive and below the
// smallest entry of the next window, and the windows a sum adds
// incompletely keep the total below ℓ.
func TestOffsetLayout(t *testing.T) {
	for n := 1; n <= 253; n++ {
		accLo, accHi := new(big.Int), new(big.Int)
		incomplete := true
		for i, w := range G().windows(n) {
			lo := w.offset()
			hi := new(big.Int).Lsh(big.NewInt(int64(1)<<w.width+1), uint(w.shift))
			if i > 0 {
				if accLo.Sign() <= 0 || accHi.Cmp(lo) >= 0 {
					t.Fatalf("n=%d window %d: partial sums [%v, %v] reach the entries from %v", n, i, accLo, accHi, lo)
				}
				incomplete = incomplete && new(big.Int).Add(accHi, hi).Cmp(order()) < 0
			}
			accLo.Add(accLo, lo)
			accHi.Add(accHi, hi)
		}
		if want := n <= 249; incomplete != want {
			t.Errorf("n=%d: all windows incomplete = %v, want %v", n, incomplete, want)
		}
	}
}

func TestScalarMul(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	shapes := []*mulCircuit{}
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 64, 128, 249, 250, 252, 253} {
		shapes = append(shapes,
			&mulCircuit{SBits: n},                      // one base
			&mulCircuit{SBits: n, Bases: [2]int{1, 0}}, // H alone
			gh(n, n), // G then H
			&mulCircuit{SBits: n, TBits: n, Bases: [2]int{1, 0}},                 // H then G
			&mulCircuit{SBits: n, TBits: n, Bases: [2]int{0, 0}},                 // G twice
			&mulCircuit{SBits: n, TBits: n, Bases: [2]int{0, 1}, ViaPoint: true}, // Point
		)
	}
	for _, c := range shapes {
		cc := compile(t, c)
		for range 3 {
			a := c.assign(new(big.Int).Rand(rng, pow2(c.SBits)), new(big.Int).Rand(rng, pow2(max(c.TBits, 1))))
			if err := test.IsSolved(c.shape(), a, field); err != nil {
				t.Fatalf("%+v: test engine: %v", *c, err)
			}
			if err := cc.solve(a); err != nil {
				t.Fatalf("%+v: R1CS solver: %v", *c, err)
			}
		}
	}
}

// TestExhaustive runs gnark's solver on every scalar of small shapes: each
// is accepted with its own point and rejected with its neighbour's. Bits
// are determined by the scalar, so this covers every assignment a prover
// can make: none reaches an exceptional addition.
func TestExhaustive(t *testing.T) {
	shapes := []*mulCircuit{
		{SBits: 1}, {SBits: 2}, {SBits: 3}, {SBits: 4}, {SBits: 5}, {SBits: 7}, {SBits: 9},
		gh(4, 4), gh(2, 5), {SBits: 3, TBits: 4, Bases: [2]int{1, 0}}, {SBits: 4, TBits: 3, Bases: [2]int{0, 0}},
	}
	for _, c := range shapes {
		cc := compile(t, c)
		for s := range int64(1) << c.SBits {
			for tt := range int64(1) << c.TBits {
				a := c.assign(big.NewInt(s), big.NewInt(tt))
				if err := cc.solve(a); err != nil {
					t.Fatalf("%+v s=%d t=%d: %v", *c, s, tt, err)
				}
				a.Want = c.assign(big.NewInt(s+1), big.NewInt(tt)).Want
				if cc.solve(a) == nil {
					t.Fatalf("%+v s=%d t=%d: accepted with the point of s+1", *c, s, tt)
				}
			}
		}
	}
}

func TestScalarMulEdges(t *testing.T) {
	l := order()
	minus := func(a *big.Int, v int64) *big.Int { return new(big.Int).Sub(a, big.NewInt(v)) }
	for _, n := range []int{1, 2, 3, 4, 5, 64, 128, 252} {
		max := minus(pow2(n), 1)
		valid := [][2]*big.Int{{big.NewInt(0), big.NewInt(0)}, {big.NewInt(1), big.NewInt(1)}, {max, max}, {max, big.NewInt(0)}}
		if n == 252 {
			valid = append(valid, [2]*big.Int{minus(l, 1), minus(l, 1)}, [2]*big.Int{l, l}, [2]*big.Int{big.NewInt(0), new(big.Int).Lsh(l, 1)})
		}
		invalid := [][2]*big.Int{
			{pow2(n), big.NewInt(0)},                  // s = 2^n
			{big.NewInt(0), pow2(n)},                  // t = 2^n
			{minus(field, 1), max},                    // s = −1 in the field
			{new(big.Int).Add(max, l), big.NewInt(0)}, // same point as s = 2^n − 1 + ℓ, out of range
		}
		for _, c := range []*mulCircuit{gh(n, n), {SBits: n, TBits: n, Bases: [2]int{1, 0}}} {
			cc := compile(t, c)
			for _, st := range valid {
				a := c.assign(st[0], st[1])
				if err := cc.solve(a); err != nil {
					t.Fatalf("%+v s=%v t=%v: valid case rejected: %v", *c, st[0], st[1], err)
				}
			}
			for i, st := range invalid {
				if cc.solve(c.assign(st[0], st[1])) == nil {
					t.Fatalf("%+v: invalid case %d accepted", *c, i)
				}
			}
			wrong := c.assign(max, max)
			wrong.Want = c.assign(max, pow2(n)).Want
			if cc.solve(wrong) == nil {
				t.Fatalf("%+v: wrong point accepted", *c)
			}
		}
	}
}

// TestOffsetSumAtOrder covers a scalar of one base whose offset sum is a
// multiple of ℓ: the sum with offsets is the identity, which only the
// complete top window can hold.
func TestOffsetSumAtOrder(t *testing.T) {
	c := &mulCircuit{SBits: 252}
	off := new(big.Int)
	for _, w := range G().windows(252) {
		off.Add(off, w.offset())
	}
	cc := compile(t, c)
	for _, k := range []int64{1, 2} {
		s := new(big.Int).Sub(new(big.Int).Mul(order(), big.NewInt(k)), off)
		if s.Sign() < 0 || s.BitLen() > 252 {
			continue
		}
		if err := cc.solve(c.assign(s, big.NewInt(0))); err != nil {
			t.Fatalf("s = %d·ℓ − offsets: %v", k, err)
		}
	}
}

// TestMaliciousHints replaces the prover's hints in gnark's solver: an
// addition hint that returns anything but the chord's result, or a
// decomposition hint that returns other bits, must not satisfy the
// constraints.
func TestMaliciousHints(t *testing.T) {
	c := gh(64, 252)
	cc := compile(t, c)
	a := c.assign(new(big.Int).SetUint64(1<<63+12345), new(big.Int).Sub(order(), big.NewInt(99)))
	if err := cc.solve(a); err != nil {
		t.Fatal(err)
	}
	addID, bitsID := solver.GetHintID(montAdd), solver.GetHintID(lowBits)
	one := big.NewInt(1)
	adds := map[string]solver.Hint{
		"λ+1, result on its line": func(f *big.Int, in, out []*big.Int) error {
			return withSlope(in, out, func(l *fr.Element) { l.Add(l, new(fr.Element).SetOne()) })
		},
		"tangent slope at P1": func(f *big.Int, in, out []*big.Int) error {
			return withSlope(in, out, func(l *fr.Element) { *l = tangent(in[0], in[1]) })
		},
		"u3+1": func(f *big.Int, in, out []*big.Int) error {
			err := montAdd(f, in, out)
			out[1].Add(out[1], one)
			return err
		},
		"−v3": func(f *big.Int, in, out []*big.Int) error {
			err := montAdd(f, in, out)
			out[2].Sub(f, out[2])
			return err
		},
	}
	for name, h := range adds {
		if cc.solve(a, solver.OverrideHint(addID, h)) == nil {
			t.Errorf("addition hint %q accepted", name)
		}
	}
	bitHints := map[string]solver.Hint{
		"low bit flipped": func(f *big.Int, in, out []*big.Int) error {
			err := lowBits(f, in, out)
			out[0].Xor(out[0], one)
			return err
		},
		"a digit 2 that still recomposes": func(f *big.Int, in, out []*big.Int) error {
			err := lowBits(f, in, out)
			for i := 0; i+1 < len(out); i++ {
				if out[i].Sign() == 0 && out[i+1].Sign() == 1 { // 2·2^i = 1·2^(i+1)
					out[i].SetInt64(2)
					out[i+1].SetInt64(0)
					return err
				}
			}
			return errors.New("test setup: no 01 pattern in the scalar")
		},
	}
	for name, h := range bitHints {
		if cc.solve(a, solver.OverrideHint(bitsID, h)) == nil {
			t.Errorf("decomposition hint %q accepted", name)
		}
	}
}

// withSlope fills out with (λ', u3, v3) for the line through P1 with slope
// λ' = f(λ): a result that satisfies the second and third constraints.
func withSlope(in, out []*big.Int, f func(*fr.Element)) error {
	if err := montAdd(field, in, out); err != nil {
		return err
	}
	var l, u1, v1, u2, u3, v3 fr.Element
	l.SetBigInt(out[0])
	f(&l)
	u1.SetBigInt(in[0])
	v1.SetBigInt(in[1])
	u2.SetBigInt(in[2])
	m := mont()
	u3.Square(&l)
	u3.Mul(&u3, &m.b)
	u3.Sub(&u3, &m.a)
	u3.Sub(&u3, &u1)
	u3.Sub(&u3, &u2)
	v3.Sub(&u1, &u3)
	v3.Mul(&v3, &l)
	v3.Sub(&v3, &v1)
	l.BigInt(out[0])
	u3.BigInt(out[1])
	v3.BigInt(out[2])
	return nil
}

// tangent returns the slope of M's tangent at (u, v): (3u² + 2Au + 1)/(2Bv).
func tangent(ub, vb *big.Int) fr.Element {
	var u, v, num, den, t fr.Element
	u.SetBigInt(ub)
	v.SetBigInt(vb)
	m := mont()
	num.Square(&u)
	num.Mul(&num, new(fr.Element).SetUint64(3))
	t.Mul(&u, &m.a)
	t.Double(&t)
	num.Add(&num, &t)
	num.Add(&num, new(fr.Element).SetOne())
	den.Mul(&v, &m.b)
	den.Double(&den)
	return *num.Div(&num, &den)
}

// incCircuit adds P and Q with addIncomplete and asserts the result is R.
type incCircuit struct{ P, Q, R Point }

func (c *incCircuit) Define(api frontend.API) error {
	r := addIncomplete(api, c.P, c.Q)
	api.AssertIsEqual(r.X, c.R.X)
	api.AssertIsEqual(r.Y, c.R.Y)
	return nil
}

func montPoint(p tedwards.PointAffine) Point {
	u, v := toMontgomery(p)
	return Point{X: u.BigInt(new(big.Int)), Y: v.BigInt(new(big.Int))}
}

// TestIncompleteAddExceptions shows what the sum's layout guards against.
// P + (−P) has no solution whatever the hint says (completeness only). P + P
// is the soundness hole: λ is free, so a hint can make any point on a line
// through P the "sum"; the layout makes equal points unreachable.
func TestIncompleteAddExceptions(t *testing.T) {
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &incCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ccs.GetNbConstraints(); n != 3+2 {
		t.Errorf("incomplete addition: %d constraints, want 3 (+2 for the check)", n)
	}
	cc := compiled{t, ccs}
	p := pedersen.Commit(big.NewInt(99), big.NewInt(3))
	q := pedersen.Commit(big.NewInt(5), big.NewInt(1000))
	var sum, negP, twoP tedwards.PointAffine
	sum.Add(&p, &q)
	negP.Neg(&p)
	twoP.Double(&p)
	if err := cc.solve(&incCircuit{P: montPoint(p), Q: montPoint(q), R: montPoint(sum)}); err != nil {
		t.Fatalf("P + Q: %v", err)
	}
	if cc.solve(&incCircuit{P: montPoint(p), Q: montPoint(q), R: montPoint(twoP)}) == nil {
		t.Fatal("P + Q = 2P accepted")
	}
	forged := func(l int64) solver.Hint {
		return func(_ *big.Int, in, out []*big.Int) error {
			out[0].SetInt64(l)
			var u1, v1, lam, u3, v3 fr.Element
			u1.SetBigInt(in[0])
			v1.SetBigInt(in[1])
			lam.SetInt64(l)
			m := mont()
			u3.Square(&lam)
			u3.Mul(&u3, &m.b)
			u3.Sub(&u3, &m.a)
			u3.Sub(&u3, &u1)
			u3.Sub(&u3, &u1)
			v3.Sub(&u1, &u3)
			v3.Mul(&v3, &lam)
			v3.Sub(&v3, &v1)
			u3.BigInt(out[1])
			v3.BigInt(out[2])
			return nil
		}
	}
	id := solver.GetHintID(montAdd)
	for l := int64(0); l < 5; l++ {
		c := &incCircuit{P: montPoint(p), Q: montPoint(negP), R: montPoint(p)}
		if cc.solve(c, solver.OverrideHint(id, forged(l))) == nil {
			t.Fatalf("P + (−P) satisfied with λ = %d", l)
		}
	}
	// P + P with a forged λ = 7: the constraints hold for a point that is
	// not 2P. Sum never adds equal points (TestOffsetLayout, TestExhaustive).
	out := make([]*big.Int, 3)
	for i := range out {
		out[i] = new(big.Int)
	}
	pu, pv := toMontgomery(p)
	_ = forged(7)(field, []*big.Int{pu.BigInt(new(big.Int)), pv.BigInt(new(big.Int))}, out)
	c := &incCircuit{P: montPoint(p), Q: montPoint(p), R: Point{X: out[1], Y: out[2]}}
	if err := cc.solve(c, solver.OverrideHint(id, forged(7))); err != nil {
		t.Fatalf("the equal-points hole is expected to exist in the bare gadget: %v", err)
	}
}

// addCircuit asserts P + Q = R, with Add or with AssertAdd.
type addCircuit struct {
	P, Q, R Point
	Fused   bool
}

func (c *addCircuit) Define(api frontend.API) error {
	if c.Fused {
		AssertAdd(api, c.P, c.Q, c.R)
		return nil
	}
	r := Add(api, c.P, c.Q)
	api.AssertIsEqual(r.X, c.R.X)
	api.AssertIsEqual(r.Y, c.R.Y)
	return nil
}

// TestAddComplete covers the cases incomplete formulas miss: doubling,
// P + (−P), the identity, and a point of order 2 or 4 outside the subgroup.
func TestAddComplete(t *testing.T) {
	p := pedersen.Commit(big.NewInt(99), big.NewInt(3))
	q := pedersen.Commit(big.NewInt(5), big.NewInt(1000))
	var negP, order2, order4 tedwards.PointAffine
	negP.Neg(&p)
	order2.Y.SetOne()
	order2.Y.Neg(&order2.Y) // (0, −1)
	order4.X.SetOne()       // (√−1, 0): −x² = 1
	order4.X.Neg(&order4.X)
	order4.X.Sqrt(&order4.X)
	pairs := [][2]tedwards.PointAffine{
		{p, q}, {p, p}, {p, negP}, {p, pedersen.Identity()}, {pedersen.Identity(), pedersen.Identity()},
		{p, order2}, {order2, order2}, {q, order4}, {order4, order4},
	}
	for _, fused := range []bool{false, true} {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, &addCircuit{Fused: fused})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 8, true: 6}[fused]; ccs.GetNbConstraints() != want {
			t.Errorf("fused=%v: %d constraints, want %d", fused, ccs.GetNbConstraints(), want)
		}
		cc := compiled{t, ccs}
		for i, pq := range pairs {
			if !pq[0].IsOnCurve() || !pq[1].IsOnCurve() {
				t.Fatalf("pair %d: test point off the curve", i)
			}
			var r tedwards.PointAffine
			r.Add(&pq[0], &pq[1])
			c := &addCircuit{P: pt(pq[0]), Q: pt(pq[1]), R: pt(r), Fused: fused}
			if err := test.IsSolved(&addCircuit{Fused: fused}, c, field); err != nil {
				t.Fatalf("fused=%v pair %d: test engine: %v", fused, i, err)
			}
			if err := cc.solve(c); err != nil {
				t.Fatalf("fused=%v pair %d: R1CS solver: %v", fused, i, err)
			}
			c.R = pt(pq[0])
			if r.Equal(&pq[0]) {
				c.R = pt(q)
			}
			if cc.solve(c) == nil {
				t.Fatalf("fused=%v pair %d: wrong sum accepted", fused, i)
			}
		}
	}
}

// mulEqCircuit asserts A·B = C with assertMul.
type mulEqCircuit struct{ A, B, C frontend.Variable }

func (c *mulEqCircuit) Define(api frontend.API) error {
	assertMul(api, api.Add(c.A, 1), c.B, c.C)
	return nil
}

// TestAssertMul checks that assertMul is one constraint and no wire in an
// R1CS, and that both paths (R1CS solver, test engine) check the product.
func TestAssertMul(t *testing.T) {
	ccs, err := frontend.Compile(field, r1cs.NewBuilder, &mulEqCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	if n, w := ccs.GetNbConstraints(), ccs.GetNbInternalVariables(); n != 1 || w != 0 {
		t.Errorf("%d constraints and %d internal wires, want 1 and 0", n, w)
	}
	cc := compiled{t, ccs}
	good := &mulEqCircuit{A: 4, B: 6, C: 30}
	bad := &mulEqCircuit{A: 4, B: 6, C: 24}
	if err := cc.solve(good); err != nil {
		t.Fatal(err)
	}
	if cc.solve(bad) == nil {
		t.Fatal("R1CS solver accepts a wrong product")
	}
	if err := test.IsSolved(&mulEqCircuit{}, good, field); err != nil {
		t.Fatal(err)
	}
	if test.IsSolved(&mulEqCircuit{}, bad, field) == nil {
		t.Fatal("test engine accepts a wrong product")
	}
}

// TestCost checks the documented costs: 3 constraints per scalar bit in
// the incomplete part (1 boolean, 2 per bit to select and add), 5 to end,
// and the complete top window of a lone 252-bit scalar.
func TestCost(t *testing.T) {
	for _, c := range []struct {
		shape *mulCircuit
		want  int
	}{
		{&mulCircuit{SBits: 1}, 1 + 5},
		{&mulCircuit{SBits: 2}, 2 + 1 + 5},
		{&mulCircuit{SBits: 4}, 4 + 2 + 3 + 5},
		{&mulCircuit{SBits: 64}, 64 + 62 + 3*21 + 5},
		{gh(64, 252), 316 + 62 + 252 + 3*105 + 5},
		{&mulCircuit{SBits: 64, TBits: 252, Bases: [2]int{0, 1}, ViaPoint: true}, 316 + 62 + 252 + 3*105 + 5 + 2},
		{&mulCircuit{SBits: 249}, 249 + 249 + 3*82 + 5},
		{&mulCircuit{SBits: 252}, 252 + 252 + 3*82 + 2 + 6 + 3},
	} {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, c.shape)
		if err != nil {
			t.Fatal(err)
		}
		if got := ccs.GetNbConstraints(); got != c.want {
			t.Errorf("%+v: %d constraints, want %d", *c.shape, got, c.want)
		}
	}
}

package fixedbase

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
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

// mulCircuit asserts Start + S·G + T·H = Want, with S < 2^SBits and
// T < 2^TBits; T is skipped when TBits is 0, and Start when FromStart is
// false.
type mulCircuit struct {
	Start, Want  Point
	S, T         frontend.Variable
	SBits, TBits int
	FromStart    bool
}

func (c *mulCircuit) Define(api frontend.API) error {
	sum := NewSum(api)
	if c.FromStart {
		sum = NewSumFrom(api, c.Start)
	}
	sum.AddMul(G(), c.S, c.SBits)
	if c.TBits > 0 {
		sum.AddMul(H(), c.T, c.TBits)
	}
	sum.AssertEqual(c.Want)
	return nil
}

func (c *mulCircuit) shape() *mulCircuit {
	return &mulCircuit{SBits: c.SBits, TBits: c.TBits, FromStart: c.FromStart}
}

// mulCase builds the assignment for s·G + t·H (+ start), with the expected
// point computed natively.
func mulCase(sBits, tBits int, s, t *big.Int, start *tedwards.PointAffine) *mulCircuit {
	want := pedersen.Commit(s, t)
	c := &mulCircuit{S: s, T: t, SBits: sBits, TBits: tBits, Start: pt(pedersen.Identity())}
	if start != nil {
		want.Add(&want, start)
		c.Start, c.FromStart = pt(*start), true
	}
	c.Want = pt(want)
	return c
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

func TestWidths(t *testing.T) {
	for n := 1; n <= 260; n++ {
		ws, total := widths(n), 0
		for _, w := range ws {
			total += w
			if w < 1 || w > 4 || (n >= 6 && w < 3) {
				t.Fatalf("n=%d: window widths %v", n, ws)
			}
		}
		if total != n {
			t.Fatalf("n=%d: window widths %v cover %d bits", n, ws, total)
		}
	}
}

// TestTables evaluates every table polynomial at every bit pattern natively.
func TestTables(t *testing.T) {
	g := G().Point()
	for _, n := range []int{1, 2, 5, 64, 128, 252} {
		for _, w := range G().windows(n) {
			for k := range 1 << w.width {
				var want tedwards.PointAffine
				want.ScalarMultiplication(&g, new(big.Int).Lsh(big.NewInt(int64(k)), uint(w.shift)))
				x, y := evalNative(w.x, k), evalNative(w.y, k)
				if !x.Equal(&want.X) || !y.Equal(&want.Y) {
					t.Fatalf("n=%d window at bit %d: entry %d is not %d·2^%d·G", n, w.shift, k, k, w.shift)
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

func TestScalarMul(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	start := pedersen.Commit(big.NewInt(12345), big.NewInt(678))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 64, 128, 252, 253} {
		for range 4 {
			s := new(big.Int).Rand(rng, pow2(n))
			tt := new(big.Int).Rand(rng, pow2(n))
			for _, c := range []*mulCircuit{
				mulCase(n, 0, s, big.NewInt(0), nil),
				mulCase(n, n, s, tt, nil),
				mulCase(n, n, s, tt, &start),
			} {
				if err := test.IsSolved(c.shape(), c, field); err != nil {
					t.Fatalf("n=%d s=%v t=%v: %v", n, s, tt, err)
				}
			}
		}
	}
}

func TestScalarMulEdges(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 64, 128, 252} {
		max := new(big.Int).Sub(pow2(n), big.NewInt(1))
		valid := []*mulCircuit{
			mulCase(n, n, big.NewInt(0), big.NewInt(0), nil),
			mulCase(n, n, max, max, nil),
			mulCase(n, n, max, big.NewInt(0), nil),
		}
		for _, c := range valid {
			if err := test.IsSolved(c.shape(), c, field); err != nil {
				t.Fatalf("n=%d: valid case rejected: %v", n, err)
			}
		}
		invalid := []*mulCircuit{
			mulCase(n, n, pow2(n), big.NewInt(0), nil),                      // s = 2^n
			mulCase(n, n, big.NewInt(0), pow2(n), nil),                      // t = 2^n
			mulCase(n, n, new(big.Int).Sub(field, big.NewInt(1)), max, nil), // s = −1 in the field
		}
		wrong := mulCase(n, n, max, max, nil)
		wrong.Want = pt(pedersen.Commit(max, pow2(n)))
		invalid = append(invalid, wrong)
		for i, c := range invalid {
			if err := test.IsSolved(c.shape(), c, field); err == nil {
				t.Fatalf("n=%d: invalid case %d accepted", n, i)
			}
		}
	}
}

// addCircuit asserts P + Q = R.
type addCircuit struct{ P, Q, R Point }

func (c *addCircuit) Define(api frontend.API) error {
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
	for i, pq := range pairs {
		if !pq[0].IsOnCurve() || !pq[1].IsOnCurve() {
			t.Fatalf("pair %d: test point off the curve", i)
		}
		var r tedwards.PointAffine
		r.Add(&pq[0], &pq[1])
		c := &addCircuit{P: pt(pq[0]), Q: pt(pq[1]), R: pt(r)}
		if err := test.IsSolved(&addCircuit{}, c, field); err != nil {
			t.Fatalf("pair %d: %v", i, err)
		}
	}
}

// TestCost checks 4 constraints per scalar bit: 4N − 6 into an empty sum,
// 4N from a starting point, plus 2 for the final equality.
func TestCost(t *testing.T) {
	for _, c := range []struct{ s, t, want int }{
		{64, 0, 4*64 - 6 + 2},
		{64, 128, 4*192 - 6 + 2},
		{252, 0, 4*252 - 6 + 2},
		{1, 0, 1 + 2},
		{2, 0, 2 + 1 + 2},
	} {
		ccs, err := frontend.Compile(field, r1cs.NewBuilder, &mulCircuit{SBits: c.s, TBits: c.t})
		if err != nil {
			t.Fatal(err)
		}
		if got := ccs.GetNbConstraints(); got != c.want {
			t.Errorf("%d+%d bits into an empty sum: %d constraints, want %d", c.s, c.t, got, c.want)
		}
		ccs, err = frontend.Compile(field, r1cs.NewBuilder, &mulCircuit{SBits: c.s, TBits: c.t, FromStart: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.s%3 == 0 || c.s >= 6 {
			if got, want := ccs.GetNbConstraints(), c.want+6; got != want {
				t.Errorf("%d+%d bits from a point: %d constraints, want %d", c.s, c.t, got, want)
			}
		}
	}
}

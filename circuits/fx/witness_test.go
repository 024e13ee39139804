package fx

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/internal/pedersen"
)

var (
	p     = ecc.BN254.ScalarField() // the circuit's field
	order = pedersen.Order()        // ℓ
	two64 = new(big.Int).Lsh(big.NewInt(1), 64)
	scale = big.NewInt(Scale)
)

func big1(v int64) *big.Int { return big.NewInt(v) }

func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

func add(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }

// opening is a prover's claim about a swap: the secrets, the rate and the
// two public points, which the test may set to anything.
type opening struct {
	cA, cB               tedwards.PointAffine
	rate, ctx            *big.Int
	a, rA, b, rB, remain *big.Int
}

// build commits to a and b as the statement says, whatever the ranges and
// the relation: an attacker commits consistently to values that are wrong.
func build(a, rA, b, rB, rate, remain *big.Int) opening {
	return opening{cA: pedersen.Commit(a, rA), cB: pedersen.Commit(b, rB), rate: rate, ctx: big1(42), a: a, rA: rA, b: b, rB: rB, remain: remain}
}

// honest is the opening of a fill of a at rate: b = ⌊a·R/10^S⌋ and ρ the rest.
func honest(a, rate *big.Int) opening {
	b, rho := new(big.Int).QuoRem(new(big.Int).Mul(a, rate), scale, new(big.Int))
	return build(a, big1(123456789), b, sub(order, big1(5)), rate, rho)
}

func point(q tedwards.PointAffine) twistededwards.Point {
	return twistededwards.Point{X: q.X.BigInt(new(big.Int)), Y: q.Y.BigInt(new(big.Int))}
}

func (o opening) assignment() *Circuit {
	return &Circuit{
		AmountA: point(o.cA), AmountB: point(o.cB), Rate: o.rate, Context: o.ctx,
		ValueA: o.a, BlindingA: o.rA, ValueB: o.b, BlindingB: o.rB, Remainder: o.remain,
	}
}

// model is the statement in plain Go, over the integers: what the circuit
// must accept.
func (o opening) model() bool {
	if !o.cA.IsOnCurve() || !o.cB.IsOnCurve() {
		return false
	}
	in := func(v *big.Int, lo int64, hi *big.Int) bool { return v.Cmp(big1(lo)) >= 0 && v.Cmp(hi) < 0 }
	two252 := new(big.Int).Lsh(big1(1), BlindingBits)
	if !in(o.a, 1, two64) || !in(o.b, 1, two64) || !in(o.rate, 0, two64) || !in(o.remain, 0, scale) ||
		!in(o.rA, 0, two252) || !in(o.rB, 0, two252) {
		return false
	}
	if wantA := pedersen.Commit(o.a, o.rA); !wantA.Equal(&o.cA) {
		return false
	}
	if wantB := pedersen.Commit(o.b, o.rB); !wantB.Equal(&o.cB) {
		return false
	}
	lhs := new(big.Int).Mul(o.a, o.rate)
	rhs := add(new(big.Int).Mul(o.b, scale), o.remain)
	return lhs.Cmp(rhs) == 0
}

// offCurve returns q with y moved off the curve.
func offCurve(q tedwards.PointAffine) tedwards.PointAffine {
	q.Y.SetUint64(0)
	q.Y.Add(&q.Y, &q.X)
	if q.IsOnCurve() {
		panic("test setup: point still on the curve")
	}
	return q
}

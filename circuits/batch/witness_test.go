package batch

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// Shared test values.
var (
	p     = ecc.BN254.ScalarField() // the circuit's field
	order = pedersen.Order()        // ℓ
	two64 = pow2(64)
)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func big1(v int64) *big.Int { return big.NewInt(v) }

func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

func add(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }

func mod(a, m *big.Int) *big.Int { return new(big.Int).Mod(a, m) }

// opening is a prover's claim about a batch: the secrets of every slot and
// of the remainder, and the public points. The points are whatever the test
// sets; build and honest derive them from the secrets.
type opening struct {
	avail     tedwards.PointAffine
	amts      [Size]tedwards.PointAffine
	ctx       *big.Int
	values    [Size]*big.Int
	blindings [Size]*big.Int
	rem, rRem *big.Int
}

// build derives every commitment from the secrets exactly as the statement
// says, C_amt_i = v_i·G + r_i·H and C_avail = C_rem + Σ C_amt_i, whatever
// the ranges: an attacker commits consistently to out-of-range values.
// Slots past len(values) are padding: the identity, with zero openings.
func build(values, blindings []*big.Int, rem, rRem *big.Int) opening {
	o := opening{ctx: big1(42), rem: rem, rRem: rRem}
	o.avail = pedersen.Commit(rem, rRem)
	for i := range Size {
		o.values[i], o.blindings[i] = big1(0), big1(0)
		o.amts[i].Y.SetOne()
		if i < len(values) {
			o.values[i], o.blindings[i] = values[i], blindings[i]
			o.amts[i] = pedersen.Commit(values[i], blindings[i])
		}
		o.avail.Add(&o.avail, &o.amts[i])
	}
	return o
}

// honest is the opening an honest payer with balance (bal, rBal) builds to
// pay amts with blindings rs: rem = bal − Σ amt_i, r_rem = rBal − Σ r_i mod ℓ.
func honest(bal, rBal *big.Int, amts, rs []*big.Int) opening {
	rem, rRem := new(big.Int).Set(bal), new(big.Int).Set(rBal)
	for i := range amts {
		rem.Sub(rem, amts[i])
		rRem.Sub(rRem, rs[i])
	}
	o := build(amts, rs, rem, rRem.Mod(rRem, order))
	want := pedersen.Commit(bal, rBal)
	if !o.avail.Equal(&want) {
		panic("test setup: C_avail is not Com(bal, r_bal)")
	}
	return o
}

func point(q tedwards.PointAffine) twistededwards.Point {
	return twistededwards.Point{X: q.X.BigInt(new(big.Int)), Y: q.Y.BigInt(new(big.Int))}
}

func (o opening) assignment() *Circuit {
	c := &Circuit{
		Available:         point(o.avail),
		Context:           o.ctx,
		Remainder:         o.rem,
		RemainderBlinding: o.rRem,
	}
	for i := range Size {
		c.Amounts[i] = point(o.amts[i])
		c.Values[i], c.Blindings[i] = o.values[i], o.blindings[i]
	}
	return c
}

// model is the statement in plain Go: what the circuit must accept.
func (o opening) model() bool {
	if !o.avail.IsOnCurve() {
		return false
	}
	rem, rRem := mod(o.rem, p), mod(o.rRem, p)
	if rem.Cmp(two64) >= 0 || rRem.Cmp(pow2(RemainderBlindingBits)) >= 0 {
		return false
	}
	sum := pedersen.Commit(rem, rRem)
	for i := range Size {
		v, r := mod(o.values[i], p), mod(o.blindings[i], p)
		if v.Cmp(two64) >= 0 || r.Cmp(pow2(BlindingBits)) >= 0 {
			return false
		}
		amt := pedersen.Commit(v, r)
		if !amt.Equal(&o.amts[i]) {
			return false
		}
		if v.Sign() == 0 && !amt.X.IsZero() {
			return false // a zero amount in a real slot
		}
		sum.Add(&sum, &amt)
	}
	return sum.Equal(&o.avail)
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

package transfer

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

// sub returns a − b as a new integer.
func sub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

func add(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }

func mod(a, m *big.Int) *big.Int { return new(big.Int).Mod(a, m) }

// opening is a prover's claim about a transfer: the secrets, and the two
// public points. The points are whatever the test sets; build and honest
// derive them from the secrets.
type opening struct {
	avail, amt                 tedwards.PointAffine
	ctx                        *big.Int
	value, blinding, rem, rRem *big.Int
}

// build derives both commitments from the secrets exactly as the statement
// says, C_amt = v·G + r·H and C_avail = C_amt + rem·G + r_rem·H, whatever the
// ranges: an attacker commits consistently to out-of-range values.
func build(value, blinding, rem, rRem *big.Int) opening {
	o := opening{ctx: big1(42), value: value, blinding: blinding, rem: rem, rRem: rRem}
	o.amt = pedersen.Commit(value, blinding)
	remCom := pedersen.Commit(rem, rRem)
	o.avail.Add(&o.amt, &remCom)
	return o
}

// honest is the opening an honest payer with balance (bal, rBal) builds to
// pay (amt, rAmt): rem = bal − amt, r_rem = rBal − rAmt mod ℓ.
func honest(bal, rBal, amt, rAmt *big.Int) opening {
	o := build(amt, rAmt, sub(bal, amt), mod(sub(rBal, rAmt), order))
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
	return &Circuit{
		Available:         point(o.avail),
		Amount:            point(o.amt),
		Context:           o.ctx,
		Value:             o.value,
		Blinding:          o.blinding,
		Remainder:         o.rem,
		RemainderBlinding: o.rRem,
	}
}

// model is the statement in plain Go: what the circuit must accept.
func (o opening) model() bool {
	if !o.avail.IsOnCurve() || !o.amt.IsOnCurve() {
		return false
	}
	v, r, rem, rRem := mod(o.value, p), mod(o.blinding, p), mod(o.rem, p), mod(o.rRem, p)
	if v.Sign() == 0 || v.Cmp(two64) >= 0 || rem.Cmp(two64) >= 0 ||
		r.Cmp(pow2(BlindingBits)) >= 0 || rRem.Cmp(pow2(RemainderBlindingBits)) >= 0 {
		return false
	}
	amt := pedersen.Commit(v, r)
	if !amt.Equal(&o.amt) {
		return false
	}
	remCom := pedersen.Commit(rem, rRem)
	var sum tedwards.PointAffine
	sum.Add(&o.amt, &remCom)
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

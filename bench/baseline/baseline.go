// Package baseline holds the naive transfer circuit that the optimised one
// (circuits/transfer) is measured against. It is a benchmark baseline only,
// never used to prove real transfers.
//
// It states the transfer directly on the balance: C_avail = Com(bal, r_bal)
// and C_amt = Com(amt, r_amt), each by one gnark std
// twistededwards.DoubleBaseScalarMul (full 254-bit scalars, about 2,400
// constraints each with no fixed-base saving), with amt ≠ 0, amt < 2^64 and
// bal − amt < 2^64 by std/rangecheck. Both points are checked on the curve
// and ctx is squared, as in the optimised circuit.
//
// std/rangecheck uses gnark's commitment extension (BSB22) when the builder
// offers it, as the R1CS builder does: proofs of this circuit would not
// verify in standard Groth16 verifiers. That is acceptable for a baseline and
// is one reason the production circuits do without it.
//
// Cost: 8,680 R1CS constraints (8,670 for the two multiplications, their
// equalities and the range checks; 10 for the on-curve checks, amt ≠ 0 and
// ctx), just past 2^13, so a 2^14 FFT domain; one BSB22 commitment.
package baseline

import (
	"math/big"

	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark-crypto/ecc/twistededwards"
	"github.com/consensys/gnark/frontend"
	edwards "github.com/consensys/gnark/std/algebra/native/twistededwards"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// ValueBits is the width of amounts and balances' remainders.
const ValueBits = 64

// Circuit is the naive transfer statement. Its public inputs are those of
// circuits/transfer, in the same order.
type Circuit struct {
	Available edwards.Point     `gnark:",public"` // C_avail
	Amount    edwards.Point     `gnark:",public"` // C_amt
	Context   frontend.Variable `gnark:",public"` // ctx

	Balance         frontend.Variable // bal
	BalanceBlinding frontend.Variable // r_bal
	Value           frontend.Variable // amt
	Blinding        frontend.Variable // r_amt
}

// Define states C_avail = bal·G + r_bal·H, C_amt = amt·G + r_amt·H,
// 1 ≤ amt < 2^64 and 0 ≤ bal − amt < 2^64.
func (c *Circuit) Define(api frontend.API) error {
	curve, err := edwards.NewEdCurve(api, twistededwards.BN254)
	if err != nil {
		return err
	}
	curve.AssertIsOnCurve(c.Available)
	curve.AssertIsOnCurve(c.Amount)
	api.Mul(c.Context, c.Context)

	g, h := constant(pedersen.G()), constant(pedersen.H())
	assertEqual(api, curve.DoubleBaseScalarMul(g, h, c.Balance, c.BalanceBlinding), c.Available)
	assertEqual(api, curve.DoubleBaseScalarMul(g, h, c.Value, c.Blinding), c.Amount)

	api.AssertIsDifferent(c.Value, 0)
	rc := rangecheck.New(api)
	rc.Check(c.Value, ValueBits)
	rc.Check(api.Sub(c.Balance, c.Value), ValueBits)
	return nil
}

func constant(q tedwards.PointAffine) edwards.Point {
	return edwards.Point{X: q.X.BigInt(new(big.Int)), Y: q.Y.BigInt(new(big.Int))}
}

func assertEqual(api frontend.API, p, q edwards.Point) {
	api.AssertIsEqual(p.X, q.X)
	api.AssertIsEqual(p.Y, q.Y)
}

package mint

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/internal/fixedbase"
)

// Scalar widths of the statement (the same as the transfer circuit's).
const (
	ValueBits    = 64  // amt is below 2^64
	BlindingBits = 252 // r_amt is any scalar below 2^252 > ℓ
)

// Circuit is the mint statement. The field order fixes the order of the
// public inputs: C_amt.x, C_amt.y, ctx.
type Circuit struct {
	Amount  twistededwards.Point `gnark:",public"` // C_amt
	Context frontend.Variable    `gnark:",public"` // ctx, hash of the transaction's other fields

	Value    frontend.Variable // amt
	Blinding frontend.Variable // r_amt
}

// Define states
//
//	C_amt = amt·G + r_amt·H,  1 ≤ amt < 2^64,  r_amt < 2^252
//
// with C_amt on the curve and the proof bound to ctx.
func (c *Circuit) Define(api frontend.API) error {
	fixedbase.AssertOnCurve(api, c.Amount)
	bindContext(api, c.Context)

	// amt ≠ 0; with amt < 2^64 below, 1 ≤ amt < 2^64.
	api.AssertIsDifferent(c.Value, 0)

	amount := fixedbase.NewSum(api)
	amount.AddMul(fixedbase.G(), c.Value, ValueBits)
	amount.AddMul(fixedbase.H(), c.Blinding, BlindingBits)
	amount.AssertEqual(c.Amount)
	return nil
}

// bindContext puts ctx in one constraint. A Groth16 public input that appears
// in no constraint has a zero column in the verifying key, so a proof would
// verify for any value of it.
func bindContext(api frontend.API, ctx frontend.Variable) {
	api.Mul(ctx, ctx)
}

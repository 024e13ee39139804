package transfer

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/internal/fixedbase"
)

// Scalar widths of the statement.
const (
	ValueBits             = 64  // amt and rem are below 2^64
	BlindingBits          = 252 // r_amt is any scalar below 2^252 > ℓ
	RemainderBlindingBits = 252 // r_rem is any scalar below 2^252 > ℓ
)

// Circuit is the transfer statement. The field order fixes the order of the
// public inputs: C_avail.x, C_avail.y, C_amt.x, C_amt.y, ctx.
type Circuit struct {
	Available twistededwards.Point `gnark:",public"` // C_avail, the payer's available balance
	Amount    twistededwards.Point `gnark:",public"` // C_amt
	Context   frontend.Variable    `gnark:",public"` // ctx, hash of the transaction's other fields

	Value             frontend.Variable // amt
	Blinding          frontend.Variable // r_amt
	Remainder         frontend.Variable // rem = bal − amt
	RemainderBlinding frontend.Variable // r_rem = r_bal − r_amt mod ℓ
}

// Define states
//
//	C_amt           = amt·G + r_amt·H,  1 ≤ amt < 2^64,  r_amt < 2^252
//	C_avail − C_amt = rem·G + r_rem·H,  0 ≤ rem < 2^64,  r_rem < 2^252
//
// with both points on the curve and the proof bound to ctx.
func (c *Circuit) Define(api frontend.API) error {
	fixedbase.AssertOnCurve(api, c.Available)
	fixedbase.AssertOnCurve(api, c.Amount)
	bindContext(api, c.Context)

	// amt ≠ 0; with amt < 2^64 below, 1 ≤ amt < 2^64.
	api.AssertIsDifferent(c.Value, 0)

	amount := fixedbase.NewSum(api)
	amount.AddMul(fixedbase.G(), c.Value, ValueBits)
	amount.AddMul(fixedbase.H(), c.Blinding, BlindingBits)
	amount.AssertEqual(c.Amount)

	// C_rem is summed on its own, then C_amt + C_rem = C_avail states the
	// difference without a point subtraction. (A sum never starts at a
	// point from outside: see circuits/internal/fixedbase.)
	remainder := fixedbase.NewSum(api)
	remainder.AddMul(fixedbase.G(), c.Remainder, ValueBits)
	remainder.AddMul(fixedbase.H(), c.RemainderBlinding, RemainderBlindingBits)
	fixedbase.AssertAdd(api, remainder.Point(), c.Amount, c.Available)
	return nil
}

// bindContext puts ctx in one constraint. A Groth16 public input that appears
// in no constraint has a zero column in the verifying key, so a proof would
// verify for any value of it.
func bindContext(api frontend.API, ctx frontend.Variable) {
	api.Mul(ctx, ctx)
}

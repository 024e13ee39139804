package fx

import (
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/internal/fixedbase"
)

// Scalar widths and the rate's fixed-point scale.
const (
	ValueBits    = 64  // a and b are below 2^64
	BlindingBits = 252 // r_A and r_B are any scalars below 2^252 > ℓ
	RateBits     = 64  // R is below 2^64

	// ScaleDigits is S: a rate R stands for R / 10^S minor units of B per
	// minor unit of A.
	ScaleDigits = 8
	// Scale is 10^S.
	Scale = 100_000_000
	// RemainderBits bounds ρ before its upper check: 10^8 < 2^27.
	RemainderBits = 27
)

// Circuit is the FX statement. The field order fixes the order of the
// public inputs: C_A.x, C_A.y, C_B.x, C_B.y, R, ctx.
type Circuit struct {
	AmountA twistededwards.Point `gnark:",public"` // C_A, leg A's amount (paid to the provider, in A)
	AmountB twistededwards.Point `gnark:",public"` // C_B, leg B's amount (paid by the provider, in B)
	Rate    frontend.Variable    `gnark:",public"` // R, minor units of B per minor unit of A, times 10^S
	Context frontend.Variable    `gnark:",public"` // ctx, hash of the transaction's other fields

	ValueA    frontend.Variable // a
	BlindingA frontend.Variable // r_A
	ValueB    frontend.Variable // b
	BlindingB frontend.Variable // r_B
	Remainder frontend.Variable // ρ = a·R − b·10^S
}

// Define states
//
//	C_A = a·G + r_A·H,  1 ≤ a < 2^64,  r_A < 2^252
//	C_B = b·G + r_B·H,  1 ≤ b < 2^64,  r_B < 2^252
//	a·R = b·10^S + ρ,   0 ≤ ρ < 10^S,  R < 2^64
//
// with both points on the curve and the proof bound to ctx: b = ⌊a·R/10^S⌋.
func (c *Circuit) Define(api frontend.API) error {
	fixedbase.AssertOnCurve(api, c.AmountA)
	fixedbase.AssertOnCurve(api, c.AmountB)
	bindContext(api, c.Context)

	// a, b ≠ 0; with their 64-bit range checks below, both are in [1, 2^64).
	api.AssertIsDifferent(c.ValueA, 0)
	api.AssertIsDifferent(c.ValueB, 0)

	amountA := fixedbase.NewSum(api)
	amountA.AddMul(fixedbase.G(), c.ValueA, ValueBits)
	amountA.AddMul(fixedbase.H(), c.BlindingA, BlindingBits)
	amountA.AssertEqual(c.AmountA)

	amountB := fixedbase.NewSum(api)
	amountB.AddMul(fixedbase.G(), c.ValueB, ValueBits)
	amountB.AddMul(fixedbase.H(), c.BlindingB, BlindingBits)
	amountB.AssertEqual(c.AmountB)

	// The rate relation. With a, R < 2^64, b < 2^64 and ρ < 10^S, both
	// sides are below 2^128, far below the field's modulus, so the equation
	// holds over the integers: b is a·R/10^S rounded down.
	fixedbase.Decompose(api, c.Rate, RateBits)
	fixedbase.Decompose(api, c.Remainder, RemainderBits)
	fixedbase.Decompose(api, api.Sub(Scale-1, c.Remainder), RemainderBits) // ρ ≤ 10^S − 1
	api.AssertIsEqual(api.Mul(c.ValueA, c.Rate), api.Add(api.Mul(c.ValueB, Scale), c.Remainder))
	return nil
}

// bindContext puts ctx in one constraint. A Groth16 public input that appears
// in no constraint has a zero column in the verifying key, so a proof would
// verify for any value of it.
func bindContext(api frontend.API, ctx frontend.Variable) {
	api.Mul(ctx, ctx)
}

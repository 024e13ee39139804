package batch

import (
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/internal/fixedbase"
)

func init() {
	solver.RegisterHint(quotient)
}

// Size is N, the number of payment slots of one proof.
const Size = 16

// Scalar widths of the statement (those of the transfer circuit).
const (
	ValueBits             = 64  // amt_i and rem are below 2^64
	BlindingBits          = 252 // r_i is any scalar below 2^252 > ℓ
	RemainderBlindingBits = 252 // r_rem is any scalar below 2^252 > ℓ
)

// Circuit is the batch statement. The field order fixes the order of the
// public inputs: C_avail.x, C_avail.y, C_amt_1.x, C_amt_1.y, …,
// C_amt_N.x, C_amt_N.y, ctx.
type Circuit struct {
	Available twistededwards.Point       `gnark:",public"` // C_avail, the payer's available balance
	Amounts   [Size]twistededwards.Point `gnark:",public"` // C_amt_i; the identity (0, 1) in a padding slot
	Context   frontend.Variable          `gnark:",public"` // ctx, hash of the transaction's other fields

	Values            [Size]frontend.Variable // amt_i; 0 in a padding slot
	Blindings         [Size]frontend.Variable // r_i; 0 in a padding slot
	Remainder         frontend.Variable       // rem = bal − Σ amt_i
	RemainderBlinding frontend.Variable       // r_rem = r_bal − Σ r_i mod ℓ
}

// Define states, for i = 1 … N,
//
//	C_amt_i               = amt_i·G + r_i·H,   amt_i < 2^64,  r_i < 2^252
//	amt_i ≠ 0 unless C_amt_i.x = 0 (the identity: a padding slot)
//	C_avail − Σ_i C_amt_i = rem·G + r_rem·H,   rem < 2^64,    r_rem < 2^252
//
// with C_avail on the curve and the proof bound to ctx.
func (c *Circuit) Define(api frontend.API) error {
	fixedbase.AssertOnCurve(api, c.Available)
	bindContext(api, c.Context)

	for i := range c.Amounts {
		amount := fixedbase.NewSum(api)
		amount.AddMul(fixedbase.G(), c.Values[i], ValueBits)
		amount.AddMul(fixedbase.H(), c.Blindings[i], BlindingBits)
		amount.AssertEqual(c.Amounts[i])
		assertPaysOrPads(api, c.Values[i], c.Amounts[i])
	}

	// C_rem is summed on its own (a sum never starts at a point from
	// outside: see circuits/internal/fixedbase), then the amounts are
	// added to it with the complete law, the last addition ending in
	// C_avail: C_rem + Σ_i C_amt_i = C_avail.
	remainder := fixedbase.NewSum(api)
	remainder.AddMul(fixedbase.G(), c.Remainder, ValueBits)
	remainder.AddMul(fixedbase.H(), c.RemainderBlinding, RemainderBlindingBits)
	acc := remainder.Point()
	last := len(c.Amounts) - 1
	for i := range last {
		acc = fixedbase.Add(api, acc, c.Amounts[i])
	}
	fixedbase.AssertAdd(api, acc, c.Amounts[last], c.Available)
	return nil
}

// assertPaysOrPads asserts amt ≠ 0 unless C_amt.x = 0, in one constraint:
// C_amt.x = amt·q for a hinted q. With amt = 0 it forces C_amt.x = 0; with
// amt ≠ 0, q = C_amt.x / amt satisfies it whatever C_amt is.
func assertPaysOrPads(api frontend.API, amt frontend.Variable, amount twistededwards.Point) {
	q, err := api.Compiler().NewHint(quotient, 1, amount.X, amt)
	if err != nil {
		panic(err)
	}
	fixedbase.AssertMul(api, amt, q[0], amount.X)
}

// quotient is the hint behind assertPaysOrPads: in[0]/in[1], or 0 when
// in[1] = 0 (then the constraint holds only if in[0] = 0 too).
func quotient(field *big.Int, in, out []*big.Int) error {
	if in[1].Sign() == 0 {
		out[0].SetUint64(0)
		return nil
	}
	inv := new(big.Int).ModInverse(in[1], field)
	out[0].Mul(in[0], inv).Mod(out[0], field)
	return nil
}

// bindContext puts ctx in one constraint. A Groth16 public input that appears
// in no constraint has a zero column in the verifying key, so a proof would
// verify for any value of it.
func bindContext(api frontend.API, ctx frontend.Variable) {
	api.Mul(ctx, ctx)
}

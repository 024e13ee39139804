// Package transfer defines the transfer circuit: a payer proves that a
// hidden amount is in range and that its available balance covers it.
//
// # Statement
//
// Public: C_avail (the payer's available-balance commitment), C_amt (the
// amount commitment) and ctx (a hash of the transaction's other fields).
// Private: amt, r_amt, rem, r_rem.
//
//	C_amt           = amt·G + r_amt·H    1 ≤ amt < 2^64,  0 ≤ r_amt < 2^128
//	C_avail − C_amt = rem·G + r_rem·H    0 ≤ rem < 2^64,  0 ≤ r_rem < 2^252
//
// An honest payer with C_avail = Com(bal, r_bal) sets rem = bal − amt and
// r_rem = r_bal − r_amt mod ℓ. Proving the openings of C_amt and of
// C_rem = C_avail − C_amt, rather than re-deriving the balance, keeps
// the widths down: 64 + 128 + 64 + 252 = 508 scalar bits. Every value that
// must be non-negative is range-checked, so no field wrap-around (amt ≡ −1,
// bal < amt) satisfies the statement.
//
// The amount blinding is 128 bits, a documented choice: binding is unchanged
// (it rests on nobody knowing log_G H), but a guessed amount is confirmed by
// a kangaroo search over the 2^128 blindings in about 2^64 group operations,
// so hiding is below full strength until the blinding is full width. The remainder blinding is full width since r_bal
// is any scalar below ℓ; its bound 2^252 > ℓ admits every honest value.
//
// # Points
//
// C_avail and C_amt are checked to be on the curve in the circuit. The
// verifier checks, when it decodes them, that they lie in the prime-order
// subgroup (zkp.DecodeCommitment); the circuit does not. The statement
// itself implies both, as each point is shown to be a sum of multiples of G
// and H, so the in-circuit on-curve checks are defence in depth.
//
// ctx appears in one constraint (it is squared). A Groth16 public input in no
// constraint would let a proof verify for any value of it.
//
// # Cost
//
// 2,040 R1CS constraints, which fits a 2^11 FFT domain; no BSB22 commitment,
// so proofs verify in standard Groth16 verifiers (snarkjs, Solidity).
// Commitments are computed with fixed-base scalar multiplication over
// constant window tables (circuits/internal/fixedbase), whose window
// decomposition is the range check:
//
//	508   scalar bits, one boolean constraint each (the top bit's
//	      constraint also recomposes the scalar)
//	516   window selections: 164 3-bit windows × 3, 4 4-bit windows × 6
//	1,002 point additions × 6: 62 for amt·G + r_amt·H (started with the first
//	      window's point), 105 for rem·G + r_rem·H (started at C_amt)
//	4     the two sums equal C_amt and C_avail
//	8     C_avail and C_amt on the curve, 4 each
//	1     amt ≠ 0
//	1     ctx squared
//
// The naive circuit (bench/baseline: two DoubleBaseScalarMul and
// std/rangecheck) is about 8,670 constraints and needs a 2^14 domain.
package transfer

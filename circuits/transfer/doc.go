// Package transfer defines the transfer circuit: a payer proves that a
// hidden amount is in range and that its available balance covers it.
//
// # Statement
//
// Public: C_avail (the payer's available-balance commitment), C_amt (the
// amount commitment) and ctx (a hash of the transaction's other fields).
// Private: amt, r_amt, rem, r_rem.
//
//	C_amt           = amt·G + r_amt·H    1 ≤ amt < 2^64,  0 ≤ r_amt < 2^252
//	C_avail − C_amt = rem·G + r_rem·H    0 ≤ rem < 2^64,  0 ≤ r_rem < 2^252
//
// An honest payer with C_avail = Com(bal, r_bal) sets rem = bal − amt and
// r_rem = r_bal − r_amt mod ℓ. Proving the openings of C_amt and of
// C_rem = C_avail − C_amt, rather than re-deriving the balance, keeps
// the widths down: 64 + 252 + 64 + 252 = 632 scalar bits. Every value that
// must be non-negative is range-checked, so no field wrap-around (amt ≡ −1,
// bal < amt) satisfies the statement.
//
// Both blindings are full width: any scalar below 2^252 > ℓ, so every
// blinding uniform below ℓ is admitted. With r_amt uniform below ℓ, C_amt
// is a uniform point whatever amt is: hiding is perfect, where a 128-bit
// blinding let whoever guessed an amount confirm it with a kangaroo search
// in about 2^64 group operations.
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
// 1,916 R1CS constraints, which fits a 2^11 FFT domain; no BSB22
// commitment, so proofs verify in standard Groth16 verifiers (snarkjs,
// Solidity). Commitments are computed with fixed-base scalar
// multiplication over constant window tables (circuits/internal/fixedbase),
// whose window decomposition is the range check, and whose incomplete
// Montgomery additions are sound under the assumption the commitments'
// binding already makes: nobody knows log_G H (see that package):
//
//	632 scalar bits, one boolean constraint each (the top bit's
//	    constraint also recomposes the scalar)
//	628 window selections: 208 3-bit windows × 3, 4 2-bit windows × 1
//	630 incomplete point additions × 3: 105 for amt·G + r_amt·H, 105 for
//	    rem·G + r_rem·H (each sum starts with its first window's point)
//	10  ending the two sums, 5 each: 2 from the Montgomery to the Edwards
//	    curve, 3 to remove the table offsets (the first ends in C_amt)
//	6   C_amt + C_rem = C_avail, complete addition
//	8   C_avail and C_amt on the curve, 4 each
//	1   amt ≠ 0
//	1   ctx squared
//
// The naive circuit (bench/baseline: two DoubleBaseScalarMul and
// std/rangecheck) is about 8,670 constraints and needs a 2^14 domain.
package transfer

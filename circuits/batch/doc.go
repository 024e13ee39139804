// Package batch defines the batch-transfer circuit: a payer proves, in one
// proof, that up to N = 16 hidden amounts in one currency are each in range
// and that its available balance covers their total.
//
// # Statement
//
// Public: C_avail (the payer's available-balance commitment), C_amt_1 …
// C_amt_N (the amount commitments, the identity (0, 1) in a padding slot)
// and ctx (a hash of the transaction's other fields). Private: amt_i, r_i,
// rem, r_rem.
//
//	C_amt_i               = amt_i·G + r_i·H   0 ≤ amt_i < 2^64,  0 ≤ r_i < 2^252
//	amt_i ≠ 0 unless C_amt_i is the identity (a padding slot)
//	C_avail − Σ_i C_amt_i = rem·G + r_rem·H   0 ≤ rem < 2^64,    0 ≤ r_rem < 2^252
//
// An honest payer with C_avail = Com(bal, r_bal) sets rem = bal − Σ amt_i
// and r_rem = r_bal − Σ r_i mod ℓ. It is the transfer statement
// (circuits/transfer) for N amounts paid in a row, payment j spent from
// C_avail − Σ_{i<j} C_amt_i, with one range check on the final remainder
// in place of one per payment.
//
// # Soundness of one remainder
//
// Let bal < 2^64 be the balance C_avail commits to (the ledger keeps every
// balance in [0, 2^64)). The statement gives C_avail = (rem + Σ amt_i)·G +
// (r_rem + Σ r_i)·H; binding (nobody knows log_G H) makes bal ≡ rem +
// Σ amt_i mod ℓ, and both sides are integers below ℓ (rem + Σ amt_i <
// (N + 1)·2^64 = 17·2^64 ≪ ℓ ≈ 2^251.9), so bal = rem + Σ amt_i over the
// integers. Every amount is ≥ 0 and rem ≥ 0, so every intermediate
// remainder of the chain, bal − Σ_{i≤j} amt_i = rem + Σ_{i>j} amt_i, lies in
// [0, bal]: no payment of the chain overdraws and nothing wraps. With every
// real amount ≥ 1, the batch proves what N transfer proofs chained on
// C_avail − Σ_{i<j} C_amt_i prove.
//
// # Padding
//
// A batch of n < N payments fills slots n+1 … N with the identity, and it
// is the verifier, not the prover, that puts it there: the statement's
// public inputs for those slots are (0, 1), whatever the prover sent. A
// padding slot contributes nothing to Σ C_amt_i, and its opening is forced:
// amt·G + r·H = O gives amt = 0 and r ≡ 0 mod ℓ under binding. The circuit
// tells a padding slot by C_amt.x = 0 (on the curve, only the identity and
// the point (0, −1) of order 2 have it, and C_amt_i is shown to be a sum of
// multiples of G and H, of odd order), with one constraint: C_amt.x =
// amt·q for a hinted q, which amt = 0 satisfies only at x = 0. So a real
// slot's amount is never 0. A real payment whose commitment is the
// identity would pass as padding with amount 0; the ledger refuses such a
// payment before it builds the statement (see zkp.BatchInput).
//
// # Points
//
// C_avail is checked to be on the curve in the circuit; every C_amt_i is
// the output of a fixed-base sum, so on the curve by construction. The
// verifier checks, when it decodes them, that the points lie in the
// prime-order subgroup; the statement implies it, as for circuits/transfer.
// ctx appears in one constraint (it is squared).
//
// # Cost
//
// 16,267 R1CS constraints for N = 16 (1,016.7 per payment, against 1,916
// for a transfer proof), which with its 36 public variables (the constant,
// 2 + 2·16 coordinates, ctx) fits a 2^14 FFT domain, 81 short of its
// end; N = 17 would need 17,224 and a 2^15 domain. No BSB22 commitment, so
// proofs verify in standard Groth16 verifiers (snarkjs, Solidity). As in
// circuits/transfer, the commitments are fixed-base sums over constant
// window tables (circuits/internal/fixedbase), whose window decomposition
// is the range check:
//
//	15,312 the 16 slots, 957 each:
//	       950 C_amt_i = amt_i·G + r_i·H (316 scalar bits: 316 boolean,
//	           314 window selections, 105 incomplete additions × 3, 5 to
//	           end the sum in C_amt_i)
//	         1 amt_i ≠ 0 unless C_amt_i.x = 0
//	         6 C_amt_i added to the chain, complete addition (the 16th
//	           ends in C_avail)
//	   950 rem·G + r_rem·H, as a slot's sum, ended as a point
//	     4 C_avail on the curve
//	     1 ctx squared
package batch

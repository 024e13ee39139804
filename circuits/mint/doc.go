// Package mint defines the mint circuit: an issuer proves that a hidden
// amount it creates is in range.
//
// # Statement
//
// Public: C_amt and ctx (a hash of the transaction's other fields).
// Private: amt, r_amt.
//
//	C_amt = amt·G + r_amt·H    1 ≤ amt < 2^64,  0 ≤ r_amt < 2^252
//
// The amount blinding is full width, as in the transfer circuit (see
// circuits/transfer): any scalar below 2^252 > ℓ. C_amt is checked on the
// curve in the circuit; its prime-order subgroup membership is checked by
// the verifier when it decodes the point (and is implied by the
// statement). ctx is squared so that the proof is bound to it.
//
// # Cost
//
// 956 R1CS constraints (a 2^10 FFT domain), no BSB22 commitment
// (circuits/internal/fixedbase gives the method and its soundness):
//
//	316 scalar bits, one boolean constraint each
//	314 window selections: 104 3-bit windows × 3, 2 2-bit windows × 1
//	315 incomplete point additions × 3 (105)
//	5   ending the sum in C_amt
//	4   C_amt on the curve
//	1   amt ≠ 0
//	1   ctx squared
package mint

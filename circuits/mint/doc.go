// Package mint defines the mint circuit: an issuer proves that a hidden
// amount it creates is in range.
//
// # Statement
//
// Public: C_amt and ctx (a hash of the transaction's other fields).
// Private: amt, r_amt.
//
//	C_amt = amt·G + r_amt·H    1 ≤ amt < 2^64,  0 ≤ r_amt < 2^128
//
// The 128-bit amount blinding is the documented choice of the transfer
// circuit (see circuits/transfer). C_amt is checked on the curve in the
// circuit; its prime-order subgroup membership is checked by the verifier
// when it decodes the point (and is implied by the statement). ctx is
// squared so that the proof is bound to it.
//
// # Cost
//
// 770 R1CS constraints (a 2^10 FFT domain), no BSB22 commitment:
//
//	192 scalar bits, one boolean constraint each
//	198 window selections: 60 3-bit windows × 3, 3 4-bit windows × 6
//	372 point additions × 6 (62)
//	2   the sum equals C_amt
//	4   C_amt on the curve
//	1   amt ≠ 0
//	1   ctx squared
package mint

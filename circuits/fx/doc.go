// Package fx defines the FX circuit: a swap's two amounts, each hidden in
// its own commitment, are in range and related by a public rate.
//
// # Statement
//
// Public: C_A (leg A's amount commitment, currency A, paid by the payer to
// the provider), C_B (leg B's, currency B, paid by the provider), the rate
// R and ctx (a hash of the transaction's other fields). Private: a, r_A,
// b, r_B, ρ.
//
//	C_A = a·G + r_A·H        1 ≤ a < 2^64,  0 ≤ r_A < 2^252
//	C_B = b·G + r_B·H        1 ≤ b < 2^64,  0 ≤ r_B < 2^252
//	a·R = b·10^S + ρ         0 ≤ ρ < 10^S,  0 ≤ R < 2^64
//
// # Rate and rounding
//
// R is a fixed-point rate at scale 10^S with S = 8 ([ScaleDigits]): R/10^S
// minor units of B per minor unit of A. The currencies' minor-unit
// exponents are folded into R: USD→SGD at 1.3402 SGD per USD is
// R = 134,020,000 (cents per cent); USD→JPY at 150 JPY per USD is
// R = 150,000,000 (yen per cent, as JPY has no minor unit); JPY→USD at
// 0.0067 USD per JPY is R = 67,000,000 (cents per yen).
//
// Rounding is down: b = ⌊a·R / 10^S⌋, the remainder ρ to the provider's
// benefit. The statement pins b exactly: one minor unit more or less has
// no proof, as ρ would leave [0, 10^S).
//
// # Soundness
//
// Every value is range-checked, so the relation holds over the integers
// and nothing wraps modulo the field: a·R < 2^128 and b·10^S + ρ < 2^91,
// both far below the BN254 scalar field's 2^253. a and b are bounded by the
// window decompositions of their commitments (circuits/internal/fixedbase),
// R by its own 64-bit decomposition (R is public and the ledger sets it
// from the quote, but an exported proof may be checked by verifiers that
// do not), and ρ by two 27-bit decompositions, of ρ and of 10^S − 1 − ρ.
// a ≠ 0 and b ≠ 0 are asserted. C_A and C_B are checked on the curve, as
// in circuits/transfer, and their subgroup membership by the verifier when
// it decodes them. ctx appears in one constraint (it is squared).
//
// The circuit says nothing about balances: on the ledger each leg's
// amount commitment is also spent with a transfer proof against its
// payer's available balance, and leg B's against the quote's band.
//
// # Cost
//
// 2,031 R1CS constraints, which fits a 2^11 FFT domain; no BSB22
// commitment, so proofs verify in snarkjs and Solidity:
//
//	1,900 the two commitments, 950 each (a 64-bit and a 252-bit scalar on
//	      G and H, ended by an equality with the public point; see
//	      circuits/internal/fixedbase)
//	64    R < 2^64
//	54    ρ < 2^27 and 10^S − 1 − ρ < 2^27
//	2     a·R = b·10^S + ρ (the product, then the equality)
//	8     C_A and C_B on the curve, 4 each
//	2     a ≠ 0, b ≠ 0
//	1     ctx squared
package fx

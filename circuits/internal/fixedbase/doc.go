// Package fixedbase multiplies fixed points of the BN254 twisted Edwards
// curve (a = −1, the curve of internal/pedersen) by variable scalars, in plain
// R1CS: no lookup argument, no BSB22 commitment, so circuits built on it
// verify in standard Groth16 verifiers.
//
// # Method
//
// A scalar s is split into bits by [Decompose], which is also its range check
// 0 ≤ s < 2^n. The bits are grouped into 3-bit windows (the top one or two
// are 2 bits wide when n is not a multiple of 3). The window over bits
// [k, k+w) with value j selects the constant point (j + 2)·2^k·B from a
// table computed natively when the circuit is defined; the offset 2 is
// explained below. Each coordinate of the table is written as the
// multilinear polynomial in the window's bits that interpolates it, so for a
// 3-bit window
//
//	b01 = b0·b1                                  1 constraint
//	u   = L0(b0, b1, b01) + b2·L1(b0, b1, b01)   1 constraint (L0, L1 linear)
//	v   = likewise                               1 constraint
//
// and a 2-bit window needs b0·b1 only (its coordinates are then linear).
//
// A [Sum] adds the selected points on the Montgomery curve
// M: B·v² = u³ + A·u² + u, birationally equivalent to the Edwards curve
// (montgomery.go), with the incomplete affine law in 3 constraints:
//
//	λ·(u2 − u1) = v2 − v1,  B·λ² = u3 + A + u1 + u2,  λ·(u1 − u3) = v3 + v1.
//
// Each is one R1CS constraint with no intermediate wire (assertMul); λ, u3
// and v3 are hinted. The first window of a sum costs no addition. A sum ends
// by leaving M (x = u/v, y = (u − 1)/(u + 1): 2 constraints) and adding the
// constant −Σ offsets with the complete Edwards law (3 constraints, as
// products by constants are free), fused with the final equality in
// [Sum.AssertEqual]. [AssertAdd] asserts p + q = r for two variable points
// with the complete law, in 6 constraints.
//
// # Cost
//
// 3 constraints per scalar bit: 1 boolean, and 2 per bit to select and add
// (3 + 3 per 3-bit window, 1 + 3 per 2-bit one), less 3 for a sum's first
// window, plus 5 to end the sum. A 64-bit and a 252-bit scalar on G and H
// cost 316 + 314 + 105·3 + 5 = 950. A lone scalar above 249 bits adds its
// top window completely (2 to leave M, 6 for the addition). [AssertOnCurve]
// costs 4.
//
// # Soundness
//
// [Decompose] constrains every bit to be boolean with n < the field's bit
// length, so the scalar equals Σ 2^i·b_i as an integer below 2^n, and the
// bits are a function of the scalar. Selection is exact on boolean bits,
// and every entry is a point of order ℓ (never the identity: ℓ is an odd
// prime above j + 2).
//
// The incomplete law is exact when u1 ≠ u2: then λ is the chord's slope and
// u3, v3 follow. It fails when u1 = u2, that is P2 = ±P1: P2 = −P1 makes
// the first constraint unsatisfiable (a completeness question), but P2 = P1
// leaves λ free, and with it the result — a soundness hole that no
// assignment may reach. By induction over the windows, a Sum's running point
// is the honest one as long as no addition meets P2 = ±P1, and
//
//   - within the first scalar of a sum, on base B: the running point is a·B
//     and the entry c·B, with integers a, c. With offsets, a ranges over
//     [2·Σ_{i<k} 2^{s_i}, Σ_{i<k} (2^{w_i} + 1)·2^{s_i}] ⊂ [2, 2·2^{s_k} − 2]
//     for the windows (s_i, w_i) below window k, and c over
//     [2·2^{s_k}, (2^{w_k} + 1)·2^{s_k}]: 0 < a < c. The sum adds
//     incompletely only while the largest a + c is below ℓ (so
//     a ≢ ±c mod ℓ); for every scalar of up to 249 bits that is every
//     window. Beyond, it moves to the Edwards curve and adds completely:
//     the top window of a lone 252-bit scalar.
//   - after the first scalar, if it ended on M, on a base B′ ≠ B: the
//     running point is a·B + c′·B′ with a ∈ [2, ℓ) fixed, the entry c·B′.
//     P2 = ±P1 means a·B = (±c − c′)·B′, with ±c − c′ ≢ 0 as a ≢ 0, so
//     the prover's witness yields log_B B′ = a/(±c − c′). Soundness
//     therefore assumes that nobody knows a discrete-log relation between
//     the bases — for G and H, that nobody knows log_G H, on which the
//     binding of Sable's commitments already rests (H is hashed to the
//     curve). An honest prover meets P2 = ±P1 only on scalars that reveal
//     that logarithm. A later scalar on the first base again is added
//     completely.
//
// The running point is thus never the identity or a point of order 2, so
// leaving M is exact (v ≠ 0, u ≠ −1 on points of odd order). The Edwards
// law is complete on the curve: a = −1 is a square in the BN254 scalar field
// and d is not, so 1 ± d·x1·x2·y1·y2 is never zero for points on the curve
// and each division in [Add] has exactly one solution; the offsets' removal
// is such an addition, so it is exact even when the sum with offsets is the
// identity. A sum never starts at a variable point: one from outside could
// be chosen to meet P2 = P1 (say C_amt = a·G when r_amt = 0); add such a
// point at the end with [AssertAdd], after checking it is on the curve.
package fixedbase

// Package fixedbase multiplies fixed points of the BN254 twisted Edwards
// curve (a = −1, the curve of internal/pedersen) by variable scalars, in plain
// R1CS: no lookup argument, no BSB22 commitment, so circuits built on it
// verify in standard Groth16 verifiers.
//
// # Method
//
// A scalar s is split into bits by [Decompose], which is also its range check
// 0 ≤ s < 2^n. The bits are grouped into 3-bit windows (the top one or two
// windows are 4 bits wide when n is not a multiple of 3). The window over bits
// [k, k+w) selects the point j·2^k·B, j being the window's value, from a table
// of constants computed natively when the circuit is defined. Each table
// coordinate is written as the multilinear polynomial in the window's bits
// that interpolates it, so for a 3-bit window
//
//	b01 = b0·b1                                  1 constraint
//	x   = L0(b0, b1, b01) + b2·L1(b0, b1, b01)   1 constraint (L0, L1 linear)
//	y   = likewise                               1 constraint
//
// A 4-bit window needs the products b0b1, b0b2, b1b2, b0b1b2 (4) and one
// constraint per coordinate; a 1- or 2-bit window is linear (plus b0b1).
// The selected points are summed by a [Sum] with the complete addition law
// ([Add], 6 constraints). A sum starts empty (its first point costs no
// addition) or at a given point, and several scalars with different bases
// chain into one sum.
//
// # Cost
//
// 4 constraints per scalar bit: 1 boolean, 1 for the selection and 2 for the
// addition (3 and 6 per 3-bit window; 6 and 6 per 4 bits). Scalars of N bits
// in all, with widths that are multiples of 3 or ≥ 6, cost 4N − 6 into an
// empty sum and 4N into a sum started at a point. [Sum.AssertEqual] adds 2,
// [AssertOnCurve] costs 4.
//
// # Soundness
//
// [Decompose] constrains every bit to be boolean with n < the field's bit
// length, so the scalar equals Σ 2^i·b_i as an integer below 2^n. Selection
// is exact on boolean bits. The addition law is complete on the curve: a = −1
// is a square in the BN254 scalar field and d is not, so 1 ± d·x1·x2·y1·y2 is
// never zero for points on the curve and each division in [Add] has exactly
// one solution. Table points are on the curve, hence so is every sum, provided
// a sum's starting point is: the caller must show it (with [AssertOnCurve], or
// because it is itself the result of a sum).
package fixedbase

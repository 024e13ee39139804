package he

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; every error this
// package returns starts with "he: " and wraps one of these where one
// applies. The ledger maps the three decoding errors to its own rejection
// codes.
var (
	// ErrMalformed: the bytes are not a valid encoding (truncated, trailing
	// bytes, unknown format version or kind, a residue out of range).
	ErrMalformed = errors.New("he: malformed encoding")

	// ErrParams: well-formed bytes made for other parameters (unknown set,
	// wrong ring degree, wrong level, different moduli).
	ErrParams = errors.New("he: wrong parameters")

	// ErrOversize: the input is longer than any valid encoding.
	ErrOversize = errors.New("he: input too large")

	// ErrRange: a flow or sum outside what the slot layout can carry
	// (group index, blinding width, rate).
	ErrRange = errors.New("he: value out of range")

	// ErrCapacity: the operation would take an aggregate past the load at
	// which exact decryption is guaranteed; close the epoch first.
	ErrCapacity = errors.New("he: aggregate capacity exceeded")

	// ErrInconsistent: a decrypted ciphertext holds limbs that no honest
	// sum of its load could produce (stray slots, oversized limbs). Some
	// summand was not an honest flow encryption.
	ErrInconsistent = errors.New("he: decrypted limbs inconsistent with load")

	// ErrScaled: the operation is not defined on an FX-scaled ciphertext.
	ErrScaled = errors.New("he: ciphertext is FX-scaled")

	// ErrDegenerate: a well-formed ciphertext that visibly is no
	// encryption (a zero or structured polynomial, e.g. c1 = 0: a
	// noiseless encryption anyone can read).
	ErrDegenerate = errors.New("he: degenerate ciphertext")
)

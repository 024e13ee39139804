package zkp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// CommitmentSize is the length of an encoded commitment.
const CommitmentSize = 32

// Errors returned by DecodeCommitment.
var (
	ErrCommitmentLength   = errors.New("zkp: commitment is not 32 bytes")
	ErrCommitmentEncoding = errors.New("zkp: commitment encoding is not canonical")
	ErrNotOnCurve         = errors.New("zkp: point is not on the curve")
	ErrNotInSubgroup      = errors.New("zkp: point is not in the prime-order subgroup")
)

// Commitment is a Pedersen commitment Com(v, r) = v·G + r·H, a point of the
// prime-order subgroup. The zero value is not a valid commitment; use
// ZeroCommitment for Com(0, 0).
type Commitment struct {
	p twistededwards.PointAffine
}

// Commit returns Com(v, r). r is reduced modulo ℓ.
func Commit(v uint64, r *big.Int) Commitment {
	return Commitment{pedersen.Commit(new(big.Int).SetUint64(v), new(big.Int).Mod(r, pedersen.Order()))}
}

// ZeroCommitment returns Com(0, 0), the identity.
func ZeroCommitment() Commitment { return Commitment{pedersen.Identity()} }

// Add returns c + d, a commitment to the sums of values and blindings.
func (c Commitment) Add(d Commitment) Commitment {
	var s Commitment
	s.p.Add(&c.p, &d.p)
	return s
}

// Sub returns c − d, a commitment to the differences of values and blindings.
func (c Commitment) Sub(d Commitment) Commitment {
	var n, s twistededwards.PointAffine
	n.Neg(&d.p)
	s.Add(&c.p, &n)
	return Commitment{s}
}

// Accumulator sums commitments without an inversion per addition: it keeps
// its running sum in extended twisted Edwards coordinates (X:Y:Z:T, with
// x = X/Z, y = Y/Z, T = XY/Z), where adding an affine point is a handful
// of multiplications, against an inversion for each affine Add. Reading
// the sum back ([Accumulator.Commitment], [Sums]) costs one inversion, or
// one for many accumulators at once. The addition law is complete on this
// curve (a = −1 is a square and d is not), so every sum, the identity and
// a point plus its negation included, is exact: the result is the same
// point, with the same encoding, as a chain of Add and Sub.
//
// The zero value is an empty sum, Com(0, 0). An Accumulator is not safe
// for concurrent use.
type Accumulator struct {
	p   twistededwards.PointExtended
	set bool // p holds a point; the zero value's coordinates are not one
}

func (a *Accumulator) init() {
	if !a.set {
		a.p.X.SetZero()
		a.p.Y.SetOne()
		a.p.Z.SetOne()
		a.p.T.SetZero()
		a.set = true
	}
}

// Add adds c into the sum.
func (a *Accumulator) Add(c Commitment) {
	a.init()
	a.p.MixedAdd(&a.p, &c.p)
}

// Sub takes c out of the sum.
func (a *Accumulator) Sub(c Commitment) {
	var n twistededwards.PointAffine
	n.Neg(&c.p)
	a.init()
	a.p.MixedAdd(&a.p, &n)
}

// Commitment returns the sum so far (one inversion).
func (a *Accumulator) Commitment() Commitment { return Sums([]*Accumulator{a})[0] }

// Sums returns the sums of several accumulators with one inversion for all
// (Montgomery's trick: fr.BatchInvert).
func Sums(accs []*Accumulator) []Commitment {
	ps := make([]twistededwards.PointExtended, len(accs))
	for i, a := range accs {
		a.init()
		ps[i] = a.p
	}
	return normalize(ps)
}

// Remainders returns start minus each prefix of amounts, every step of a
// chain of Sub: out[j] = start − amounts[0] − … − amounts[j−1], for j from
// 0 to len(amounts) (out[0] is start, the last is what is left after all).
// It is what a batch's payments are proved against, one after another,
// computed with one inversion for the whole chain instead of one per
// payment, and gives the same points as the chain of Sub.
func Remainders(start Commitment, amounts []Commitment) []Commitment {
	ps := make([]twistededwards.PointExtended, len(amounts)+1)
	ps[0].FromAffine(&start.p)
	for j := range amounts {
		var n twistededwards.PointAffine
		n.Neg(&amounts[j].p)
		ps[j+1].MixedAdd(&ps[j], &n)
	}
	return normalize(ps)
}

// normalize maps extended points to affine with one inversion for all.
func normalize(ps []twistededwards.PointExtended) []Commitment {
	zs := make([]fr.Element, len(ps))
	for i := range ps {
		zs[i] = ps[i].Z // never 0: the addition law is complete
	}
	inv := fr.BatchInvert(zs)
	out := make([]Commitment, len(ps))
	for i := range ps {
		out[i].p.X.Mul(&ps[i].X, &inv[i])
		out[i].p.Y.Mul(&ps[i].Y, &inv[i])
	}
	return out
}

// Equal reports whether c and d are the same point.
func (c Commitment) Equal(d Commitment) bool { return c.p.Equal(&d.p) }

// Bytes returns the 32-byte canonical encoding.
func (c Commitment) Bytes() [CommitmentSize]byte { return c.p.Bytes() }

// String returns the hex of the encoding.
func (c Commitment) String() string { b := c.Bytes(); return hex.EncodeToString(b[:]) }

// Coordinates returns the affine coordinates, for witnesses and exports.
func (c Commitment) Coordinates() (x, y fr.Element) { return c.p.X, c.p.Y }

// DecodeCommitment parses a 32-byte encoding and checks that it is canonical,
// on the curve and in the prime-order subgroup.
func DecodeCommitment(b []byte) (Commitment, error) {
	p, err := decodePoint(b, true)
	if err != nil {
		return Commitment{}, err
	}
	return Commitment{p}, nil
}

// DecodeStoredCommitment parses a 32-byte encoding that this program wrote
// itself from a Commitment: it checks that the encoding is canonical and on
// the curve, but not the subgroup (a scalar multiplication by ℓ, most of
// DecodeCommitment's cost). Every Commitment is in the subgroup (decoded
// with the full check, or computed from such), so its encoding needs no
// re-check when read back from a store only its owner writes. Never use it
// on bytes from outside: a transaction, a query answer, a file.
func DecodeStoredCommitment(b []byte) (Commitment, error) {
	p, err := decodePoint(b, false)
	if err != nil {
		return Commitment{}, err
	}
	return Commitment{p}, nil
}

// DecodeProvenCommitment parses a 32-byte encoding of a commitment that is
// a public input of a Groth16 proof whose statement shows it to be
// v·G + r·H (a transfer's C_amt, a batch payment's amount). It checks that
// the encoding is canonical and on the curve, but not the subgroup: the
// proof, once it verifies, implies that (G and H generate the prime-order
// subgroup, so v·G + r·H lies in it), and costs the caller nothing more.
//
// The invariant its callers keep: no value decoded with it is used (added
// into a balance, written to state, compared) before the proof that binds
// it has verified for the transaction that carries it. A point outside the
// subgroup decodes here without error (small-order components included);
// only the proof refuses it. Anything not bound by a proof is read with
// DecodeCommitment.
func DecodeProvenCommitment(b []byte) (Commitment, error) {
	p, err := decodePoint(b, false)
	if err != nil {
		return Commitment{}, err
	}
	return Commitment{p}, nil
}

// ParseCommitment decodes the hex of an encoding.
func ParseCommitment(s string) (Commitment, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return Commitment{}, fmt.Errorf("zkp: commitment is not hex: %w", err)
	}
	return DecodeCommitment(b)
}

func decodePoint(b []byte, subgroup bool) (twistededwards.PointAffine, error) {
	var p twistededwards.PointAffine
	if len(b) != CommitmentSize {
		return p, ErrCommitmentLength
	}
	negative := b[31]&0x80 != 0
	var be [32]byte
	for i := range be {
		be[i] = b[31-i]
	}
	be[0] &= 0x7f
	if err := p.Y.SetBytesCanonical(be[:]); err != nil {
		return p, ErrCommitmentEncoding // y ≥ p
	}
	params := pedersen.Params()
	var one, y2, num, den fr.Element
	one.SetOne()
	y2.Square(&p.Y)
	num.Sub(&one, &y2)
	den.Mul(&y2, &params.D)
	den.Sub(&params.A, &den)
	if den.IsZero() {
		return p, ErrNotOnCurve
	}
	p.X.Div(&num, &den)
	if p.X.Legendre() == -1 {
		return p, ErrNotOnCurve
	}
	p.X.Sqrt(&p.X)
	if p.X.IsZero() && negative {
		return p, ErrCommitmentEncoding // −0 has no encoding of its own
	}
	if p.X.LexicographicallyLargest() != negative {
		p.X.Neg(&p.X)
	}
	if !subgroup {
		return p, nil
	}
	var q twistededwards.PointAffine
	q.ScalarMultiplication(&p, &params.Order)
	if !q.IsZero() {
		return p, ErrNotInSubgroup
	}
	return p, nil
}

// Order returns ℓ, the order of the commitments' group.
func Order() *big.Int { return pedersen.Order() }

// RandomBlinding returns a uniform scalar in [0, ℓ): the blinding of every
// commitment, amounts and balances alike.
func RandomBlinding() (*big.Int, error) {
	r, err := rand.Int(rand.Reader, pedersen.Order())
	if err != nil {
		return nil, fmt.Errorf("zkp: random blinding: %w", err)
	}
	return r, nil
}

// RandomAmountBlinding returns the blinding of an amount's commitment: a
// uniform scalar in [0, ℓ), as [RandomBlinding].
func RandomAmountBlinding() (*big.Int, error) { return RandomBlinding() }

// BlindingHex renders a blinding as 32-byte big-endian hex.
func BlindingHex(r *big.Int) string {
	var b [32]byte
	r.FillBytes(b[:])
	return hex.EncodeToString(b[:])
}

// ParseBlinding parses big-endian hex (at most 32 bytes) and checks that the
// scalar is below 2^bits (bits = 0 means below ℓ).
func ParseBlinding(s string, bits int) (*big.Int, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("zkp: blinding is not hex: %w", err)
	}
	if len(b) == 0 || len(b) > 32 {
		return nil, fmt.Errorf("zkp: blinding is %d bytes, want 1 to 32", len(b))
	}
	r := new(big.Int).SetBytes(b)
	if bits == 0 && r.Cmp(pedersen.Order()) >= 0 {
		return nil, errors.New("zkp: blinding is not below the group order ℓ")
	}
	if bits > 0 && r.BitLen() > bits {
		return nil, fmt.Errorf("zkp: blinding is wider than %d bits", bits)
	}
	return r, nil
}

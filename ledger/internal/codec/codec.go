// Package codec is the ledger's one binary encoding: fixed-width big-endian
// integers, length-prefixed byte strings and 32-byte commitments, with
// exactly one encoding per value. Transactions, the state machine's records
// and the wallet's records are all written with it.
//
// Commitments have three readers: [Reader.Commitment] checks everything, for
// bytes from outside; [Reader.ProvenCommitment] skips the subgroup check,
// for a transaction's commitment that is a public input of a proof showing
// it to be v·G + r·H (the proof, which verifies before the value is used,
// implies the subgroup); [Reader.StoredCommitment] skips it too, for
// records the state machine wrote itself from checked values.
//
// A [Reader]'s first error sticks, so a decoder reads every field and checks
// [Reader.Done] once. It never allocates more than the limit a caller passes.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/zkp"
)

// ErrTruncated and ErrTrailing are the two ways a byte string can fail to be
// exactly one encoding.
var (
	ErrTruncated = errors.New("truncated")
	ErrTrailing  = errors.New("trailing bytes")
)

// ErrPoint marks a commitment that is not a canonical point of the
// prime-order subgroup.
var ErrPoint = errors.New("ledger: commitment is not a valid curve point")

// Writer appends the canonical encoding to B.
type Writer struct{ B []byte }

func (w *Writer) U8(v uint8)   { w.B = append(w.B, v) }
func (w *Writer) U64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }
func (w *Writer) Fixed(b []byte) {
	w.B = append(w.B, b...)
}

// Str writes a string of at most 255 bytes.
func (w *Writer) Str(s string) { w.U8(uint8(len(s))); w.B = append(w.B, s...) }

// Blob writes a byte string of at most 2^32−1 bytes.
func (w *Writer) Blob(b []byte) {
	w.B = binary.BigEndian.AppendUint32(w.B, uint32(len(b)))
	w.B = append(w.B, b...)
}

// Commitment writes a commitment's 32 bytes.
func (w *Writer) Commitment(c zkp.Commitment) { b := c.Bytes(); w.Fixed(b[:]) }

// Reader consumes an encoding.
type Reader struct {
	b      []byte
	err    error
	proofs []DecodedProof // kept by KeepProof
}

// DecodedProof is a proof read from an encoding: its bytes and the points
// they decode to, every one checked canonical, on its curve and in its
// prime-order subgroup (zkp.DecodeProof).
type DecodedProof struct {
	Raw   [zkp.ProofSize]byte
	Proof *zkp.Proof
}

// KeepProof keeps a proof its caller decoded from this encoding, so that
// whoever asked for the encoding decoded need not decode it again (Proofs).
func (r *Reader) KeepProof(p DecodedProof) { r.proofs = append(r.proofs, p) }

// Proofs returns the proofs kept, in the order they were read.
func (r *Reader) Proofs() []DecodedProof { return r.proofs }

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Len returns how many bytes are left to read.
func (r *Reader) Len() int { return len(r.b) }

// Fail records err unless an earlier error is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Take returns the next n bytes, or nil once anything has failed.
func (r *Reader) Take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = ErrTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *Reader) U8() uint8 {
	if b := r.Take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *Reader) U64() uint64 {
	if b := r.Take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *Reader) Fixed(dst []byte) { copy(dst, r.Take(len(dst))) }

// Str reads a string of at most max bytes.
func (r *Reader) Str(max int) string {
	n := int(r.U8())
	if r.err == nil && n > max {
		r.err = fmt.Errorf("string of %d bytes exceeds %d", n, max)
	}
	return string(r.Take(n))
}

// Blob reads a length-prefixed byte string of at most max bytes; the limit
// is checked before any allocation.
func (r *Reader) Blob(max int) []byte {
	b := r.Take(4)
	if b == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(max) {
		r.err = fmt.Errorf("field of %d bytes exceeds %d", n, max)
		return nil
	}
	out := r.Take(int(n))
	if out == nil || len(out) == 0 {
		return nil
	}
	return append([]byte(nil), out...)
}

// Commitment reads a 32-byte commitment and checks it as a point: canonical,
// on the curve and in the prime-order subgroup. Every commitment from outside
// (a transaction, a query answer, a file) is read with it.
func (r *Reader) Commitment() zkp.Commitment { return r.commitment(zkp.DecodeCommitment) }

// StoredCommitment reads a 32-byte commitment that the reader's own program
// wrote from a checked Commitment: canonical and on the curve, without the
// subgroup check (zkp.DecodeStoredCommitment). Only for a store whose one
// writer is its owner: the state machine's records, written by its executor
// from values that were fully checked when they came in.
func (r *Reader) StoredCommitment() zkp.Commitment { return r.commitment(zkp.DecodeStoredCommitment) }

// ProvenCommitment reads a 32-byte commitment that is a public input of a
// Groth16 proof whose statement shows it to be v·G + r·H: canonical and on
// the curve, without the subgroup check (zkp.DecodeProvenCommitment), which
// the proof implies. It accepts an on-curve point outside the subgroup, so
// a decoder may use it only for a field that a proof binds, and the
// transaction's executor must use the value only after that proof has
// verified (as it does: proofs are checked before any write).
func (r *Reader) ProvenCommitment() zkp.Commitment { return r.commitment(zkp.DecodeProvenCommitment) }

func (r *Reader) commitment(decode func([]byte) (zkp.Commitment, error)) zkp.Commitment {
	b := r.Take(zkp.CommitmentSize)
	if b == nil {
		return zkp.Commitment{}
	}
	c, err := decode(b)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%w: %w", ErrPoint, err)
	}
	return c
}

// Done reports the first error, or ErrTrailing if bytes are left over.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = ErrTrailing
	}
	return r.err
}

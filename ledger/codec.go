package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errTruncated and errTrailing are the two ways a byte string can fail to be
// exactly one encoding.
var (
	errTruncated = errors.New("truncated")
	errTrailing  = errors.New("trailing bytes")
)

// writer appends the canonical encoding: fixed-width big-endian integers,
// length-prefixed byte strings. There is exactly one encoding per value.
type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.BigEndian.AppendUint64(w.b, v) }
func (w *writer) fixed(b []byte) {
	w.b = append(w.b, b...)
}

// str writes a string of at most 255 bytes.
func (w *writer) str(s string) { w.u8(uint8(len(s))); w.b = append(w.b, s...) }

// blob writes a byte string of at most 2^32−1 bytes.
func (w *writer) blob(b []byte) {
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(b)))
	w.b = append(w.b, b...)
}

// reader consumes an encoding; the first error sticks, so decoders read
// every field and check err once.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = errTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) fixed(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *reader) str(max int) string {
	n := int(r.u8())
	if r.err == nil && n > max {
		r.err = fmt.Errorf("string of %d bytes exceeds %d", n, max)
	}
	return string(r.take(n))
}

// blob reads a length-prefixed byte string of at most max bytes; the limit
// is checked before any allocation.
func (r *reader) blob(max int) []byte {
	b := r.take(4)
	if b == nil {
		return nil
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(max) {
		r.err = fmt.Errorf("field of %d bytes exceeds %d", n, max)
		return nil
	}
	out := r.take(int(n))
	if out == nil || len(out) == 0 {
		return nil
	}
	return append([]byte(nil), out...)
}

func (r *reader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errTrailing
	}
	return r.err
}

var (
	errCountry = errors.New("country is not two upper-case letters")
	errClass   = errors.New("beneficiary class is not corporate (1), consumer (2) or virtual (3)")
)

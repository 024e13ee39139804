package zkp

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ContextSize is the length of an encoded context.
const ContextSize = 32

// Context binds a proof to the transaction that carries it: a 32-byte
// big-endian element of BN254's scalar field.
type Context [ContextSize]byte

// ErrContextRange reports a context that is not below the field modulus.
var ErrContextRange = errors.New("zkp: context is not below the BN254 scalar field modulus")

// NewContext hashes a domain label and the transaction's other fields into a
// context. Each part is length-prefixed, and the top three bits of the
// SHA-256 are cleared so that the result is always a canonical field element.
func NewContext(domain string, parts ...[]byte) Context {
	h := sha256.New()
	writeFramed(h, []byte(domain))
	for _, p := range parts {
		writeFramed(h, p)
	}
	var c Context
	h.Sum(c[:0])
	c[0] &= 0x1f
	return c
}

// ContextPrefix is the hash of a domain label and the leading parts that
// several contexts share, so that each of them hashes only what follows:
// the contexts of a batch's payments share the whole transaction and differ
// in the payment's index, and hashing the transaction once per payment made
// a batch's contexts cost its size times its payments.
type ContextPrefix struct{ h hash.Hash }

// NewContextPrefix hashes domain and parts once.
func NewContextPrefix(domain string, parts ...[]byte) *ContextPrefix {
	h := sha256.New()
	writeFramed(h, []byte(domain))
	for _, p := range parts {
		writeFramed(h, p)
	}
	return &ContextPrefix{h: h}
}

// With returns the context of the prefix's parts followed by parts: the
// same as NewContext(domain, prefix parts..., parts...).
func (c *ContextPrefix) With(parts ...[]byte) (Context, error) {
	h, err := c.h.(hash.Cloner).Clone()
	if err != nil {
		return Context{}, fmt.Errorf("zkp: context: %w", err)
	}
	for _, p := range parts {
		writeFramed(h, p)
	}
	var out Context
	h.Sum(out[:0])
	out[0] &= 0x1f
	return out, nil
}

func writeFramed(h interface{ Write([]byte) (int, error) }, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// DecodeContext checks that b is a canonical 32-byte field element.
func DecodeContext(b []byte) (Context, error) {
	var c Context
	if len(b) != ContextSize {
		return c, fmt.Errorf("zkp: context is %d bytes, want %d", len(b), ContextSize)
	}
	var e fr.Element
	if err := e.SetBytesCanonical(b); err != nil {
		return c, ErrContextRange
	}
	copy(c[:], b)
	return c, nil
}

// ParseContext decodes the hex of a context.
func ParseContext(s string) (Context, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return Context{}, fmt.Errorf("zkp: context is not hex: %w", err)
	}
	return DecodeContext(b)
}

func (c Context) String() string { return hex.EncodeToString(c[:]) }

func (c Context) element() fr.Element {
	var e fr.Element
	e.SetBytes(c[:])
	return e
}

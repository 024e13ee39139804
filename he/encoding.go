package he

import (
	"encoding/binary"
	"fmt"
)

// Every encoding starts with the same header:
//
//	[0]   format version (1)
//	[1]   kind: ciphertext, public key or secret key
//	[2]   parameter set
//	[3]   log2 of the ring degree
//	[4]   level (number of Q primes − 1)
//	[5:9] parameter fingerprint
//
// A ciphertext adds its load as 8 bytes big-endian, then its two
// polynomials packed (see pack.go).
const (
	formatVersion = 1
	headerSize    = 9
	ctHeaderSize  = headerSize + 8
)

type kind byte

const (
	kindCiphertext   kind = 1
	kindPublicKey    kind = 2
	kindSecretKey    kind = 3
	kindKeyShare     kind = 4 // a threshold regulator's share of the key
	kindDecryptShare kind = 5 // a threshold regulator's decryption share
	kindSwitchShare  kind = 6 // an old-key party's share of a key switch
)

func (k kind) String() string {
	switch k {
	case kindCiphertext:
		return "ciphertext"
	case kindPublicKey:
		return "public key"
	case kindSecretKey:
		return "secret key"
	case kindKeyShare:
		return "key share"
	case kindDecryptShare:
		return "decryption share"
	case kindSwitchShare:
		return "switch share"
	}
	return fmt.Sprintf("kind %d", byte(k))
}

// MaxCiphertextSize is the length of the largest valid ciphertext
// encoding: a 17-byte header, then 2 polynomials × 4096 coefficients ×
// (51 + 42) bits. Anything longer is rejected with ErrOversize before it
// is parsed.
const MaxCiphertextSize = 95249

// Size limits of the key encodings, checked the same way.
const (
	maxPublicKeySize = headerSize + 2*4096*(51+42+16)/8
	maxSecretKeySize = headerSize + 4096/4
)

func appendHeader(b []byte, p *Params, k kind, level int) []byte {
	b = append(b, formatVersion, byte(k), byte(p.set), byte(p.LogN()), byte(level))
	return append(b, p.fp[:]...)
}

// parseHeader checks a header against the kind and level expected and
// returns the parameters it names. Checks run from the format outward to
// the parameters, so each failure gets the most specific error.
func parseHeader(b []byte, want kind, level func(*Params) int) (*Params, error) {
	if len(b) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than a header", ErrMalformed, len(b))
	}
	if b[0] != formatVersion {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrMalformed, b[0])
	}
	if k := kind(b[1]); k != want {
		return nil, fmt.Errorf("%w: encoding of a %v, want a %v", ErrMalformed, k, want)
	}
	p, err := NewParams(ParamSet(b[2]))
	if err != nil {
		return nil, err
	}
	if int(b[3]) != p.LogN() {
		return nil, fmt.Errorf("%w: ring degree 2^%d, %v has 2^%d", ErrParams, b[3], p, p.LogN())
	}
	if want := level(p); int(b[4]) != want {
		return nil, fmt.Errorf("%w: level %d, want %d", ErrParams, b[4], want)
	}
	if [4]byte(b[5:9]) != p.fp {
		return nil, fmt.Errorf("%w: moduli or layout differ from %v", ErrParams, p)
	}
	return p, nil
}

// checkLength rejects an oversize input before parsing and a wrong length
// after the header named the parameters.
func checkLength(n, limit, want int, k kind) error {
	switch {
	case n > limit:
		return fmt.Errorf("%w: %d-byte %v, limit %d", ErrOversize, n, k, limit)
	case want >= 0 && n != want:
		return fmt.Errorf("%w: %d-byte %v, want %d", ErrMalformed, n, k, want)
	}
	return nil
}

func putUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

package he

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// Encodings of the threshold objects, with the common header:
//
//	key share:         header (kind 4, top level), n, t, index (1 byte
//	                   each), then the Shamir share's residues at the top
//	                   level, packed (55,820 bytes at ParamsN12QP109);
//	decryption share:  header (kind 5, aggregate level), party, n, t (1
//	                   byte each), the t points of the active set, the
//	                   32-byte ciphertext digest, then the share's residues
//	                   at the aggregate level, packed (47,676 bytes for
//	                   t = 3).
const (
	maxKeyShareSize     = headerSize + 3 + 4096*(51+42+16)/8
	maxDecryptShareSize = headerSize + 3 + MaxParties + 32 + 4096*(51+42)/8
)

// MarshalBinary encodes the key share. The encoding is secret.
func (ks *KeyShare) MarshalBinary() ([]byte, error) {
	lvl := topLevel(ks.p)
	b := appendHeader(nil, ks.p, kindKeyShare, lvl)
	b = append(b, byte(ks.n), byte(ks.t), byte(ks.index))
	return ks.p.packPolys(b, []ring.Poly{ks.shamir.Q}, lvl), nil
}

// UnmarshalBinary decodes a key share, with the errors of
// Ciphertext.UnmarshalBinary.
func (ks *KeyShare) UnmarshalBinary(b []byte) error {
	if err := checkLength(len(b), maxKeyShareSize, -1, kindKeyShare); err != nil {
		return err
	}
	p, err := parseHeader(b, kindKeyShare, topLevel)
	if err != nil {
		return err
	}
	lvl := topLevel(p)
	if err := checkLength(len(b), maxKeyShareSize, headerSize+3+p.packedSize(1, lvl), kindKeyShare); err != nil {
		return err
	}
	n, t, idx := int(b[headerSize]), int(b[headerSize+1]), int(b[headerSize+2])
	if n < 2 || n > MaxParties || t < 2 || t > n || idx < 1 || idx > n {
		return fmt.Errorf("%w: key share %d of a %d-of-%d key", ErrMalformed, idx, t, n)
	}
	out := KeyShare{p: p, index: idx, n: n, t: t}
	out.shamir.Q = p.hp.RingQ().NewPoly()
	if err := p.unpackPolys(b[headerSize+3:], []ring.Poly{out.shamir.Q}, lvl); err != nil {
		return err
	}
	*ks = out
	return nil
}

// MarshalBinary encodes the decryption share.
func (d *DecryptionShare) MarshalBinary() ([]byte, error) {
	b := appendHeader(nil, d.p, kindDecryptShare, aggLevel)
	b = append(b, byte(d.party), byte(d.n), byte(len(d.active)))
	for _, x := range d.active {
		b = append(b, byte(x))
	}
	b = append(b, d.digest[:]...)
	return d.p.packPolys(b, []ring.Poly{d.share.Value}, aggLevel), nil
}

// UnmarshalBinary decodes a decryption share, with the errors of
// Ciphertext.UnmarshalBinary.
func (d *DecryptionShare) UnmarshalBinary(b []byte) error {
	if err := checkLength(len(b), maxDecryptShareSize, -1, kindDecryptShare); err != nil {
		return err
	}
	p, err := parseHeader(b, kindDecryptShare, func(*Params) int { return aggLevel })
	if err != nil {
		return err
	}
	if len(b) < headerSize+3 {
		return fmt.Errorf("%w: truncated decryption share", ErrMalformed)
	}
	party, n, t := int(b[headerSize]), int(b[headerSize+1]), int(b[headerSize+2])
	off := headerSize + 3 + t + 32
	if err := checkLength(len(b), maxDecryptShareSize, off+p.packedSize(1, aggLevel), kindDecryptShare); err != nil {
		return err
	}
	if n < 2 || n > MaxParties || t < 2 || t > n {
		return fmt.Errorf("%w: decryption share of a %d-of-%d key", ErrMalformed, t, n)
	}
	out := DecryptionShare{p: p, party: party, n: n}
	for i := 0; i < t; i++ {
		x := int(b[headerSize+3+i])
		if x < 1 || x > n || (i > 0 && x <= out.active[i-1]) {
			return fmt.Errorf("%w: decryption share's active set is not increasing in 1..%d", ErrMalformed, n)
		}
		out.active = append(out.active, x)
	}
	copy(out.digest[:], b[off-32:off])
	out.share.Value = p.ringAgg.NewPoly()
	if err := p.unpackPolys(b[off:], []ring.Poly{out.share.Value}, aggLevel); err != nil {
		return err
	}
	*d = out
	return nil
}

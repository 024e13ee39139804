package he

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// The switch share's encoding, with the common header:
//
//	header (kind 6, aggregate level), party, n, t (1 byte each), the t
//	points of the active set, the 32-byte ciphertext digest, the 32-byte
//	target digest, then the share's two polynomials at the aggregate
//	level, packed (95,311 bytes for t = 3).
const maxSwitchShareSize = headerSize + 3 + MaxParties + 64 + 2*4096*(51+42)/8

// MarshalBinary encodes the switch share.
func (s *SwitchShare) MarshalBinary() ([]byte, error) {
	b := appendHeader(nil, s.p, kindSwitchShare, aggLevel)
	b = append(b, byte(s.party), byte(s.n), byte(len(s.active)))
	for _, x := range s.active {
		b = append(b, byte(x))
	}
	b = append(b, s.digest[:]...)
	b = append(b, s.target[:]...)
	return s.p.packPolys(b, []ring.Poly{s.share.Value[0], s.share.Value[1]}, aggLevel), nil
}

// UnmarshalBinary decodes a switch share, with the errors of
// Ciphertext.UnmarshalBinary.
func (s *SwitchShare) UnmarshalBinary(b []byte) error {
	if err := checkLength(len(b), maxSwitchShareSize, -1, kindSwitchShare); err != nil {
		return err
	}
	p, err := parseHeader(b, kindSwitchShare, func(*Params) int { return aggLevel })
	if err != nil {
		return err
	}
	if len(b) < headerSize+3 {
		return fmt.Errorf("%w: truncated switch share", ErrMalformed)
	}
	party, n, t := int(b[headerSize]), int(b[headerSize+1]), int(b[headerSize+2])
	if n < 2 || n > MaxParties || t < 2 || t > n || party < 1 || party > n {
		return fmt.Errorf("%w: switch share of party %d of a %d-of-%d key", ErrMalformed, party, t, n)
	}
	off := headerSize + 3 + t + 64
	if err := checkLength(len(b), maxSwitchShareSize, off+p.packedSize(2, aggLevel), kindSwitchShare); err != nil {
		return err
	}
	out := SwitchShare{p: p, party: party, n: n}
	for i := 0; i < t; i++ {
		x := int(b[headerSize+3+i])
		if x < 1 || x > n || (i > 0 && x <= out.active[i-1]) {
			return fmt.Errorf("%w: switch share's active set is not increasing in 1..%d", ErrMalformed, n)
		}
		out.active = append(out.active, x)
	}
	copy(out.digest[:], b[off-64:off-32])
	copy(out.target[:], b[off-32:off])
	out.share.Value = []ring.Poly{p.ringAgg.NewPoly(), p.ringAgg.NewPoly()}
	if err := p.unpackPolys(b[off:], out.share.Value, aggLevel); err != nil {
		return err
	}
	*s = out
	return nil
}

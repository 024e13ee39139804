package zkp

import (
	"encoding/hex"
	"errors"
	"fmt"

	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// ProofSize is the length of an encoded proof: A and C compressed in G1, B
// compressed in G2.
const ProofSize = 32 + 64 + 32

// ErrProofEncoding reports a proof whose bytes are not three valid points.
var ErrProofEncoding = errors.New("zkp: proof is not a valid encoding")

// Proof is a Groth16 proof of one of Sable's circuits.
type Proof struct {
	p groth16bn254.Proof
}

// Bytes returns the 128-byte encoding A ‖ B ‖ C.
func (p *Proof) Bytes() [ProofSize]byte {
	var out [ProofSize]byte
	a, b, c := p.p.Ar.Bytes(), p.p.Bs.Bytes(), p.p.Krs.Bytes()
	copy(out[:32], a[:])
	copy(out[32:96], b[:])
	copy(out[96:], c[:])
	return out
}

// String returns the hex of the encoding.
func (p *Proof) String() string { b := p.Bytes(); return hex.EncodeToString(b[:]) }

// DecodeProof parses a 128-byte proof. Every point is checked canonical, on
// its curve and in its prime-order subgroup (gnark-crypto's SetBytes).
func DecodeProof(b []byte) (*Proof, error) {
	if len(b) != ProofSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrProofEncoding, len(b), ProofSize)
	}
	p := new(Proof)
	if _, err := p.p.Ar.SetBytes(b[:32]); err != nil {
		return nil, fmt.Errorf("%w: A: %w", ErrProofEncoding, err)
	}
	if _, err := p.p.Bs.SetBytes(b[32:96]); err != nil {
		return nil, fmt.Errorf("%w: B: %w", ErrProofEncoding, err)
	}
	if _, err := p.p.Krs.SetBytes(b[96:]); err != nil {
		return nil, fmt.Errorf("%w: C: %w", ErrProofEncoding, err)
	}
	return p, nil
}

// ParseProof decodes the hex of a proof.
func ParseProof(s string) (*Proof, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not hex", ErrProofEncoding)
	}
	return DecodeProof(b)
}

// Groth16 exposes the underlying gnark proof, for exports and benchmarks.
func (p *Proof) Groth16() *groth16bn254.Proof { return &p.p }

package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	gcmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	gio "github.com/consensys/gnark/io"
)

// A state file holds one contribution's full state in gnark's encoding
// (mpcsetup.Phase1 or mpcsetup.Phase2 WriteTo), every point compressed.
// gnark's decoders allocate from lengths declared in the stream, so each
// file's size and declared lengths are checked against the circuit's shape
// before a decoder sees it, and a decoded state must encode back to the
// very bytes read: the SHA-256 of a file is then the hash gnark chains
// the next contribution to.

const (
	g1Size    = curve.SizeOfG1AffineCompressed // 32
	g2Size    = curve.SizeOfG2AffineCompressed // 64
	proofSize = g1Size + g2Size                // an mpcsetup.UpdateProof
	hashSize  = sha256.Size
)

// errState marks a state file that is not the state its place in the
// transcript calls for.
var errState = errors.New("malformed state") // always wrapped by Verify

// phase1Size is the size of a phase 1 state for n powers: three update
// proofs, n, [β]₂, [τ¹…τ²ⁿ⁻²]₁, [τ¹…τⁿ⁻¹]₂, [βτ⁰…]₁, [ατ⁰…]₁, the challenge.
func phase1Size(n uint64, challenge int) int {
	return 3*proofSize + 8 + g2Size + int(2*n-2)*g1Size + int(n-1)*g2Size + 2*int(n)*g1Size + 1 + challenge
}

// phase2Size is the size of a phase 2 state of a circuit without BSB22
// commitments: the commitment count, [δ]₁, K/δ, Z/δ, [δ]₂, the update
// proof, the challenge.
func phase2Size(s Shape, challenge int) int {
	return 2 + g1Size + 4 + s.Private*g1Size + 4 + int(s.Domain-1)*g1Size + g2Size + proofSize + 1 + challenge
}

// compressed says whether the point encoded at b[off] is in compressed
// form (or the compressed identity): its top two bits are not 00.
func compressed(b []byte, off int) bool { return b[off]&0b1100_0000 != 0 }

// decodePhase1 reads a contribution's phase 1 state for n powers.
func decodePhase1(data []byte, n uint64) (*mpcsetup.Phase1, error) {
	if len(data) != phase1Size(n, hashSize) {
		return nil, fmt.Errorf("%w: %d bytes, a phase 1 state for %d powers has %d", errState, len(data), n, phase1Size(n, hashSize))
	}
	for i := range 3 { // the proofs' points fix where n is
		if !compressed(data, i*proofSize) || !compressed(data, i*proofSize+g1Size) {
			return nil, fmt.Errorf("%w: update proof %d is not compressed", errState, i)
		}
	}
	if got := binary.BigEndian.Uint64(data[3*proofSize:]); got != n {
		return nil, fmt.Errorf("%w: %d powers, the transcript has %d", errState, got, n)
	}
	p := new(mpcsetup.Phase1)
	if err := readCanonical(data, p); err != nil {
		return nil, err
	}
	if len(p.Challenge) != hashSize {
		return nil, fmt.Errorf("%w: the challenge has %d bytes", errState, len(p.Challenge))
	}
	return p, nil
}

// decodeCommons reads the parameters of a phase 1 state (after its three
// proofs) that decodePhase1 has accepted.
func decodeCommons(data []byte) (*mpcsetup.SrsCommons, error) {
	c := new(mpcsetup.SrsCommons)
	if _, err := c.ReadFrom(bytes.NewReader(data[3*proofSize:])); err != nil {
		return nil, fmt.Errorf("%w: %w", errState, err)
	}
	return c, nil
}

// encodePhase1 writes a phase 1 state as gnark's Phase1.WriteTo does.
func encodePhase1(proofs []gcmpc.UpdateProof, c *mpcsetup.SrsCommons, challenge []byte) ([]byte, error) {
	var b bytes.Buffer
	for i := range proofs {
		if _, err := proofs[i].WriteTo(&b); err != nil {
			return nil, fmt.Errorf("ceremony: encode phase 1: %w", err)
		}
	}
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("ceremony: encode phase 1: %w", err)
	}
	if _, err := gio.WriteBytesShort(challenge, &b); err != nil {
		return nil, fmt.Errorf("ceremony: encode phase 1: %w", err)
	}
	return b.Bytes(), nil
}

// initialPhase1 is the state before any contribution (every secret 1),
// in gnark's encoding.
func initialPhase1(n uint64) ([]byte, error) {
	var b bytes.Buffer
	if _, err := mpcsetup.NewPhase1(n).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("ceremony: encode phase 1: %w", err)
	}
	return b.Bytes(), nil
}

// decodePhase2 reads a phase 2 state of circuit s; challenge is the
// length its challenge must have (0 for the state sealing phase 1 makes).
func decodePhase2(data []byte, s Shape, challenge int) (*mpcsetup.Phase2, error) {
	if len(data) != phase2Size(s, challenge) {
		return nil, fmt.Errorf("%w: %d bytes, a %s phase 2 state has %d", errState, len(data), s.Name, phase2Size(s, challenge))
	}
	if data[0] != 0 || data[1] != 0 {
		return nil, fmt.Errorf("%w: BSB22 commitments, Sable's circuits have none", errState)
	}
	off := 2
	if !compressed(data, off) {
		return nil, fmt.Errorf("%w: [δ]₁ is not compressed", errState)
	}
	off += g1Size
	for _, want := range []int{s.Private, int(s.Domain - 1)} { // K, then Z
		if got := binary.BigEndian.Uint32(data[off:]); got != uint32(want) {
			return nil, fmt.Errorf("%w: %d points where the %s circuit has %d", errState, got, s.Name, want)
		}
		off += 4
		for range want { // each compressed, so the next length is where we read it
			if !compressed(data, off) {
				return nil, fmt.Errorf("%w: a point at byte %d is not compressed", errState, off)
			}
			off += g1Size
		}
	}
	p := new(mpcsetup.Phase2)
	if err := readCanonical(data, p); err != nil {
		return nil, err
	}
	if len(p.Sigmas) != 0 || len(p.Parameters.G2.Sigma) != 0 || len(p.Parameters.G1.SigmaCKK) != 0 || len(p.Challenge) != challenge {
		return nil, fmt.Errorf("%w: not a %s phase 2 state", errState, s.Name)
	}
	return p, nil
}

// encodePhase2 writes a phase 2 state in gnark's encoding.
func encodePhase2(p *mpcsetup.Phase2) ([]byte, error) {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("ceremony: encode phase 2: %w", err)
	}
	return b.Bytes(), nil
}

// readCanonical decodes data into v (every point checked on its curve and
// in its subgroup by gnark-crypto's decoder) and checks that v encodes
// back to data, byte for byte.
func readCanonical(data []byte, v interface {
	io.ReaderFrom
	io.WriterTo
}) error {
	n, err := v.ReadFrom(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%w: %w", errState, err)
	}
	if n != int64(len(data)) {
		return fmt.Errorf("%w: %d trailing bytes", errState, int64(len(data))-n)
	}
	var b bytes.Buffer
	if _, err := v.WriteTo(&b); err != nil || !bytes.Equal(b.Bytes(), data) {
		return fmt.Errorf("%w: not in canonical encoding", errState)
	}
	return nil
}

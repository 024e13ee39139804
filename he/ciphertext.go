package he

import (
	"encoding/binary"
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// Ciphertext is a BGV ciphertext at the aggregate level holding up to
// Groups() slot groups: one flow, a batch of flows, or a sum of them.
//
// Its load counts the unit loads summed into it (a fresh encryption is
// one, whatever number of groups it fills); an FX-scaled ciphertext counts
// Σ rate·load instead. The load bounds every limb, which is what keeps
// decryption exact; it travels in the encoding.
//
// A Ciphertext must not be modified concurrently; concurrent reads
// (MarshalBinary, Decrypt, use as the second operand of Add) are safe.
type Ciphertext struct {
	p      *Params
	ct     *rlwe.Ciphertext
	load   uint64
	scaled bool
}

// newCiphertext returns an all-zero ciphertext with the canonical metadata
// of the aggregate level.
func newCiphertext(p *Params) *Ciphertext {
	ct := heint.NewCiphertext(p.hp, 1, aggLevel)
	setMeta(p, ct)
	return &Ciphertext{p: p, ct: ct}
}

// setMeta gives ct the metadata every aggregate-level ciphertext has.
func setMeta(p *Params, ct *rlwe.Ciphertext) {
	ct.MetaData = &rlwe.MetaData{
		PlaintextMetaData: rlwe.PlaintextMetaData{
			Scale:         p.newScale(p.scale),
			LogDimensions: p.hp.LogMaxDimensions(),
			IsBatched:     true,
		},
		CiphertextMetaData: rlwe.CiphertextMetaData{IsNTT: true},
	}
}

// Zero returns the trivial encryption of zero in every group, with load 0:
// the deterministic initial aggregate. Its encoding is the same on every
// machine.
func Zero(p *Params) *Ciphertext { return newCiphertext(p) }

// Params returns the ciphertext's parameters.
func (c *Ciphertext) Params() *Params { return c.p }

// Load returns the unit loads summed into c (Σ rate·load once FX-scaled).
// A fresh flow encryption has load 1; the ledger should accept no other
// load on a transaction's ciphertext.
func (c *Ciphertext) Load() uint64 { return c.load }

// Copy returns a deep copy.
func (c *Ciphertext) Copy() *Ciphertext {
	if c.ct == nil {
		return &Ciphertext{}
	}
	d := newCiphertext(c.p)
	d.ct.Value[0].Copy(c.ct.Value[0])
	d.ct.Value[1].Copy(c.ct.Value[1])
	d.load, d.scaled = c.load, c.scaled
	return d
}

// MarshalBinary returns the canonical encoding of c: equal ciphertexts
// encode to equal bytes. FX-scaled ciphertexts are for local decryption
// and have no encoding.
func (c *Ciphertext) MarshalBinary() ([]byte, error) {
	return c.AppendBinary(make([]byte, 0, c.p.CiphertextSize()))
}

// AppendBinary appends the encoding of c to b.
func (c *Ciphertext) AppendBinary(b []byte) ([]byte, error) {
	if c.ct == nil {
		return nil, fmt.Errorf("%w: marshal: empty ciphertext", ErrParams)
	}
	if c.scaled {
		return nil, fmt.Errorf("he: marshal: %w", ErrScaled)
	}
	b = appendHeader(b, c.p, kindCiphertext, aggLevel)
	b = putUint64(b, c.load)
	return c.p.packPolys(b, c.ct.Value, aggLevel), nil
}

// UnmarshalBinary decodes a ciphertext, taking its parameters from the
// header. It rejects oversize input (ErrOversize), bytes that are not a
// canonical encoding (ErrMalformed) and encodings for other parameters
// (ErrParams). If c already holds a ciphertext of the same parameters its
// memory is reused. On error c is reset to the zero value, which no
// operation accepts.
func (c *Ciphertext) UnmarshalBinary(b []byte) error {
	p, load, err := parseCiphertext(b)
	if err != nil {
		*c = Ciphertext{}
		return err
	}
	if c.p != p || c.ct == nil {
		*c = *newCiphertext(p)
	}
	if err := p.unpackPolys(b[ctHeaderSize:], c.ct.Value, aggLevel); err != nil {
		*c = Ciphertext{}
		return err
	}
	c.load, c.scaled = load, false
	return nil
}

// parseCiphertext checks everything but the packed residues.
func parseCiphertext(b []byte) (*Params, uint64, error) {
	if err := checkLength(len(b), MaxCiphertextSize, -1, kindCiphertext); err != nil {
		return nil, 0, err
	}
	p, err := parseHeader(b, kindCiphertext, func(*Params) int { return aggLevel })
	if err != nil {
		return nil, 0, err
	}
	if err := checkLength(len(b), MaxCiphertextSize, p.CiphertextSize(), kindCiphertext); err != nil {
		return nil, 0, err
	}
	if len(b) < ctHeaderSize {
		return nil, 0, fmt.Errorf("%w: truncated header", ErrMalformed)
	}
	load := binary.BigEndian.Uint64(b[headerSize:ctHeaderSize])
	if load > p.maxLoad {
		return nil, 0, fmt.Errorf("%w: load %d above the maximum %d", ErrMalformed, load, p.maxLoad)
	}
	return p, load, nil
}

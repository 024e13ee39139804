package he

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"slices"
)

// Masked threshold decryption (the package documentation, Threshold
// regulators). A book whose decryption would reveal a sparse slot group
// (fewer payments than the regulators' k) is decrypted with a mask added:
// each party of the active set encrypts, under the collective public key,
// values uniform modulo t in every slot of the sparse groups and zero
// elsewhere, and the parties decrypt book + Σ masks. The sparse groups
// then decrypt to uniform values as long as one mask is honest; every
// other group decrypts exactly.

// Mask is one party's mask ciphertext for a set of slot groups. It is not
// a flow: its slots wrap modulo t by design, so it has no load and never
// enters Evaluator.Add; AddMasks adds it at the ring level.
type Mask struct {
	groups []int
	ct     *Ciphertext
}

// Groups returns the slot groups the mask covers, ascending.
func (m *Mask) Groups() []int { return slices.Clone(m.groups) }

// checkGroups validates a set of groups: distinct, ascending, in range.
func checkGroups(groups []int, n int) error {
	for i, g := range groups {
		if g < 0 || g >= n || (i > 0 && g <= groups[i-1]) {
			return fmt.Errorf("%w: mask groups must be distinct and ascending in [0, %d)", ErrRange, n)
		}
	}
	return nil
}

// EncryptMask encrypts a fresh mask: every slot of each of groups uniform
// modulo t (crypto/rand), every other slot zero. groups must be ascending
// and non-empty.
func (e *Encryptor) EncryptMask(groups []int) (*Mask, error) {
	if len(groups) == 0 {
		return nil, fmt.Errorf("%w: a mask of no groups", ErrRange)
	}
	if err := checkGroups(groups, e.p.groups); err != nil {
		return nil, err
	}
	t := new(big.Int).SetUint64(e.p.hp.PlaintextModulus())
	w := e.pool.Get().(*encWorker)
	defer e.pool.Put(w)
	clear(w.slots)
	for _, g := range groups {
		for i := g * groupSlots; i < (g+1)*groupSlots; i++ {
			v, err := rand.Int(rand.Reader, t)
			if err != nil {
				return nil, fmt.Errorf("he: mask: %w", err)
			}
			w.slots[i] = v.Uint64()
		}
	}
	ct, err := e.encryptSlots(w, 0)
	if err != nil {
		return nil, err
	}
	return &Mask{groups: slices.Clone(groups), ct: ct}, nil
}

// AddMasks returns ct + Σ masks, added at the ring level: the masks'
// slots are uniform modulo t, which the load and limb accounting of
// Evaluator.Add cannot describe, so the result keeps ct's load and
// scaling and is only for a masked threshold decryption (CombineMasked
// with the masks' groups). Every mask must cover the same groups; they
// are returned.
func AddMasks(ct *Ciphertext, masks []*Mask) (*Ciphertext, []int, error) {
	if ct == nil || ct.ct == nil {
		return nil, nil, fmt.Errorf("%w: add masks: empty ciphertext", ErrParams)
	}
	if len(masks) == 0 {
		return nil, nil, fmt.Errorf("%w: add masks: no masks", ErrThreshold)
	}
	out := ct.Copy()
	r := ct.p.ringAgg
	for _, m := range masks {
		switch {
		case m == nil || m.ct == nil || !m.ct.p.sameAs(ct.p):
			return nil, nil, fmt.Errorf("%w: a mask for other parameters", ErrParams)
		case !slices.Equal(m.groups, masks[0].groups):
			return nil, nil, fmt.Errorf("%w: masks cover different groups", ErrThreshold)
		}
		r.Add(out.ct.Value[0], m.ct.ct.Value[0], out.ct.Value[0])
		r.Add(out.ct.Value[1], m.ct.ct.Value[1], out.ct.Value[1])
	}
	return out, slices.Clone(masks[0].groups), nil
}

// NegatedMask returns −Σ masks plus a fresh encryption of zero, over the
// masks' groups: the "mask" a dishonest party would submit after seeing
// the others' to cancel them, so that book + Σ masks decrypts the masked
// groups exactly. The commit-then-reveal rounds of a masked decryption
// (ledger/audit) make it useless; tests use it to play that party.
func (e *Encryptor) NegatedMask(masks ...*Mask) (*Mask, error) {
	if len(masks) == 0 {
		return nil, fmt.Errorf("%w: negate no masks", ErrThreshold)
	}
	w := e.pool.Get().(*encWorker)
	clear(w.slots)
	ct, err := e.encryptSlots(w, 0)
	e.pool.Put(w)
	if err != nil {
		return nil, err
	}
	r := ct.p.ringAgg
	for _, m := range masks {
		switch {
		case m == nil || m.ct == nil || !m.ct.p.sameAs(ct.p):
			return nil, fmt.Errorf("%w: a mask for other parameters", ErrParams)
		case !slices.Equal(m.groups, masks[0].groups):
			return nil, fmt.Errorf("%w: masks cover different groups", ErrThreshold)
		}
		r.Sub(ct.ct.Value[0], m.ct.ct.Value[0], ct.ct.Value[0])
		r.Sub(ct.ct.Value[1], m.ct.ct.Value[1], ct.ct.Value[1])
	}
	return &Mask{groups: slices.Clone(masks[0].groups), ct: ct}, nil
}

// MarshalBinary encodes the mask: the number of groups (2 bytes), each
// group (2 bytes), then the ciphertext's encoding (load 0).
func (m *Mask) MarshalBinary() ([]byte, error) {
	if m == nil || m.ct == nil {
		return nil, fmt.Errorf("%w: marshal: empty mask", ErrParams)
	}
	b := binary.BigEndian.AppendUint16(nil, uint16(len(m.groups)))
	for _, g := range m.groups {
		b = binary.BigEndian.AppendUint16(b, uint16(g))
	}
	return m.ct.AppendBinary(b)
}

// UnmarshalBinary decodes a mask, refusing any other load than 0 and
// groups that are not distinct, ascending and in range.
func (m *Mask) UnmarshalBinary(b []byte) error {
	*m = Mask{}
	if len(b) < 2 {
		return fmt.Errorf("%w: truncated mask", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || len(b) < 2+2*n {
		return fmt.Errorf("%w: mask of %d groups in %d bytes", ErrMalformed, n, len(b))
	}
	groups := make([]int, n)
	for i := range groups {
		groups[i] = int(binary.BigEndian.Uint16(b[2+2*i:]))
	}
	ct := new(Ciphertext)
	if err := ct.UnmarshalBinary(b[2+2*n:]); err != nil {
		return err
	}
	if ct.load != 0 {
		return fmt.Errorf("%w: mask of load %d", ErrMalformed, ct.load)
	}
	if err := checkGroups(groups, ct.p.groups); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*m = Mask{groups: groups, ct: ct}
	return nil
}

// CombineMasked is Combine for book + Σ masks (AddMasks): it decodes every
// group but the masked ones, whose sums are left nil (their limbs are
// uniform and would fail the decoding), and measures the noise as Combine
// does (a mask's uniform slots are plaintext, not noise).
func CombineMasked(ct *Ciphertext, shares []*DecryptionShare, masked []int) ([]GroupSum, uint64, error) {
	return combine(ct, shares, masked)
}

// decryptSkipping is Decrypt with the slots of the skip groups zeroed
// before they are read, and their sums left nil: a masked group's limbs
// are uniform modulo t and must fail neither the decoding nor the check
// of the other groups.
func (d *Decryptor) decryptSkipping(ct *Ciphertext, skip []int) ([]GroupSum, error) {
	if err := checkGroups(skip, d.p.groups); err != nil {
		return nil, err
	}
	w := d.pool.Get().(*decWorker)
	defer d.pool.Put(w)
	w.dec.Decrypt(ct.ct, w.pt)
	if err := w.ecd.Decode(w.pt, w.slots); err != nil {
		return nil, fmt.Errorf("he: decode: %w", err)
	}
	for _, g := range skip {
		clear(w.slots[g*groupSlots : (g+1)*groupSlots])
	}
	sums, err := readGroups(w.slots, d.p.groups, ct.load, ct.scaled)
	if err != nil {
		return nil, err
	}
	for _, g := range skip {
		sums[g] = GroupSum{}
	}
	return sums, nil
}

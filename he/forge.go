package he

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// Forger makes what a dishonest sender could put on a ledger in place of
// an honest flow: arbitrary slots, flooded noise, a noiseless ciphertext.
// It holds only the public key, as any sender does, and does nothing that
// a sender could not do with Lattigo directly; it exists so that the
// ledger's checks and the audit can be tested against those attacks.
// Nothing on the path of an honest payment uses it.
type Forger struct {
	enc *Encryptor
}

// NewForger returns a forger for pk.
func NewForger(pk *PublicKey) *Forger { return &Forger{enc: NewEncryptor(pk)} }

// Slots returns the slot vector Encrypt would encrypt for flows (values
// mod t, N of them), for a caller to alter before EncryptSlots.
func (f *Forger) Slots(flows map[int]Flow) ([]uint64, error) {
	p := f.enc.p
	slots := make([]uint64, p.hp.MaxSlots())
	for g, fl := range flows {
		if err := checkFlow(g, fl, p.groups); err != nil {
			return nil, err
		}
		putFlow(slots, g, fl)
	}
	return slots, nil
}

// Layout returns the slot layout: a group is size slots, its amount limbs
// first and its blinding limbs from index blinding on; groups·size slots
// hold groups and the rest are unused.
func (f *Forger) Layout() (size, blinding, groups int) {
	return groupSlots, amountLimbs, f.enc.p.groups
}

// LimbBits returns the width of a flow's amount limbs and of its blinding
// limbs: a flow's limbs are below 2^width, and a group's value is
// Σ limb_i·2^(width·i) for each part.
func (f *Forger) LimbBits() (amount, blinding int) {
	return amountLimbBits, blindingLimbBits
}

// EncryptSlots encrypts any slot vector (values below t) as a fresh
// ciphertext of load 1, with an honest encryption's noise.
func (f *Forger) EncryptSlots(slots []uint64) (*Ciphertext, error) {
	p := f.enc.p
	if len(slots) != p.hp.MaxSlots() {
		return nil, fmt.Errorf("%w: %d slots, want %d", ErrRange, len(slots), p.hp.MaxSlots())
	}
	w := f.enc.pool.Get().(*encWorker)
	defer f.enc.pool.Put(w)
	for i, v := range slots {
		if v >= p.hp.PlaintextModulus() {
			return nil, fmt.Errorf("%w: slot %d not below t", ErrRange, i)
		}
		w.slots[i] = v
	}
	return f.enc.encryptSlots(w, 1)
}

// AddNoise returns a copy of ct with x added to every coefficient of its
// first polynomial: its noise grows by x on every coefficient (noise
// flooding), its load and encoding stay valid.
func (f *Forger) AddNoise(ct *Ciphertext, x int64) *Ciphertext {
	out := ct.Copy()
	addConstant(out.p.ringAgg, out.ct.Value[0], x)
	return out
}

// Trivial returns the noiseless encryption of slots, load 1: c1 = 0 and
// c0 the encoded plaintext. It decrypts exactly, with noise 0, and anyone
// can read it.
func (f *Forger) Trivial(slots []uint64) (*Ciphertext, error) {
	p := f.enc.p
	pt := heint.NewPlaintext(p.hp, aggLevel)
	pt.Scale = p.newScale(p.scale)
	if err := heint.NewEncoder(p.hp).Encode(slots, pt); err != nil {
		return nil, fmt.Errorf("he: encode: %w", err)
	}
	out := newCiphertext(p)
	out.ct.Value[0].Copy(pt.Value)
	out.load = 1
	return out, nil
}

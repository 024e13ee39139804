package he

import (
	"crypto/sha256"
	"fmt"
	"math"
	"slices"

	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// Key epochs: moving ciphertexts from one collective key to the next by
// public-key switching, without decrypting them (the package
// documentation, Key epochs).

// Target is the public key ciphertexts are switched to, with the number of
// parties its secret is shared among (1 for a single key): that number
// sets the noise of the key's fresh encryptions, hence the unit in which a
// switched ciphertext's load counts. It is immutable.
type Target struct {
	pk      *PublicKey
	parties int
	digest  [32]byte
}

// NewTarget returns the target of a switch to pk, a key of parties
// parties (ThresholdKeys' n, or 1).
func NewTarget(pk *PublicKey, parties int) (*Target, error) {
	if pk == nil || pk.pk == nil {
		return nil, fmt.Errorf("%w: switch target: no public key", ErrParams)
	}
	if parties < 1 || parties > MaxParties {
		return nil, fmt.Errorf("%w: switch target of %d parties: want 1 to %d", ErrRange, parties, MaxParties)
	}
	b, err := pk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write([]byte("sable/he switch target v1"))
	h.Write([]byte{byte(parties)})
	h.Write(b)
	t := &Target{pk: pk, parties: parties}
	copy(t.digest[:], h.Sum(nil))
	return t, nil
}

// PublicKey returns the target's key.
func (t *Target) PublicKey() *PublicKey { return t.pk }

// Parties returns the number of parties the target's secret is shared among.
func (t *Target) Parties() int { return t.parties }

// Digest binds the target: its key and its number of parties.
func (t *Target) Digest() [32]byte { return t.digest }

// switchFreshBound is the worst noise of the encryption of zero one
// party's switch share carries under a key of n parties: u·e_pk + e0 +
// e1·s' with u ternary, the collective key's error at most n·E and its
// secret's coefficients at most n, at the aggregate level (no modulus
// switch divides it): E·(2nN + 1).
func (p *Params) switchFreshBound(n int) uint64 {
	e := uint64(math.Floor(p.hp.NoiseBound()))
	return e * (2*uint64(n)*uint64(p.hp.N()) + 1)
}

// switchPartyBound is the truncation bound of one party's flooding in a
// switch by t shares to a key of toParties parties: the t shares together,
// flooding and fresh noise, stay within half the capacity counted in the
// target's unit, (MaxLoad/2)·(ThresholdNoiseBound(toParties) + 1).
func switchPartyBound(p *Params, t, toParties int) uint64 {
	budget := (p.maxLoad / 2) * (p.ThresholdNoiseBound(toParties) + 1) / uint64(t)
	return budget - p.switchFreshBound(toParties) - 1
}

// SwitchNoiseBound is the largest noise a switch by t shares to a key of
// toParties parties adds to a ciphertext: t·(flooding bound + E·(2nN + 1)).
func (p *Params) SwitchNoiseBound(t, toParties int) uint64 {
	return uint64(t) * (switchPartyBound(p, t, toParties) + p.switchFreshBound(toParties))
}

// SwitchLoad is the load a switch adds, in the target's unit: the switch's
// noise bound over ThresholdNoiseBound(toParties) + 1, rounded up; at most
// MaxLoad/2, so a switched ciphertext keeps at least half its capacity
// free and a ciphertext is switched at most once between two epoch
// closes (Switch refuses the second with ErrCapacity).
func (p *Params) SwitchLoad(t, toParties int) uint64 {
	unit := p.ThresholdNoiseBound(toParties) + 1
	return (p.SwitchNoiseBound(t, toParties) + unit - 1) / unit
}

// switchSigma is the σ of one party's flooding: its truncation bound is
// 6σ, as Lattigo truncates.
func switchSigma(p *Params, t, toParties int) float64 {
	return float64(switchPartyBound(p, t, toParties)) / 6
}

// SwitchSigma returns the standard deviation of the total flooding a
// switch by t shares adds: √t times each party's.
func (p *Params) SwitchSigma(t, toParties int) float64 {
	return math.Sqrt(float64(t)) * switchSigma(p, t, toParties)
}

// SwitchSecurity is the statistical security, in bits, with which a
// switch's flooding hides a ciphertext noise of at most e from whoever
// holds the target key: log2(2σ) − log2(N)/2 − log2 e, as FloodSecurity.
func (p *Params) SwitchSecurity(t, toParties int, e uint64) float64 {
	return p.floodBits(p.SwitchSigma(t, toParties), e)
}

// SwitchShare is one old-key party's share of the switch of one
// ciphertext to one target: (λ_i·s_i·c1 + u_i·pk0' + e0_i + f_i,
// u_i·pk1' + e1_i), an encryption of zero under the target key plus the
// party's Lagrange-weighted secret times c1 and its flooding f_i. It names
// the active set, the ciphertext's digest and the target's, so a share for
// another ciphertext, target or set is refused.
type SwitchShare struct {
	p      *Params
	party  int
	n      int
	active []int
	digest [32]byte // the ciphertext's
	target [32]byte // the target's
	share  mhe.PublicKeySwitchShare
}

// Party returns the Shamir point of the party that made the share.
func (s *SwitchShare) Party() int { return s.party }

// Active returns the active set the share was made for.
func (s *SwitchShare) Active() []int { return slices.Clone(s.active) }

// Target returns the digest of the target the share switches to.
func (s *SwitchShare) Target() [32]byte { return s.target }

// ShareSwitch makes this party's share of the switch of ct to the target,
// for the active set (t parties of the old key, its own among them). The
// caller decides whether ct may be switched at all.
func (ks *KeyShare) ShareSwitch(ct *Ciphertext, active []int, to *Target) (*SwitchShare, error) {
	a, err := ks.checkActive(active)
	if err != nil {
		return nil, err
	}
	dg, err := ct.Digest()
	if err != nil {
		return nil, err
	}
	switch {
	case !ct.p.sameAs(ks.p):
		return nil, fmt.Errorf("%w: share switch: ciphertext for %v, key share for %v", ErrParams, ct.p, ks.p)
	case ct.scaled:
		return nil, fmt.Errorf("%w: share switch: an FX-scaled ciphertext is not switched", ErrScaled)
	case to == nil || !to.pk.p.sameAs(ks.p):
		return nil, fmt.Errorf("%w: share switch: no target for %v", ErrParams, ks.p)
	}
	add, err := ks.additive(a)
	if err != nil {
		return nil, err
	}
	b := switchPartyBound(ks.p, ks.t, to.parties)
	pcks, err := mhe.NewPublicKeySwitchProtocol(ks.p.hp, ring.DiscreteGaussian{Sigma: switchSigma(ks.p, ks.t, to.parties), Bound: float64(b - 1)})
	if err != nil {
		return nil, fmt.Errorf("he: share switch: %w", err)
	}
	out := &SwitchShare{p: ks.p, party: ks.index, n: ks.n, active: a, digest: dg, target: to.digest, share: pcks.AllocateShare(aggLevel)}
	pcks.GenShare(add, to.pk.pk, ct.ct, &out.share)
	return out, nil
}

// Switch returns ct under the target key, from the switch shares of
// exactly the active set they all name. The result decrypts under the
// target's secret to ct's plaintext; its noise is ct's plus at most
// SwitchNoiseBound, and its load is ct's counted in the target's unit
// (ThresholdNoiseBound(n) + 1 for the old key's n parties, converted, and
// never below ct's load, which bounds the limbs) plus SwitchLoad. A result
// past MaxLoad is refused with ErrCapacity: close the epoch of ct first.
// Shares of another ciphertext, target, set or size are refused with
// ErrThreshold.
func Switch(ct *Ciphertext, to *Target, shares []*SwitchShare) (*Ciphertext, error) {
	if ct == nil || ct.ct == nil || to == nil {
		return nil, fmt.Errorf("%w: switch: empty ciphertext or target", ErrParams)
	}
	if ct.scaled {
		return nil, fmt.Errorf("%w: switch: an FX-scaled ciphertext is not switched", ErrScaled)
	}
	if err := checkSwitchShares(ct, to, shares); err != nil {
		return nil, err
	}
	load, err := switchedLoad(ct.p, ct.load, shares[0].n, len(shares), to.parties)
	if err != nil {
		return nil, err
	}
	r := ct.p.ringAgg
	out := ct.Copy()
	c1 := out.ct.Value[1]
	r.Add(out.ct.Value[0], shares[0].share.Value[0], out.ct.Value[0])
	c1.CopyLvl(aggLevel, shares[0].share.Value[1])
	for _, s := range shares[1:] {
		r.Add(out.ct.Value[0], s.share.Value[0], out.ct.Value[0])
		r.Add(c1, s.share.Value[1], c1)
	}
	out.load = load
	return out, nil
}

// switchedLoad converts a load under a key of n parties into the unit of
// a key of toParties parties, rounding up and never below the load itself,
// and adds the switch's own load.
func switchedLoad(p *Params, load uint64, n, t, toParties int) (uint64, error) {
	from, to := p.ThresholdNoiseBound(n)+1, p.ThresholdNoiseBound(toParties)+1
	if load > p.maxLoad {
		return 0, fmt.Errorf("%w: switch: load %d past the capacity %d", ErrCapacity, load, p.maxLoad)
	}
	conv := max(load, (load*from+to-1)/to) // load ≤ 2^26, units < 2^18: no overflow
	out := conv + p.SwitchLoad(t, toParties)
	if out > p.maxLoad {
		return 0, fmt.Errorf("%w: switch: a ciphertext of load %d would reach %d, past the capacity %d; close its epoch first", ErrCapacity, load, out, p.maxLoad)
	}
	return out, nil
}

// checkSwitchShares: one share from each party of the active set they
// agree on, all of one old key, for ct and the target.
func checkSwitchShares(ct *Ciphertext, to *Target, shares []*SwitchShare) error {
	if len(shares) == 0 {
		return fmt.Errorf("%w: no switch shares", ErrThreshold)
	}
	dg, err := ct.Digest()
	if err != nil {
		return err
	}
	set, n := shares[0].active, shares[0].n
	if len(shares) != len(set) {
		return fmt.Errorf("%w: %d switch shares for an active set of %d", ErrThreshold, len(shares), len(set))
	}
	seen := map[int]bool{}
	for _, s := range shares {
		switch {
		case s == nil || !s.p.sameAs(ct.p):
			return fmt.Errorf("%w: a switch share for other parameters", ErrThreshold)
		case s.n != n || !slices.Equal(s.active, set):
			return fmt.Errorf("%w: switch shares name different keys or active sets", ErrThreshold)
		case s.digest != dg:
			return fmt.Errorf("%w: party %d's switch share is for another ciphertext", ErrThreshold, s.party)
		case s.target != to.digest:
			return fmt.Errorf("%w: party %d's switch share is for another target key", ErrThreshold, s.party)
		case seen[s.party] || !slices.Contains(set, s.party):
			return fmt.Errorf("%w: party %d's switch share is repeated or outside the active set", ErrThreshold, s.party)
		}
		seen[s.party] = true
	}
	return nil
}

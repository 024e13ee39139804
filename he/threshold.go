package he

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
	"github.com/tuneinsight/lattigo/v5/ring"
	"github.com/tuneinsight/lattigo/v5/utils/sampling"
)

// Threshold decryption: the regulator's secret key shared t-of-n among
// regulator parties (the package documentation, Threshold regulators).

// ErrThreshold: too few decryption shares, shares that do not belong
// together, or a share for another ciphertext.
var ErrThreshold = errors.New("he: threshold decryption refused")

// MaxParties bounds n: the collective secret's coefficients reach n in
// magnitude, and the capacity argument holds for n ≤ 16 with room left
// for the flooding.
const MaxParties = 16

// KeyShare is one regulator party's Shamir share of the collective
// secret. It is secret: callers store it with mode 0600 and never log it.
// It is immutable and safe for concurrent use.
type KeyShare struct {
	p      *Params
	index  int // Shamir point, 1..n
	n, t   int
	shamir mhe.ShamirSecretShare
}

// Index returns the party's Shamir point, 1..n.
func (ks *KeyShare) Index() int { return ks.index }

// Parties returns n, the number of share holders.
func (ks *KeyShare) Parties() int { return ks.n }

// Threshold returns t, the number of shares a decryption takes.
func (ks *KeyShare) Threshold() int { return ks.t }

// Params returns the share's parameters.
func (ks *KeyShare) Params() *Params { return ks.p }

// ThresholdKeys runs the t-of-n key generation of n parties in one
// process, as a testnet writer does: each party samples its own ternary
// secret s_i, contributes to the collective public key (mhe's public-key
// generation over a common random polynomial) and deals Shamir shares of
// s_i of degree t − 1 to every party (mhe's Thresholdizer); each party sums
// what it received. The collective secret s = Σ s_i exists nowhere: every
// s_i is dropped once dealt. In a deployment each party runs its own step
// on its own machine and sends the j-th share to party j only.
func ThresholdKeys(p *Params, n, t int) ([]*KeyShare, *PublicKey, error) {
	if n < 2 || n > MaxParties || t < 2 || t > n {
		return nil, nil, fmt.Errorf("%w: threshold %d of %d parties: want 2 ≤ t ≤ n ≤ %d", ErrRange, t, n, MaxParties)
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, nil, fmt.Errorf("he: threshold keys: %w", err)
	}
	crs, err := sampling.NewKeyedPRNG(seed)
	if err != nil {
		return nil, nil, fmt.Errorf("he: threshold keys: %w", err)
	}
	hp := p.hp
	ckg := mhe.NewPublicKeyGenProtocol(hp)
	crp := ckg.SampleCRP(crs)
	thr := mhe.NewThresholdizer(hp)
	kg := rlwe.NewKeyGenerator(hp)
	pkShare, part := ckg.AllocateShare(), ckg.AllocateShare()
	shares := make([]*KeyShare, n)
	for j := range shares {
		shares[j] = &KeyShare{p: p, index: j + 1, n: n, t: t, shamir: thr.AllocateThresholdSecretShare()}
	}
	dealt := thr.AllocateThresholdSecretShare()
	for i := 0; i < n; i++ {
		si := kg.GenSecretKeyNew() // party i's own secret, dropped at the end of this step
		ckg.GenShare(si, crp, &part)
		if i == 0 {
			pkShare = part
			part = ckg.AllocateShare()
		} else {
			ckg.AggregateShares(pkShare, part, &pkShare)
		}
		poly, err := thr.GenShamirPolynomial(t, si)
		if err != nil {
			return nil, nil, fmt.Errorf("he: threshold keys: %w", err)
		}
		for _, ks := range shares {
			thr.GenShamirSecretShare(mhe.ShamirPublicPoint(ks.index), poly, &dealt)
			if err := thr.AggregateShares(ks.shamir, dealt, &ks.shamir); err != nil {
				return nil, nil, fmt.Errorf("he: threshold keys: %w", err)
			}
		}
	}
	pk := rlwe.NewPublicKey(hp)
	ckg.GenPublicKey(pkShare, crp, pk)
	return shares, &PublicKey{p: p, pk: pk}, nil
}

// ThresholdNoiseBound is NoiseBound for a collective key of n parties:
// the secret s = Σ s_i has coefficients up to n and the public key's error
// up to n·E, so the rounding of c1·s and the fresh noise grow n-fold:
// ⌊(q_d + 1 + (q_d − 1)(nN + 1) + 2E(2nN + 1)) / (2q_d)⌋, 8208 (≈ 2^13.0)
// for n = 4. With n = 1 it is NoiseBound.
func (p *Params) ThresholdNoiseBound(n int) uint64 {
	hp := p.hp
	nN := new(big.Int).SetInt64(int64(n * hp.N()))
	qd := new(big.Int).SetUint64(hp.Q()[aggLevel+1])
	e := new(big.Int).SetInt64(int64(math.Floor(hp.NoiseBound())))
	one := big.NewInt(1)
	num := new(big.Int).Add(qd, one)
	num.Add(num, new(big.Int).Mul(new(big.Int).Sub(qd, one), new(big.Int).Add(nN, one)))
	num.Add(num, new(big.Int).Mul(new(big.Int).Lsh(e, 1), new(big.Int).Add(new(big.Int).Lsh(nN, 1), one)))
	return new(big.Int).Quo(num, new(big.Int).Lsh(qd, 1)).Uint64()
}

// FloodBound is the largest flooding noise a decryption by t shares
// adds, in total: t times each share's truncation bound. Every party sizes
// its flooding so that an aggregate at full capacity of honest flows, with
// the t fresh masks of a masked decryption added, still decrypts exactly:
// (MaxLoad + t)·(ThresholdNoiseBound(n) + 1) + FloodBound ≤ MaxNoise. Each party's bound is also kept below q1/2, so that Lattigo's
// sampler reduces it correctly.
func (p *Params) FloodBound(n, t int) uint64 {
	b := floodPartyBound(p, n, t)
	return uint64(t) * b
}

// floodPartyBound is the truncation bound of one party's flooding.
func floodPartyBound(p *Params, n, t int) uint64 {
	// the worst honest aggregate plus t fresh masks (mask.go)
	worst := (p.maxLoad + uint64(t)) * (p.ThresholdNoiseBound(n) + 1)
	room := (p.maxNoise - worst) / uint64(t)
	return min(room, p.hp.Q()[aggLevel]/2) - 1 // −1: the sampler rounds
}

// floodSigma is the σ Lattigo's key switch is given: it samples from a
// Gaussian of σ' = √(σ² + σ_fresh²) truncated at 6σ', which must stay
// within floodPartyBound.
func floodSigma(p *Params, n, t int) float64 {
	eff := float64(floodPartyBound(p, n, t)) / 6
	fresh := p.hp.NoiseFreshSK()
	return math.Sqrt(eff*eff-fresh*fresh) * (1 - 1e-9)
}

// FloodSigma returns the standard deviation of the total flooding of a
// decryption by t shares: √t·σ' of each.
func (p *Params) FloodSigma(n, t int) float64 {
	s, fresh := floodSigma(p, n, t), p.hp.NoiseFreshSK()
	return math.Sqrt(float64(t) * (s*s + fresh*fresh))
}

// FloodSecurity is the statistical security, in bits, that the flooding
// of t shares gives an aggregate of noise at most e: the distance between
// the decrypted noise and the flooding alone is at most √N·e/(2σ) (a
// Gaussian of σ shifted by at most e in each of N coefficients: Pinsker's
// inequality on their Kullback–Leibler divergence N·e²/(2σ²)).
func (p *Params) FloodSecurity(n, t int, e uint64) float64 {
	return p.floodBits(p.FloodSigma(n, t), e)
}

// floodBits is log2(2σ) − log2(N)/2 − log2 e: the statistical bits with
// which a flooding of σ hides a noise of at most e (e = 0 counts as 1).
func (p *Params) floodBits(sigma float64, e uint64) float64 {
	if e == 0 {
		e = 1
	}
	return math.Log2(2*sigma) - 0.5*float64(p.LogN()) - math.Log2(float64(e))
}

// DecryptionShare is one party's share of the decryption of one
// ciphertext: λ_i·s_i·c1 + e_i, where λ_i is its Lagrange coefficient in
// the active set and e_i its flooding. It names the active set and a digest
// of the ciphertext, so that shares of different sets or ciphertexts are
// refused. It reveals nothing of the key share by itself but what RLWE
// allows, and t of them reveal the plaintext and the flooded noise.
type DecryptionShare struct {
	p      *Params
	party  int
	n      int
	active []int
	digest [32]byte
	share  mhe.KeySwitchShare
}

// Party returns the Shamir point of the party that made the share.
func (d *DecryptionShare) Party() int { return d.party }

// Active returns the active set the share was made for.
func (d *DecryptionShare) Active() []int { return slices.Clone(d.active) }

// Digest binds a ciphertext: its parameters, load, scaling and residues.
func (c *Ciphertext) Digest() ([32]byte, error) {
	if c == nil || c.ct == nil {
		return [32]byte{}, fmt.Errorf("%w: digest: empty ciphertext", ErrParams)
	}
	h := sha256.New()
	h.Write([]byte("sable/he ciphertext digest v1"))
	b := appendHeader(nil, c.p, kindCiphertext, aggLevel)
	b = putUint64(b, c.load)
	if c.scaled {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	h.Write(c.p.packPolys(b, c.ct.Value, aggLevel))
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d, nil
}

// checkActive validates an active set: t distinct points in 1..n,
// including the party's own.
func (ks *KeyShare) checkActive(active []int) ([]int, error) {
	a := slices.Clone(active)
	slices.Sort(a)
	a = slices.Compact(a)
	if len(a) != len(active) || len(a) != ks.t || a[0] < 1 || a[len(a)-1] > ks.n || !slices.Contains(a, ks.index) {
		return nil, fmt.Errorf("%w: the active set must be %d distinct parties of 1..%d including this one (%d)", ErrThreshold, ks.t, ks.n, ks.index)
	}
	return a, nil
}

// additive returns λ_i·s_i, the party's Lagrange-weighted share for the
// active set a (checked): the t shares of a add up to the collective
// secret.
func (ks *KeyShare) additive(a []int) (*rlwe.SecretKey, error) {
	hp := ks.p.hp
	points := make([]mhe.ShamirPublicPoint, len(a))
	for i, x := range a {
		points[i] = mhe.ShamirPublicPoint(x)
	}
	own := mhe.ShamirPublicPoint(ks.index)
	add := rlwe.NewSecretKey(hp)
	if err := mhe.NewCombiner(*hp.GetRLWEParameters(), own, points, ks.t).GenAdditiveShare(points, own, ks.shamir, add); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrThreshold, err)
	}
	return add, nil
}

// ShareDecrypt makes this party's decryption share of ct for the active
// set (t parties, its own among them). The caller decides whether ct may
// be decrypted at all (ledger/audit's policy).
func (ks *KeyShare) ShareDecrypt(ct *Ciphertext, active []int) (*DecryptionShare, error) {
	a, err := ks.checkActive(active)
	if err != nil {
		return nil, err
	}
	dg, err := ct.Digest()
	if err != nil {
		return nil, err
	}
	if !ct.p.sameAs(ks.p) {
		return nil, fmt.Errorf("%w: share decrypt: ciphertext for %v, key share for %v", ErrParams, ct.p, ks.p)
	}
	hp := ks.p.hp
	add, err := ks.additive(a)
	if err != nil {
		return nil, err
	}
	sigma := floodSigma(ks.p, ks.n, ks.t)
	cks, err := mhe.NewKeySwitchProtocol(hp, ring.DiscreteGaussian{Sigma: sigma, Bound: 6 * sigma})
	if err != nil {
		return nil, fmt.Errorf("he: share decrypt: %w", err)
	}
	out := &DecryptionShare{p: ks.p, party: ks.index, n: ks.n, active: a, digest: dg, share: cks.AllocateShare(aggLevel)}
	cks.GenShare(add, rlwe.NewSecretKey(hp), ct.ct, &out.share)
	return out, nil
}

// Combine decrypts ct from the decryption shares of exactly the active
// set they all name: it adds them to c0 and decodes as Decrypt does. It
// returns the sums (or Decrypt's error) and the noise of the result,
// which includes the flooding: at most the ciphertext's noise plus
// FloodBound. Shares of another ciphertext, set or size are refused with
// ErrThreshold.
func Combine(ct *Ciphertext, shares []*DecryptionShare) ([]GroupSum, uint64, error) {
	return combine(ct, shares, nil)
}

// combine adds the shares to c0 and decodes every group but skip's.
func combine(ct *Ciphertext, shares []*DecryptionShare, skip []int) ([]GroupSum, uint64, error) {
	if ct == nil || ct.ct == nil {
		return nil, 0, fmt.Errorf("%w: combine: empty ciphertext", ErrParams)
	}
	if err := checkShares(ct, shares); err != nil {
		return nil, 0, err
	}
	ring := ct.p.ringAgg
	sw := ct.Copy()
	for _, s := range shares {
		ring.Add(sw.ct.Value[0], s.share.Value, sw.ct.Value[0])
	}
	dec := zeroDecryptor(ct.p)
	noise, err := dec.Noise(sw)
	if err != nil {
		return nil, 0, err
	}
	if len(skip) == 0 {
		sums, err := dec.Decrypt(sw)
		return sums, noise, err
	}
	sums, err := dec.decryptSkipping(sw, skip)
	return sums, noise, err
}

// checkShares: one share from each party of the active set they agree on,
// all for ct.
func checkShares(ct *Ciphertext, shares []*DecryptionShare) error {
	if len(shares) == 0 {
		return fmt.Errorf("%w: no decryption shares", ErrThreshold)
	}
	dg, err := ct.Digest()
	if err != nil {
		return err
	}
	set := shares[0].active
	if len(shares) != len(set) {
		return fmt.Errorf("%w: %d decryption shares for an active set of %d", ErrThreshold, len(shares), len(set))
	}
	seen := map[int]bool{}
	for _, s := range shares {
		switch {
		case s == nil || !s.p.sameAs(ct.p):
			return fmt.Errorf("%w: a decryption share for other parameters", ErrThreshold)
		case !slices.Equal(s.active, set):
			return fmt.Errorf("%w: decryption shares name different active sets", ErrThreshold)
		case s.digest != dg:
			return fmt.Errorf("%w: party %d's decryption share is for another ciphertext", ErrThreshold, s.party)
		case seen[s.party] || !slices.Contains(set, s.party):
			return fmt.Errorf("%w: party %d's decryption share is repeated or outside the active set", ErrThreshold, s.party)
		}
		seen[s.party] = true
	}
	return nil
}

// zeroDecryptors holds one Decryptor under the zero key per parameter
// set: a key-switched ciphertext's phase is c0 + Σ shares.
var zeroDecryptors sync.Map // ParamSet → *Decryptor

func zeroDecryptor(p *Params) *Decryptor {
	if d, ok := zeroDecryptors.Load(p.set); ok {
		return d.(*Decryptor)
	}
	d, _ := zeroDecryptors.LoadOrStore(p.set, NewDecryptor(&SecretKey{p: p, sk: rlwe.NewSecretKey(p.hp)}))
	return d.(*Decryptor)
}

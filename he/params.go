package he

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// ParamSet names a pinned parameter set. Its number travels in every
// encoding, so a set keeps its number forever.
type ParamSet uint8

// ParamsN12QP109 is ring degree N = 2^12 with a ciphertext modulus of at
// most 109 bits and no special modulus: 128-bit classical security for a
// ternary secret by the HomomorphicEncryption.org standard table. See the
// package documentation for the reasoning behind each number.
const ParamsN12QP109 ParamSet = 1

// paramsN12QP109 is the unchecked literal behind ParamsN12QP109.
//
// Q = q0·q1·q2, every prime ≡ 1 mod 2N (NTT-friendly):
//   - q0 = 2^51 − 2^17 + 1 and q1 (largest such prime below 2^42) form the
//     aggregate modulus, ≈ 2^93, where flows and aggregates live (level 1);
//   - q2 = 40961, the smallest such prime, exists only so that a fresh
//     encryption can be modulus-switched down to level 1, which divides its
//     noise by q2 and leaves the rounding noise (std ≈ 15 instead of ≈ 236).
//
// t is the largest prime below 2^49 with t ≡ 1 mod 2N, so all N slots are
// available (batching) and t < q0 as Lattigo requires. No P: nothing here
// key-switches (no relinearisation, no rotations), so the whole
// security budget goes to Q.
var paramsN12QP109 = heint.ParametersLiteral{
	LogN:             12,
	Q:                []uint64{0x7fffffffe0001, 0x3ffffffa001, 0xa001},
	PlaintextModulus: 0x1fffffffce001,
	// Xs and Xe left unset: Lattigo's defaults, the uniform ternary secret
	// and the discrete Gaussian with σ = 3.2 (bound 6σ) that the
	// standard's tables assume.
}

// aggLevel is the level of every flow ciphertext and aggregate: the two
// bottom primes. Level 0 (q0 alone) cannot hold the FX noise budget.
const aggLevel = 1

// Params is a checked parameter set with everything derived from it.
// It is immutable and safe for concurrent use.
type Params struct {
	set  ParamSet
	name string
	hp   heint.Parameters

	ringAgg *ring.Ring // RingQ at aggLevel, shared read-only
	scale   uint64     // canonical BGV scale (mod t) of level-aggLevel ciphertexts
	fp      [4]byte    // fingerprint of ring, moduli, t and slot layout
	qBits   []uint     // bit width of each Q prime, for packing

	groups     int
	maxLoad    uint64
	rateBudget uint64
	noiseBound uint64 // NoiseBound (noise.go)
	maxNoise   uint64 // MaxNoise (noise.go)
}

var (
	paramsMu    sync.Mutex
	paramsCache = map[ParamSet]*Params{}
)

// literal returns the unchecked literal and name of a set.
func literal(set ParamSet) (heint.ParametersLiteral, string, bool) {
	switch set {
	case ParamsN12QP109:
		return paramsN12QP109, "ParamsN12QP109", true
	}
	return heint.ParametersLiteral{}, "", false
}

// NewParams returns the checked parameters of a set. Parameters are built
// once per set and shared: two calls return the same pointer.
func NewParams(set ParamSet) (*Params, error) {
	paramsMu.Lock()
	defer paramsMu.Unlock()
	if p, ok := paramsCache[set]; ok {
		return p, nil
	}
	p, err := buildParams(set)
	if err != nil {
		return nil, err
	}
	paramsCache[set] = p
	return p, nil
}

// DefaultParams returns ParamsN12QP109. The literal is fixed and tested,
// so a failure here is a programming error and panics.
func DefaultParams() *Params {
	p, err := NewParams(ParamsN12QP109)
	if err != nil {
		panic(err)
	}
	return p
}

func buildParams(set ParamSet) (*Params, error) {
	lit, name, ok := literal(set)
	if !ok {
		return nil, fmt.Errorf("%w: unknown parameter set %d", ErrParams, set)
	}
	hp, err := heint.NewParametersFromLiteral(lit)
	if err != nil {
		return nil, fmt.Errorf("he: parameter set %s: %w", name, err)
	}
	if hp.MaxLevel() < aggLevel+1 || hp.PCount() != 0 {
		return nil, fmt.Errorf("he: parameter set %s: need ≥ %d Q primes and no P", name, aggLevel+2)
	}
	p := &Params{set: set, name: name, hp: hp}
	p.ringAgg = hp.RingQ().AtLevel(aggLevel)
	p.scale = aggScale(hp)
	for _, q := range hp.Q() {
		p.qBits = append(p.qBits, uint(bits.Len64(q)))
	}
	p.groups = hp.MaxSlots() / groupSlots
	t := hp.PlaintextModulus()
	p.maxLoad = (t - 1) / blindingUnit
	p.rateBudget = (t - 1) / amountUnit
	p.fp = fingerprint(hp)
	if err := p.deriveNoise(); err != nil {
		return nil, err
	}
	return p, nil
}

// aggScale is the BGV scale a fresh encryption (scale 1) has after the
// modulus switches from the top level down to aggLevel: 1/(q_top…) mod t.
// Every ciphertext at aggLevel carries this scale, so additions never need
// Lattigo's scale matching.
func aggScale(hp heint.Parameters) uint64 {
	s := hp.DefaultScale()
	for l := hp.MaxLevel(); l > aggLevel; l-- {
		s = s.Div(hp.NewScale(hp.Q()[l]))
	}
	return s.Uint64()
}

// fingerprint commits to everything a ciphertext's meaning depends on:
// ring degree, moduli, plaintext modulus, noise distributions and the slot
// layout. Four bytes catch accidental mismatches; they are not a MAC.
func fingerprint(hp heint.Parameters) [4]byte {
	h := sha256.New()
	put := func(v uint64) { _ = binary.Write(h, binary.BigEndian, v) }
	h.Write([]byte("sable/he params v1"))
	put(uint64(hp.LogN()))
	put(uint64(len(hp.Q())))
	for _, q := range hp.Q() {
		put(q)
	}
	put(uint64(len(hp.P())))
	for _, q := range hp.P() {
		put(q)
	}
	put(hp.PlaintextModulus())
	put(math.Float64bits(hp.NoiseFreshSK()))
	put(uint64(hp.XsHammingWeight()))
	for _, v := range []int{amountLimbs, amountLimbBits, blindingLimbs, blindingLimbBits} {
		put(uint64(v))
	}
	var fp [4]byte
	copy(fp[:], h.Sum(nil))
	return fp
}

// Set returns the set's number.
func (p *Params) Set() ParamSet { return p.set }

// String returns the set's name, e.g. "ParamsN12QP109".
func (p *Params) String() string { return p.name }

// LogN returns log2 of the ring degree.
func (p *Params) LogN() int { return p.hp.LogN() }

// LogQP returns log2 of the whole modulus, the quantity the security
// tables bound.
func (p *Params) LogQP() float64 { return p.hp.LogQP() }

// PlaintextModulus returns t.
func (p *Params) PlaintextModulus() uint64 { return p.hp.PlaintextModulus() }

// Groups returns G, the number of flow slot groups in one ciphertext.
func (p *Params) Groups() int { return p.groups }

// MaxLoad is the largest load an unscaled ciphertext may carry: with at
// most this many unit loads summed, no limb reaches t and decryption is
// exact. Add refuses to exceed it.
func (p *Params) MaxLoad() uint64 { return p.maxLoad }

// RateBudget bounds an FX sum: Σ rate·load over its summands must not
// exceed it (and every rate ≤ MaxRate). MulRate and Add refuse to exceed it.
func (p *Params) RateBudget() uint64 { return p.rateBudget }

// CiphertextSize returns the exact length of an encoded ciphertext.
func (p *Params) CiphertextSize() int {
	return ctHeaderSize + p.packedSize(2, aggLevel)
}

// packedSize is the byte length of polys polynomials at level packed to
// the bit widths of their primes.
func (p *Params) packedSize(polys, level int) int {
	var w uint
	for _, b := range p.qBits[:level+1] {
		w += b
	}
	return (polys*p.hp.N()*int(w) + 7) / 8
}

// newScale returns a fresh Lattigo scale of value s (mod t).
func (p *Params) newScale(s uint64) rlwe.Scale { return p.hp.NewScale(s) }

// sameAs reports whether q is the same parameter set as p.
func (p *Params) sameAs(q *Params) bool {
	return p == q || (p != nil && q != nil && p.set == q.set && p.fp == q.fp)
}

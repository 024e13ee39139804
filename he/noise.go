package he

import (
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// Noise. At the aggregate level Q = q0·q1, and decryption computes, per
// coefficient, v = [t·(c0 + c1·s)]_Q (centred), then v mod t. Write
// v = m + t·e with m centred mod t: e is the ciphertext's noise, and the
// noise of a ciphertext is the largest |e| over its N coefficients, which
// the key holder measures exactly (Decryptor.Noise). Decryption returns
// the plaintext that was encrypted (or summed) as long as the true noise
// stays at or below MaxNoise = ⌊(Q − t)/(2t)⌋, about 2^43.0.
//
// # The bound of an honest fresh flow
//
// A flow is a public-key encryption at the top level, switched down by
// the top prime q_d = q2. Before the switch its noise is u·e_pk + e0 + e1·s
// with u and s ternary and every error coefficient at most E = ⌊6σ⌋ = 19
// (Lattigo truncates its Gaussian at 6σ): at most E·(2N + 1) per
// coefficient. The switch rounds c_i to (c_i − δ_i)/q_d with |δ_i| ≤
// (q_d − 1)/2 and leaves, per coefficient, at most
//
//	1/2 + 1/(2q_d) + (q_d − 1)(N + 1)/(2q_d) + E·(2N + 1)/q_d
//
// (the rounding of c0, of c1·s over at most N terms, the switched fresh
// noise, and the recentring of m). Its floor is NoiseBound: 2052 (≈ 2^11.0)
// for ParamsN12QP109. It is a worst case, with no probability in it: no
// honest fresh encryption, whatever its plaintext and randomness, has a
// larger noise. Measured, a fresh flow's noise is about 2^5.8.
//
// # Sums, and the capacity
//
// Let two ciphertexts have noises e1, e2 and the centred plaintexts m1,
// m2. If |m1 + m2 + t(e1 + e2)| < Q/2, which holds when t·(|e1| + |e2| + 1)
// ≤ Q/2, their sum has v = v1 + v2 exactly, so it decrypts to the sum of
// the plaintexts mod t, and its noise is e1 + e2 + J, J ∈ {−1, 0, 1}
// being the carry of m1 + m2 mod t. By induction, a sum of L fresh
// encryptions (a load of L) each of noise at most B has noise at most
// SumNoiseBound(L) = L·(B + 1) − 1, and decrypts exactly while that stays
// at most MaxNoise. At the capacity L = MaxLoad = 67,108,871,
//
//	MaxLoad·(NoiseBound + 1) ≈ 1.38·10^11 ≈ 2^37.0  <  MaxNoise ≈ 8.8·10^12 ≈ 2^43.0,
//
// so any sum of honest flows up to the capacity decrypts exactly: the
// limbs stay below t by MaxLoad, the noise below MaxNoise by the bound,
// both in the worst case. The same holds for any summands, honest or not,
// whose measured noise is at most NoiseBound: the audit relies on that.
//
// FX totals multiply noise by the rates, so Σ rate·load·NoiseBound would
// exceed MaxNoise long before RateBudget; their capacity rests on the
// independence of honest noises (the package documentation, FX totals),
// and the audit checks every FX total against the plain figures it is
// made from.

// NoiseBound is the largest noise an honest fresh encryption can have
// after its switch to the aggregate level (see above): 2052 for
// ParamsN12QP109. A flow whose measured noise is above it was not made by
// an honest encryptor.
func (p *Params) NoiseBound() uint64 { return p.noiseBound }

// SumNoiseBound is the largest noise of a sum of ciphertexts whose loads
// add up to load, each of noise at most NoiseBound: load·(NoiseBound+1) − 1
// (0 for load 0). Sums stay exact up to MaxLoad.
func (p *Params) SumNoiseBound(load uint64) uint64 {
	if load == 0 {
		return 0
	}
	return load*(p.noiseBound+1) - 1 // ≤ MaxLoad·2053 < 2^38, checked in buildParams
}

// MaxNoise is the largest noise at which decryption is still exact:
// ⌊(Q − t)/(2t)⌋ at the aggregate level.
func (p *Params) MaxNoise() uint64 { return p.maxNoise }

// deriveNoise computes NoiseBound and MaxNoise from the parameters and
// checks the capacity argument: MaxLoad·(NoiseBound + 1) ≤ MaxNoise.
func (p *Params) deriveNoise() error {
	hp := p.hp
	if hp.MaxLevel() != aggLevel+1 {
		return fmt.Errorf("he: parameter set %s: the noise bound assumes exactly one prime above the aggregate level", p.name)
	}
	n := new(big.Int).SetInt64(int64(hp.N()))
	qd := new(big.Int).SetUint64(hp.Q()[aggLevel+1])
	e := new(big.Int).SetInt64(int64(math.Floor(hp.NoiseBound()))) // truncation bound of the Gaussian
	one := big.NewInt(1)
	// (q_d + 1 + (q_d − 1)(N + 1) + 2E(2N + 1)) / (2 q_d)
	num := new(big.Int).Add(qd, one)
	num.Add(num, new(big.Int).Mul(new(big.Int).Sub(qd, one), new(big.Int).Add(n, one)))
	num.Add(num, new(big.Int).Mul(new(big.Int).Lsh(e, 1), new(big.Int).Add(new(big.Int).Lsh(n, 1), one)))
	b := new(big.Int).Quo(num, new(big.Int).Lsh(qd, 1))
	q := new(big.Int).SetUint64(hp.Q()[0])
	for _, qi := range hp.Q()[1 : aggLevel+1] {
		q.Mul(q, new(big.Int).SetUint64(qi))
	}
	t := new(big.Int).SetUint64(hp.PlaintextModulus())
	maxNoise := new(big.Int).Quo(new(big.Int).Sub(q, t), new(big.Int).Lsh(t, 1))
	worst := new(big.Int).Mul(new(big.Int).SetUint64(p.maxLoad), new(big.Int).Add(b, one))
	if !b.IsUint64() || !maxNoise.IsUint64() || worst.Cmp(maxNoise) > 0 {
		return fmt.Errorf("he: parameter set %s: %d flows of noise %v can exceed the decryption bound %v", p.name, p.maxLoad, b, maxNoise)
	}
	p.noiseBound, p.maxNoise = b.Uint64(), maxNoise.Uint64()
	return nil
}

// Noise returns the noise of ct as defined above: the largest |e| over
// its coefficients, where t·(c0 + c1·s) = m + t·e mod Q with m centred mod
// t. It is exact for any ciphertext; it is the true noise of the
// encryption when that is at most MaxNoise (beyond, the plaintext itself
// is lost and the value is that of the nearest ciphertext that decrypts).
// It works on FX-scaled ciphertexts too (the rate multiplies the noise).
func (d *Decryptor) Noise(ct *Ciphertext) (uint64, error) {
	if ct == nil || ct.ct == nil {
		return 0, fmt.Errorf("%w: noise: empty ciphertext", ErrParams)
	}
	if !ct.p.sameAs(d.p) {
		return 0, fmt.Errorf("%w: noise: ciphertext for %v, key for %v", ErrParams, ct.p, d.p)
	}
	w := d.pool.Get().(*decWorker)
	defer d.pool.Put(w)
	r := d.p.ringAgg
	if w.coeffs == nil {
		w.buf = r.NewPoly()
		w.coeffs = make([]*big.Int, r.N())
		for i := range w.coeffs {
			w.coeffs[i] = new(big.Int)
		}
	}
	w.dec.Decrypt(ct.ct, w.pt)
	r.INTT(w.pt.Value, w.buf)
	r.MulScalar(w.buf, d.p.hp.PlaintextModulus(), w.buf)
	r.PolyToBigintCentered(w.buf, 1, w.coeffs)
	t := new(big.Int).SetUint64(d.p.hp.PlaintextModulus())
	half := new(big.Int).Rsh(t, 1)
	m, e := new(big.Int), new(big.Int)
	var worst uint64
	for _, v := range w.coeffs {
		m.Mod(v, t) // in [0, t)
		if m.Cmp(half) > 0 {
			m.Sub(m, t)
		}
		e.Sub(v, m)
		e.Quo(e, t) // exact
		e.Abs(e)
		if x := e.Uint64(); x > worst { // |e| ≤ Q/(2t) + 1 < 2^64
			worst = x
		}
	}
	return worst, nil
}

// CheckNondegenerate reports, wrapping ErrDegenerate, a ciphertext that
// visibly is no encryption: one of its two polynomials is, modulo one of
// the primes, zero or made of fewer than N/2 distinct coefficients. An
// encryption's polynomials are uniform modulo Q (N distinct values, but
// for a chance below 2^-18 of one repeat); a ciphertext with c1 = 0, or
// c1 small or structured, is a noiseless or nearly noiseless encryption
// that anyone can read (c0 alone then gives the plaintext), and c0 = 0
// or structured is no honest encryption either. It needs no key, so
// validators can refuse such a flow before it enters an aggregate.
func (c *Ciphertext) CheckNondegenerate() error {
	if c == nil || c.ct == nil {
		return fmt.Errorf("%w: empty ciphertext", ErrParams)
	}
	r := c.p.ringAgg
	buf := r.NewPoly()
	vals := make([]uint64, r.N())
	for i, name := range []string{"c0", "c1"} {
		r.INTT(c.ct.Value[i], buf)
		for lvl, coeffs := range buf.Coeffs[:aggLevel+1] {
			copy(vals, coeffs)
			slices.Sort(vals)
			distinct := 0
			for j := range vals {
				if j == 0 || vals[j] != vals[j-1] {
					distinct++
				}
			}
			if distinct == 1 && vals[0] == 0 {
				return fmt.Errorf("%w: %s is zero modulo prime %d", ErrDegenerate, name, lvl)
			}
			if distinct < len(vals)/2 {
				return fmt.Errorf("%w: %s has %d distinct coefficients modulo prime %d, an encryption has about %d", ErrDegenerate, name, distinct, lvl, len(vals))
			}
		}
	}
	return nil
}

// addConstant adds x (mod each prime) to every coefficient of p, which
// is in the NTT domain at the aggregate level.
func addConstant(r *ring.Ring, p ring.Poly, x int64) {
	d := r.NewPoly()
	for lvl, q := range r.ModuliChain()[:aggLevel+1] {
		v := uint64(x)
		if x < 0 {
			v = q - uint64(-x)%q
		}
		v %= q
		for j := range d.Coeffs[lvl] {
			d.Coeffs[lvl][j] = v
		}
	}
	r.NTT(d, d)
	r.Add(p, d, p)
}

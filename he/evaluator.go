package he

import (
	"fmt"
	"math/bits"
)

// Evaluator adds ciphertexts and multiplies them by FX rates, without any
// key and without randomness: the same inputs give the same bytes on every
// validator. It holds no buffers and is safe for concurrent use, as long
// as no ciphertext is modified by two calls at once. Add and MulRate run in
// place and allocate nothing.
type Evaluator struct {
	p *Params
}

// NewEvaluator returns an evaluator for p.
func NewEvaluator(p *Params) *Evaluator { return &Evaluator{p: p} }

// check validates an operand.
func (ev *Evaluator) check(c *Ciphertext, name string) error {
	if c == nil || c.ct == nil {
		return fmt.Errorf("%w: %s is empty", ErrParams, name)
	}
	if !c.p.sameAs(ev.p) {
		return fmt.Errorf("%w: %s is for %v, evaluator for %v", ErrParams, name, c.p, ev.p)
	}
	return nil
}

// limit is the load bound of a scaled or unscaled result.
func (ev *Evaluator) limit(scaled bool) uint64 {
	if scaled {
		return ev.p.rateBudget
	}
	return ev.p.maxLoad
}

// Add sets agg = agg + ct, group by group. It fails with ErrCapacity,
// leaving agg unchanged, if the sum's load would pass MaxLoad (RateBudget
// if either is FX-scaled): the aggregate's epoch must be closed first.
func (ev *Evaluator) Add(agg, ct *Ciphertext) error {
	if err := ev.check(agg, "aggregate"); err != nil {
		return err
	}
	if err := ev.check(ct, "ciphertext"); err != nil {
		return err
	}
	scaled := agg.scaled || ct.scaled
	load, carry := bits.Add64(agg.load, ct.load, 0)
	if carry != 0 || load > ev.limit(scaled) {
		return fmt.Errorf("%w: load %d + %d", ErrCapacity, agg.load, ct.load)
	}
	r := ev.p.ringAgg
	r.Add(agg.ct.Value[0], ct.ct.Value[0], agg.ct.Value[0])
	r.Add(agg.ct.Value[1], ct.ct.Value[1], agg.ct.Value[1])
	agg.load, agg.scaled = load, scaled
	return nil
}

// MulRate multiplies every group of ct by rate in place, for an FX
// conversion: amount limbs become rate·amount limbs. The result is
// FX-scaled: its blindings are meaningless and it cannot be encoded.
// rate ≤ MaxRate and rate·Load() ≤ RateBudget, or it fails (ErrRange,
// ErrCapacity) leaving ct unchanged.
func (ev *Evaluator) MulRate(ct *Ciphertext, rate uint64) error {
	load, err := ev.rateLoad(ct, rate)
	if err != nil {
		return err
	}
	r := ev.p.ringAgg
	r.MulScalar(ct.ct.Value[0], rate, ct.ct.Value[0])
	r.MulScalar(ct.ct.Value[1], rate, ct.ct.Value[1])
	ct.load, ct.scaled = load, true
	return nil
}

// MulRateThenAdd sets acc = acc + rate·ct, leaving ct unchanged: one term
// of a homomorphic FX total Σ rate_c·aggregate_c. acc may start as Zero.
func (ev *Evaluator) MulRateThenAdd(acc, ct *Ciphertext, rate uint64) error {
	if err := ev.check(acc, "accumulator"); err != nil {
		return err
	}
	add, err := ev.rateLoad(ct, rate)
	if err != nil {
		return err
	}
	load, carry := bits.Add64(acc.load, add, 0)
	if carry != 0 || load > ev.p.rateBudget {
		return fmt.Errorf("%w: FX load %d + %d above the rate budget", ErrCapacity, acc.load, add)
	}
	r := ev.p.ringAgg
	r.MulScalarThenAdd(ct.ct.Value[0], rate, acc.ct.Value[0])
	r.MulScalarThenAdd(ct.ct.Value[1], rate, acc.ct.Value[1])
	acc.load, acc.scaled = load, true
	return nil
}

// rateLoad checks an FX multiplication of ct by rate and returns the
// scaled load it would have.
func (ev *Evaluator) rateLoad(ct *Ciphertext, rate uint64) (uint64, error) {
	if err := ev.check(ct, "ciphertext"); err != nil {
		return 0, err
	}
	if ct.scaled {
		return 0, fmt.Errorf("he: FX rate: %w", ErrScaled)
	}
	if rate > MaxRate {
		return 0, fmt.Errorf("%w: FX rate %d above %d", ErrRange, rate, MaxRate)
	}
	hi, load := bits.Mul64(ct.load, rate)
	if hi != 0 || load > ev.p.rateBudget {
		return 0, fmt.Errorf("%w: FX load %d·%d above the rate budget", ErrCapacity, ct.load, rate)
	}
	return load, nil
}

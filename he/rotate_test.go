package he

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

// nextEpoch returns a new 3-of-5 collective key (a fifth jurisdiction
// joins) and its target.
func nextEpoch(t *testing.T) ([]*KeyShare, *PublicKey, *Target) {
	t.Helper()
	shares, pk, err := ThresholdKeys(DefaultParams(), 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	to, err := NewTarget(pk, 5)
	if err != nil {
		t.Fatal(err)
	}
	return shares, pk, to
}

func switchAll(tb testing.TB, ct *Ciphertext, to *Target, parties []*KeyShare) []*SwitchShare {
	tb.Helper()
	active := make([]int, len(parties))
	for i, ks := range parties {
		active[i] = ks.Index()
	}
	out := make([]*SwitchShare, len(parties))
	for i, ks := range parties {
		s, err := ks.ShareSwitch(ct, active, to)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// collectiveSecret interpolates t key shares into the collective secret:
// in a test only, to measure noise.
func collectiveSecret(t *testing.T, shares []*KeyShare) *SecretKey {
	t.Helper()
	p := shares[0].p
	hp := p.hp
	points := make([]mhe.ShamirPublicPoint, len(shares))
	for i, ks := range shares {
		points[i] = mhe.ShamirPublicPoint(ks.index)
	}
	sk := rlwe.NewSecretKey(hp)
	for _, ks := range shares {
		add := rlwe.NewSecretKey(hp)
		if err := mhe.NewCombiner(*hp.GetRLWEParameters(), mhe.ShamirPublicPoint(ks.index), points, len(shares)).GenAdditiveShare(points, mhe.ShamirPublicPoint(ks.index), ks.shamir, add); err != nil {
			t.Fatal(err)
		}
		hp.RingQ().Add(sk.Value.Q, add.Value.Q, sk.Value.Q)
	}
	return &SecretKey{p: p, sk: sk}
}

// TestSwitch: an aggregate under the 3-of-4 key, switched by two different
// sets of three old parties to a new 3-of-5 key, decrypts exactly through
// three new parties (two different sets) to the same group sums; flows of
// the new epoch add into it; its load is counted in the new key's unit.
func TestSwitch(t *testing.T) {
	old, oldPK := testThreshold(t)
	p := oldPK.Params()
	newShares, newPK, to := nextEpoch(t)
	enc, ev := NewEncryptor(oldPK), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(11, 12))
	want := newSums(p.Groups())
	agg := Zero(p)
	for i := range 6 {
		g := []int{0, 7, 214}[i%3]
		f := randFlow(rng)
		want.add(g, f, 1)
		if err := ev.Add(agg, mustEncrypt(t, enc, map[int]Flow{g: f})); err != nil {
			t.Fatal(err)
		}
	}
	oldNoise := mustNoise(t, NewDecryptor(collectiveSecret(t, old[:3])), agg)
	newSK := NewDecryptor(collectiveSecret(t, newShares[2:]))
	for _, set := range [][]*KeyShare{old[:3], old[1:]} {
		sw, err := Switch(agg, to, switchAll(t, agg, to, set))
		if err != nil {
			t.Fatal(err)
		}
		if wantLoad := 6 + p.SwitchLoad(3, 5); sw.Load() != wantLoad {
			t.Fatalf("switched load %d, want %d", sw.Load(), wantLoad)
		}
		noise := mustNoise(t, newSK, sw)
		if noise > oldNoise+p.SwitchNoiseBound(3, 5) {
			t.Fatalf("noise after the switch %d above %d + %d", noise, oldNoise, p.SwitchNoiseBound(3, 5))
		}
		for _, dec := range [][]*KeyShare{newShares[:3], {newShares[0], newShares[2], newShares[4]}} {
			got, _, err := Combine(sw, shareAll(t, sw, dec))
			if err != nil {
				t.Fatal(err)
			}
			want.check(t, got, false)
		}
		// The new epoch's flows add into the switched aggregate.
		next := sw.Copy()
		f := randFlow(rng)
		if err := ev.Add(next, mustEncrypt(t, NewEncryptor(newPK), map[int]Flow{7: f})); err != nil {
			t.Fatal(err)
		}
		both := newSums(p.Groups())
		for g := range both {
			both[g].Amount.Set(want[g].Amount)
			both[g].Blinding.Set(want[g].Blinding)
		}
		both.add(7, f, 1)
		got, _, err := Combine(next, shareAll(t, next, newShares[1:4]))
		if err != nil {
			t.Fatal(err)
		}
		both.check(t, got, false)
		t.Logf("old parties %d..%d: noise 2^%.1f before, 2^%.1f after the switch (bound +2^%.1f), load %d",
			set[0].Index(), set[2].Index(), math.Log2(float64(oldNoise)), math.Log2(float64(noise)), math.Log2(float64(p.SwitchNoiseBound(3, 5))), sw.Load())
	}
}

// TestSwitchRefusals plays the parties that should not succeed: two old
// parties cannot switch (through the API or by summing their shares), the
// old key does not open a switched ciphertext, shares bound to another
// ciphertext or target are refused, and no single new party decrypts.
func TestSwitchRefusals(t *testing.T) {
	old, oldPK := testThreshold(t)
	p := oldPK.Params()
	newShares, _, to := nextEpoch(t)
	enc, ev := NewEncryptor(oldPK), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(13, 14))
	want := newSums(p.Groups())
	agg := Zero(p)
	for range 3 {
		f := randFlow(rng)
		want.add(2, f, 1)
		if err := ev.Add(agg, mustEncrypt(t, enc, map[int]Flow{2: f})); err != nil {
			t.Fatal(err)
		}
	}
	three := switchAll(t, agg, to, old[:3])

	// Fewer than t old parties.
	if _, err := old[0].ShareSwitch(agg, []int{1, 2}, to); !errors.Is(err, ErrThreshold) {
		t.Fatalf("a switch share for a set of two: %v", err)
	}
	if _, err := Switch(agg, to, three[:2]); !errors.Is(err, ErrThreshold) {
		t.Fatalf("two switch shares of three: %v", err)
	}
	partial := agg.Copy()
	r := p.ringAgg
	r.Add(partial.ct.Value[0], three[0].share.Value[0], partial.ct.Value[0])
	r.Add(partial.ct.Value[0], three[1].share.Value[0], partial.ct.Value[0])
	partial.ct.Value[1].CopyLvl(aggLevel, three[0].share.Value[1])
	r.Add(partial.ct.Value[1], three[1].share.Value[1], partial.ct.Value[1])
	partial.load = 3 + p.SwitchLoad(3, 5)
	if got, _, err := Combine(partial, shareAll(t, partial, newShares[:3])); err == nil && sumsEqual(got, want) {
		t.Fatal("two old parties' switch shares gave a ciphertext the new key opens")
	}

	sw, err := Switch(agg, to, three)
	if err != nil {
		t.Fatal(err)
	}
	// The old key does not open the switched ciphertext; the new one does.
	if got, _, err := Combine(sw, shareAll(t, sw, old[:3])); err == nil && sumsEqual(got, want) {
		t.Fatal("the old key's parties decrypted the switched ciphertext")
	}
	if got, _, err := Combine(sw, shareAll(t, sw, newShares[:3])); err != nil || !sumsEqual(got, want) {
		t.Fatalf("the new key's parties: %v", err)
	}

	// Shares for another ciphertext or another target.
	other := agg.Copy()
	if err := ev.Add(other, mustEncrypt(t, enc, map[int]Flow{2: randFlow(rng)})); err != nil {
		t.Fatal(err)
	}
	if _, err := Switch(other, to, three); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares for another ciphertext: %v", err)
	}
	_, _, to2 := nextEpoch(t)
	if _, err := Switch(agg, to2, three); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares for another target key: %v", err)
	}
	sameKey, err := NewTarget(to.PublicKey(), 4) // the same key claimed with another unit
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Switch(agg, sameKey, three); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares for the same key with another party count: %v", err)
	}
	if _, err := Switch(agg, to, []*SwitchShare{three[0], three[0], three[1]}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("a repeated share: %v", err)
	}
	mixed := switchAll(t, agg, to, old[1:])
	if _, err := Switch(agg, to, []*SwitchShare{three[0], three[1], mixed[2]}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares of two active sets: %v", err)
	}

	// No party holds a whole key: one new share used as a secret, or two
	// interpolated as if the key were 2-of-5, do not open the result.
	for _, ks := range newShares {
		sums, err := NewDecryptor(&SecretKey{p: p, sk: &rlwe.SecretKey{Value: ks.shamir.Poly}}).Decrypt(sw)
		if err == nil && sumsEqual(sums, want) {
			t.Fatalf("new party %d alone decrypted the switched ciphertext", ks.Index())
		}
	}
	if got, ok := twoPartyAttack(t, sw, newShares[0], newShares[1]); ok && sumsEqual(got, want) {
		t.Fatal("two of five new parties decrypted the switched ciphertext")
	}
}

// TestSwitchFullCapacity: an aggregate of maximal flows whose load leaves
// exactly room for a switch, its noise raised to the worst case an honest
// sum can have under the old key, is switched to a new 3-of-4 key and
// decrypts exactly through three new parties at load MaxLoad; a second
// switch is refused until an epoch close.
func TestSwitchFullCapacity(t *testing.T) {
	old, oldPK := testThreshold(t)
	p := oldPK.Params()
	newShares, newPK, err := ThresholdKeys(p, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	to, err := NewTarget(newPK, 4)
	if err != nil {
		t.Fatal(err)
	}
	load := p.MaxLoad() - p.SwitchLoad(3, 4)
	enc, ev := NewEncryptor(oldPK), NewEvaluator(p)
	flows := make(map[int]Flow, p.Groups())
	for g := range p.Groups() {
		flows[g] = maxFlow()
	}
	full, pow := Zero(p), mustEncrypt(t, enc, flows)
	for n := load; n > 0; n >>= 1 {
		if n&1 == 1 {
			if err := ev.Add(full, pow); err != nil {
				t.Fatal(err)
			}
		}
		if n > 1 {
			if err := ev.Add(pow, pow); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := newSums(p.Groups())
	for g, f := range flows {
		want.add(g, f, load)
	}
	worst := load*(p.ThresholdNoiseBound(4)+1) - 1
	noisy := NewForger(oldPK).AddNoise(full, int64(worst-load*200))
	start := time.Now()
	sw, err := Switch(noisy, to, switchAll(t, noisy, to, old[1:]))
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if sw.Load() != p.MaxLoad() {
		t.Fatalf("switched load %d, want MaxLoad %d", sw.Load(), p.MaxLoad())
	}
	noise := mustNoise(t, NewDecryptor(collectiveSecret(t, newShares[:3])), sw)
	if noise > p.MaxLoad()*(p.ThresholdNoiseBound(4)+1) {
		t.Fatalf("noise after the switch %d above the capacity's %d", noise, p.MaxLoad()*(p.ThresholdNoiseBound(4)+1))
	}
	got, flooded, err := Combine(sw, shareAll(t, sw, newShares[1:]))
	if err != nil {
		t.Fatalf("switched at capacity: %v", err)
	}
	want.check(t, got, false)
	if _, err := Switch(sw, to, switchAll(t, sw, to, newShares[:3])); !errors.Is(err, ErrCapacity) {
		t.Fatalf("a second switch without a close: %v", err)
	}
	t.Logf("switch of 3 shares at load %d: %v; noise 2^%.2f before (worst), 2^%.2f after (bound 2^%.2f), 2^%.2f after flooded decryption (MaxNoise 2^%.2f); switch load %d",
		load, took, math.Log2(float64(worst)), math.Log2(float64(noise)), math.Log2(float64(p.MaxLoad()*(p.ThresholdNoiseBound(4)+1))),
		math.Log2(float64(flooded)), math.Log2(float64(p.MaxNoise())), p.SwitchLoad(3, 4))
	for _, e := range []uint64{p.ThresholdNoiseBound(4), 2 * 8209, 1 << 10, 1 << 20} {
		t.Logf("switch flooding σ 2^%.2f: noise 2^%.1f hidden with %.1f statistical bits", math.Log2(p.SwitchSigma(3, 4)), math.Log2(float64(e)), p.SwitchSecurity(3, 4, e))
	}
}

// TestSwitchEncoding: switch shares round-trip, their size is pinned, a
// damaged one and a decryption share in its place are refused.
func TestSwitchEncoding(t *testing.T) {
	old, oldPK := testThreshold(t)
	p := oldPK.Params()
	newShares, _, to := nextEpoch(t)
	ct := mustEncrypt(t, NewEncryptor(oldPK), map[int]Flow{0: maxFlow()})
	var back []*SwitchShare
	for _, s := range switchAll(t, ct, to, old[:3]) {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 95311 {
			t.Fatalf("switch share: %d bytes, want 95311", len(b))
		}
		var d SwitchShare
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		back = append(back, &d)
		bad := bytes.Clone(b)
		bad[headerSize+3] = bad[headerSize+4]
		if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("damaged active set: %v", err)
		}
		if err := d.UnmarshalBinary(b[:len(b)-1]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated: %v", err)
		}
	}
	sw, err := Switch(ct, to, back)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Combine(sw, shareAll(t, sw, newShares[:3]))
	if err != nil {
		t.Fatal(err)
	}
	want := newSums(p.Groups())
	want.add(0, maxFlow(), 1)
	want.check(t, got, false)
	b, _ := shareAll(t, ct, old[:3])[0].MarshalBinary()
	var d SwitchShare
	if err := d.UnmarshalBinary(b); err == nil {
		t.Fatal("a decryption share decoded as a switch share")
	}
}

// BenchmarkSwitchVsDecrypt: one party's switch share of a book against
// its decryption share of the same book (the baseline), and combining
// three switch shares against combining three decryption shares.
func BenchmarkSwitchVsDecrypt(b *testing.B) {
	old, oldPK := testThreshold(b)
	_, newPK, err := ThresholdKeys(DefaultParams(), 4, 3)
	if err != nil {
		b.Fatal(err)
	}
	to, err := NewTarget(newPK, 4)
	if err != nil {
		b.Fatal(err)
	}
	ct := mustEncrypt(b, NewEncryptor(oldPK), map[int]Flow{0: maxFlow(), 100: maxFlow()})
	active := []int{1, 2, 3}
	b.Run("decryption-share", func(b *testing.B) {
		for b.Loop() {
			if _, err := old[0].ShareDecrypt(ct, active); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("switch-share", func(b *testing.B) {
		for b.Loop() {
			if _, err := old[0].ShareSwitch(ct, active, to); err != nil {
				b.Fatal(err)
			}
		}
	})
	ds, ss := shareAll(b, ct, old[:3]), switchAll(b, ct, to, old[:3])
	b.Run("combine-decryption", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Combine(ct, ds); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("combine-switch", func(b *testing.B) {
		for b.Loop() {
			if _, err := Switch(ct, to, ss); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package he

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/mhe"
)

var (
	thrOnce   sync.Once
	thrShares []*KeyShare
	thrPK     *PublicKey
)

// testThreshold returns one 3-of-4 key shared by the tests.
func testThreshold(tb testing.TB) ([]*KeyShare, *PublicKey) {
	tb.Helper()
	thrOnce.Do(func() {
		var err error
		thrShares, thrPK, err = ThresholdKeys(DefaultParams(), 4, 3)
		if err != nil {
			panic(err)
		}
	})
	return thrShares, thrPK
}

func shareAll(tb testing.TB, ct *Ciphertext, parties []*KeyShare) []*DecryptionShare {
	tb.Helper()
	active := make([]int, len(parties))
	for i, ks := range parties {
		active[i] = ks.Index()
	}
	out := make([]*DecryptionShare, len(parties))
	for i, ks := range parties {
		s, err := ks.ShareDecrypt(ct, active)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// TestThresholdBound: the collective key's noise bound reduces to the
// single key's at n = 1, and every n up to MaxParties leaves room for the
// flooding of any t.
func TestThresholdBound(t *testing.T) {
	p := DefaultParams()
	if got := p.ThresholdNoiseBound(1); got != p.NoiseBound() {
		t.Fatalf("ThresholdNoiseBound(1) = %d, NoiseBound %d", got, p.NoiseBound())
	}
	if got := p.ThresholdNoiseBound(4); got != 8208 {
		t.Fatalf("ThresholdNoiseBound(4) = %d, want 8208", got)
	}
	for n := 2; n <= MaxParties; n++ {
		for th := 2; th <= n; th++ {
			worst := p.MaxLoad() * (p.ThresholdNoiseBound(n) + 1)
			if f := p.FloodBound(n, th); f == 0 || worst+f > p.MaxNoise() {
				t.Fatalf("%d-of-%d: worst noise %d + flooding %d > MaxNoise %d", th, n, worst, f, p.MaxNoise())
			}
		}
	}
	t.Logf("3-of-4: flooding σ 2^%.2f in total, bound 2^%.2f; worst noise at capacity 2^%.2f; MaxNoise 2^%.2f",
		math.Log2(p.FloodSigma(4, 3)), math.Log2(float64(p.FloodBound(4, 3))),
		math.Log2(float64(p.MaxLoad()*(p.ThresholdNoiseBound(4)+1))), math.Log2(float64(p.MaxNoise())))
	for _, e := range []uint64{p.ThresholdNoiseBound(4), 2 * 8202, 1 << 16, 1 << 20, 1 << 25} {
		t.Logf("noise 2^%.1f: %.1f statistical bits", math.Log2(float64(e)), p.FloodSecurity(4, 3, e))
	}
}

// TestThresholdDecrypt: three of four parties decrypt an aggregate
// exactly; two cannot, whether the combiner is asked or they interpolate
// the key themselves; shares of other sets or ciphertexts are refused.
func TestThresholdDecrypt(t *testing.T) {
	shares, pk := testThreshold(t)
	p := pk.Params()
	enc, ev := NewEncryptor(pk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(7, 8))
	want := newSums(p.Groups())
	agg := Zero(p)
	for range 5 {
		f := randFlow(rng)
		want.add(3, f, 1)
		if err := ev.Add(agg, mustEncrypt(t, enc, map[int]Flow{3: f})); err != nil {
			t.Fatal(err)
		}
	}
	for _, set := range [][]*KeyShare{shares[:3], shares[1:], {shares[0], shares[1], shares[3]}} {
		got, noise, err := Combine(agg, shareAll(t, agg, set))
		if err != nil {
			t.Fatal(err)
		}
		want.check(t, got, false)
		if noise > p.SumNoiseBound(5)*4+p.FloodBound(4, 3) {
			t.Fatalf("flooded noise %d above its bound", noise)
		}
	}

	// Two parties: no active set of two exists.
	if _, err := shares[0].ShareDecrypt(agg, []int{1, 2}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("a share for a set of two: %v", err)
	}
	three := shareAll(t, agg, shares[:3])
	if _, _, err := Combine(agg, three[:2]); !errors.Is(err, ErrThreshold) {
		t.Fatalf("two shares of three: %v", err)
	}
	// Two parties interpolating their Shamir shares as if the key were
	// 2-of-4, without flooding: they get a uniform-looking phase, not the sums.
	if got, ok := twoPartyAttack(t, agg, shares[0], shares[1]); ok && sumsEqual(got, want) {
		t.Fatal("two of four parties decrypted the aggregate")
	}

	// Shares bound to another ciphertext, repeated or mixed sets.
	other := agg.Copy()
	if err := ev.Add(other, mustEncrypt(t, enc, map[int]Flow{3: randFlow(rng)})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Combine(other, three); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares for another ciphertext: %v", err)
	}
	if _, _, err := Combine(agg, []*DecryptionShare{three[0], three[0], three[1]}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("a repeated share: %v", err)
	}
	mixed := shareAll(t, agg, shares[1:])
	if _, _, err := Combine(agg, []*DecryptionShare{three[0], three[1], mixed[2]}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("shares of two active sets: %v", err)
	}
}

func sumsEqual(a, b []GroupSum) bool {
	for g := range a {
		if a[g].Amount.Cmp(b[g].Amount) != 0 || a[g].Blinding.Cmp(b[g].Blinding) != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

// twoPartyAttack combines two Shamir shares by Lagrange interpolation at
// zero over the two points and decrypts with the result.
func twoPartyAttack(t *testing.T, ct *Ciphertext, a, b *KeyShare) ([]GroupSum, bool) {
	hp := ct.p.hp
	points := []mhe.ShamirPublicPoint{mhe.ShamirPublicPoint(a.index), mhe.ShamirPublicPoint(b.index)}
	sk := rlwe.NewSecretKey(hp)
	for _, ks := range []*KeyShare{a, b} {
		own := mhe.ShamirPublicPoint(ks.index)
		add := rlwe.NewSecretKey(hp)
		if err := mhe.NewCombiner(*hp.GetRLWEParameters(), own, points, 2).GenAdditiveShare(points, own, ks.shamir, add); err != nil {
			t.Fatal(err)
		}
		hp.RingQ().Add(sk.Value.Q, add.Value.Q, sk.Value.Q)
	}
	sums, err := NewDecryptor(&SecretKey{p: ct.p, sk: sk}).Decrypt(ct)
	return sums, err == nil
}

// TestThresholdFullCapacity: an aggregate at full capacity whose noise is
// raised to the worst case an honest sum can have under the collective
// key still decrypts exactly through three flooded shares.
func TestThresholdFullCapacity(t *testing.T) {
	shares, pk := testThreshold(t)
	p := pk.Params()
	enc, ev := NewEncryptor(pk), NewEvaluator(p)
	flows := make(map[int]Flow, p.Groups())
	for g := range p.Groups() {
		flows[g] = maxFlow()
	}
	full, pow := Zero(p), mustEncrypt(t, enc, flows)
	for n := p.MaxLoad(); n > 0; n >>= 1 {
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
		want.add(g, f, p.MaxLoad())
	}
	worst := p.MaxLoad()*(p.ThresholdNoiseBound(4)+1) - 1
	// The doubled copy has noise about MaxLoad·2^7; push every coefficient
	// by the rest of the worst case.
	noisy := NewForger(pk).AddNoise(full, int64(worst-p.MaxLoad()*200))
	for i := range 2 {
		start := time.Now()
		got, noise, err := Combine(noisy, shareAll(t, noisy, shares[i:i+3]))
		if err != nil {
			t.Fatalf("at capacity with worst-case noise: %v", err)
		}
		want.check(t, got, false)
		if noise > worst+p.FloodBound(4, 3) {
			t.Fatalf("noise %d above worst %d + flooding %d", noise, worst, p.FloodBound(4, 3))
		}
		t.Logf("parties %d..%d: exact at load %d, noise 2^%.2f (worst 2^%.2f + flooding ≤ 2^%.2f, MaxNoise 2^%.2f), %v",
			i+1, i+3, p.MaxLoad(), math.Log2(float64(noise)), math.Log2(float64(worst)),
			math.Log2(float64(p.FloodBound(4, 3))), math.Log2(float64(p.MaxNoise())), time.Since(start))
	}
}

// TestThresholdEncoding: key and decryption shares round-trip, their
// sizes are pinned, and damaged encodings are refused.
func TestThresholdEncoding(t *testing.T) {
	shares, pk := testThreshold(t)
	p := pk.Params()
	ct := mustEncrypt(t, NewEncryptor(pk), map[int]Flow{0: maxFlow()})
	var back []*KeyShare
	for _, ks := range shares[:3] {
		b, err := ks.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 55820 {
			t.Fatalf("key share: %d bytes, want 55820", len(b))
		}
		var k KeyShare
		if err := k.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		back = append(back, &k)
	}
	ds := shareAll(t, ct, back)
	var got []*DecryptionShare
	for _, s := range ds {
		b, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 47663 {
			t.Fatalf("decryption share: %d bytes, want 47663", len(b))
		}
		var d DecryptionShare
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		got = append(got, &d)
		bad := bytes.Clone(b)
		bad[headerSize+3] = bad[headerSize+4] // active set not increasing
		if err := d.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("damaged active set: %v", err)
		}
	}
	sums, _, err := Combine(ct, got)
	if err != nil {
		t.Fatal(err)
	}
	want := newSums(p.Groups())
	want.add(0, maxFlow(), 1)
	want.check(t, sums, false)
	var d DecryptionShare
	b, _ := shares[0].MarshalBinary()
	if err := d.UnmarshalBinary(b); err == nil {
		t.Fatal("a key share decoded as a decryption share")
	}
}

// TestThresholdFreshNoise: three shares interpolate to the collective
// secret (rebuilt here, in a test only), and fresh flows under the
// collective key stay within ThresholdNoiseBound.
func TestThresholdFreshNoise(t *testing.T) {
	shares, pk := testThreshold(t)
	p := pk.Params()
	hp := p.hp
	points := []mhe.ShamirPublicPoint{1, 2, 3}
	sk := rlwe.NewSecretKey(hp)
	for _, ks := range shares[:3] {
		add := rlwe.NewSecretKey(hp)
		if err := mhe.NewCombiner(*hp.GetRLWEParameters(), mhe.ShamirPublicPoint(ks.index), points, 3).GenAdditiveShare(points, mhe.ShamirPublicPoint(ks.index), ks.shamir, add); err != nil {
			t.Fatal(err)
		}
		hp.RingQ().Add(sk.Value.Q, add.Value.Q, sk.Value.Q)
	}
	dec, enc := NewDecryptor(&SecretKey{p: p, sk: sk}), NewEncryptor(pk)
	rng := rand.New(rand.NewPCG(3, 4))
	var worst uint64
	for range 50 {
		n := mustNoise(t, dec, mustEncrypt(t, enc, map[int]Flow{0: randFlow(rng)}))
		worst = max(worst, n)
	}
	if worst > p.ThresholdNoiseBound(4) {
		t.Fatalf("fresh noise %d above the bound %d", worst, p.ThresholdNoiseBound(4))
	}
	t.Logf("fresh flows under the 3-of-4 key: max noise 2^%.1f (bound 2^%.1f): %.1f statistical bits",
		math.Log2(float64(worst)), math.Log2(float64(p.ThresholdNoiseBound(4))), p.FloodSecurity(4, 3, worst))
}

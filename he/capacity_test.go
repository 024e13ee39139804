package he

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// noiseLog2 measures the decryption noise e of ct (decryption computes
// m + t·e) with Lattigo's estimator: it subtracts the expected slots and
// returns log2 of the std and of the largest coefficient of what is left.
func noiseLog2(tb testing.TB, sk *SecretKey, ct *Ciphertext, want []uint64) (std, max float64) {
	tb.Helper()
	hp := ct.p.hp
	pt := heint.NewPlaintext(hp, aggLevel)
	pt.MetaData = ct.ct.MetaData.CopyNew()
	if err := heint.NewEncoder(hp).Encode(want, pt); err != nil {
		tb.Fatal(err)
	}
	diff, err := heint.NewEvaluator(hp, nil).SubNew(ct.ct, pt)
	if err != nil {
		tb.Fatal(err)
	}
	std, _, max = rlwe.Norm(diff, heint.NewDecryptor(hp, sk.sk))
	return std, max
}

// pool is a set of fresh batch ciphertexts, every group filled, with their
// plaintext slots.
type pool struct {
	cts   []*Ciphertext
	flows [][]Flow   // [ciphertext][group]
	slots [][]uint64 // [ciphertext][slot]
}

// newPool encrypts n batch ciphertexts on all cores. The first quarter of
// the groups holds maximal flows (every limb at its bound), the rest random
// ones.
func newPool(tb testing.TB, enc *Encryptor, n int, seed uint64) *pool {
	tb.Helper()
	p := enc.Params()
	pl := &pool{cts: make([]*Ciphertext, n), flows: make([][]Flow, n), slots: make([][]uint64, n)}
	for i := range pl.flows {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		pl.flows[i] = make([]Flow, p.Groups())
		pl.slots[i] = make([]uint64, p.hp.MaxSlots())
		for g := range pl.flows[i] {
			f := randFlow(rng)
			if g < p.Groups()/4 {
				f = maxFlow()
			}
			pl.flows[i][g] = f
			putFlow(pl.slots[i], g, f)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				flows := make(map[int]Flow, len(pl.flows[i]))
				for g, f := range pl.flows[i] {
					flows[g] = f
				}
				pl.cts[i], errs[i] = enc.Encrypt(flows)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return pl
}

// mulAddMod sets acc[j] = acc[j] + k·v[j] mod t.
func mulAddMod(acc, v []uint64, k, t uint64) {
	for j, x := range v {
		hi, lo := bits.Mul64(x, k)
		_, r := bits.Div64(hi%t, lo, t)
		acc[j] = (acc[j] + r) % t
	}
}

// TestCapacity adds 100,000 flow ciphertexts into one aggregate (10,000
// with -short), decrypts it exactly, then forms the FX total of seven
// currency aggregates at the largest rate the claim covers and decrypts
// that exactly too, measuring the noise at each step.
//
// The summands cycle through a pool of distinct fresh encryptions, each
// filling every group (a quarter of them with maximal flows). Reusing a
// ciphertext correlates its noise with itself, so the aggregate's noise is
// (K/√M)·σ instead of √K·σ: a harder test than K independent flows. For the
// same reason the seven currency aggregates are one aggregate taken seven
// times, so their noises add linearly. BenchmarkCapacityDistinct runs the
// same claim with 100,000 distinct encryptions.
func TestCapacity(t *testing.T) {
	additions, poolSize := 100_000, 1024
	if testing.Short() {
		additions, poolSize = 10_000, 128
	}
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	tm := p.PlaintextModulus()
	m := model(p)

	pl := newPool(t, enc, poolSize, 11)
	std, mx := noiseLog2(t, sk, pl.cts[0], pl.slots[0])
	t.Logf("fresh flow noise: log2 std %.2f, max %.2f (model std %.2f)", std, mx, m.flow)
	if std > m.flow+0.5 {
		t.Errorf("fresh noise std 2^%.2f above the model's 2^%.2f", std, m.flow)
	}

	agg := Zero(p)
	for k := 0; k < additions; k++ {
		if err := ev.Add(agg, pl.cts[k%poolSize]); err != nil {
			t.Fatal(err)
		}
	}
	want := newSums(p.Groups())
	wantSlots := make([]uint64, p.hp.MaxSlots())
	for i := range pl.cts {
		uses := uint64(additions / poolSize)
		if i < additions%poolSize {
			uses++
		}
		for g, f := range pl.flows[i] {
			want.add(g, f, uses)
		}
		mulAddMod(wantSlots, pl.slots[i], uses, tm)
	}
	want.check(t, mustDecrypt(t, dec, agg), false)
	std, mx = noiseLog2(t, sk, agg, wantSlots)
	t.Logf("%d additions: log2 noise std %.2f, max %.2f; budget %.2f", additions, std, mx, m.budget)

	// FX: seven currencies, each at the largest rate of the claim (2^21−1,
	// i.e. 2.097151 at a 10^6 scale), each aggregate of load 100,000.
	const currencies, rate = 7, 1<<21 - 1
	fx := Zero(p)
	for c := 0; c < currencies; c++ {
		if err := ev.MulRateThenAdd(fx, agg, rate); err != nil {
			t.Fatal(err)
		}
	}
	k := uint64(currencies * rate)
	fxWant := newSums(p.Groups())
	for g := range fxWant {
		fxWant[g].Amount.Mul(want[g].Amount, new(big.Int).SetUint64(k))
	}
	fxWant.check(t, mustDecrypt(t, dec, fx), true)
	fxSlots := make([]uint64, len(wantSlots))
	mulAddMod(fxSlots, wantSlots, k, tm)
	std, mx = noiseLog2(t, sk, fx, fxSlots)
	t.Logf("FX total of %d × %d flows at rate %d: log2 noise std %.2f, max %.2f; budget %.2f (margin %.2f bits)",
		currencies, additions, rate, std, mx, m.budget, m.budget-mx)
	if mx > m.budget-1 {
		t.Errorf("FX noise 2^%.2f within a bit of the budget 2^%.2f", mx, m.budget)
	}
}

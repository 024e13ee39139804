package he

import (
	"bytes"
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

var (
	keysOnce sync.Once
	testSK   *SecretKey
	testPK   *PublicKey
)

// testKeys returns one key pair shared by the package's tests.
func testKeys(tb testing.TB) (*SecretKey, *PublicKey) {
	tb.Helper()
	keysOnce.Do(func() { testSK, testPK = GenerateKeys(DefaultParams()) })
	return testSK, testPK
}

func maxFlow() Flow {
	b := new(big.Int).Sub(blindingLimit, big.NewInt(1))
	return Flow{Amount: ^uint64(0), Blinding: b}
}

func randFlow(rng *rand.Rand) Flow {
	b := new(big.Int)
	for range blindingWords {
		b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(rng.Uint64()))
	}
	b.Rsh(b, uint(64*blindingWords-BlindingBits+rng.IntN(BlindingBits))) // widths vary
	return Flow{Amount: rng.Uint64() >> uint(rng.IntN(64)), Blinding: b}
}

// sums tracks expected per-group sums.
type sums []GroupSum

func newSums(groups int) sums {
	s := make(sums, groups)
	for g := range s {
		s[g] = GroupSum{Amount: new(big.Int), Blinding: new(big.Int)}
	}
	return s
}

func (s sums) add(g int, f Flow, times uint64) {
	n := new(big.Int).SetUint64(times)
	s[g].Amount.Add(s[g].Amount, new(big.Int).Mul(new(big.Int).SetUint64(f.Amount), n))
	s[g].Blinding.Add(s[g].Blinding, new(big.Int).Mul(f.Blinding, n))
}

func (s sums) check(t *testing.T, got []GroupSum, fx bool) {
	t.Helper()
	if len(got) != len(s) {
		t.Fatalf("got %d groups, want %d", len(got), len(s))
	}
	for g := range s {
		if got[g].Amount.Cmp(s[g].Amount) != 0 {
			t.Fatalf("group %d: amount sum differs", g)
		}
		if fx {
			if got[g].Blinding != nil {
				t.Fatalf("group %d: FX-scaled sum has a blinding", g)
			}
			continue
		}
		if got[g].Blinding.Cmp(s[g].Blinding) != 0 {
			t.Fatalf("group %d: blinding sum differs", g)
		}
	}
}

func mustEncrypt(tb testing.TB, enc *Encryptor, flows map[int]Flow) *Ciphertext {
	tb.Helper()
	ct, err := enc.Encrypt(flows)
	if err != nil {
		tb.Fatal(err)
	}
	return ct
}

func mustDecrypt(tb testing.TB, dec *Decryptor, ct *Ciphertext) []GroupSum {
	tb.Helper()
	got, err := dec.Decrypt(ct)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func marshal(tb testing.TB, ct *Ciphertext) []byte {
	tb.Helper()
	b, err := ct.MarshalBinary()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// checkPrefix checks an error reads "he: …" once.
func checkPrefix(t *testing.T, err error) {
	t.Helper()
	if err != nil && (!strings.HasPrefix(err.Error(), "he: ") || strings.Count(err.Error(), "he: ") != 1) {
		t.Errorf("error %q: want one leading \"he: \"", err)
	}
}

func TestEncryptAddDecrypt(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(1, 2))
	want := newSums(p.Groups())
	agg := Zero(p)
	for i := 0; i < 40; i++ {
		g := rng.IntN(p.Groups())
		f := randFlow(rng)
		if i%5 == 0 {
			f = maxFlow()
		}
		ct := mustEncrypt(t, enc, map[int]Flow{g: f})
		// Through the wire format, as the ledger sees it.
		var got Ciphertext
		if err := got.UnmarshalBinary(marshal(t, ct)); err != nil {
			t.Fatal(err)
		}
		if err := ev.Add(agg, &got); err != nil {
			t.Fatal(err)
		}
		want.add(g, f, 1)
	}
	if agg.Load() != 40 {
		t.Fatalf("load %d, want 40", agg.Load())
	}
	want.check(t, mustDecrypt(t, dec, agg), false)
}

func TestSingleFlowExtremes(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec := NewEncryptor(pk), NewDecryptor(sk)
	for _, f := range []Flow{maxFlow(), {Amount: 0, Blinding: new(big.Int)}, {Amount: 1, Blinding: big.NewInt(1)}} {
		for _, g := range []int{0, p.Groups() - 1} {
			want := newSums(p.Groups())
			want.add(g, f, 1)
			want.check(t, mustDecrypt(t, dec, mustEncrypt(t, enc, map[int]Flow{g: f})), false)
		}
	}
}

func TestBatchEqualsSingles(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(3, 4))
	flows := map[int]Flow{}
	for len(flows) < 12 {
		flows[rng.IntN(p.Groups())] = randFlow(rng)
	}
	flows[p.Groups()-1] = maxFlow()
	batch := mustEncrypt(t, enc, flows)
	if batch.Load() != 1 {
		t.Fatalf("batch load %d, want 1", batch.Load())
	}
	singles := Zero(p)
	for g, f := range flows {
		if err := ev.Add(singles, mustEncrypt(t, enc, map[int]Flow{g: f})); err != nil {
			t.Fatal(err)
		}
	}
	a, b := mustDecrypt(t, dec, batch), mustDecrypt(t, dec, singles)
	for g := range a {
		if a[g].Amount.Cmp(b[g].Amount) != 0 || a[g].Blinding.Cmp(b[g].Blinding) != 0 {
			t.Fatalf("group %d: batch and singles differ", g)
		}
	}
	want := newSums(p.Groups())
	for g, f := range flows {
		want.add(g, f, 1)
	}
	want.check(t, a, false)
}

// Rates of the seven currencies to USD, scaled by 10^6, minor unit to
// minor unit (JPY has no minor unit).
var usdRates = []uint64{1_000_000, 740_000, 128_000, 28_000, 1_080_000, 670_000, 138_000}

func TestFXTotal(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(5, 6))
	// One aggregate per currency; flows land in two groups each.
	total := newSums(p.Groups())
	acc := Zero(p)
	for _, rate := range usdRates {
		agg := Zero(p)
		for i := 0; i < 6; i++ {
			g := rng.IntN(2)
			f := randFlow(rng)
			if i == 0 {
				f = maxFlow()
			}
			if err := ev.Add(agg, mustEncrypt(t, enc, map[int]Flow{g: f})); err != nil {
				t.Fatal(err)
			}
			total.add(g, f, rate)
		}
		if err := ev.MulRateThenAdd(acc, agg, rate); err != nil {
			t.Fatal(err)
		}
	}
	total.check(t, mustDecrypt(t, dec, acc), true)

	// MulRate then Add gives the same ciphertext as MulRateThenAdd.
	agg := mustEncrypt(t, enc, map[int]Flow{0: maxFlow()})
	a, b := Zero(p), agg.Copy()
	if err := ev.MulRateThenAdd(a, agg, MaxRate); err != nil {
		t.Fatal(err)
	}
	if err := ev.MulRate(b, MaxRate); err != nil {
		t.Fatal(err)
	}
	if err := ev.Add(a, Zero(p)); err != nil {
		t.Fatal(err)
	}
	if !a.ct.Value[0].Equal(&b.ct.Value[0]) || !a.ct.Value[1].Equal(&b.ct.Value[1]) || a.Load() != b.Load() {
		t.Fatal("MulRate and MulRateThenAdd disagree")
	}
}

func TestEpochClose(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	agg := Zero(p)
	for i := 0; i < 3; i++ {
		if err := ev.Add(agg, mustEncrypt(t, enc, map[int]Flow{7: maxFlow(), 9: maxFlow()})); err != nil {
			t.Fatal(err)
		}
	}
	opened := mustDecrypt(t, dec, agg)
	// Re-encrypt the normalised sums. Limbs carry; the amount 3·(2^64−1)
	// needs more than 64 bits, so its top limb (767) counts for four unit
	// loads (the blinding 3·(2^252−1), whose top limb holds bits 230 on,
	// counts for two). Amounts below 2^64 with blindings below 2^253
	// re-encrypt at load 1 (checked below).
	closed, err := enc.EncryptSums(map[int]GroupSum{7: opened[7], 9: opened[9]})
	if err != nil {
		t.Fatal(err)
	}
	if closed.Load() != 4 {
		t.Fatalf("closed load %d, want 4", closed.Load())
	}
	if err := ev.Add(closed, mustEncrypt(t, enc, map[int]Flow{7: maxFlow()})); err != nil {
		t.Fatal(err)
	}
	want := newSums(p.Groups())
	want.add(7, maxFlow(), 4)
	want.add(9, maxFlow(), 3)
	want.check(t, mustDecrypt(t, dec, closed), false)

	// Small sums re-encrypt at load 1.
	small, err := enc.EncryptSums(map[int]GroupSum{0: {Amount: big.NewInt(12345), Blinding: big.NewInt(678)}})
	if err != nil || small.Load() != 1 {
		t.Fatalf("small sums: load %d, err %v", small.Load(), err)
	}
	top := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), blindingLimbs*blindingLimbBits), big.NewInt(1))
	wide, err := enc.EncryptSums(map[int]GroupSum{0: {Amount: new(big.Int).SetUint64(^uint64(0)), Blinding: top}})
	if err != nil || wide.Load() != 1 {
		t.Fatalf("sums of 64 and 253 bits: load %d, err %v", wide.Load(), err)
	}
	// Sums beyond MaxLoad cannot be re-encrypted.
	huge := new(big.Int).Lsh(big.NewInt(1), 64+64)
	for _, s := range []GroupSum{{Amount: huge, Blinding: new(big.Int)}, {Amount: new(big.Int), Blinding: new(big.Int).Lsh(huge, 200)}} {
		_, err = enc.EncryptSums(map[int]GroupSum{0: s})
		if !errors.Is(err, ErrCapacity) {
			t.Fatalf("huge sum: %v, want ErrCapacity", err)
		}
		checkPrefix(t, err)
	}
}

func TestAddIsDeterministic(t *testing.T) {
	_, pk := testKeys(t)
	p := pk.Params()
	enc, ev := NewEncryptor(pk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(7, 8))
	cts := make([]*Ciphertext, 5)
	for i := range cts {
		cts[i] = mustEncrypt(t, enc, map[int]Flow{i: randFlow(rng)})
	}
	sum := func(order []int) []byte {
		agg := Zero(p)
		for _, i := range order {
			if err := ev.Add(agg, cts[i]); err != nil {
				t.Fatal(err)
			}
		}
		return marshal(t, agg)
	}
	if !bytes.Equal(sum([]int{0, 1, 2, 3, 4}), sum([]int{4, 2, 0, 3, 1})) {
		t.Fatal("aggregate bytes depend on the order of additions")
	}
	if !bytes.Equal(marshal(t, Zero(p)), marshal(t, Zero(DefaultParams()))) {
		t.Fatal("Zero is not deterministic")
	}
}

func TestInputErrors(t *testing.T) {
	_, pk := testKeys(t)
	p := pk.Params()
	enc, ev := NewEncryptor(pk), NewEvaluator(p)
	bad := []map[int]Flow{
		{},
		{-1: {Blinding: new(big.Int)}},
		{p.Groups(): {Blinding: new(big.Int)}},
		{0: {}},
		{0: {Blinding: big.NewInt(-1)}},
		{0: {Blinding: blindingLimit}},
	}
	for i, flows := range bad {
		_, err := enc.Encrypt(flows)
		if !errors.Is(err, ErrRange) {
			t.Errorf("case %d: %v, want ErrRange", i, err)
		}
		checkPrefix(t, err)
	}

	ct := mustEncrypt(t, enc, map[int]Flow{0: maxFlow()})
	if err := ev.MulRate(ct.Copy(), MaxRate+1); !errors.Is(err, ErrRange) {
		t.Errorf("rate above MaxRate: %v", err)
	}
	full := ct.Copy()
	full.load = p.MaxLoad()
	if err := ev.Add(full, ct); !errors.Is(err, ErrCapacity) || full.Load() != p.MaxLoad() {
		t.Errorf("add past MaxLoad: %v", err)
	}
	heavy := ct.Copy()
	heavy.load = p.RateBudget()/MaxRate + 1
	if err := ev.MulRate(heavy, MaxRate); !errors.Is(err, ErrCapacity) {
		t.Errorf("FX past the rate budget: %v", err)
	}
	scaled := ct.Copy()
	if err := ev.MulRate(scaled, 3); err != nil {
		t.Fatal(err)
	}
	if err := ev.MulRate(scaled, 3); !errors.Is(err, ErrScaled) {
		t.Errorf("MulRate twice: %v", err)
	}
	if _, err := scaled.MarshalBinary(); !errors.Is(err, ErrScaled) {
		t.Errorf("marshal scaled: %v", err)
	}
	if err := ev.Add(&Ciphertext{}, ct); !errors.Is(err, ErrParams) {
		t.Errorf("add to zero value: %v", err)
	}
}

// A ciphertext that is not an honest encryption decrypts to limbs no
// honest sum of its load can have.
func TestDecryptRejectsGarbage(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	rng := rand.New(rand.NewPCG(9, 10))
	// Uniform residues: what a sender who encrypts nothing sensible sends.
	ct := Zero(p)
	for _, poly := range ct.ct.Value {
		for i, q := range p.hp.Q()[:aggLevel+1] {
			for j := range poly.Coeffs[i] {
				poly.Coeffs[i][j] = rng.Uint64N(q)
			}
		}
	}
	ct.load = 1
	_, err := NewDecryptor(sk).Decrypt(ct)
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("garbage decrypts with %v, want ErrInconsistent", err)
	}
	checkPrefix(t, err)
	// Zero decrypts to zeros at load 0.
	want := newSums(p.Groups())
	want.check(t, mustDecrypt(t, NewDecryptor(sk), Zero(p)), false)
}

func TestKeysRoundTrip(t *testing.T) {
	sk, pk := testKeys(t)
	skb, err := sk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	pkb, err := pk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(skb) != maxSecretKeySize || len(pkb) != maxPublicKeySize {
		t.Fatalf("key sizes %d, %d; want %d, %d", len(skb), len(pkb), maxSecretKeySize, maxPublicKeySize)
	}
	var sk2 SecretKey
	var pk2 PublicKey
	if err := sk2.UnmarshalBinary(skb); err != nil {
		t.Fatal(err)
	}
	if err := pk2.UnmarshalBinary(pkb); err != nil {
		t.Fatal(err)
	}
	if !sk2.sk.Equal(sk.sk) || !pk2.pk.Equal(pk.pk) {
		t.Fatal("keys differ after a round trip")
	}
	f := maxFlow()
	want := newSums(pk.Params().Groups())
	want.add(3, f, 1)
	want.check(t, mustDecrypt(t, NewDecryptor(&sk2), mustEncrypt(t, NewEncryptor(&pk2), map[int]Flow{3: f})), false)

	// Each key decoder refuses the other kinds.
	if err := pk2.UnmarshalBinary(skb); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrOversize) {
		t.Errorf("secret key as public key: %v", err)
	}
	if err := sk2.UnmarshalBinary(pkb); !errors.Is(err, ErrOversize) {
		t.Errorf("public key as secret key: %v", err)
	}
	bad := bytes.Clone(skb)
	bad[headerSize] = 0xff // code 3
	if err := sk2.UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("invalid ternary code: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			agg := Zero(p)
			for i := 0; i < 3; i++ {
				ct, err := enc.Encrypt(map[int]Flow{w: {Amount: uint64(i + 1), Blinding: big.NewInt(int64(w))}})
				if err == nil {
					err = ev.Add(agg, ct)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			got, err := dec.Decrypt(agg)
			if err == nil && (got[w].Amount.Int64() != 6 || got[w].Blinding.Int64() != int64(3*w)) {
				err = errors.New("wrong sum under concurrency")
			}
			if err != nil {
				errs <- err
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

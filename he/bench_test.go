package he

import (
	"math/big"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

func benchSetup(b *testing.B) (*Encryptor, *Decryptor, *Evaluator) {
	sk, pk := testKeys(b)
	return NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(pk.Params())
}

// BenchmarkEncryptFlow encrypts one transfer's flow: one ciphertext.
func BenchmarkEncryptFlow(b *testing.B) {
	enc, _, _ := benchSetup(b)
	flows := map[int]Flow{0: maxFlow()}
	ct := mustEncrypt(b, enc, flows)
	b.ResetTimer()
	for range b.N {
		ct = mustEncrypt(b, enc, flows)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(marshal(b, ct))), "bytes/flow")
	b.ReportMetric(float64(ct.ct.BinarySize()), "lattigo-bytes/flow")
}

// BenchmarkEncryptBatch encrypts a full batch, one flow in every group.
func BenchmarkEncryptBatch(b *testing.B) {
	enc, _, _ := benchSetup(b)
	g := enc.Params().Groups()
	flows := make(map[int]Flow, g)
	for i := range g {
		flows[i] = maxFlow()
	}
	var ct *Ciphertext
	b.ResetTimer()
	for range b.N {
		ct = mustEncrypt(b, enc, flows)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*g), "ns/flow")
	b.ReportMetric(float64(len(marshal(b, ct)))/float64(g), "bytes/flow")
	b.ReportMetric(float64(ct.ct.BinarySize())/float64(g), "lattigo-bytes/flow")
}

// BenchmarkAdd adds one flow ciphertext into an aggregate in memory.
func BenchmarkAdd(b *testing.B) {
	enc, _, ev := benchSetup(b)
	ct := mustEncrypt(b, enc, map[int]Flow{0: maxFlow()})
	agg := Zero(enc.Params())
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if agg.load == enc.Params().MaxLoad() {
			agg.load = 0
		}
		if err := ev.Add(agg, ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshalAdd is the ledger's work per flow: decode the
// transaction's ciphertext and add it into an aggregate.
func BenchmarkUnmarshalAdd(b *testing.B) {
	enc, _, ev := benchSetup(b)
	raw := marshal(b, mustEncrypt(b, enc, map[int]Flow{0: maxFlow()}))
	agg := Zero(enc.Params())
	var ct Ciphertext
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for range b.N {
		if err := ct.UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
		if agg.load == enc.Params().MaxLoad() {
			agg.load = 0
		}
		if err := ev.Add(agg, &ct); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes an aggregate.
func BenchmarkMarshal(b *testing.B) {
	enc, _, _ := benchSetup(b)
	ct := mustEncrypt(b, enc, map[int]Flow{0: maxFlow()})
	buf := make([]byte, 0, MaxCiphertextSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var err error
		if buf, err = ct.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecrypt opens an aggregate: all groups, recombined to big.Int.
func BenchmarkDecrypt(b *testing.B) {
	enc, dec, ev := benchSetup(b)
	agg := Zero(enc.Params())
	for i := range 10 {
		if err := ev.Add(agg, mustEncrypt(b, enc, map[int]Flow{i: maxFlow()})); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		mustDecrypt(b, dec, agg)
	}
}

// BenchmarkAggregate100k is the ledger's time to aggregate 100,000 flows
// from their encodings (decode + add each), on one core. The encodings
// cycle through 256 distinct ones: 100,000 of them would take 9.5 GB.
func BenchmarkAggregate100k(b *testing.B) {
	const flows, distinct = 100_000, 256
	enc, dec, ev := benchSetup(b)
	p := enc.Params()
	raws := make([][]byte, distinct)
	for i := range raws {
		raws[i] = marshal(b, mustEncrypt(b, enc, map[int]Flow{i % p.Groups(): maxFlow()}))
	}
	var ct Ciphertext
	b.ResetTimer()
	for range b.N {
		agg := Zero(p)
		for k := range flows {
			if err := ct.UnmarshalBinary(raws[k%distinct]); err != nil {
				b.Fatal(err)
			}
			if err := ev.Add(agg, &ct); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		got := mustDecrypt(b, dec, agg)
		if want := new(big.Int).Mul(big.NewInt(flows/distinct), new(big.Int).SetUint64(^uint64(0))); got[distinct-1].Amount.Cmp(want) < 0 {
			b.Fatal("wrong aggregate")
		}
		b.StartTimer()
	}
}

// BenchmarkCapacityDistinct proves the capacity claim without the pool of
// TestCapacity: 100,000 distinct encryptions (every group filled, a
// quarter with maximal flows) are added into one aggregate, which must
// decrypt exactly, and so must the FX total of seven such aggregates at
// rate 2^21−1 (the seven are the one aggregate taken seven times, whose
// noises then add linearly: harder than seven independent ones). It takes
// minutes; run it alone:
//
//	go test -run '^$' -bench CapacityDistinct -benchtime 1x ./he/
func BenchmarkCapacityDistinct(b *testing.B) {
	const additions, currencies, rate = 100_000, 7, 1<<21 - 1
	sk, pk := testKeys(b)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	for range b.N {
		agg, want := encryptAndSum(b, enc, ev, additions)
		got := mustDecrypt(b, dec, agg)
		for g := range want {
			if got[g].Amount.Cmp(want[g].Amount) != 0 || got[g].Blinding.Cmp(want[g].Blinding) != 0 {
				b.Fatalf("group %d: sum of %d distinct flows not exact", g, additions)
			}
		}
		fx := Zero(p)
		for range currencies {
			if err := ev.MulRateThenAdd(fx, agg, rate); err != nil {
				b.Fatal(err)
			}
		}
		got = mustDecrypt(b, dec, fx)
		k := big.NewInt(currencies * rate)
		for g := range want {
			if got[g].Amount.Cmp(new(big.Int).Mul(want[g].Amount, k)) != 0 {
				b.Fatalf("group %d: FX total not exact", g)
			}
		}
	}
}

// encryptAndSum encrypts n distinct full batches on all cores, each worker
// summing its own share, and returns the total with its expected sums.
func encryptAndSum(b *testing.B, enc *Encryptor, ev *Evaluator, n int) (*Ciphertext, sums) {
	p := enc.Params()
	workers := runtime.GOMAXPROCS(0)
	aggs := make([]*Ciphertext, workers)
	wants := make([]sums, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			aggs[w], wants[w] = Zero(p), newSums(p.Groups())
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for i := w; i < n; i += workers {
				flows := make(map[int]Flow, p.Groups())
				for g := range p.Groups() {
					f := randFlow(rng)
					if g < p.Groups()/4 {
						f = maxFlow()
					}
					flows[g] = f
					wants[w].add(g, f, 1)
				}
				ct, err := enc.Encrypt(flows)
				if err == nil {
					err = ev.Add(aggs[w], ct)
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	for w := 1; w < workers; w++ {
		if err := ev.Add(aggs[0], aggs[w]); err != nil {
			b.Fatal(err)
		}
		for g := range wants[0] {
			wants[0][g].Amount.Add(wants[0][g].Amount, wants[w][g].Amount)
			wants[0][g].Blinding.Add(wants[0][g].Blinding, wants[w][g].Blinding)
		}
	}
	return aggs[0], wants[0]
}

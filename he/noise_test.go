package he

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func mustNoise(tb testing.TB, dec *Decryptor, ct *Ciphertext) uint64 {
	tb.Helper()
	n, err := dec.Noise(ct)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestNoiseBoundPinned pins the bound of an honest fresh flow, the
// decryption bound, and the capacity argument between them.
func TestNoiseBoundPinned(t *testing.T) {
	p := DefaultParams()
	if p.NoiseBound() != 2052 {
		t.Errorf("NoiseBound %d, pinned 2052", p.NoiseBound())
	}
	// ⌊(q0·q1 − t)/(2t)⌋
	q := new(big.Int).Mul(new(big.Int).SetUint64(0x7fffffffe0001), new(big.Int).SetUint64(0x3ffffffa001))
	tm := new(big.Int).SetUint64(p.PlaintextModulus())
	want := new(big.Int).Quo(new(big.Int).Sub(q, tm), new(big.Int).Lsh(tm, 1))
	if p.MaxNoise() != want.Uint64() {
		t.Errorf("MaxNoise %d, want %v", p.MaxNoise(), want)
	}
	worst := p.SumNoiseBound(p.MaxLoad())
	if worst != p.MaxLoad()*(p.NoiseBound()+1)-1 || worst >= p.MaxNoise() {
		t.Errorf("capacity: %d flows may reach noise %d, decryption bound %d", p.MaxLoad(), worst, p.MaxNoise())
	}
	if p.SumNoiseBound(0) != 0 || p.SumNoiseBound(1) != p.NoiseBound() {
		t.Error("SumNoiseBound of 0 or 1 flows")
	}
	t.Logf("NoiseBound %d (2^%.2f); MaxLoad·(B+1) 2^%.2f; MaxNoise 2^%.2f", p.NoiseBound(),
		math.Log2(float64(p.NoiseBound())), math.Log2(float64(worst)), math.Log2(float64(p.MaxNoise())))
}

// TestNoiseMeasured checks Decryptor.Noise against Lattigo's estimator and
// every fresh encryption against NoiseBound, and the additivity the
// capacity argument rests on.
func TestNoiseMeasured(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	rng := rand.New(rand.NewPCG(3, 4))
	sum := Zero(p)
	var total uint64
	for i := 0; i < 32; i++ {
		flows := map[int]Flow{0: randFlow(rng), 7: maxFlow(), p.Groups() - 1: randFlow(rng)}
		ct := mustEncrypt(t, enc, flows)
		n := mustNoise(t, dec, ct)
		if n > p.NoiseBound() || n == 0 {
			t.Fatalf("fresh flow noise %d, bound %d", n, p.NoiseBound())
		}
		if i == 0 {
			slots := make([]uint64, p.hp.MaxSlots())
			for g, f := range flows {
				putFlow(slots, g, f)
			}
			_, lmax := noiseLog2(t, sk, ct, slots)
			// Lattigo's plaintext is uncentred mod t, which moves e by at most 1.
			if d := math.Abs(math.Exp2(lmax) - float64(n)); d > 1.01 {
				t.Fatalf("Noise %d, Lattigo's estimate 2^%.3f", n, lmax)
			}
			t.Logf("fresh flow noise %d (2^%.2f), bound %d", n, math.Log2(float64(n)), p.NoiseBound())
		}
		before := mustNoise(t, dec, sum)
		if err := ev.Add(sum, ct); err != nil {
			t.Fatal(err)
		}
		if after := mustNoise(t, dec, sum); after > before+n+1 {
			t.Fatalf("noise of a sum %d > %d + %d + 1", after, before, n)
		}
		total += n
	}
	if n := mustNoise(t, dec, sum); n > p.SumNoiseBound(sum.Load()) {
		t.Fatalf("sum of %d flows: noise %d above %d", sum.Load(), n, p.SumNoiseBound(sum.Load()))
	}
	if n := mustNoise(t, dec, Zero(p)); n != 0 {
		t.Fatalf("Zero has noise %d", n)
	}
}

// TestNoiseFlooding: a flow flooded to just under the decryption bound
// decrypts exactly on its own, and its measured noise says what it is;
// past the bound it no longer decrypts.
func TestNoiseFlooding(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec := NewEncryptor(pk), NewDecryptor(sk)
	f := Forger{enc: enc}
	flow := Flow{Amount: 123456, Blinding: big.NewInt(987654321)}
	ct := mustEncrypt(t, enc, map[int]Flow{0: flow})
	fresh := mustNoise(t, dec, ct)
	x := int64(p.MaxNoise()) - 100
	flooded := f.AddNoise(ct, x)
	if flooded.Load() != 1 {
		t.Fatal("load changed")
	}
	got := mustDecrypt(t, dec, flooded)
	if got[0].Amount.Uint64() != flow.Amount || got[0].Blinding.Cmp(flow.Blinding) != 0 {
		t.Fatal("flooded flow does not decrypt to its flow")
	}
	n := mustNoise(t, dec, flooded)
	if n < uint64(x)-fresh || n > uint64(x)+fresh || n <= p.NoiseBound() {
		t.Fatalf("flooded noise %d, want %d ± %d", n, x, fresh)
	}
	if err := flooded.CheckNondegenerate(); err != nil {
		t.Fatalf("a flooded flow looks like any other: %v", err)
	}
	moderate := mustNoise(t, dec, f.AddNoise(ct, -1<<25))
	if moderate < 1<<25-fresh || moderate > 1<<25+fresh {
		t.Fatalf("noise 2^25 measured %d", moderate)
	}
	over := f.AddNoise(ct, int64(p.MaxNoise())+int64(fresh)+2)
	if got, err := dec.Decrypt(over); err == nil && got[0].Amount.Uint64() == flow.Amount {
		t.Fatal("a flow past the decryption bound decrypts")
	}
}

// TestCheckNondegenerate: encryptions pass; a noiseless ciphertext, Zero
// and a ciphertext with a structured c1 are refused.
func TestCheckNondegenerate(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	f := NewForger(pk)
	dec := NewDecryptor(sk)
	flow := Flow{Amount: 5000, Blinding: big.NewInt(77)}
	honest := mustEncrypt(t, f.enc, map[int]Flow{0: flow})
	if err := honest.CheckNondegenerate(); err != nil {
		t.Fatalf("honest flow: %v", err)
	}
	slots, err := f.Slots(map[int]Flow{0: flow})
	if err != nil {
		t.Fatal(err)
	}
	trivial, err := f.Trivial(slots)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, dec, trivial); got[0].Amount.Uint64() != flow.Amount {
		t.Fatal("trivial encryption does not decrypt to its flow")
	}
	if n := mustNoise(t, dec, trivial); n > 1 {
		t.Fatalf("trivial encryption has noise %d", n)
	}
	small := honest.Copy() // c1 with three distinct values: its c0 reveals the flow
	r := p.ringAgg
	c1 := r.NewPoly()
	rng := rand.New(rand.NewPCG(1, 2))
	for lvl, q := range r.ModuliChain()[:aggLevel+1] {
		for j := range c1.Coeffs[lvl] {
			c1.Coeffs[lvl][j] = []uint64{0, 1, q - 1}[rng.IntN(3)]
		}
	}
	r.NTT(c1, small.ct.Value[1])
	for name, ct := range map[string]*Ciphertext{"trivial": trivial, "zero": Zero(p), "ternary c1": small} {
		err := ct.CheckNondegenerate()
		if !errors.Is(err, ErrDegenerate) {
			t.Errorf("%s: %v, want ErrDegenerate", name, err)
		}
		checkPrefix(t, err)
	}
}

// TestForgerSlots: EncryptSlots of Encrypt's slots is an honest flow.
func TestForgerSlots(t *testing.T) {
	sk, pk := testKeys(t)
	f := NewForger(pk)
	dec := NewDecryptor(sk)
	flow := Flow{Amount: 42, Blinding: big.NewInt(4242)}
	slots, err := f.Slots(map[int]Flow{3: flow})
	if err != nil {
		t.Fatal(err)
	}
	size, blinding, groups := f.Layout()
	if size*groups > len(slots) || blinding >= size || slots[3*size] != 42 || slots[3*size+blinding] != 4242 {
		t.Fatalf("layout %d/%d/%d does not match the slots", size, blinding, groups)
	}
	if aw, bw := f.LimbBits(); aw*blinding < 64 || bw*(size-blinding) < BlindingBits {
		t.Fatalf("limbs of %d and %d bits do not cover the flow", aw, bw)
	}
	ct, err := f.EncryptSlots(slots)
	if err != nil {
		t.Fatal(err)
	}
	got := mustDecrypt(t, dec, ct)
	if got[3].Amount.Uint64() != 42 || got[3].Blinding.Int64() != 4242 || ct.Load() != 1 {
		t.Fatal("EncryptSlots does not round-trip")
	}
	if n := mustNoise(t, dec, ct); n > pk.Params().NoiseBound() {
		t.Fatalf("EncryptSlots noise %d", n)
	}
}

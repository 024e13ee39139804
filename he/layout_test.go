package he

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"
)

// curveOrder is ℓ, the order of the BN254 twisted Edwards subgroup that
// commitments live in (251 bits): the largest blinding a sender draws is
// ℓ − 1. he knows nothing of commitments; the number is here to test the
// widths that matter.
var curveOrder, _ = new(big.Int).SetString("2736030358979909402780800718157159386076813972158567259200215660948447373041", 10)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

// edgeBlindings are the blindings the layout must carry exactly: zero, the
// old width's limit, the curve order less one, the largest accepted.
func edgeBlindings() map[string]*big.Int {
	return map[string]*big.Int{
		"0":       new(big.Int),
		"2^128":   pow2(128),
		"ℓ−1":     new(big.Int).Sub(curveOrder, big.NewInt(1)),
		"2^252−1": new(big.Int).Sub(pow2(BlindingBits), big.NewInt(1)),
	}
}

// TestLayoutCoversBlinding: the blinding limbs cover BlindingBits, the
// groups fit in the slots with the rest unused, and MaxBulkPayments-sized
// batches (64) fit with room to spare.
func TestLayoutCoversBlinding(t *testing.T) {
	p := DefaultParams()
	if BlindingBits != 252 || curveOrder.BitLen() > BlindingBits {
		t.Fatalf("BlindingBits %d does not hold ℓ (%d bits)", BlindingBits, curveOrder.BitLen())
	}
	if w := blindingLimbs * blindingLimbBits; w < BlindingBits || w-BlindingBits >= blindingLimbBits {
		t.Fatalf("%d limbs of %d bits for a %d-bit blinding", blindingLimbs, blindingLimbBits, BlindingBits)
	}
	if p.Groups()*groupSlots > p.hp.MaxSlots() || (p.Groups()+1)*groupSlots <= p.hp.MaxSlots() || p.Groups() <= 64 {
		t.Fatalf("%d groups of %d slots in %d", p.Groups(), groupSlots, p.hp.MaxSlots())
	}
}

// TestLimbsRoundTrip spreads flows into limbs and recombines them without
// encryption: edge blindings, every single bit (limbs straddle 64-bit
// words) and random values, at load 1 and at the capacity.
func TestLimbsRoundTrip(t *testing.T) {
	p := DefaultParams()
	var cases []*big.Int
	for _, b := range edgeBlindings() {
		cases = append(cases, b)
	}
	for i := uint(0); i < BlindingBits; i++ {
		cases = append(cases, pow2(i), new(big.Int).Sub(pow2(i+1), big.NewInt(1)))
	}
	rng := rand.New(rand.NewPCG(21, 22))
	for range 200 {
		cases = append(cases, randFlow(rng).Blinding)
	}
	slots := make([]uint64, p.hp.MaxSlots())
	for _, b := range cases {
		f := Flow{Amount: rng.Uint64(), Blinding: b}
		g := rng.IntN(p.Groups())
		if err := checkFlow(g, f, p.Groups()); err != nil {
			t.Fatal(err)
		}
		clear(slots)
		putFlow(slots, g, f)
		got, err := readGroups(slots, p.Groups(), 1, false)
		if err != nil {
			t.Fatal(err)
		}
		if got[g].Amount.Uint64() != f.Amount || got[g].Blinding.Cmp(b) != 0 {
			t.Fatalf("blinding %x: recombined %x", b, got[g].Blinding)
		}
		// The same limbs times the capacity stay below t and recombine to
		// MaxLoad times the flow.
		for i := range slots {
			slots[i] *= p.MaxLoad()
			if slots[i] >= p.PlaintextModulus() {
				t.Fatalf("slot %d at capacity reaches t", i)
			}
		}
		got, err = readGroups(slots, p.Groups(), p.MaxLoad(), false)
		n := new(big.Int).SetUint64(p.MaxLoad())
		if err != nil || got[g].Blinding.Cmp(new(big.Int).Mul(b, n)) != 0 {
			t.Fatalf("blinding %x at capacity: %v", b, err)
		}
	}
}

// TestBlindingRange: blindings at or above 2^252, or negative, are refused
// by Encrypt and by the Forger's honest slots, whatever their width.
func TestBlindingRange(t *testing.T) {
	_, pk := testKeys(t)
	enc, f := NewEncryptor(pk), NewForger(pk)
	for _, b := range []*big.Int{
		pow2(BlindingBits),
		new(big.Int).Add(pow2(BlindingBits), big.NewInt(1)),
		pow2(253),
		new(big.Int).Add(curveOrder, pow2(BlindingBits)),
		pow2(256),
		pow2(1000),
		big.NewInt(-1),
		new(big.Int).Neg(curveOrder),
	} {
		flows := map[int]Flow{0: {Amount: 1, Blinding: b}}
		if _, err := enc.Encrypt(flows); !errors.Is(err, ErrRange) {
			t.Errorf("blinding %v: Encrypt %v, want ErrRange", b, err)
		}
		if _, err := f.Slots(flows); !errors.Is(err, ErrRange) {
			t.Errorf("blinding %v: Slots %v, want ErrRange", b, err)
		}
	}
}

// TestEdgeBlindings: flows with the edge blindings encrypt, aggregate and
// decrypt exactly, alone and summed, in the first and last groups.
func TestEdgeBlindings(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	agg, want := Zero(p), newSums(p.Groups())
	for name, b := range edgeBlindings() {
		for _, g := range []int{0, p.Groups() - 1} {
			f := Flow{Amount: ^uint64(0), Blinding: b}
			ct := mustEncrypt(t, enc, map[int]Flow{g: f})
			one := newSums(p.Groups())
			one.add(g, f, 1)
			one.check(t, mustDecrypt(t, dec, ct), false)
			var wire Ciphertext
			if err := wire.UnmarshalBinary(marshal(t, ct)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := ev.Add(agg, &wire); err != nil {
				t.Fatal(err)
			}
			want.add(g, f, 1)
		}
	}
	want.check(t, mustDecrypt(t, dec, agg), false)
}

// TestFullCapacity builds an aggregate of MaxLoad maximal flows, every
// group filled (the edge blindings in four groups, 2^252 − 1 in the rest),
// by doubling: the exact sum of MaxLoad copies of one fresh ciphertext,
// the worst case for the limbs (every one at MaxLoad·unit or near it) and
// for the noise (copies add linearly). It decrypts exactly, its noise is
// within SumNoiseBound, and one more flow is refused.
func TestFullCapacity(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	enc, dec, ev := NewEncryptor(pk), NewDecryptor(sk), NewEvaluator(p)
	flows := make(map[int]Flow, p.Groups())
	for g := range p.Groups() {
		flows[g] = maxFlow()
	}
	edges := edgeBlindings()
	for g, name := range []string{"0", "2^128", "ℓ−1", "2^252−1"} {
		flows[g] = Flow{Amount: ^uint64(0), Blinding: edges[name]}
	}
	ct := mustEncrypt(t, enc, flows)
	fresh := mustNoise(t, dec, ct)
	full, pow := Zero(p), ct.Copy()
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
	if full.Load() != p.MaxLoad() {
		t.Fatalf("load %d, want %d", full.Load(), p.MaxLoad())
	}
	want := newSums(p.Groups())
	for g, f := range flows {
		want.add(g, f, p.MaxLoad())
	}
	want.check(t, mustDecrypt(t, dec, full), false)
	noise := mustNoise(t, dec, full)
	if noise > p.SumNoiseBound(p.MaxLoad()) || noise > p.MaxLoad()*(fresh+1) {
		t.Fatalf("noise %d at capacity; fresh %d, bound %d", noise, fresh, p.SumNoiseBound(p.MaxLoad()))
	}
	t.Logf("%d maximal flows in %d groups: noise %d (fresh %d), bound %d, MaxNoise %d",
		p.MaxLoad(), p.Groups(), noise, fresh, p.SumNoiseBound(p.MaxLoad()), p.MaxNoise())
	if err := ev.Add(full, mustEncrypt(t, enc, map[int]Flow{0: {Blinding: new(big.Int)}})); !errors.Is(err, ErrCapacity) {
		t.Fatalf("a flow past the capacity: %v, want ErrCapacity", err)
	}
}

// TestLimbsAboveBound: limbs that recombine to the right blinding but one
// of which is above its bound (a carry moved into a lower limb) do not
// decrypt: such a flow would wrap an aggregate long before its capacity.
func TestLimbsAboveBound(t *testing.T) {
	sk, pk := testKeys(t)
	p := pk.Params()
	f, dec := NewForger(pk), NewDecryptor(sk)
	flow := Flow{Amount: 7, Blinding: edgeBlindings()["ℓ−1"]}
	slots, err := f.Slots(map[int]Flow{2: flow})
	if err != nil {
		t.Fatal(err)
	}
	size, blinding, _ := f.Layout()
	s := slots[2*size+blinding:]
	const k = 1 << 10
	tm := p.PlaintextModulus()
	s[3] = (s[3] + tm - k) % tm
	s[2] += k << blindingLimbBits // Σ limb_i·2^(23i) unchanged mod t
	ct, err := f.EncryptSlots(slots)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Decrypt(ct); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("limbs above their bound: %v, want ErrInconsistent", err)
	}
}

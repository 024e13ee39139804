package he

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"
)

// maskAll has each of parties encrypt a fresh mask of groups.
func maskAll(tb testing.TB, pk *PublicKey, groups []int, parties int) []*Mask {
	tb.Helper()
	enc := NewEncryptor(pk)
	out := make([]*Mask, parties)
	for i := range out {
		m, err := enc.EncryptMask(groups)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = m
	}
	return out
}

// combinedSlots returns the decoded slots of ct decrypted by shares, with
// no limb check: what a combiner would see in a masked group.
func combinedSlots(tb testing.TB, ct *Ciphertext, shares []*DecryptionShare) []uint64 {
	tb.Helper()
	sw := ct.Copy()
	for _, s := range shares {
		ct.p.ringAgg.Add(sw.ct.Value[0], s.share.Value, sw.ct.Value[0])
	}
	d := zeroDecryptor(ct.p)
	w := d.pool.Get().(*decWorker)
	defer d.pool.Put(w)
	w.dec.Decrypt(sw.ct, w.pt)
	if err := w.ecd.Decode(w.pt, w.slots); err != nil {
		tb.Fatal(err)
	}
	return slices.Clone(w.slots)
}

// TestMaskedBound: with t fresh masks added to an aggregate at full
// capacity, the worst noise plus the flooding stays under MaxNoise for
// every n ≤ MaxParties and every t.
func TestMaskedBound(t *testing.T) {
	p := DefaultParams()
	for n := 2; n <= MaxParties; n++ {
		for th := 2; th <= n; th++ {
			worst := (p.MaxLoad() + uint64(th)) * (p.ThresholdNoiseBound(n) + 1)
			if f := p.FloodBound(n, th); f == 0 || worst+f > p.MaxNoise() {
				t.Fatalf("%d-of-%d: worst noise %d with %d masks + flooding %d > MaxNoise %d", th, n, worst, th, f, p.MaxNoise())
			}
		}
	}
}

// TestMaskedFullCapacity: an aggregate at full capacity with worst-case
// noise, plus three masks over two groups, decrypts exactly in every
// other group; the masked groups read nowhere near their true limbs, and
// two maskings read differently.
func TestMaskedFullCapacity(t *testing.T) {
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
	noisy := NewForger(pk).AddNoise(full, int64(worst-p.MaxLoad()*200))
	groups := []int{3, 17}
	var seen [][]uint64
	for run := range 2 {
		masked, got, err := AddMasks(noisy, maskAll(t, pk, groups, 3))
		if err != nil || !slices.Equal(got, groups) {
			t.Fatalf("add masks: %v %v", got, err)
		}
		if masked.Load() != noisy.Load() {
			t.Fatalf("masks changed the load: %d, want %d", masked.Load(), noisy.Load())
		}
		ds := shareAll(t, masked, shares[run:run+3])
		sums, noise, err := CombineMasked(masked, ds, groups)
		if err != nil {
			t.Fatalf("masked decryption at capacity: %v", err)
		}
		for g := range p.Groups() {
			if slices.Contains(groups, g) {
				if sums[g].Amount != nil {
					t.Fatalf("masked group %d decoded", g)
				}
				continue
			}
			if sums[g].Amount.Cmp(want[g].Amount) != 0 || sums[g].Blinding.Cmp(want[g].Blinding) != 0 {
				t.Fatalf("group %d not exact under masks", g)
			}
		}
		if bound := worst + 3*(p.ThresholdNoiseBound(4)+1) + p.FloodBound(4, 3); noise > bound {
			t.Fatalf("noise %d above worst %d + masks + flooding", noise, bound)
		}
		t.Logf("masked run %d: exact outside groups %v at load %d, noise 2^%.2f (MaxNoise 2^%.2f)",
			run, groups, p.MaxLoad(), math.Log2(float64(noise)), math.Log2(float64(p.MaxNoise())))
		// The unmasked combine fails on the masked groups' limbs.
		if _, _, err := Combine(masked, ds); !errors.Is(err, ErrInconsistent) {
			t.Fatalf("plain combine of a masked book: %v, want ErrInconsistent", err)
		}
		slots := combinedSlots(t, masked, ds)
		var g3 []uint64
		for _, g := range groups {
			g3 = append(g3, slots[g*groupSlots:(g+1)*groupSlots]...)
		}
		wrong := 0
		for i, v := range g3[:amountLimbs] {
			if v != p.MaxLoad()*amountUnit && i < amountLimbs {
				wrong++
			}
		}
		if wrong < amountLimbs-1 {
			t.Fatalf("masked amount limbs still read the true value in %d of %d slots", amountLimbs-wrong, amountLimbs)
		}
		seen = append(seen, g3)
	}
	if slices.Equal(seen[0], seen[1]) {
		t.Fatal("two maskings of the same book decrypt to the same values")
	}
}

// TestMaskCancellation: the attack the commit round of a masked
// decryption stops. A party that sees the other masks before choosing its
// own submits −Σ of them plus an encryption of zero, and book + Σ masks
// then decrypts every masked group exactly, single payments included.
func TestMaskCancellation(t *testing.T) {
	shares, pk := testThreshold(t)
	p := pk.Params()
	enc := NewEncryptor(pk)
	book := mustEncrypt(t, enc, map[int]Flow{3: maxFlow(), 5: maxFlow()})
	want, _, err := Combine(book, shareAll(t, book, shares[:3]))
	if err != nil {
		t.Fatal(err)
	}
	groups := []int{3}
	honest := maskAll(t, pk, groups, 2)
	cancel, err := enc.NegatedMask(honest...)
	if err != nil {
		t.Fatal(err)
	}
	honestSum, _, err := AddMasks(book, append(slices.Clone(honest), maskAll(t, pk, groups, 1)...))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Combine(honestSum, shareAll(t, honestSum, shares[:3])); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("an honest third mask: the masked group decodes: %v", err)
	}
	cancelled, _, err := AddMasks(book, append(honest, cancel))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := Combine(cancelled, shareAll(t, cancelled, shares[:3]))
	if err != nil {
		t.Fatalf("a cancelled masking: %v", err)
	}
	for g := range p.Groups() {
		if got[g].Amount.Cmp(want[g].Amount) != 0 {
			t.Fatalf("group %d: %v, want %v", g, got[g].Amount, want[g].Amount)
		}
	}
}

// TestMaskEncoding: a mask round-trips; loads other than 0, groups out of
// order and masks of other groups are refused.
func TestMaskEncoding(t *testing.T) {
	_, pk := testThreshold(t)
	p := pk.Params()
	m := maskAll(t, pk, []int{0, 4}, 1)[0]
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Mask
	if err := back.UnmarshalBinary(b); err != nil || !slices.Equal(back.Groups(), []int{0, 4}) {
		t.Fatalf("round trip: %v %v", back.Groups(), err)
	}
	b2, _ := back.MarshalBinary()
	if !slices.Equal(b, b2) {
		t.Fatal("re-encoding differs")
	}
	swapped := slices.Clone(b)
	swapped[3], swapped[5] = 4, 0
	if err := back.UnmarshalBinary(swapped); !errors.Is(err, ErrMalformed) {
		t.Fatalf("groups out of order: %v", err)
	}
	flow := mustEncrypt(t, NewEncryptor(pk), map[int]Flow{0: {Amount: 1, Blinding: big.NewInt(1)}})
	fb, _ := flow.MarshalBinary()
	if err := back.UnmarshalBinary(append([]byte{0, 1, 0, 0}, fb...)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a flow (load 1) passed as a mask: %v", err)
	}
	other := maskAll(t, pk, []int{1}, 1)[0]
	if _, _, err := AddMasks(Zero(p), []*Mask{m, other}); !errors.Is(err, ErrThreshold) {
		t.Fatalf("masks of different groups: %v", err)
	}
	if _, err := NewEncryptor(pk).EncryptMask([]int{4, 0}); !errors.Is(err, ErrRange) {
		t.Fatalf("unordered groups: %v", err)
	}
}

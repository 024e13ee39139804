package audit

import (
	"context"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// flows encrypts n random flows as an aggregate's elements; flood adds
// noise x to the flow at index at.
func flows(t *testing.T, pk *he.PublicKey, n, at int, x int64) []element {
	t.Helper()
	f := he.NewForger(pk)
	rng := rand.New(rand.NewPCG(5, 6))
	es := make([]element, n)
	for i := range es {
		fl := he.Flow{Amount: rng.Uint64N(1 << 40), Blinding: new(big.Int).SetUint64(rng.Uint64())}
		slots, err := f.Slots(map[int]he.Flow{ledger.FlowGroup: fl})
		if err != nil {
			t.Fatal(err)
		}
		ct, err := f.EncryptSlots(slots)
		if err != nil {
			t.Fatal(err)
		}
		if i == at {
			ct = f.AddNoise(ct, x)
		}
		es[i] = element{ct: ct, com: zkp.Commit(fl.Amount, fl.Blinding), txid: string(rune('a' + i%26)), sender: "bank"}
	}
	es[at].txid = "flooded"
	return es
}

// TestNoisiestFindsHiddenNoise: a flow with noise 2^17 among 69 honest
// ones hides under the bound of 70 honest flows (143,709), so no sub-aggregate is
// provably dishonest at the top; when an FX total breaks, the search
// follows the noisier half down to it, and names it for its noise.
func TestNoisiestFindsHiddenNoise(t *testing.T) {
	sk, pk := he.GenerateKeys(he.DefaultParams())
	a := New(nil, sk, DefaultFXRates())
	es := flows(t, pk, 70, 37, 1<<17)
	sum, _, _ := a.sum(es)
	if n, _ := he.NewDecryptor(sk).Noise(sum); n > sk.Params().SumNoiseBound(sum.Load()) {
		t.Fatalf("noise %d is not hidden under %d", n, sk.Params().SumNoiseBound(sum.Load()))
	}
	got, err := a.noisiest(context.Background(), "currency/USD/minted", es)
	if err != nil || len(got) != 1 || got[0].TxID != "flooded" || !strings.Contains(got[0].Reason, "above 2052") {
		t.Fatalf("named %+v", got)
	}
	// Within the bound, the noisiest flow is named as such.
	es = flows(t, pk, 64, 40, 1800)
	got, err = a.noisiest(context.Background(), "currency/USD/minted", es)
	if err != nil || len(got) != 1 || got[0].TxID != "flooded" || !strings.Contains(got[0].Reason, "noisiest") {
		t.Fatalf("named %+v", got)
	}
}

// TestWalkNamesOnlyDishonest: bisection of a sum of honest flows and one
// flooded flow names it alone, and recovers the true sum.
func TestWalkNamesOnlyDishonest(t *testing.T) {
	sk, pk := he.GenerateKeys(he.DefaultParams())
	a := New(nil, sk, DefaultFXRates())
	es := flows(t, pk, 9, 4, int64(sk.Params().MaxNoise())-100)
	var out []Culprit
	total, err := a.walk(context.Background(), "k", es, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].TxID != "flooded" {
		t.Fatalf("named %+v", out)
	}
	com := zkp.ZeroCommitment()
	for _, e := range es {
		com = com.Add(e.com)
	}
	if total == nil || !commitBig(total.Amount, total.Blinding).Equal(com) {
		t.Fatal("the sum is not recovered")
	}
}

func TestCommitBig(t *testing.T) {
	r := big.NewInt(12345)
	a := new(big.Int).Lsh(big.NewInt(3), 64)
	a.Add(a, big.NewInt(7))
	half := zkp.Commit(1<<63, new(big.Int))
	want := zkp.Commit(7, r)
	for i := 0; i < 6; i++ { // 3·2^64 = 6·2^63
		want = want.Add(half)
	}
	if !commitBig(a, r).Equal(want) || !commitBig(big.NewInt(7), r).Equal(zkp.Commit(7, r)) {
		t.Fatal("commitBig")
	}
}

// TestReencryptReducesBlinding: an aggregate of flows with full-width
// blindings (ℓ − 1 and 2^252 − 1, the largest he accepts) is closed at
// load 1, its blinding reduced mod ℓ, and the base plus a later flow still
// opens the sum of all their commitments. Unreduced, the same sum would
// weigh several loads.
func TestReencryptReducesBlinding(t *testing.T) {
	sk, pk := he.GenerateKeys(he.DefaultParams())
	enc, dec, ev := he.NewEncryptor(pk), he.NewDecryptor(sk), he.NewEvaluator(sk.Params())
	top := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), he.BlindingBits), big.NewInt(1))
	lm1 := new(big.Int).Sub(zkp.Order(), big.NewInt(1))
	agg, com := he.Zero(sk.Params()), zkp.ZeroCommitment()
	add := func(f he.Flow) {
		ct, err := enc.Encrypt(map[int]he.Flow{ledger.FlowGroup: f})
		if err != nil {
			t.Fatal(err)
		}
		if err := ev.Add(agg, ct); err != nil {
			t.Fatal(err)
		}
		com = com.Add(zkp.Commit(f.Amount, f.Blinding))
	}
	for i := range 40 {
		r := lm1
		if i%2 == 1 {
			r = top
		}
		add(he.Flow{Amount: uint64(1000 + i), Blinding: r})
	}
	sums, err := dec.Decrypt(agg)
	if err != nil {
		t.Fatal(err)
	}
	total := he.Total(sums)
	if unreduced, err := enc.EncryptSums(map[int]he.GroupSum{ledger.FlowGroup: total}); err != nil || unreduced.Load() < 4 {
		t.Fatalf("unreduced sum of 40 full-width blindings: load %v, %v; want several", unreduced.Load(), err)
	}
	raw, err := reencrypt(enc, total)
	if err != nil {
		t.Fatal(err)
	}
	agg = he.Zero(sk.Params())
	if err := agg.UnmarshalBinary(raw); err != nil || agg.Load() != 1 {
		t.Fatalf("closed aggregate: load %d, %v; want 1", agg.Load(), err)
	}
	add(he.Flow{Amount: 5, Blinding: top})
	sums, err = dec.Decrypt(agg)
	if err != nil {
		t.Fatal(err)
	}
	got := he.Total(sums)
	if !commitBig(got.Amount, got.Blinding).Equal(com) || got.Blinding.Cmp(new(big.Int).Add(zkp.Order(), top)) >= 0 {
		t.Fatal("the closed base plus a later flow does not open the commitment sum")
	}
}

package zkp

import (
	"errors"
	"math"
	"sort"
	"testing"
	"time"
)

func TestFXAmount(t *testing.T) {
	cases := []struct {
		name    string
		a, rate uint64
		want    uint64
		err     bool
	}{
		{"USD→SGD 1.3402", 500_000, 134_020_000, 670_100, false},
		{"rounds down, remainder 10^8 − 1", 1, 2*FXScale - 1, 1, false},
		{"a = 1 at par", 1, FXScale, 1, false},
		{"USD cent→JPY at 150 JPY/$", 3, 150_000_000, 4, false}, // 4.5 yen rounds to 4
		{"JPY→USD at 0.0067 $/JPY", 149, 67_000_000, 99, false}, // 99.83 cents
		{"rounds to zero", 1, FXScale - 1, 0, true},
		{"2^64 − 1 at par", math.MaxUint64, FXScale, math.MaxUint64, false},
		{"past 2^64", math.MaxUint64, FXScale + 1, 0, true},
	}
	for _, c := range cases {
		got, err := FXAmount(c.a, c.rate)
		if c.err != (err != nil) || got != c.want {
			t.Errorf("%s: FXAmount(%d, %d) = %d, %v; want %d (error %v)", c.name, c.a, c.rate, got, err, c.want, c.err)
		}
		if c.err && !errors.Is(err, ErrFXAmount) {
			t.Errorf("%s: error %v does not wrap ErrFXAmount", c.name, err)
		}
	}
}

// TestFXProof proves a swap with both engines and plays the verifier
// against a changed rate, a leg B amount one minor unit off, and a proof
// moved to another transaction.
func TestFXProof(t *testing.T) {
	pk, vk := setupFor(t, FX)
	tp, err := NewTableProver(pk)
	if err != nil {
		t.Fatal(err)
	}
	rA, _ := RandomAmountBlinding()
	rB, _ := RandomAmountBlinding()
	in := FXInput{AmountA: 500_001, BlindingA: rA, BlindingB: rB, Rate: 134_020_000, Context: NewContext("test", []byte("swap 1"))}
	pub, proof, err := pk.ProveFX(in, vk)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyBoth(pub, proof, vk); err != nil {
		t.Fatal(err)
	}
	if want := Commit(670_101, rB); !pub.AmountB.Equal(want) {
		t.Fatal("C_B is not Com(⌊a·R/10^8⌋, r_B)")
	}
	tpub, tproof, err := tp.ProveFX(in, vk)
	if err != nil {
		t.Fatalf("table engine: %v", err)
	}
	if err := verifyBoth(tpub, tproof, vk); err != nil {
		t.Fatalf("table engine: %v", err)
	}

	attacks := map[string]func(p *Public){
		"rate + 1":            func(p *Public) { p.Rate++ },
		"rate − 1":            func(p *Public) { p.Rate-- },
		"leg B one unit more": func(p *Public) { p.AmountB = Commit(670_102, rB) },
		"leg B one unit less": func(p *Public) { p.AmountB = Commit(670_100, rB) },
		"legs swapped":        func(p *Public) { p.Amount, p.AmountB = p.AmountB, p.Amount },
		"other transaction":   func(p *Public) { p.Context = NewContext("test", []byte("swap 2")) },
	}
	for name, change := range attacks {
		bad := pub
		change(&bad)
		if err := vk.Verify(bad, proof); !errors.Is(err, ErrInvalidProof) {
			t.Errorf("%s: verify = %v, want ErrInvalidProof", name, err)
		}
	}

	// The bundle carries the rate and both legs, and verifies alone.
	b, err := ParseBundle(NewBundle(vk, pub, proof).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(vk); err != nil {
		t.Fatal(err)
	}
	b.Public.Rate = "134020001"
	if err := b.Verify(vk); !errors.Is(err, ErrInvalidProof) {
		t.Errorf("bundle with another rate: %v, want ErrInvalidProof", err)
	}

	// A swap whose leg B would round to zero has no proof.
	if _, _, err := pk.ProveFX(FXInput{AmountA: 1, BlindingA: rA, BlindingB: rB, Rate: FXScale - 1, Context: in.Context}, vk); !errors.Is(err, ErrFXAmount) {
		t.Errorf("leg B of 0: %v, want ErrFXAmount", err)
	}
}

// fxOf is the swap of in's amount at 1.3402, for tests that prove every
// circuit from one random transfer input.
func fxOf(in TransferInput) FXInput {
	return FXInput{AmountA: in.Amount, BlindingA: in.AmountBlinding, BlindingB: in.BalanceBlinding, Rate: 134_020_000, Context: in.Context}
}

// BenchmarkFXProof proves a swap's rate relation and, as the baseline, a
// transfer, alternately in each iteration on one engine, and reports the
// median ratio of their times (fx/transfer) and each median in ms: the
// figures bench/results.md states (go test -bench FXProof -run '^$' ./zkp).
// Alternating keeps a shared machine's load shifts out of the ratio.
func BenchmarkFXProof(b *testing.B) {
	in := randomTransfer(b, 1)
	tpk, tvk := setupFor(b, Transfer)
	fpk, fvk := setupFor(b, FX)
	ttp, err := NewTableProver(tpk)
	if err != nil {
		b.Fatal(err)
	}
	ftp, err := NewTableProver(fpk)
	if err != nil {
		b.Fatal(err)
	}
	engines := []struct {
		name         string
		transfer, fx func() error
	}{
		{"gnark",
			func() error { _, _, err := tpk.ProveTransfer(in, tvk); return err },
			func() error { _, _, err := fpk.ProveFX(fxOf(in), fvk); return err }},
		{"tables",
			func() error { _, _, err := ttp.ProveTransfer(in, tvk); return err },
			func() error { _, _, err := ftp.ProveFX(fxOf(in), fvk); return err }},
	}
	timed := func(f func() error) float64 {
		start := time.Now()
		if err := f(); err != nil {
			b.Fatal(err)
		}
		return float64(time.Since(start).Microseconds()) / 1000
	}
	for _, e := range engines {
		b.Run(e.name, func(b *testing.B) {
			var ts, fs, ratios []float64
			for b.Loop() {
				t, f := timed(e.transfer), timed(e.fx)
				ts, fs, ratios = append(ts, t), append(fs, f), append(ratios, f/t)
			}
			b.ReportMetric(median(ratios), "fx/transfer")
			b.ReportMetric(median(ts), "transfer-ms")
			b.ReportMetric(median(fs), "fx-ms")
		})
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

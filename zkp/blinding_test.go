package zkp

import (
	"errors"
	"math/big"
	"testing"
)

// TestFullWidthBlindings proves transfers and mints whose amount blinding is
// full width (above 2^128, up to ℓ − 1) with both engines, and refuses
// blindings that are not reduced below ℓ before proving.
func TestFullWidthBlindings(t *testing.T) {
	l := Order()
	wide := []*big.Int{
		new(big.Int).Sub(l, big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 128),
		new(big.Int).SetBit(big.NewInt(12345), 250, 1),
	}
	tp, tvk := proverFor(t, Transfer)
	mp, mvk := proverFor(t, Mint)
	tpk, _ := setupFor(t, Transfer)
	mpk, _ := setupFor(t, Mint)
	for _, r := range wide {
		in := randomTransfer(t, 3)
		in.AmountBlinding = r
		mint := MintInput{Amount: in.Amount, AmountBlinding: r, Context: in.Context}
		proofs := []func() (Public, *Proof, error){
			func() (Public, *Proof, error) { return tp.ProveTransfer(in, tvk) },
			func() (Public, *Proof, error) { return tpk.ProveTransfer(in, tvk) },
			func() (Public, *Proof, error) { return mp.ProveMint(mint, mvk) },
			func() (Public, *Proof, error) { return mpk.ProveMint(mint, mvk) },
		}
		for i, prove := range proofs {
			pub, _, err := prove()
			if err != nil {
				t.Fatalf("r_amt = %x, prover %d: %v", r, i, err)
			}
			if want := Commit(in.Amount, r); !pub.Amount.Equal(want) {
				t.Fatalf("r_amt = %x, prover %d: C_amt is not Com(amt, r_amt)", r, i)
			}
		}
	}
	for _, r := range []*big.Int{l, new(big.Int).Lsh(big.NewInt(1), 252), big.NewInt(-1), nil} {
		in := randomTransfer(t, 4)
		in.AmountBlinding = r
		if _, _, err := tp.ProveTransfer(in, tvk); !errors.Is(err, ErrBlindingRange) {
			t.Errorf("transfer with r_amt = %v: got %v, want ErrBlindingRange", r, err)
		}
		if _, _, err := mp.ProveMint(MintInput{Amount: 5, AmountBlinding: r}, mvk); !errors.Is(err, ErrBlindingRange) {
			t.Errorf("mint with r_amt = %v: got %v, want ErrBlindingRange", r, err)
		}
	}
}

// TestRandomAmountBlinding checks that amount blindings are drawn below ℓ
// and over its whole width, not from a 128-bit range.
func TestRandomAmountBlinding(t *testing.T) {
	widest := 0
	for range 64 {
		r, err := RandomAmountBlinding()
		if err != nil {
			t.Fatal(err)
		}
		if r.Sign() < 0 || r.Cmp(Order()) >= 0 {
			t.Fatalf("%v is not in [0, ℓ)", r)
		}
		widest = max(widest, r.BitLen())
	}
	if widest < Order().BitLen()-1 {
		t.Fatalf("64 draws, widest %d bits: not uniform below ℓ", widest)
	}
}

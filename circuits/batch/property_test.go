package batch

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// TestMatchesModel compares the circuit (gnark's test engine) with the plain
// Go statement on random batches: honest ones of 1 to Size payments, and
// ones with one thing changed as a dishonest payer would (an amount out of
// range or zero, a hidden amount in a padding slot, a remainder that wraps,
// a commitment that does not open).
func TestMatchesModel(t *testing.T) {
	n := 24
	if testing.Short() {
		n = 8
	}
	for _, seed := range []int64{1, 2} {
		rng := rand.New(rand.NewSource(seed))
		accepted := 0
		for i := range n {
			o := randomHonest(rng)
			if rng.Intn(3) > 0 {
				o = tamper(rng, o)
			}
			want := o.model()
			err := test.IsSolved(&Circuit{}, o.assignment(), p)
			if (err == nil) != want {
				t.Fatalf("seed %d case %d: circuit accepts=%v, model accepts=%v\nvalues=%v rem=%v", seed, i, err == nil, want, o.values, o.rem)
			}
			if want {
				accepted++
			}
		}
		t.Logf("seed %d: %d of %d accepted", seed, accepted, n)
		if accepted == 0 || accepted == n {
			t.Fatalf("seed %d: %d of %d cases accepted: the generator is unbalanced", seed, accepted, n)
		}
	}
}

// randomHonest is an honest batch of 1 to Size payments of random sizes
// from a balance below 2^64 that covers them.
func randomHonest(rng *rand.Rand) opening {
	k := 1 + rng.Intn(Size)
	var amts, rs []*big.Int
	total := big1(0)
	for range k {
		a := new(big.Int).Add(new(big.Int).Rand(rng, pow2(uint(1+rng.Intn(59)))), big1(1))
		amts, rs = append(amts, a), append(rs, new(big.Int).Rand(rng, order))
		total.Add(total, a)
	}
	bal := new(big.Int).Add(total, new(big.Int).Rand(rng, pow2(uint(1+rng.Intn(60)))))
	return honest(bal, new(big.Int).Rand(rng, order), amts, rs)
}

// tamper changes one thing, keeping the commitments consistent where an
// attacker could.
func tamper(rng *rand.Rand, o opening) opening {
	i := rng.Intn(Size)
	reopen := func() { o.amts[i] = pedersen.Commit(o.values[i], o.blindings[i]) }
	rebalance := func(old *big.Int) { // keep C_avail = C_rem + Σ C_amt: move the change into rem
		o.rem = new(big.Int).Sub(o.rem, new(big.Int).Sub(o.values[i], old))
		if o.rem.Sign() < 0 {
			o.rem.Mod(o.rem, order)
		}
	}
	switch rng.Intn(7) {
	case 0: // an amount of 0, or a hidden amount in a padding slot
		old := o.values[i]
		if o.values[i].Sign() == 0 {
			o.values[i] = big1(int64(1 + rng.Intn(1000)))
		} else {
			o.values[i] = big1(0)
		}
		reopen()
		rebalance(old)
	case 1: // an amount of 2^64 or more, committed consistently
		old := o.values[i]
		o.values[i] = new(big.Int).Add(two64, big1(int64(rng.Intn(3))))
		reopen()
		rebalance(old)
	case 2: // a negative amount (ℓ − a): pays −a
		old := o.values[i]
		o.values[i] = new(big.Int).Sub(order, big1(int64(1+rng.Intn(1000))))
		reopen()
		rebalance(old)
	case 3: // over the balance: rem wraps below 0 mod ℓ
		o.rem = mod(new(big.Int).Sub(o.rem, new(big.Int).Add(o.rem, big1(int64(1+rng.Intn(5))))), order)
		o.avail = build(o.values[:], o.blindings[:], o.rem, o.rRem).avail
	case 4: // a blinding off by one
		o.blindings[i] = add(o.blindings[i], big1(1))
	case 5: // the padding slot given a non-zero blinding
		o.blindings[i] = add(o.blindings[i], order)
		reopen()
	default: // an amount commitment that opens to something else
		o.amts[i] = pedersen.Commit(add(o.values[i], big1(1)), o.blindings[i])
	}
	return o
}

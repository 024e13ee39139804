package transfer

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/consensys/gnark/test"
	"github.com/sable-settlement/sable/internal/pedersen"
)

// TestMatchesModel compares the circuit (gnark's test engine) with the plain
// Go statement on random openings: honest ones, consistent commitments to
// random and edge-case scalars (in range or not), and tampered ones.
func TestMatchesModel(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 50
	}
	for _, seed := range []int64{1, 2, 3} {
		rng := rand.New(rand.NewSource(seed))
		accepted := 0
		for i := range n {
			o := randomOpening(rng)
			want := o.model()
			err := test.IsSolved(&Circuit{}, o.assignment(), p)
			if (err == nil) != want {
				t.Fatalf("seed %d case %d: circuit accepts=%v, model accepts=%v\nvalue=%v blinding=%v rem=%v rRem=%v",
					seed, i, err == nil, want, o.value, o.blinding, o.rem, o.rRem)
			}
			if want {
				accepted++
			}
		}
		t.Logf("seed %d: %d of %d accepted", seed, accepted, n)
		if accepted < n/5 || accepted > n*4/5 {
			t.Fatalf("seed %d: %d of %d cases accepted: the generator is unbalanced", seed, accepted, n)
		}
	}
}

func randomOpening(rng *rand.Rand) opening {
	switch rng.Intn(3) {
	case 0:
		return randomHonest(rng)
	case 1:
		return build(scalar(rng, 64), scalar(rng, BlindingBits), scalar(rng, 64), scalar(rng, RemainderBlindingBits))
	default:
		return tamper(rng, randomHonest(rng))
	}
}

// randomHonest is an honest payer with a balance below 2^64 and amt ≥ 1.
func randomHonest(rng *rand.Rand) opening {
	bal := new(big.Int).Add(inRange(rng, 64), big1(1))
	if bal.Cmp(two64) >= 0 {
		bal.Sub(two64, big1(1))
	}
	amt := new(big.Int).Rand(rng, bal)
	amt.Add(amt, big1(1))
	return honest(bal, new(big.Int).Rand(rng, order), amt, inRange(rng, BlindingBits))
}

// tamper changes one thing in an opening.
func tamper(rng *rand.Rand, o opening) opening {
	switch rng.Intn(8) {
	case 0:
		o.value = add(o.value, big1(int64(rng.Intn(3))-1))
	case 1:
		o.blinding = add(o.blinding, big1(1))
	case 2:
		o.rem = add(o.rem, big1(int64(rng.Intn(3))-1))
	case 3:
		o.rRem = mod(add(o.rRem, order), p) // same point, maybe out of range
	case 4:
		o.amt = pedersen.Commit(scalar(rng, 64), o.blinding)
	case 5:
		o.avail = offCurve(o.avail)
	case 6:
		o.amt = offCurve(o.amt)
	default:
		o.value = mod(new(big.Int).Neg(o.value), p)
	}
	return o
}

// scalar draws a scalar that is often in [0, 2^bits), sometimes an edge
// case, sometimes far out of range.
func scalar(rng *rand.Rand, bits uint) *big.Int {
	edges := []*big.Int{
		big1(0), big1(1), sub(pow2(bits), big1(1)), pow2(bits), add(pow2(bits), big1(1)),
		sub(order, big1(1)), order, sub(p, big1(1)), sub(pow2(RemainderBlindingBits), big1(1)),
	}
	switch r := rng.Intn(10); {
	case r < 2:
		return edges[rng.Intn(len(edges))]
	case r < 3:
		return new(big.Int).Rand(rng, p)
	default:
		return inRange(rng, bits)
	}
}

// inRange draws from [0, 2^bits) with a random bit length, so that small
// and large values both occur.
func inRange(rng *rand.Rand, bits uint) *big.Int {
	return new(big.Int).Rand(rng, pow2(uint(rng.Intn(int(bits)))+1))
}

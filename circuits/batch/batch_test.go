package batch

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// checkAll runs gnark's circuit checks (test engine, then the compiled
// R1CS solver; the full prover too under -tags=prover_checks) on every
// case: each valid one must be accepted and each invalid one refused, one
// by one. One CheckCircuit call for all of them compiles the 16k-constraint
// circuit twice (CheckCircuit's determinism check) instead of twice per
// case. Before it, each case's subtest asks the test engine alone, so a
// failure names its case.
func checkAll(t *testing.T, cases map[string]opening, valid bool) {
	t.Helper()
	var opts []test.TestingOption
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if o.model() != valid {
				t.Fatalf("test setup: the model says valid=%v", !valid)
			}
			err := test.IsSolved(&Circuit{}, o.assignment(), p)
			if valid && err != nil {
				t.Fatalf("the test engine refuses a valid opening: %v", err)
			}
			if !valid && err == nil {
				t.Fatal("the test engine accepts an invalid opening")
			}
		})
		if valid {
			opts = append(opts, test.WithValidAssignment(o.assignment()))
		} else {
			opts = append(opts, test.WithInvalidAssignment(o.assignment()))
		}
	}
	opts = append(opts, test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16))
	test.NewAssert(t).CheckCircuit(&Circuit{}, opts...)
}

// amounts returns n amounts 1000, 1001, … and blindings near ℓ.
func amounts(n int) (amts, rs []*big.Int) {
	for i := range n {
		amts = append(amts, big1(int64(1000+i)))
		rs = append(rs, sub(order, big1(int64(7*i+1))))
	}
	return amts, rs
}

func TestValidBatches(t *testing.T) {
	full, fullR := amounts(Size)
	one, oneR := amounts(1)
	maxAmt := sub(two64, big1(1))
	total := big1(0)
	for _, a := range full {
		total.Add(total, a)
	}
	cases := map[string]opening{
		"full batch":             honest(big1(10_000_000), big1(4242), full, fullR),
		"one payment, 15 padded": honest(big1(5000), big1(4242), one, oneR),
		"balance = total, rem=0": honest(total, big1(4242), full, fullR),
		"amt=2^64-1, rem=0":      honest(maxAmt, sub(order, big1(1)), []*big.Int{maxAmt}, []*big.Int{big1(3)}),
		"rem=2^64-1":             honest(add(maxAmt, big1(16)), big1(1), []*big.Int{big1(16)}, []*big.Int{big1(9)}),
		"blindings 0":            honest(big1(500_000), big1(0), full, repeat(big1(0))),
		"max blindings":          build(full, repeat(sub(pow2(BlindingBits), big1(1))), big1(3), sub(pow2(RemainderBlindingBits), big1(1))),
		"r_i=ℓ":                  honest(big1(500_000), big1(7), one, []*big.Int{order}),
	}
	checkAll(t, cases, true)
}

func repeat(v *big.Int) []*big.Int {
	out := make([]*big.Int, Size)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestInvalidBatches(t *testing.T) {
	amts, rs := amounts(Size)
	total := big1(0)
	for _, a := range amts {
		total.Add(total, a)
	}
	rBal := big1(4242)
	good := func() opening { return honest(add(total, big1(100)), rBal, amts, rs) }
	with := func(i int, v *big.Int) []*big.Int {
		out := append([]*big.Int(nil), amts...)
		out[i] = v
		return out
	}
	// overBy1 pays amts from a balance of total − 1: the remainder the
	// payer would need is −1, which it can state only as a residue.
	overBy1 := func(rem *big.Int) opening {
		rRem := new(big.Int).Set(rBal)
		for _, r := range rs {
			rRem.Sub(rRem, r)
		}
		o := build(amts, rs, rem, rRem.Mod(rRem, order))
		o.avail = pedersen.Commit(sub(total, big1(1)), rBal)
		return o
	}
	cases := map[string]opening{
		// The total exceeds the balance by 1: rem = −1 mod ℓ (the same
		// point as −1) or mod p (the same field element).
		"total over balance by 1, rem=ℓ-1": overBy1(sub(order, big1(1))),
		"total over balance by 1, rem=p-1": overBy1(sub(p, big1(1))),
		"rem=2^64":                         build(amts, rs, two64, big1(5)),
		"rem≡5 mod ℓ":                      build(amts, rs, add(order, big1(5)), big1(1)),
		// A zero amount in a real slot: C_amt = r·H is not the identity.
		"zero amount in slot 3": honest(add(total, big1(100)), rBal, with(3, big1(0)), rs),
		"zero amount, slot 16":  honest(add(total, big1(100)), rBal, with(Size-1, big1(0)), rs),
		// Amounts that overflow 2^64, committed consistently.
		"amt=2^64":        honest(add(total, two64), rBal, with(0, two64), rs),
		"amt=2^64+1000":   honest(add(total, add(two64, big1(1000))), rBal, with(5, add(two64, big1(1000))), rs),
		"amt=ℓ-1 pays -1": honest(add(total, big1(100)), rBal, with(2, sub(order, big1(1))), rs),
		"amt=p-1":         build(with(2, sub(p, big1(1))), rs, big1(5), big1(5)),
		"r_i=2^252":       honest(add(total, big1(100)), rBal, amts, func() []*big.Int { r := append([]*big.Int(nil), rs...); r[4] = pow2(BlindingBits); return r }()),
		"r_rem=2^252":     build(amts, rs, big1(5), pow2(RemainderBlindingBits)),
		// A padding slot (the identity, placed by the verifier) with a
		// non-zero amount hidden in it: the point does not open to it.
		"padding slot with amount": func() opening {
			o := honest(big1(100_000), rBal, amts[:3], rs[:3])
			o.values[7] = big1(5)
			return o
		}(),
		"padding slot with blinding": func() opening {
			o := honest(big1(100_000), rBal, amts[:3], rs[:3])
			o.blindings[7] = big1(5)
			return o
		}(),
		"wrong blinding": func() opening {
			o := good()
			o.blindings[9] = add(o.blindings[9], big1(1))
			return o
		}(),
		"wrong remainder": func() opening {
			o := good()
			o.rem = add(o.rem, big1(1))
			return o
		}(),
		"an amount commits to another value": func() opening {
			o := good()
			o.amts[6] = pedersen.Commit(add(amts[6], big1(1)), rs[6])
			return o
		}(),
		"C_avail commits to another balance": func() opening {
			o := good()
			o.avail = pedersen.Commit(add(total, big1(101)), rBal)
			return o
		}(),
		"a payment left out of the chain": func() opening {
			o := good()
			o.avail = pedersen.Commit(add(total, big1(100)), rBal)
			leftOut := pedersen.Commit(big1(7), big1(7))
			o.avail.Add(&o.avail, &leftOut) // C_avail ≠ C_rem + Σ C_amt_i
			return o
		}(),
		"two slots swapped": func() opening {
			o := good()
			o.amts[0], o.amts[1] = o.amts[1], o.amts[0]
			return o
		}(),
		"C_avail off the curve": func() opening {
			o := good()
			o.avail = offCurve(o.avail)
			return o
		}(),
		"C_amt off the curve": func() opening {
			o := good()
			o.amts[0] = offCurve(o.amts[0])
			return o
		}(),
	}
	checkAll(t, cases, false)
}

// TestIdentityIsPadding pins why the ledger must refuse a real payment
// whose commitment is the identity: the circuit cannot tell it from a
// padding slot, and accepts it with amount 0.
func TestIdentityIsPadding(t *testing.T) {
	amts, rs := amounts(3)
	o := honest(big1(100_000), big1(1), amts, rs)
	o.values[1], o.blindings[1] = big1(0), big1(0)
	o.amts[1].X.SetZero()
	o.amts[1].Y.SetOne()
	o.rem = add(o.rem, amts[1])
	o.rRem = mod(add(o.rRem, rs[1]), order)
	if !o.model() {
		t.Fatal("test setup: the model rejects the opening")
	}
	if err := test.IsSolved(&Circuit{}, o.assignment(), p); err != nil {
		t.Fatalf("an identity slot with amount 0 is refused: %v", err)
	}
}

// TestPublicInputOrder pins the public-input order the zkp package and the
// exports rely on: C_avail.x, C_avail.y, C_amt_1.x, C_amt_1.y, …, ctx.
func TestPublicInputOrder(t *testing.T) {
	amts, rs := amounts(5)
	a := honest(big1(100_000), big1(1), amts, rs).assignment()
	pub, err := frontend.NewWitness(a, p, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	got := pub.Vector().(fr.Vector)
	want := []any{a.Available.X, a.Available.Y}
	for i := range a.Amounts {
		want = append(want, a.Amounts[i].X, a.Amounts[i].Y)
	}
	want = append(want, a.Context)
	if len(got) != len(want) {
		t.Fatalf("%d public inputs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].BigInt(new(big.Int)).Cmp(want[i].(*big.Int)) != 0 {
			t.Errorf("public input %d is not the expected field", i)
		}
	}
}

package transfer

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// check runs gnark's circuit checks (test engine, then the compiled R1CS
// solver; the full prover too under -tags=prover_checks) on one assignment.
func check(assert *test.Assert, o opening, valid bool) {
	opt := test.WithInvalidAssignment(o.assignment())
	if valid {
		opt = test.WithValidAssignment(o.assignment())
	}
	assert.CheckCircuit(&Circuit{}, opt, test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16))
}

func TestValidTransfers(t *testing.T) {
	maxBal := sub(two64, big1(1))
	rBal := sub(order, big1(1))
	cases := map[string]opening{
		"typical":             honest(big1(1_000_000), big1(123456789), big1(250_000), big1(987654321)),
		"amt=1":               honest(big1(1), big1(5), big1(1), big1(3)),
		"amt=2^64-1, rem=0":   honest(maxBal, rBal, maxBal, big1(0)),
		"rem=2^64-1":          honest(two64, rBal, big1(1), big1(9)),
		"blindings 0":         honest(big1(500), big1(0), big1(200), big1(0)),
		"r_amt=2^252-1":       honest(big1(500), rBal, big1(200), sub(pow2(BlindingBits), big1(1))),
		"r_amt=ℓ-1":           honest(big1(500), big1(7), big1(200), sub(order, big1(1))),
		"r_amt=ℓ":             honest(big1(500), big1(7), big1(200), order),
		"max blindings":       build(big1(7), sub(pow2(BlindingBits), big1(1)), big1(3), sub(pow2(RemainderBlindingBits), big1(1))),
		"r_rem wraps below 0": honest(big1(500), big1(1), big1(200), big1(2)),
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if !o.model() {
				t.Fatal("test setup: the model rejects a valid opening")
			}
			check(test.NewAssert(t), o, true)
		})
	}
}

func TestInvalidTransfers(t *testing.T) {
	bal, rBal, amt, rAmt := big1(1000), big1(4242), big1(300), big1(17)
	good := func() opening { return honest(bal, rBal, amt, rAmt) }
	cases := map[string]opening{
		"amt=0":              honest(bal, rBal, big1(0), rAmt),
		"amt=2^64":           honest(add(two64, big1(5)), rBal, two64, rAmt),
		"amt=p-1":            build(sub(p, big1(1)), rAmt, add(bal, big1(1)), mod(sub(rBal, rAmt), order)),
		"amt=ℓ-1":            honest(bal, rBal, sub(order, big1(1)), rAmt), // rem = bal + 1 − ℓ: −1 mod ℓ pays −1
		"amt=ℓ-1 rem=bal+1":  build(sub(order, big1(1)), rAmt, add(bal, big1(1)), mod(sub(rBal, rAmt), order)),
		"bal<amt, rem mod p": build(amt, rAmt, mod(sub(big1(100), amt), p), mod(sub(rBal, rAmt), order)),
		"bal<amt, rem mod ℓ": build(amt, rAmt, mod(sub(big1(100), amt), order), mod(sub(rBal, rAmt), order)),
		"rem=2^64":           honest(add(two64, amt), rBal, amt, rAmt),
		"rem=2^64+p":         build(amt, rAmt, add(two64, p), big1(1)), // reduced mod p: rem = 2^64 again
		"rem≡5 mod ℓ":        build(amt, rAmt, add(order, big1(5)), big1(1)),
		"r_amt=2^252":        honest(bal, rBal, amt, pow2(BlindingBits)),
		"r_amt=p-1":          honest(bal, rBal, amt, sub(p, big1(1))),
		"r_rem=2^252":        build(amt, rAmt, big1(5), pow2(RemainderBlindingBits)),
		"r_rem=p-1":          build(amt, rAmt, big1(5), sub(p, big1(1))),
		"wrong blinding": func() opening {
			o := good()
			o.blinding = add(rAmt, big1(1))
			return o
		}(),
		"wrong remainder blinding": func() opening {
			o := good()
			o.rRem = add(o.rRem, big1(1))
			return o
		}(),
		"wrong remainder": func() opening {
			o := good()
			o.rem = add(o.rem, big1(1))
			return o
		}(),
		"C_amt commits to another value": func() opening {
			o := good()
			o.amt = pedersen.Commit(add(amt, big1(1)), rAmt)
			return o
		}(),
		"C_avail commits to another balance": func() opening {
			o := good()
			o.avail = pedersen.Commit(add(bal, big1(1)), rBal)
			return o
		}(),
		"points swapped": func() opening {
			o := good()
			o.avail, o.amt = o.amt, o.avail
			return o
		}(),
		"C_avail off the curve": func() opening {
			o := good()
			o.avail = offCurve(o.avail)
			return o
		}(),
		"C_amt off the curve": func() opening {
			o := good()
			o.amt = offCurve(o.amt)
			return o
		}(),
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if o.model() {
				t.Fatal("test setup: the model accepts an invalid opening")
			}
			check(test.NewAssert(t), o, false)
		})
	}
}

// TestProofBoundToContext runs a real Groth16 setup, proof and verification:
// the proof verifies for its own public inputs and for no other context or
// commitment.
func TestProofBoundToContext(t *testing.T) {
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	o := honest(big1(1_000_000), big1(31337), big1(64_000), big1(271828))
	full, err := frontend.NewWitness(o.assignment(), p)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, full)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(o opening) error {
		pub, err := frontend.NewWitness(o.assignment(), p, frontend.PublicOnly())
		if err != nil {
			t.Fatal(err)
		}
		return groth16.Verify(proof, vk, pub)
	}
	if err := verify(o); err != nil {
		t.Fatalf("proof does not verify for its own statement: %v", err)
	}
	other := o
	other.ctx = big1(43)
	if verify(other) == nil {
		t.Fatal("proof verifies under another context")
	}
	other = o
	other.amt = pedersen.Commit(big1(64_001), big1(271828))
	if verify(other) == nil {
		t.Fatal("proof verifies for another amount commitment")
	}
	other = o
	other.avail = pedersen.Commit(big1(2_000_000), big1(31337))
	if verify(other) == nil {
		t.Fatal("proof verifies for another balance commitment")
	}
}

// TestPublicInputOrder pins the public-input order the zkp package and the
// exports rely on: C_avail.x, C_avail.y, C_amt.x, C_amt.y, ctx.
func TestPublicInputOrder(t *testing.T) {
	a := honest(big1(10), big1(1), big1(3), big1(2)).assignment()
	pub, err := frontend.NewWitness(a, p, frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	got := pub.Vector().(fr.Vector)
	want := []any{a.Available.X, a.Available.Y, a.Amount.X, a.Amount.Y, a.Context}
	if len(got) != len(want) {
		t.Fatalf("%d public inputs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].BigInt(new(big.Int)).Cmp(want[i].(*big.Int)) != 0 {
			t.Errorf("public input %d is not the expected field", i)
		}
	}
}

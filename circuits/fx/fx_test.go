package fx

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

// check runs gnark's circuit checks (test engine, then the compiled R1CS
// solver) on one assignment.
func check(assert *test.Assert, o opening, valid bool) {
	opt := test.WithInvalidAssignment(o.assignment())
	if valid {
		opt = test.WithValidAssignment(o.assignment())
	}
	assert.CheckCircuit(&Circuit{}, opt, test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16))
}

// rate returns R for a decimal rate given as integer and fraction digits
// at the scale, e.g. rate(1, 34020000) for 1.3402.
func rate(whole, frac int64) *big.Int { return big1(whole*Scale + frac) }

func TestValidSwaps(t *testing.T) {
	maxV := sub(two64, big1(1))
	cases := map[string]opening{
		// USD 5,000.00 at 1.3402 SGD per USD: cents to cents, no remainder.
		"USD→SGD 1.3402":            honest(big1(500_000), rate(1, 34_020_000)),
		"a=1, R=10^S":               honest(big1(1), rate(1, 0)),
		"ρ = 10^S − 1":              honest(big1(1), rate(1, Scale-1)), // b = 1, ρ = 10^S − 1
		"a=1, ρ = 10^S − 1, b = 2":  honest(big1(1), big1(3*Scale-1)),
		"USD cent→JPY at 150 JPY/$": honest(big1(1), rate(1, 50_000_000)), // 1 cent is 1.5 yen: 1 yen, ρ = 0.5
		"JPY→USD at 0.0067 $/JPY":   honest(big1(1_000_000), big1(67_000_000)),
		"a = 2^64 − 1, R = 10^S":    honest(maxV, rate(1, 0)),
		"R = 2^64 − 1, a = 1":       honest(big1(1), maxV),
		"blindings 0":               build(big1(7), big1(0), big1(7), big1(0), rate(1, 0), big1(0)),
		"blindings 2^252 − 1": build(big1(7), sub(new(big.Int).Lsh(big1(1), BlindingBits), big1(1)), big1(7),
			sub(new(big.Int).Lsh(big1(1), BlindingBits), big1(1)), rate(1, 0), big1(0)),
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

func TestInvalidSwaps(t *testing.T) {
	usdSgd := rate(1, 34_020_000)
	good := func() opening { return honest(big1(500_001), usdSgd) } // b = 670_101, ρ = 0.3402·10^S
	pMinus := func(v *big.Int) *big.Int { return new(big.Int).Mod(v, p) }
	// bigB is 1.5 mod p: a·R ≡ b·10^S with ρ = 0, but b ≥ 2^64.
	bigB := new(big.Int).Mul(big1(3), new(big.Int).ModInverse(big1(2), p))
	bigB.Mod(bigB, p)
	cases := map[string]opening{
		"b one minor unit too many": func() opening {
			o := good()
			return build(o.a, o.rA, add(o.b, big1(1)), o.rB, o.rate, pMinus(sub(o.remain, scale)))
		}(),
		"b one minor unit too few, ρ = ρ + 10^S": func() opening {
			o := good()
			return build(o.a, o.rA, sub(o.b, big1(1)), o.rB, o.rate, add(o.remain, scale))
		}(),
		"b one too few, ρ unchanged": func() opening {
			o := good()
			return build(o.a, o.rA, sub(o.b, big1(1)), o.rB, o.rate, o.remain)
		}(),
		"ρ = 10^S exactly":     build(big1(1), big1(3), big1(1), big1(4), big1(2*Scale), scale),
		"b = 0 (a·R < 10^S)":   build(big1(1), big1(3), big1(0), big1(4), big1(Scale/2), big1(Scale/2)),
		"a = 0":                build(big1(0), big1(3), big1(0), big1(4), rate(1, 0), big1(0)),
		"a = 2^64":             honest(two64, rate(1, 0)),
		"b = 1.5 mod p, ρ = 0": build(big1(1), big1(3), bigB, big1(4), big1(Scale*3/2), big1(0)),
		"R = 2^64":             honest(big1(1), two64),
		"ρ = −1 mod p": func() opening {
			return build(big1(1), big1(3), big1(1), big1(4), sub(scale, big1(1)), pMinus(big1(-1)))
		}(),
		"rate differs from the one proved": func() opening {
			o := good()
			o.rate = add(o.rate, big1(1))
			return o
		}(),
		"C_B commits to another amount": func() opening {
			o := good()
			o.cB = pedersen.Commit(add(o.b, big1(1)), o.rB)
			return o
		}(),
		"C_A commits to another amount": func() opening {
			o := good()
			o.cA = pedersen.Commit(add(o.a, big1(1)), o.rA)
			return o
		}(),
		"points swapped": func() opening {
			o := good()
			o.cA, o.cB = o.cB, o.cA
			return o
		}(),
		"C_A off the curve": func() opening {
			o := good()
			o.cA = offCurve(o.cA)
			return o
		}(),
		"C_B off the curve": func() opening {
			o := good()
			o.cB = offCurve(o.cB)
			return o
		}(),
		"r_B = 2^252": func() opening {
			o := good()
			return build(o.a, o.rA, o.b, new(big.Int).Lsh(big1(1), BlindingBits), o.rate, o.remain)
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

package mint

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"
	"github.com/consensys/gnark/test"

	"github.com/sable-settlement/sable/internal/pedersen"
)

var (
	p     = ecc.BN254.ScalarField()
	order = pedersen.Order()
)

func pow2(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }

func minus1(a *big.Int) *big.Int { return new(big.Int).Sub(a, big.NewInt(1)) }

// opening is an issuer's claim: the secrets and the public commitment.
type opening struct {
	amt             tedwards.PointAffine
	ctx             *big.Int
	value, blinding *big.Int
}

// build commits consistently to (value, blinding), in range or not.
func build(value, blinding *big.Int) opening {
	return opening{amt: pedersen.Commit(value, blinding), ctx: big.NewInt(7), value: value, blinding: blinding}
}

func (o opening) assignment() *Circuit {
	return &Circuit{
		Amount:   twistededwards.Point{X: o.amt.X.BigInt(new(big.Int)), Y: o.amt.Y.BigInt(new(big.Int))},
		Context:  o.ctx,
		Value:    o.value,
		Blinding: o.blinding,
	}
}

// model is the statement in plain Go.
func (o opening) model() bool {
	v, r := new(big.Int).Mod(o.value, p), new(big.Int).Mod(o.blinding, p)
	if !o.amt.IsOnCurve() || v.Sign() == 0 || v.Cmp(pow2(ValueBits)) >= 0 || r.Cmp(pow2(BlindingBits)) >= 0 {
		return false
	}
	want := pedersen.Commit(v, r)
	return want.Equal(&o.amt)
}

func check(assert *test.Assert, o opening, valid bool) {
	opt := test.WithInvalidAssignment(o.assignment())
	if valid {
		opt = test.WithValidAssignment(o.assignment())
	}
	assert.CheckCircuit(&Circuit{}, opt, test.WithCurves(ecc.BN254), test.WithBackends(backend.GROTH16))
}

func TestMints(t *testing.T) {
	maxV, maxR := minus1(pow2(ValueBits)), minus1(pow2(BlindingBits))
	offCurve := build(big.NewInt(5), big.NewInt(6))
	offCurve.amt.Y.Add(&offCurve.amt.Y, &offCurve.amt.X)
	wrongBlinding := build(big.NewInt(5), big.NewInt(6))
	wrongBlinding.blinding = big.NewInt(7)
	otherValue := build(big.NewInt(5), big.NewInt(6))
	otherValue.amt = pedersen.Commit(big.NewInt(6), big.NewInt(6))
	cases := []struct {
		name  string
		o     opening
		valid bool
	}{
		{"amt=1", build(big.NewInt(1), big.NewInt(0)), true},
		{"amt=2^64-1, max blinding", build(maxV, maxR), true},
		{"typical", build(big.NewInt(1_000_000), big.NewInt(424242)), true},
		{"amt=0", build(big.NewInt(0), big.NewInt(6)), false},
		{"amt=2^64", build(pow2(ValueBits), big.NewInt(6)), false},
		{"amt=p-1", build(minus1(p), big.NewInt(6)), false},
		{"amt=ℓ-1", build(minus1(order), big.NewInt(6)), false},
		{"r_amt=ℓ-1", build(big.NewInt(5), minus1(order)), true},
		{"r_amt=ℓ", build(big.NewInt(5), order), true}, // below 2^252: the same point as r_amt = 0
		{"r_amt=2^252", build(big.NewInt(5), pow2(BlindingBits)), false},
		{"r_amt=p-1", build(big.NewInt(5), minus1(p)), false},
		{"wrong blinding", wrongBlinding, false},
		{"commitment to another value", otherValue, false},
		{"C_amt off the curve", offCurve, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.o.model() != c.valid {
				t.Fatal("test setup: the model disagrees with the case")
			}
			check(test.NewAssert(t), c.o, c.valid)
		})
	}
}

func TestMatchesModel(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 30
	}
	for _, seed := range []int64{1, 2} {
		rng := rand.New(rand.NewSource(seed))
		accepted := 0
		for i := range n {
			o := build(scalar(rng, ValueBits), scalar(rng, BlindingBits))
			if rng.Intn(5) == 0 {
				o.blinding = new(big.Int).Add(o.blinding, big.NewInt(1))
			}
			want := o.model()
			if err := test.IsSolved(&Circuit{}, o.assignment(), p); (err == nil) != want {
				t.Fatalf("seed %d case %d: circuit accepts=%v, model accepts=%v (value=%v blinding=%v)",
					seed, i, err == nil, want, o.value, o.blinding)
			}
			if want {
				accepted++
			}
		}
		if accepted < n/5 || accepted > n*4/5 {
			t.Fatalf("seed %d: %d of %d cases accepted: the generator is unbalanced", seed, accepted, n)
		}
	}
}

// scalar is often in [0, 2^bits), sometimes an edge case or far out of range.
func scalar(rng *rand.Rand, bits uint) *big.Int {
	edges := []*big.Int{big.NewInt(0), big.NewInt(1), minus1(pow2(bits)), pow2(bits), minus1(order), minus1(p)}
	switch r := rng.Intn(10); {
	case r < 2:
		return edges[rng.Intn(len(edges))]
	case r < 3:
		return new(big.Int).Rand(rng, p)
	default:
		return new(big.Int).Rand(rng, pow2(uint(rng.Intn(int(bits)))+1))
	}
}

func TestProofBoundToContext(t *testing.T) {
	if testing.Short() {
		t.Skip("Groth16 setup; the transfer circuit's test covers the same binding in -short runs")
	}
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	o := build(big.NewInt(5000), big.NewInt(99))
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
	other.ctx = big.NewInt(8)
	if verify(other) == nil {
		t.Fatal("proof verifies under another context")
	}
	other = o
	other.amt = pedersen.Commit(big.NewInt(5001), big.NewInt(99))
	if verify(other) == nil {
		t.Fatal("proof verifies for another commitment")
	}
}

// documentedConstraints is the count stated, with its breakdown, in the
// package doc.
const documentedConstraints = 956

func TestCost(t *testing.T) {
	ccs, err := frontend.Compile(p, r1cs.NewBuilder, &Circuit{})
	if err != nil {
		t.Fatal(err)
	}
	n := ccs.GetNbConstraints()
	t.Logf("mint: %d R1CS constraints", n)
	if n != documentedConstraints {
		t.Errorf("%d constraints, the package doc says %d: update the breakdown", n, documentedConstraints)
	}
	if n > 1<<10 {
		t.Errorf("%d constraints no longer fit the 2^10 FFT domain", n)
	}
	if c := ccs.GetCommitments().CommitmentIndexes(); len(c) != 0 {
		t.Errorf("%d BSB22 commitments: exported proofs would not verify in standard Groth16 verifiers", len(c))
	}
	if got := ccs.GetNbPublicVariables(); got != 1+3 {
		t.Errorf("%d public variables, want the constant 1 and 3 inputs", got)
	}
}

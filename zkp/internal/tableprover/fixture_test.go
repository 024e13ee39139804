package tableprover

import (
	"crypto/rand"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/mint"
	"github.com/sable-settlement/sable/circuits/transfer"
	"github.com/sable-settlement/sable/internal/pedersen"
)

// The engine is tested on Sable's two circuits, whose shapes (mostly bits,
// a few full-width wires) its windows are chosen for: each is compiled and
// set up once per test process, with its prover built once.

func init() { logger.Disable() }

type fixture struct {
	key    Key
	vk     *groth16bn254.VerifyingKey
	prover *Prover
}

type fixtureOnce struct {
	once sync.Once
	f    *fixture
	err  error
}

var fixtures sync.Map // circuit name → *fixtureOnce

func fixtureFor(t testing.TB, name string) *fixture {
	t.Helper()
	v, _ := fixtures.LoadOrStore(name, &fixtureOnce{})
	o := v.(*fixtureOnce)
	o.once.Do(func() { o.f, o.err = newFixture(name) })
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.f
}

func newFixture(name string) (*fixture, error) {
	var def frontend.Circuit = &transfer.Circuit{}
	if name == "mint" {
		def = &mint.Circuit{}
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, def)
	if err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, err
	}
	f := &fixture{key: Key{Name: name, CCS: ccs.(*cs.R1CS), PK: pk.(*groth16bn254.ProvingKey)}, vk: vk.(*groth16bn254.VerifyingKey)}
	sample, err := validWitness(name, 0)
	if err != nil {
		return nil, err
	}
	if f.prover, err = New(f.key, sample); err != nil {
		return nil, err
	}
	return f, nil
}

// witness returns the full witness of a fresh valid statement.
func (f *fixture) witness(t testing.TB, i int) witness.Witness {
	t.Helper()
	w, err := validWitness(f.key.Name, i)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// verify checks proof against w's public part with gnark's verifier.
func (f *fixture) verify(proof *groth16bn254.Proof, w witness.Witness) error {
	pub, err := w.Public()
	if err != nil {
		return err
	}
	return groth16.Verify(proof, f.vk, pub)
}

// validWitness returns the full witness of a valid statement of the named
// circuit: a transfer of 1 + 104729·i out of 1 000 000 + 7919·i, or a mint
// of the amount.
func validWitness(name string, i int) (witness.Witness, error) {
	rb, err := rand.Int(rand.Reader, pedersen.Order())
	if err != nil {
		return nil, err
	}
	ra, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), mint.BlindingBits))
	if err != nil {
		return nil, err
	}
	bal, amt := big.NewInt(1_000_000+int64(i)*7919), big.NewInt(1+int64(i)*104729)
	ctx := big.NewInt(int64(1000 + i))
	var assignment frontend.Circuit = &mint.Circuit{Amount: point(amt, ra), Context: ctx, Value: amt, Blinding: ra}
	if name == "transfer" {
		rem, rrem := new(big.Int).Sub(bal, amt), new(big.Int).Sub(rb, ra)
		rrem.Mod(rrem, pedersen.Order())
		assignment = &transfer.Circuit{Available: point(bal, rb), Amount: point(amt, ra), Context: ctx,
			Value: amt, Blinding: ra, Remainder: rem, RemainderBlinding: rrem}
	}
	return frontend.NewWitness(assignment, ecc.BN254.ScalarField())
}

func point(v, r *big.Int) twistededwards.Point {
	c := pedersen.Commit(v, r)
	return twistededwards.Point{X: c.X, Y: c.Y}
}

package tableprover

import (
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	cs "github.com/consensys/gnark/constraint/bn254"
)

func TestProve(t *testing.T) {
	for _, name := range []string{"transfer", "mint"} {
		f := fixtureFor(t, name)
		for i := range 3 {
			w := f.witness(t, i)
			proof, _, err := f.prover.Prove(w)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.verify(proof, w); err != nil {
				t.Fatalf("%s: proof %d does not verify: %v", name, i, err)
			}
			// Bound to its statement.
			if err := f.verify(proof, f.witness(t, i+10)); err == nil {
				t.Fatalf("%s: proof %d verifies for another statement", name, i)
			}
		}
		// Fresh randomness: two proofs of one statement differ.
		w := f.witness(t, 9)
		p1, _, _ := f.prover.Prove(w)
		p2, _, _ := f.prover.Prove(w)
		if p1.Ar == p2.Ar {
			t.Fatalf("%s: two proofs of one statement are equal", name)
		}
	}
}

// A key that does not fit the constraint system is refused.
func TestUnsupportedKey(t *testing.T) {
	tr, mi := fixtureFor(t, "transfer"), fixtureFor(t, "mint")
	if _, err := New(Key{Name: "mint", CCS: tr.key.CCS, PK: mi.key.PK}, tr.witness(t, 1)); !errors.Is(err, ErrUnsupportedKey) {
		t.Fatalf("got %v, want ErrUnsupportedKey", err)
	}
}

// A wrong witness, one that the solver did not produce, gives a proof that
// does not verify.
func TestWrongWitness(t *testing.T) {
	f := fixtureFor(t, "transfer")
	p := f.prover
	w := f.witness(t, 2)
	solve := func() *cs.R1CSSolution {
		sol, err := f.key.CCS.Solve(w)
		if err != nil {
			t.Fatal(err)
		}
		return sol.(*cs.R1CSSolution)
	}
	var tm Timings
	// The honest solution verifies.
	proof, err := p.proveSolution(solve(), &tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.verify(proof, w); err != nil {
		t.Fatalf("honest solution: %v", err)
	}
	for _, tc := range []struct {
		name   string
		tamper func(*cs.R1CSSolution)
	}{
		{"an internal wire changed", func(s *cs.R1CSSolution) { s.W[len(s.W)/2].Add(&s.W[len(s.W)/2], &s.W[0]) }},
		{"a secret input changed", func(s *cs.R1CSSolution) { s.W[p.nbPublic].SetUint64(12345) }},
		{"a bit flipped", func(s *cs.R1CSSolution) {
			for i := p.nbPublic; i < len(s.W); i++ {
				if s.W[i].IsOne() {
					s.W[i].SetZero()
					return
				}
			}
		}},
		{"a constraint's evaluation changed", func(s *cs.R1CSSolution) { s.C[7].Add(&s.C[7], &s.W[0]) }},
	} {
		sol := solve()
		tc.tamper(sol)
		proof, err := p.proveSolution(sol, &tm)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.verify(proof, w); err == nil {
			t.Fatalf("%s: the proof verifies", tc.name)
		}
	}
}

// The MSM inputs are the key's vectors' scalars: the tables and gnark's
// MultiExp agree on them.
func TestMSMInputs(t *testing.T) {
	f := fixtureFor(t, "transfer")
	p := f.prover
	in, err := p.MSMInputs(f.witness(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	pk := f.key.PK
	if len(in.A) != len(pk.G1.A) || len(in.B) != len(pk.G1.B) || len(in.K) != len(pk.G1.K) || len(in.H) != len(pk.G1.Z) {
		t.Fatal("MSM inputs do not match the key's vectors")
	}
	var zero fr.Element
	var want bn254.G1Jac
	if _, err := want.MultiExp(pk.G1.A, in.A, ecc.MultiExpConfig{}); err != nil {
		t.Fatal(err)
	}
	if got := p.a.msm(append(append([]fr.Element(nil), in.A...), zero, zero), 2); !got.Equal(&want) {
		t.Fatal("A: the table and MultiExp disagree")
	}
	kz := append(append(append([]fr.Element(nil), in.K...), in.H...), zero)
	var k, z bn254.G1Jac
	k.MultiExp(pk.G1.K, in.K, ecc.MultiExpConfig{})
	z.MultiExp(pk.G1.Z, in.H, ecc.MultiExpConfig{})
	k.AddAssign(&z)
	if got := p.kz.msm(kz, 2); !got.Equal(&k) {
		t.Fatal("KZ: the table and MultiExp disagree")
	}
	if tm := p.RunMSMs(in); tm.MSM <= 0 {
		t.Fatal("no MSM time")
	}
}

// One prover, several goroutines, one worker each: the tables are shared.
func TestConcurrent(t *testing.T) {
	f := fixtureFor(t, "transfer")
	one := f.prover.WithWorkers(1)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		w := f.witness(t, 5+i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			proof, _, err := one.Prove(w)
			if err == nil {
				err = f.verify(proof, w)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

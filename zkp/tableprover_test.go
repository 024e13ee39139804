package zkp

import (
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
)

var testProvers sync.Map // Circuit → *TableProver

func proverFor(t testing.TB, c Circuit) (*TableProver, *VerifyingKey) {
	t.Helper()
	pk, vk := setupFor(t, c)
	if p, ok := testProvers.Load(c); ok {
		return p.(*TableProver), vk
	}
	p, err := NewTableProver(pk)
	if err != nil {
		t.Fatal(err)
	}
	testProvers.Store(c, p)
	return p, vk
}

// verifyBoth checks a proof with gnark's generic verifier and with ours.
func verifyBoth(pub Public, proof *Proof, vk *VerifyingKey) error {
	a := gnarkPublic(pub)
	w, err := frontend.NewWitness(a, ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		return err
	}
	if err := groth16.Verify(proof.Groth16(), vk.Groth16(), w); err != nil {
		return err
	}
	return vk.Verify(pub, proof)
}

func gnarkPublic(pub Public) frontend.Circuit {
	if pub.Circuit == Transfer {
		return transferAssignment(pub)
	}
	return mintAssignment(pub)
}

func TestTableProverTransfer(t *testing.T) {
	p, vk := proverFor(t, Transfer)
	var pubs []Public
	var proofs []*Proof
	for i := range 4 {
		in := randomTransfer(t, i)
		if i == 3 {
			in.Amount = in.Balance // pays everything: remainder 0
		}
		pub, proof, err := p.ProveTransfer(in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyBoth(pub, proof, vk); err != nil {
			t.Fatalf("proof %d does not verify: %v", i, err)
		}
		// The statement is the one ProvingKey.ProveTransfer states.
		if want := Commit(in.Balance, in.BalanceBlinding); !pub.Available.Equal(want) {
			t.Fatal("wrong available commitment")
		}
		pubs, proofs = append(pubs, pub), append(proofs, proof)
	}
	// Bound to its statement.
	if err := vk.Verify(pubs[1], proofs[0]); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("proof verifies for another statement: %v", err)
	}
	if err := BatchVerify(vk, pubs, proofs); err != nil {
		t.Fatal(err)
	}
	// Fresh randomness: two proofs of one statement differ.
	in := randomTransfer(t, 9)
	_, p1, _ := p.ProveTransfer(in, vk)
	_, p2, _ := p.ProveTransfer(in, vk)
	if p1.Bytes() == p2.Bytes() {
		t.Fatal("two proofs of one statement are equal")
	}
}

func TestTableProverChecksInputs(t *testing.T) {
	p, vk := proverFor(t, Transfer)
	in := randomTransfer(t, 1)
	in.Balance = in.Amount - 1
	if _, _, err := p.ProveTransfer(in, vk); !errors.Is(err, ErrInsufficientBalance) {
		t.Fatalf("got %v, want ErrInsufficientBalance", err)
	}
	in = randomTransfer(t, 1)
	in.Amount = 0
	if _, _, err := p.ProveTransfer(in, vk); !errors.Is(err, ErrZeroAmount) {
		t.Fatalf("got %v, want ErrZeroAmount", err)
	}
	if _, _, err := p.ProveMint(MintInput{Amount: 1, AmountBlinding: in.AmountBlinding}, vk); !errors.Is(err, ErrWrongCircuit) {
		t.Fatalf("got %v, want ErrWrongCircuit", err)
	}
}

// A wrong witness, one that the solver did not produce, gives a proof that
// does not verify.
func TestTableProverWrongWitness(t *testing.T) {
	p, vk := proverFor(t, Transfer)
	in := randomTransfer(t, 2)
	pub, _, err := p.ProveTransfer(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	solve := func() *cs.R1CSSolution {
		a := transferAssignment(pub)
		a.Value = in.Amount
		a.Blinding = in.AmountBlinding
		a.Remainder = in.Balance - in.Amount
		a.RemainderBlinding = remainderBlinding(in)
		w, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		sol, err := p.ccs.Solve(w)
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
	if err := verifyBoth(pub, proof, vk); err != nil {
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
		if err := verifyBoth(pub, proof, vk); err == nil {
			t.Fatalf("%s: the proof verifies", tc.name)
		}
	}
}

func TestTableProverMint(t *testing.T) {
	p, vk := proverFor(t, Mint)
	for i := range 2 {
		in := randomTransfer(t, i)
		pub, proof, err := p.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}, vk)
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyBoth(pub, proof, vk); err != nil {
			t.Fatal(err)
		}
	}
}

// Proofs from the fast prover and from gnark's verify alike in a batch.
func TestTableProverMixedBatch(t *testing.T) {
	vk, pubs, proofs := transferBatch(t, 2)
	p, _ := proverFor(t, Transfer)
	pub, proof, err := p.ProveTransfer(randomTransfer(t, 5), vk)
	if err != nil {
		t.Fatal(err)
	}
	if err := BatchVerify(vk, append(pubs, pub), append(proofs, proof)); err != nil {
		t.Fatal(err)
	}
}

// The MSM inputs are the key's vectors' scalars: the tables and gnark's
// MultiExp agree on them.
func TestMSMInputs(t *testing.T) {
	p, _ := proverFor(t, Transfer)
	in, err := p.TransferMSMInputs(randomTransfer(t, 4))
	if err != nil {
		t.Fatal(err)
	}
	pk := p.key.pk
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
func TestTableProverConcurrent(t *testing.T) {
	p, vk := proverFor(t, Transfer)
	one := p.WithWorkers(1)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = one.ProveTransfer(randomTransfer(t, 5+i), vk)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

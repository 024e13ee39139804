package zkp

import (
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
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
	switch pub.Circuit {
	case Transfer:
		return transferAssignment(pub)
	case FX:
		return fxAssignment(pub)
	case Batch:
		return batchAssignment(pub)
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

// tablesFile writes c's dev keys and its tables to a fresh directory and
// returns the directory and the bytes of the table file.
func tablesFile(t *testing.T, c Circuit) (string, []byte) {
	t.Helper()
	dir := keyDir(t, c)
	p, _ := proverFor(t, c)
	path := TablesPath(dir, c)
	if err := p.WriteTables(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return dir, data
}

// The hash that binds a cache to a key is the same whether the key came
// from SetupDev or from its file.
func TestProvingKeyPayloadHash(t *testing.T) {
	dir := keyDir(t, Mint)
	pk, _ := setupFor(t, Mint)
	pkPath, _ := KeyPaths(dir, Mint)
	read, err := ReadProvingKey(pkPath, Mint)
	if err != nil {
		t.Fatal(err)
	}
	h1, err := pk.payloadHash()
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := read.payloadHash()
	if h1 != h2 {
		t.Fatal("the key's hash depends on where the key came from")
	}
}

// Tables written beside a key load for the key read from its file, and
// prove as the tables they were written from.
func TestTablesRoundTrip(t *testing.T) {
	for _, c := range Circuits() {
		dir, _ := tablesFile(t, c)
		built, vk := proverFor(t, c)
		pkPath, _ := KeyPaths(dir, c)
		pk, err := ReadProvingKey(pkPath, c)
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := ReadTableProver(TablesPath(dir, c), pk)
		if err != nil {
			t.Fatal(err)
		}
		for i, info := range loaded.Tables() {
			if info != built.Tables()[i] {
				t.Fatalf("%s: table %s differs: %+v, built %+v", c, info.Name, info, built.Tables()[i])
			}
		}
		in := randomTransfer(t, 1)
		var pub Public
		var proof *Proof
		switch c {
		case Transfer:
			pub, proof, err = loaded.ProveTransfer(in, vk)
		case FX:
			pub, proof, err = loaded.ProveFX(fxOf(in), vk)
		case Batch:
			pub, proof, err = loaded.ProveBatch(batchOf(in), vk)
		default:
			pub, proof, err = loaded.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}, vk)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyBoth(pub, proof, vk); err != nil {
			t.Fatal(err)
		}
	}
}

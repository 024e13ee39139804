package zkp

import (
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// One dev setup per circuit for this file's tests (and the fast prover's).
var testSetups sync.Map // Circuit → *testSetup

type testSetup struct {
	once sync.Once
	pk   *ProvingKey
	vk   *VerifyingKey
	err  error
}

func setupFor(t testing.TB, c Circuit) (*ProvingKey, *VerifyingKey) {
	t.Helper()
	v, _ := testSetups.LoadOrStore(c, &testSetup{})
	s := v.(*testSetup)
	s.once.Do(func() { s.pk, s.vk, s.err = SetupDev(c) })
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.pk, s.vk
}

// randomTransfer returns a fresh valid transfer input.
func randomTransfer(t testing.TB, i int) TransferInput {
	t.Helper()
	rb, err := RandomBlinding()
	if err != nil {
		t.Fatal(err)
	}
	ra, err := RandomAmountBlinding()
	if err != nil {
		t.Fatal(err)
	}
	return TransferInput{
		Balance: 1_000_000 + uint64(i)*7919, BalanceBlinding: rb,
		Amount: 1 + uint64(i)*104729, AmountBlinding: ra,
		Context: NewContext("sable/zkp/test", []byte(fmt.Sprint(i))),
	}
}

// transferBatch proves n transfers with gnark's prover.
func transferBatch(t testing.TB, n int) (*VerifyingKey, []Public, []*Proof) {
	t.Helper()
	pk, vk := setupFor(t, Transfer)
	pubs := make([]Public, n)
	proofs := make([]*Proof, n)
	for i := range n {
		pub, proof, err := pk.ProveTransfer(randomTransfer(t, i), vk)
		if err != nil {
			t.Fatal(err)
		}
		pubs[i], proofs[i] = pub, proof
	}
	return vk, pubs, proofs
}

func TestBatchVerify(t *testing.T) {
	vk, pubs, proofs := transferBatch(t, 5)

	t.Run("valid", func(t *testing.T) {
		for n := 1; n <= len(pubs); n++ {
			if err := BatchVerify(vk, pubs[:n], proofs[:n]); err != nil {
				t.Fatalf("batch of %d valid proofs: %v", n, err)
			}
		}
	})

	t.Run("empty", func(t *testing.T) {
		if err := BatchVerify(vk, nil, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
	})

	t.Run("one bad proof", func(t *testing.T) {
		for bad := range pubs {
			ps := append([]*Proof(nil), proofs...)
			// A proof of another circuit's shape: A negated, still a valid
			// point of the subgroup.
			q := *ps[bad]
			q.p.Ar.Neg(&q.p.Ar)
			ps[bad] = &q
			if err := vk.Verify(pubs[bad], &q); err == nil {
				t.Fatal("test setup: the tampered proof verifies")
			}
			if err := BatchVerify(vk, pubs, ps); !errors.Is(err, ErrInvalidProof) {
				t.Fatalf("bad proof at %d: got %v, want ErrInvalidProof", bad, err)
			}
		}
	})

	t.Run("decoded bad proof", func(t *testing.T) {
		// A valid encoding whose C is another proof's C.
		b := proofs[0].Bytes()
		c := proofs[1].Bytes()
		copy(b[96:], c[96:])
		q, err := DecodeProof(b[:])
		if err != nil {
			t.Fatal(err)
		}
		ps := append([]*Proof{q}, proofs[1:]...)
		if err := BatchVerify(vk, pubs, ps); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("got %v, want ErrInvalidProof", err)
		}
	})

	t.Run("swapped statements", func(t *testing.T) {
		// Both proofs are valid, each for the other's statement.
		ps := append([]Public(nil), pubs...)
		ps[1], ps[3] = ps[3], ps[1]
		if err := BatchVerify(vk, ps, proofs); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("got %v, want ErrInvalidProof", err)
		}
		// Only the context differs: a proof lifted into another transaction.
		ps = append([]Public(nil), pubs...)
		ps[2].Context = pubs[4].Context
		if err := BatchVerify(vk, ps, proofs); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("lifted context: got %v, want ErrInvalidProof", err)
		}
	})

	t.Run("duplicates", func(t *testing.T) {
		ps := []Public{pubs[0], pubs[0], pubs[1]}
		qs := []*Proof{proofs[0], proofs[0], proofs[1]}
		if err := BatchVerify(vk, ps, qs); err != nil {
			t.Fatalf("a proof twice in a batch: %v", err)
		}
	})

	t.Run("shape", func(t *testing.T) {
		if err := BatchVerify(vk, pubs, proofs[:2]); !errors.Is(err, ErrBatchSize) {
			t.Fatalf("got %v, want ErrBatchSize", err)
		}
		ps := append([]Public(nil), pubs...)
		ps[0].Circuit = Mint
		if err := BatchVerify(vk, ps, proofs); !errors.Is(err, ErrWrongCircuit) {
			t.Fatalf("got %v, want ErrWrongCircuit", err)
		}
		if err := BatchVerify(vk, pubs[:1], []*Proof{nil}); !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("nil proof: got %v, want ErrInvalidProof", err)
		}
	})
}

func TestBatchCoefficients(t *testing.T) {
	vk, pubs, proofs := transferBatch(t, 3)
	vectors := func(ps []Public) []fr.Vector {
		out := make([]fr.Vector, len(ps))
		for i := range ps {
			out[i] = ps[i].Vector()
		}
		return out
	}
	a := batchCoefficients(vk, vectors(pubs), proofs)
	b := batchCoefficients(vk, vectors(pubs), proofs)
	for j := range a {
		if !a[j].Equal(&b[j]) {
			t.Fatal("coefficients are not deterministic")
		}
		if n := a[j].BigInt(new(big.Int)).BitLen(); n > BatchCoefficientBits || n < BatchCoefficientBits-32 {
			t.Fatalf("ρ_%d has %d bits", j, n)
		}
		for k := range j {
			if a[j].Equal(&a[k]) {
				t.Fatal("two coefficients are equal")
			}
		}
	}
	// Any change of statement, proof or order changes every coefficient.
	swapped := []Public{pubs[1], pubs[0], pubs[2]}
	c := batchCoefficients(vk, vectors(swapped), []*Proof{proofs[1], proofs[0], proofs[2]})
	ps := append([]Public(nil), pubs...)
	ps[2].Context[31] ^= 1
	d := batchCoefficients(vk, vectors(ps), proofs)
	for j := range a {
		if a[j].Equal(&c[j]) || a[j].Equal(&d[j]) {
			t.Fatalf("ρ_%d does not depend on the whole batch", j)
		}
	}
}

func TestBatchVerifyMint(t *testing.T) {
	pk, vk := setupFor(t, Mint)
	var pubs []Public
	var proofs []*Proof
	for i := range 3 {
		in := randomTransfer(t, i)
		pub, proof, err := pk.ProveMint(MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context}, vk)
		if err != nil {
			t.Fatal(err)
		}
		pubs, proofs = append(pubs, pub), append(proofs, proof)
	}
	if err := BatchVerify(vk, pubs, proofs); err != nil {
		t.Fatal(err)
	}
	pubs[0], pubs[2] = pubs[2], pubs[0]
	if err := BatchVerify(vk, pubs, proofs); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("got %v, want ErrInvalidProof", err)
	}
}

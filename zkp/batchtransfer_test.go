package zkp

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"
)

// batchOf is a batch of two payments from in's balance: in's amount and 1.
func batchOf(in TransferInput) BatchInput {
	return BatchInput{
		Balance: in.Balance, BalanceBlinding: in.BalanceBlinding,
		Amounts: []uint64{in.Amount, 1}, AmountBlindings: []*big.Int{in.AmountBlinding, in.BalanceBlinding},
		Context: in.Context,
	}
}

// randomBatch is a batch of n payments of 1000 + 7i with fresh blindings,
// from a balance of total + extra.
func randomBatch(t testing.TB, n int, extra uint64) BatchInput {
	t.Helper()
	rb, err := RandomBlinding()
	if err != nil {
		t.Fatal(err)
	}
	in := BatchInput{BalanceBlinding: rb, Balance: extra, Context: NewContext("sable/zkp/test-batch", []byte{byte(n)})}
	for i := range n {
		r, err := RandomAmountBlinding()
		if err != nil {
			t.Fatal(err)
		}
		a := 1000 + 7*uint64(i)
		in.Amounts, in.AmountBlindings = append(in.Amounts, a), append(in.AmountBlindings, r)
		in.Balance += a
	}
	return in
}

// TestProveBatch proves batches of 1, 5 and BatchSize payments, the last
// spending the whole balance, and checks that each proof verifies for its
// statement alone and that the three batch-verify together.
func TestProveBatch(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	var pubs []Public
	var proofs []*Proof
	for _, c := range []struct {
		n     int
		extra uint64
	}{{1, 10}, {5, 1}, {BatchSize, 0}} {
		in := randomBatch(t, c.n, c.extra)
		pub, proof, err := pk.ProveBatch(in, vk)
		if err != nil {
			t.Fatalf("%d payments: %v", c.n, err)
		}
		if len(pub.Amounts) != c.n || !pub.Available.Equal(Commit(in.Balance, in.BalanceBlinding)) {
			t.Fatalf("%d payments: the statement does not carry the batch", c.n)
		}
		for i := range pub.Amounts {
			if !pub.Amounts[i].Equal(Commit(in.Amounts[i], in.AmountBlindings[i])) {
				t.Fatalf("%d payments: amount %d is not its commitment", c.n, i)
			}
		}
		if err := verifyBoth(pub, proof, vk); err != nil {
			t.Fatalf("%d payments: %v", c.n, err)
		}
		pubs, proofs = append(pubs, pub), append(proofs, proof)
	}
	if err := BatchVerify(vk, pubs, proofs); err != nil {
		t.Fatal(err)
	}
	// A proof of the wrong statement anywhere fails the batch.
	bad := slices.Clone(pubs)
	bad[1].Amounts = slices.Clone(bad[1].Amounts)
	bad[1].Amounts[0], bad[1].Amounts[1] = bad[1].Amounts[1], bad[1].Amounts[0]
	if err := BatchVerify(vk, bad, proofs); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("a batch with two amounts swapped in one statement: %v", err)
	}
}

// TestBatchProofBoundToStatement plays the verifier given a valid batch
// proof and a statement changed in every way an attacker might try.
func TestBatchProofBoundToStatement(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	in := randomBatch(t, 3, 500)
	pub, proof, err := pk.ProveBatch(in, vk)
	if err != nil {
		t.Fatal(err)
	}
	other := Commit(1234, big.NewInt(99))
	cases := map[string]func(p *Public){
		"another context":   func(p *Public) { p.Context = NewContext("sable/zkp/test-batch", []byte("other")) },
		"another balance":   func(p *Public) { p.Available = Commit(in.Balance+1, in.BalanceBlinding) },
		"an amount changed": func(p *Public) { p.Amounts[1] = other },
		"amounts reordered": func(p *Public) { p.Amounts[0], p.Amounts[2] = p.Amounts[2], p.Amounts[0] },
		// The last payment dropped: its slot becomes padding, which the
		// proof did not prove.
		"a payment dropped": func(p *Public) { p.Amounts = p.Amounts[:2] },
		"a payment added":   func(p *Public) { p.Amounts = append(p.Amounts, other) },
		"the transfer circuit's statement": func(p *Public) {
			p.Circuit, p.Amount, p.Amounts = Transfer, p.Amounts[0], nil
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p := pub
			p.Amounts = slices.Clone(pub.Amounts)
			change(&p)
			err := vk.Verify(p, proof)
			if err == nil {
				t.Fatal("the proof verifies for a changed statement")
			}
			if !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrWrongCircuit) {
				t.Fatalf("error %v wraps neither ErrInvalidProof nor ErrWrongCircuit", err)
			}
			if err := BatchVerify(vk, []Public{p}, []*Proof{proof}); err == nil {
				t.Fatal("the batch verifier accepts the changed statement")
			}
		})
	}
}

// TestBatchPaddingIsTheVerifiers: a statement that lists the identity as a
// real amount has the same public inputs as one that leaves the slot to
// padding, so the proof of n payments would verify for n + 1, the last of
// amount 0. Verify and BatchVerify refuse such a statement, and so must
// the ledger refuse such a payment.
func TestBatchPaddingIsTheVerifiers(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	pub, proof, err := pk.ProveBatch(randomBatch(t, 2, 0), vk)
	if err != nil {
		t.Fatal(err)
	}
	padded := pub
	padded.Amounts = append(slices.Clone(pub.Amounts), ZeroCommitment())
	if !slices.Equal(padded.Vector(), pub.Vector()) {
		t.Fatal("an explicit identity amount does not give the padded vector: the test no longer shows the ambiguity")
	}
	if err := vk.Verify(padded, proof); !errors.Is(err, ErrPaddingAmount) || !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("Verify with an identity amount: %v", err)
	}
	if err := BatchVerify(vk, []Public{pub, padded}, []*Proof{proof, proof}); !errors.Is(err, ErrPaddingAmount) {
		t.Fatalf("BatchVerify with an identity amount: %v", err)
	}
	first := pub
	first.Amounts = []Commitment{ZeroCommitment(), pub.Amounts[1]}
	if err := vk.Verify(first, proof); !errors.Is(err, ErrPaddingAmount) {
		t.Fatalf("Verify with the identity in slot 1: %v", err)
	}
}

// TestBatchStatementShape: statements of the wrong size are refused with
// an error, not a panic, by both verifiers, and batch amounts on another
// circuit's statement too.
func TestBatchStatementShape(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	pub, proof, err := pk.ProveBatch(randomBatch(t, 1, 0), vk)
	if err != nil {
		t.Fatal(err)
	}
	tooMany := pub
	for range BatchSize {
		tooMany.Amounts = append(tooMany.Amounts, pub.Amounts[0])
	}
	none := pub
	none.Amounts = nil
	for name, p := range map[string]Public{"17 amounts": tooMany, "no amounts": none} {
		if err := vk.Verify(p, proof); !errors.Is(err, ErrBatchCount) || !errors.Is(err, ErrInvalidProof) {
			t.Fatalf("%s: Verify: %v", name, err)
		}
		if err := BatchVerify(vk, []Public{p}, []*Proof{proof}); !errors.Is(err, ErrBatchCount) {
			t.Fatalf("%s: BatchVerify: %v", name, err)
		}
	}
	tpk, tvk := setupFor(t, Transfer)
	tpub, tproof, err := tpk.ProveTransfer(randomTransfer(t, 1), tvk)
	if err != nil {
		t.Fatal(err)
	}
	tpub.Amounts = []Commitment{tpub.Amount}
	if err := tvk.Verify(tpub, tproof); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("a transfer statement with batch amounts: %v", err)
	}
	if err := BatchVerify(tvk, []Public{tpub}, []*Proof{tproof}); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("a transfer statement with batch amounts, batch-verified: %v", err)
	}
}

// TestProveBatchRefuses checks the prover's input checks: the dishonest or
// mistaken payer gets an error and no proof.
func TestProveBatchRefuses(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	base := func() BatchInput { return randomBatch(t, 4, 0) }
	cases := map[string]struct {
		change func(*BatchInput)
		want   error
	}{
		"total over balance by 1": {func(in *BatchInput) { in.Balance-- }, ErrInsufficientBalance},
		"a zero amount":           {func(in *BatchInput) { in.Amounts[2] = 0 }, ErrZeroAmount},
		"no amounts":              {func(in *BatchInput) { in.Amounts, in.AmountBlindings = nil, nil }, ErrBatchCount},
		"17 amounts": {func(in *BatchInput) {
			for len(in.Amounts) <= BatchSize {
				in.Amounts, in.AmountBlindings = append(in.Amounts, 1), append(in.AmountBlindings, big.NewInt(1))
			}
			in.Balance = math.MaxUint64
		}, ErrBatchCount},
		"a blinding missing": {func(in *BatchInput) { in.AmountBlindings = in.AmountBlindings[:3] }, ErrBatchCount},
		// Amounts whose total wraps 2^64 to below the balance.
		"total wraps 2^64": {func(in *BatchInput) {
			in.Amounts[0], in.Amounts[1] = 1<<63, 1<<63
			in.Balance = in.Amounts[2] + in.Amounts[3]
		}, ErrInsufficientBalance},
		"an amount blinding = ℓ":   {func(in *BatchInput) { in.AmountBlindings[1] = Order() }, ErrBlindingRange},
		"a negative blinding":      {func(in *BatchInput) { in.AmountBlindings[1] = big.NewInt(-1) }, ErrBlindingRange},
		"a nil amount blinding":    {func(in *BatchInput) { in.AmountBlindings[3] = nil }, ErrBlindingRange},
		"the balance blinding = ℓ": {func(in *BatchInput) { in.BalanceBlinding = Order() }, ErrBlindingRange},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := base()
			c.change(&in)
			pub, proof, err := pk.ProveBatch(in, vk)
			if !errors.Is(err, c.want) || proof != nil || pub.Circuit != "" {
				t.Fatalf("got %v (proof %v), want %v", err, proof != nil, c.want)
			}
		})
	}
	tpk, _ := setupFor(t, Transfer)
	if _, _, err := tpk.ProveBatch(base(), nil); !errors.Is(err, ErrWrongCircuit) {
		t.Fatalf("the transfer key proves a batch: %v", err)
	}
}

// TestBatchBundle: a batch proof travels in a bundle and back, and a
// bundle with its amounts changed does not verify.
func TestBatchBundle(t *testing.T) {
	pk, vk := setupFor(t, Batch)
	pub, proof, err := pk.ProveBatch(randomBatch(t, 3, 7), vk)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBundle(NewBundle(vk, pub, proof).Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(vk); err != nil {
		t.Fatal(err)
	}
	b.Public.Amounts[0], b.Public.Amounts[1] = b.Public.Amounts[1], b.Public.Amounts[0]
	if err := b.Verify(vk); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("a bundle with two amounts swapped: %v", err)
	}
	b.Public.Amounts = nil
	if _, err := ParseBundle(b.Marshal()); !errors.Is(err, ErrBundleFormat) {
		t.Fatalf("a batch bundle without amounts parses: %v", err)
	}
}

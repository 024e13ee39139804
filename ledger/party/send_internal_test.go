package party

import (
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// proveChunks makes a batch's chunk proofs chunkProvers at a time and puts
// each in its own slot: every proof verifies against its chunk (the
// balance its currency's earlier chunks leave, its amounts, its context)
// and against no other. A chunk the balance cannot cover fails the batch,
// naming the chunk, before any proof is made.
func TestProveChunksConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("makes seven batch proofs")
	}
	dir := t.TempDir()
	pk, vk, err := zkp.SetupDev(zkp.Batch)
	if err != nil {
		t.Fatal(err)
	}
	pkPath, vkPath := zkp.KeyPaths(dir, zkp.Batch)
	if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
		t.Fatal(err)
	}
	if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
		t.Fatal(err)
	}
	prover := zkp.OpenProver(dir)

	usd, sgd := ledger.Currency{'U', 'S', 'D'}, ledger.Currency{'S', 'G', 'D'}
	counts := map[ledger.Currency]int{sgd: 3, usd: 2*zkp.BatchSize + 1} // 1 and 3 chunks
	b := &ledger.BatchTransfer{}
	avail := map[ledger.Currency]ledger.Opening{}
	var amts []ledger.Opening
	for j := range counts[sgd] + counts[usd] {
		c := usd
		if j%11 == 0 && j/11 < counts[sgd] { // currencies interleaved in payment order
			c = sgd
		}
		o := opening(t, uint64(100+j))
		amts = append(amts, o)
		b.Payments = append(b.Payments, ledger.BatchPayment{To: "bank-b", Currency: c, Amount: o.Commitment()})
	}
	for _, c := range []ledger.Currency{sgd, usd} {
		avail[c] = opening(t, 1_000_000)
		b.Books = append(b.Books, ledger.BatchBook{Currency: c, Available: avail[c].Commitment(), Proofs: make([][zkp.ProofSize]byte, ledger.BatchChunks(counts[c]))})
	}
	tx := &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: "bank-a", Nonce: 7, Body: b}
	if err := proveChunks(prover, tx, "chain", avail, amts); err != nil {
		t.Fatal(err)
	}

	contexts, chunks := tx.ChunkContexts("chain"), b.Chunks()
	type slot struct{ book, chunk int }
	statements := map[slot]zkp.Public{}
	for i, k := range b.Books {
		left := avail[k.Currency]
		for n, idx := range chunks[i] {
			pub := zkp.Public{Circuit: zkp.Batch, Available: left.Commitment(), Context: contexts[i][n]}
			for _, j := range idx {
				pub.Amounts = append(pub.Amounts, b.Payments[j].Amount)
				left, _ = left.Minus(amts[j])
			}
			statements[slot{i, n}] = pub
		}
	}
	if len(statements) != 4 {
		t.Fatalf("%d chunks, want 4", len(statements))
	}
	for s, pub := range statements {
		for p := range statements {
			proof, err := zkp.DecodeProof(b.Books[p.book].Proofs[p.chunk][:])
			if err != nil {
				t.Fatal(err)
			}
			if err := vk.Verify(pub, proof); (err == nil) != (s == p) {
				t.Errorf("chunk %v's statement with chunk %v's proof: %v", s, p, err)
			}
		}
	}

	// USD's balance covers its first two chunks but not the third: the
	// batch fails, naming it, before any proof is made.
	covered := uint64(50)
	for _, j := range append(chunks[1][0], chunks[1][1]...) {
		covered += amts[j].Value
	}
	avail[usd] = opening(t, covered)
	b.Books[1].Available = avail[usd].Commitment()
	b.Books[1].Proofs = make([][zkp.ProofSize]byte, 3)
	err = proveChunks(prover, tx, "chain", avail, amts)
	if err == nil || !strings.Contains(err.Error(), "USD chunk 2: the balance does not cover") {
		t.Fatalf("overspent chunk: %v", err)
	}
	for n, p := range b.Books[1].Proofs {
		if p != ([zkp.ProofSize]byte{}) {
			t.Errorf("chunk %d was proved for a batch that fails", n)
		}
	}
}

func opening(t *testing.T, v uint64) ledger.Opening {
	r, err := zkp.RandomAmountBlinding()
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Opening{Value: v, Blinding: r}
}

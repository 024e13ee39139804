package ledger

import (
	"errors"
	"math/big"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// batchOf is an unsigned batch from bank-a paying n USD and m SGD payments
// (USD first, then SGD), with one zero proof per chunk.
func batchOf(t *testing.T, n, m int) *Tx {
	t.Helper()
	usd, sgd := Currency{'U', 'S', 'D'}, Currency{'S', 'G', 'D'}
	b := &BatchTransfer{Books: []BatchBook{{Currency: sgd, Available: zkp.Commit(1000, big.NewInt(1))}, {Currency: usd, Available: zkp.Commit(2000, big.NewInt(2))}}}
	for j := range n + m {
		c := usd
		if j >= n {
			c = sgd
		}
		b.Payments = append(b.Payments, BatchPayment{To: "bank-b", Currency: c, Amount: zkp.Commit(uint64(j+1), big.NewInt(int64(j+3))), Memo: []byte{1}})
	}
	for i, chunks := range b.Chunks() {
		b.Books[i].Proofs = make([][zkp.ProofSize]byte, len(chunks))
	}
	return &Tx{Kind: KindBatchTransfer, Sender: "bank-a", Body: b}
}

// Chunks cut each currency's payments, in payment order, into chunks of
// up to zkp.BatchSize.
func TestBatchChunks(t *testing.T) {
	n := zkp.BatchSize + 3
	tx := batchOf(t, n, 2)
	chunks := tx.Body.(*BatchTransfer).Chunks()
	if len(chunks) != 2 || len(chunks[0]) != 1 || len(chunks[1]) != 2 { // SGD book first
		t.Fatalf("chunks %v", chunks)
	}
	if got := chunks[0][0]; len(got) != 2 || got[0] != n || got[1] != n+1 {
		t.Fatalf("SGD chunk %v, want [%d %d]", got, n, n+1)
	}
	if a, b := chunks[1][0], chunks[1][1]; len(a) != zkp.BatchSize || a[0] != 0 || len(b) != 3 || b[0] != zkp.BatchSize {
		t.Fatalf("USD chunks %v", chunks[1])
	}
	if BatchChunks(0) != 0 || BatchChunks(1) != 1 || BatchChunks(zkp.BatchSize) != 1 || BatchChunks(zkp.BatchSize+1) != 2 ||
		BatchChunks(MaxBatchPayments) != MaxBatchChunks {
		t.Fatal("BatchChunks is not ceil(n / BatchSize)")
	}
}

// A book whose proof count is not one per chunk of its currency's payments
// does not decode (ErrTxBatchProofs); a well-counted one round-trips.
func TestBatchProofCount(t *testing.T) {
	valid := someProof(t) // decodes: a count is checked on proofs that are each well-formed
	withProofs := func(tx *Tx) *Tx {
		b := tx.Body.(*BatchTransfer)
		for i := range b.Books {
			for n := range b.Books[i].Proofs {
				b.Books[i].Proofs[n] = valid
			}
		}
		return tx
	}
	tx := withProofs(batchOf(t, zkp.BatchSize+1, 1))
	raw := tx.Encode()
	back, err := DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Encode()) != string(raw) {
		t.Fatal("a batch does not round-trip")
	}
	for name, proofs := range map[string]func(p [][zkp.ProofSize]byte) [][zkp.ProofSize]byte{
		"one too many": func(p [][zkp.ProofSize]byte) [][zkp.ProofSize]byte { return append(p, valid) },
		"one too few":  func(p [][zkp.ProofSize]byte) [][zkp.ProofSize]byte { return p[:len(p)-1] },
		"none":         func([][zkp.ProofSize]byte) [][zkp.ProofSize]byte { return nil },
		"past the most a book can need": func([][zkp.ProofSize]byte) [][zkp.ProofSize]byte {
			return make([][zkp.ProofSize]byte, MaxBatchChunks+1)
		},
	} {
		bad := withProofs(batchOf(t, zkp.BatchSize+1, 1))
		b := bad.Body.(*BatchTransfer)
		b.Books[1].Proofs = proofs(b.Books[1].Proofs) // the USD book
		if _, err := DecodeTx(bad.Encode()); !errors.Is(err, ErrTxBatchProofs) {
			t.Errorf("%s: %v, want ErrTxBatchProofs", name, err)
		}
	}
}

// Chunk contexts differ by currency and chunk, leave the proofs out and
// bind everything else, the number of proofs included.
func TestChunkContexts(t *testing.T) {
	tx := batchOf(t, zkp.BatchSize+1, 1)
	ctx := tx.ChunkContexts("chain")
	seen := map[zkp.Context]bool{}
	for _, book := range ctx {
		for _, c := range book {
			if seen[c] {
				t.Fatal("two chunks share a context")
			}
			seen[c] = true
		}
	}
	b := tx.Body.(*BatchTransfer)
	b.Books[1].Proofs[1][0] = 0x42
	if again := tx.ChunkContexts("chain"); again[1][1] != ctx[1][1] || again[0][0] != ctx[0][0] {
		t.Fatal("a context depends on a proof")
	}
	for name, change := range map[string]func(*Tx){
		"another chain": nil,
		"an amount":     func(tx *Tx) { tx.Body.(*BatchTransfer).Payments[3].Amount = zkp.Commit(99, big.NewInt(9)) },
		"a memo":        func(tx *Tx) { tx.Body.(*BatchTransfer).Payments[0].Memo = []byte{2} },
		"the nonce":     func(tx *Tx) { tx.Nonce++ },
		"a proof's count": func(tx *Tx) {
			bb := tx.Body.(*BatchTransfer)
			bb.Books[0].Proofs = append(bb.Books[0].Proofs, bb.Books[0].Proofs[0])
		},
	} {
		other := batchOf(t, zkp.BatchSize+1, 1)
		chain := "chain"
		if change == nil {
			chain = "other"
		} else {
			change(other)
		}
		if got := other.ChunkContexts(chain); got[1][0] == ctx[1][0] {
			t.Errorf("%s: the context is unchanged", name)
		}
	}
}

package ledger

import (
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/sable-settlement/sable/zkp"
)

// generatorProof is a well-formed proof encoding (the generators as A, B
// and C), made without a setup: decoding checks points, not proofs.
func generatorProof() [zkp.ProofSize]byte {
	_, _, g1, g2 := bn254.Generators()
	var out [zkp.ProofSize]byte
	a, b := g1.Bytes(), g2.Bytes()
	copy(out[:32], a[:])
	copy(out[32:96], b[:])
	copy(out[96:], a[:])
	return out
}

// FuzzDecodeBatch: whatever bytes decode as a batch transfer re-encode to
// the same bytes and keep the limits the executor relies on: 1 to
// MaxBatchBooks books in strictly increasing currency order, 1 to
// MaxBatchPayments payments, one proof per chunk of each book's
// currency's payments, and no field past its size limit. Truncations and
// corruptions of a valid batch must fail without panicking.
func FuzzDecodeBatch(f *testing.F) {
	valid := generatorProof()
	for _, nm := range [][2]int{{1, 0}, {zkp.BatchSize + 1, 2}, {3, 3}} {
		tx := batchOf(&testing.T{}, nm[0], nm[1])
		b := tx.Body.(*BatchTransfer)
		if nm[1] == 0 {
			b.Books = b.Books[1:] // USD only
		}
		for i := range b.Books {
			for n := range b.Books[i].Proofs {
				b.Books[i].Proofs[n] = valid
			}
		}
		raw := tx.Encode()
		if _, err := DecodeTx(raw); err != nil {
			f.Fatalf("seed %v: %v", nm, err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := DecodeTx(raw)
		if err != nil {
			return
		}
		if string(tx.Encode()) != string(raw) {
			t.Fatalf("decode(%x) re-encodes as %x", raw, tx.Encode())
		}
		b, ok := tx.Body.(*BatchTransfer)
		if !ok {
			return
		}
		if len(b.Books) == 0 || len(b.Books) > MaxBatchBooks || len(b.Payments) == 0 || len(b.Payments) > MaxBatchPayments {
			t.Fatalf("%d books, %d payments decoded", len(b.Books), len(b.Payments))
		}
		for i, chunks := range b.Chunks() {
			k := b.Books[i]
			if i > 0 && string(k.Currency[:]) <= string(b.Books[i-1].Currency[:]) {
				t.Fatalf("books %s, %s decoded out of order", b.Books[i-1].Currency, k.Currency)
			}
			if len(k.Proofs) != len(chunks) || len(k.Flow) > MaxFlowSize {
				t.Fatalf("the %s book: %d proofs for %d chunks, a flow of %d bytes", k.Currency, len(k.Proofs), len(chunks), len(k.Flow))
			}
		}
		for j, p := range b.Payments {
			if !ValidID(p.To) || !p.Currency.Known() || len(p.Memo) > MaxMemoSize || len(p.AuditMemo) > MaxMemoSize || len(p.SelfMemo) > MaxMemoSize {
				t.Fatalf("payment %d decoded with a field out of bounds", j)
			}
		}
	})
}

package state

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// appHash is the app's last committed hash.
func (f *fixture) appHash() string {
	f.t.Helper()
	res, err := f.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(res.LastBlockAppHash)
}

// refused checks that raw is refused with code at CheckTx and in a block,
// and that the block changes neither what view renders nor the app hash.
func (f *fixture) refused(name string, raw []byte, code uint32, view func() string) {
	f.t.Helper()
	before, hash := view(), f.appHash()
	if res := f.checkTx(raw); res.Code != code {
		f.t.Errorf("%s: CheckTx: code %d (%s), want %d", name, res.Code, res.Log, code)
	}
	if res := f.block(raw); res.TxResults[0].Code != code {
		f.t.Errorf("%s: block: code %d (%s), want %d", name, res.TxResults[0].Code, res.TxResults[0].Log, code)
	}
	if view() != before || f.appHash() != hash {
		f.t.Errorf("%s: a refused batch changed the state or the app hash", name)
	}
}

// openings reads back a one-receiver batch's amount openings from the
// memos sealed to its receiver.
func openings(t testing.TB, tx *ledger.Tx, to *member) []ledger.Opening {
	t.Helper()
	b := tx.Body.(*ledger.BatchTransfer)
	out := make([]ledger.Opening, len(b.Payments))
	for j, p := range b.Payments {
		o, err := ledger.OpenMemo(to.id.MemoKey, p.Memo, ledger.BulkMemoAAD(testChain, tx.Sender, to.id.Config.ID, p.Currency, tx.Nonce, j))
		if err != nil {
			t.Fatal(err)
		}
		out[j] = o
	}
	return out
}

// The dishonest sender against a batch of two USD chunks: every tampered
// batch, re-signed (or proved with the tampered batch's own contexts), is
// refused at CheckTx and in a block, changing neither the state nor the
// app hash; the honest batch then goes through.
func TestBatchChunkAttacks(t *testing.T) {
	f := newFixture(t)
	// an earlier payment moves bank-a's available balance: the older one
	// is what a stale proof was made against
	older := f.a.avail[usd]
	first, amt := f.transfer(f.a, f.b, 1000)
	if res := f.block(first.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("transfer: %s", res.TxResults[0].Log)
	}
	f.a.spend(amt)

	n := zkp.BatchSize + 2 // chunk 0: payments 0–15, chunk 1: payments 16–17
	fresh := func() (*ledger.Tx, *ledger.BatchTransfer, []ledger.Opening) {
		tx, _ := f.bulk(f.a, f.b, amountsFrom(100, n), -1)
		return tx, tx.Body.(*ledger.BatchTransfer), openings(t, tx, f.b)
	}
	resign := func(tx *ledger.Tx) []byte { tx.Sign(testChain, f.a.id.Sign); return tx.Encode() }
	usdOnly := func(bal ledger.Opening) map[ledger.Currency]ledger.Opening {
		return map[ledger.Currency]ledger.Opening{usd: bal}
	}
	cases := []struct {
		name string
		code uint32
		raw  func() []byte
	}{
		{"chunk 0's proof in chunk 1's place", ledger.CodeBadProof, func() []byte {
			tx, b, _ := fresh()
			b.Books[0].Proofs[1] = b.Books[0].Proofs[0]
			return resign(tx)
		}},
		{"the chunks' proofs swapped", ledger.CodeBadProof, func() []byte {
			tx, b, _ := fresh()
			b.Books[0].Proofs[0], b.Books[0].Proofs[1] = b.Books[0].Proofs[1], b.Books[0].Proofs[0]
			return resign(tx)
		}},
		{"payment 0's amount swapped with chunk 1's payment 16, proved for the chunks as first cut", ledger.CodeBadProof, func() []byte {
			tx, b, amts := fresh()
			b.Payments[0], b.Payments[zkp.BatchSize] = b.Payments[zkp.BatchSize], b.Payments[0]
			proveChunks(t, tx, usdOnly(f.a.avail[usd]), amts) // the swapped batch's contexts, the original chunks' amounts
			return resign(tx)
		}},
		{"one proof too many", ledger.CodeBatchProofs, func() []byte {
			tx, b, _ := fresh()
			b.Books[0].Proofs = append(b.Books[0].Proofs, b.Books[0].Proofs[0])
			return resign(tx)
		}},
		{"one proof too few", ledger.CodeBatchProofs, func() []byte {
			tx, b, _ := fresh()
			b.Books[0].Proofs = b.Books[0].Proofs[:1]
			return resign(tx)
		}},
		{"proved for the older available balance", ledger.CodeBadProof, func() []byte {
			tx, _, amts := fresh()
			proveChunks(t, tx, usdOnly(older), amts)
			return resign(tx)
		}},
		{"made and named against the older available balance", ledger.CodeStaleBalance, func() []byte {
			tx, b, amts := fresh()
			b.Books[0].Available = older.Commitment()
			proveChunks(t, tx, usdOnly(older), amts)
			return resign(tx)
		}},
	}
	for _, c := range cases {
		f.refused(c.name, c.raw(), c.code, f.snapshot)
	}
	tx, total := f.bulk(f.a, f.b, amountsFrom(100, n), -1)
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("the honest batch: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	if f.account(f.a).Available != f.a.avail[usd].Commitment().String() {
		t.Fatal("the honest batch did not debit its payments")
	}
}

// A sender who proves each chunk against its whole available balance
// (each chunk affordable alone, the two together not) is refused: chunk 1
// is checked against the balance less chunk 0's amounts.
func TestBatchChunksChainOnTheBalance(t *testing.T) {
	f := newFixture(t) // bank-a holds USD 1,000.00
	amounts := make([]uint64, zkp.BatchSize+2)
	for j := range amounts {
		amounts[j] = 4000 // chunk 0: 640.00
	}
	amounts[zkp.BatchSize], amounts[zkp.BatchSize+1] = 20000, 20000 // chunk 1: 400.00; 1,040.00 in all
	tx, _ := f.bulk(f.a, f.b, amounts[:1], -1)                      // a valid template: recipient memos, signer
	b := tx.Body.(*ledger.BatchTransfer)
	amts := make([]ledger.Opening, len(amounts))
	b.Payments = make([]ledger.BatchPayment, len(amounts))
	for j, a := range amounts {
		r, _ := zkp.RandomAmountBlinding()
		amts[j] = ledger.Opening{Value: a, Blinding: r}
		b.Payments[j] = ledger.BatchPayment{To: "bank-b", Currency: usd, Amount: amts[j].Commitment()}
		b.Payments[j].Memo, _ = ledger.SealOpening(f.b.id.MemoPub, amts[j], ledger.BulkMemoAAD(testChain, "bank-a", "bank-b", usd, tx.Nonce, j))
	}
	sizeProofs(b)
	contexts := tx.ChunkContexts(testChain)
	bal := f.a.avail[usd]
	b.Books[0].Proofs[0] = proveChunk(t, bal, amts[:zkp.BatchSize], contexts[0][0])
	b.Books[0].Proofs[1] = proveChunk(t, bal, amts[zkp.BatchSize:], contexts[0][1]) // not bal less chunk 0
	tx.Sign(testChain, f.a.id.Sign)
	f.refused("two chunks each against the whole balance", tx.Encode(), ledger.CodeBadProof, f.snapshot)
}

// A payment whose amount is the identity is refused with its own code.
// The batch circuit reads the identity as a padding slot, so the proof
// made for the other payment alone verifies against the chunk's padded
// public inputs (shown below): zkp refuses a statement with the identity
// among its amounts, and the executor refuses the payment before any
// proof, saying what to do.
func TestBatchIdentityAmount(t *testing.T) {
	f := newFixture(t)
	tx, _ := f.bulk(f.a, f.b, []uint64{100}, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	amts := openings(t, tx, f.b)
	zero := ledger.BatchPayment{To: "bank-b", Currency: usd, Amount: zkp.ZeroCommitment(), Memo: b.Payments[0].Memo}
	b.Payments = append(b.Payments, zero)
	sizeProofs(b)
	ctx := tx.ChunkContexts(testChain)[0][0]
	b.Books[0].Proofs[0] = proveChunk(t, f.a.avail[usd], amts, ctx)
	tx.Sign(testChain, f.a.id.Sign)
	proof, err := zkp.DecodeProof(b.Books[0].Proofs[0][:])
	if err != nil {
		t.Fatal(err)
	}
	padded := zkp.Public{Circuit: zkp.Batch, Available: b.Books[0].Available, Amounts: []zkp.Commitment{b.Payments[0].Amount}, Context: ctx}
	if err := zkp.BatchVerify(testKeys.keys.Batch, []zkp.Public{padded, padded}, []*zkp.Proof{proof, proof}); err != nil {
		t.Fatalf("the proof does not verify with the identity as padding, so this test shows nothing: %v", err)
	}
	f.refused("an identity amount", tx.Encode(), ledger.CodeIdentityAmount, f.snapshot)
}

// A chain whose genesis pins no batch verifying key refuses every batch
// transfer with CodeNoBatch, at CheckTx and in a block.
func TestBatchRefusedWithoutBatchKey(t *testing.T) {
	f := newFixture(t)
	tx, _ := f.bulk(f.a, f.b, []uint64{10, 20}, -1)
	var g map[string]any
	if err := json.Unmarshal(f.genesis, &g); err != nil {
		t.Fatal(err)
	}
	delete(g["vk_hashes"].(map[string]any), "batch")
	genesis, _ := json.Marshal(g)
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	app, err := NewApp(store, testKeys.keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: testChain, AppStateBytes: genesis}); err != nil {
		t.Fatal(err)
	}
	if res, err := app.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx.Encode(), Type: abci.CHECK_TX_TYPE_CHECK}); err != nil || res.Code != ledger.CodeNoBatch {
		t.Fatalf("CheckTx: %v, code %d (%s), want %d", err, res.Code, res.Log, ledger.CodeNoBatch)
	}
	res, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: 1, Txs: [][]byte{tx.Encode()}})
	if err != nil || res.TxResults[0].Code != ledger.CodeNoBatch {
		t.Fatalf("block: %v, %+v, want code %d", err, res, ledger.CodeNoBatch)
	}
}

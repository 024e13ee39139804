package state

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// batchSplit is a batch transaction's bytes per payment, by what they
// carry.
type batchSplit struct {
	total, proof, commitments, memos, he, other float64
}

func splitBatch(tx *ledger.Tx) batchSplit {
	raw := tx.Encode()
	b := tx.Body.(*ledger.BatchTransfer)
	n := float64(len(b.Payments))
	var proof, memos, he int
	for _, p := range b.Payments {
		proof += len(p.Proof)
		memos += len(p.Memo) + len(p.AuditMemo) + len(p.SelfMemo)
	}
	for _, k := range b.Books {
		he += len(k.Flow)
	}
	coms := zkp.CommitmentSize * (len(b.Books) + len(b.Payments))
	return batchSplit{total: float64(len(raw)) / n, proof: float64(proof) / n, commitments: float64(coms) / n,
		memos: float64(memos) / n, he: float64(he) / n, other: float64(len(raw)-proof-memos-he-coms) / n}
}

// fullBatch builds (without proofs: their size is fixed) a batch of
// ledger.MaxBatchPayments payments from bank-a to bank-b, each with its
// receiver's memo, an audit memo and a self-memo, and its flow.
func (f *fixture) fullBatch(n int) *ledger.Tx {
	f.t.Helper()
	body := &ledger.BatchTransfer{Books: []ledger.BatchBook{{Currency: usd, Available: f.a.avail[usd].Commitment()}}, Payments: make([]ledger.BatchPayment, n)}
	amts := make([]ledger.Opening, n)
	tos := make([]*member, n)
	for j := range amts {
		r, _ := zkp.RandomAmountBlinding()
		amts[j], tos[j] = ledger.Opening{Value: uint64(1 + j), Blinding: r}, f.b
		aad := ledger.BulkMemoAAD(testChain, "bank-a", "bank-b", usd, 0, j)
		p := &body.Payments[j]
		p.To, p.Currency, p.Amount = "bank-b", usd, amts[j].Commitment()
		p.Memo, _ = ledger.SealOpening(f.b.id.MemoPub, amts[j], aad)
		p.AuditMemo, _ = ledger.SealOpening(f.reg.id.MemoPub, amts[j], aad)
		p.SelfMemo, _ = ledger.SealOpening(f.a.id.MemoPub, amts[j], ledger.SelfMemoAAD(testChain, "bank-a", usd, 0, j))
	}
	body.Books[0].Flow = f.seal(usd, amts, payKeys(f.a, tos...))
	return &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: "bank-a", Body: body}
}

// TestBatchBytesPerPayment: a full batch carries at most 512 HE bytes per
// payment (one book flow for all its payments), a batch of one carries no
// more HE than a single transfer, and a full batch with every memo fits a
// transaction. The figures are logged for ledger/doc.go.
func TestBatchBytesPerPayment(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	full := splitBatch(f.fullBatch(ledger.MaxBatchPayments))
	one := splitBatch(f.fullBatch(1))
	single, _ := f.transfer(f.a, f.b, 10)
	flow := len(single.Body.(*ledger.Transfer).Flow)
	t.Logf("full batch of %d: %.0f B/payment: proof %.0f, commitments %.1f, memos %.0f, HE %.1f, other %.1f",
		ledger.MaxBatchPayments, full.total, full.proof, full.commitments, full.memos, full.he, full.other)
	t.Logf("batch of 1: %.0f B: HE %.0f; single transfer: %d B, HE %d", one.total, one.he, len(single.Encode()), flow)
	if full.he > 512 {
		t.Errorf("a full batch carries %.1f HE bytes per payment, over 512", full.he)
	}
	if one.he > float64(flow) || flow != pk.Params().CiphertextSize() {
		t.Errorf("a batch of one carries %.0f HE bytes, a transfer %d, a ciphertext is %d", one.he, flow, pk.Params().CiphertextSize())
	}
	if raw := f.fullBatch(ledger.MaxBatchPayments).Encode(); len(raw)+ledger.MaxBatchBooks*pk.Params().CiphertextSize() > ledger.MaxTxSize {
		t.Errorf("a full batch in %d currencies would not fit a transaction: %d B of payments", ledger.MaxBatchBooks, len(raw))
	}
}

// BenchmarkBatchPerPayment measures, in one process, proving and
// verifying a payment in a batch of n against a single transfer: the
// batch's proofs are made one by one (each its own statement) and
// verified together (zkp.BatchVerify: one multi-pairing), the single
// transfers' (8, averaged, interleaved with the batch's runs) each
// verified alone. It reports the ratios per payment.
//
//	go test ./ledger/state -run '^$' -bench BatchPerPayment -benchtime 1x
func BenchmarkBatchPerPayment(b *testing.B) {
	for _, n := range []int{16, ledger.MaxBatchPayments} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var proveRatio, verifyRatio float64
			for range b.N {
				var ps, vs time.Duration
				for range singles {
					p, v := provePayments(b, 1)
					ps, vs = ps+p/singles, vs+v/singles
				}
				pb, vb := provePayments(b, n)
				proveRatio = (pb.Seconds() / float64(n)) / ps.Seconds()
				verifyRatio = (vb.Seconds() / float64(n)) / vs.Seconds()
				b.ReportMetric(pb.Seconds()/float64(n)*1e3, "prove-ms/payment")
				b.ReportMetric(vb.Seconds()/float64(n)*1e3, "verify-ms/payment")
				b.ReportMetric(ps.Seconds()*1e3, "single-prove-ms")
				b.ReportMetric(vs.Seconds()*1e3, "single-verify-ms")
			}
			b.ReportMetric(proveRatio, "prove-ratio")
			b.ReportMetric(verifyRatio, "verify-ratio")
		})
	}
}

// singles is how many single transfers the baseline averages.
const singles = 8

// provePayments proves n payments chained against one balance, as a batch
// does, and verifies them (one alone, or all in one batch verification).
func provePayments(b *testing.B, n int) (prove, verify time.Duration) {
	b.Helper()
	vk := testKeys.keys.Transfer
	bal := ledger.Opening{Value: 1 << 40}
	bal.Blinding, _ = zkp.RandomAmountBlinding()
	pubs := make([]zkp.Public, n)
	proofs := make([]*zkp.Proof, n)
	runtime.GC()
	start := time.Now()
	for j := range n {
		amt := ledger.Opening{Value: uint64(100 + j)}
		amt.Blinding, _ = zkp.RandomAmountBlinding()
		pub, proof, err := testKeys.transferPK.ProveTransfer(zkp.TransferInput{Balance: bal.Value, BalanceBlinding: bal.Blinding,
			Amount: amt.Value, AmountBlinding: amt.Blinding, Context: zkp.NewContext("bench", []byte{byte(j), byte(j >> 8)})}, vk)
		if err != nil {
			b.Fatal(err)
		}
		pubs[j], proofs[j] = pub, proof
		bal, _ = bal.Minus(amt)
	}
	prove = time.Since(start)
	start = time.Now()
	if n == 1 {
		if err := vk.Verify(pubs[0], proofs[0]); err != nil {
			b.Fatal(err)
		}
	} else if err := zkp.BatchVerify(vk, pubs, proofs); err != nil {
		b.Fatal(err)
	}
	return prove, time.Since(start)
}

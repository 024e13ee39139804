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
		memos += len(p.Memo) + len(p.AuditMemo) + len(p.SelfMemo)
	}
	for _, k := range b.Books {
		he += len(k.Flow)
		proof += len(k.Proofs) * zkp.ProofSize // one per chunk, shared by its payments
	}
	coms := zkp.CommitmentSize * (len(b.Books) + len(b.Payments))
	return batchSplit{total: float64(len(raw)) / n, proof: float64(proof) / n, commitments: float64(coms) / n,
		memos: float64(memos) / n, he: float64(he) / n, other: float64(len(raw)-proof-memos-he-coms) / n}
}

// fullBatch builds (with zero proofs: their size is fixed) a batch of
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
	sizeProofs(body)
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

// BenchmarkBatchPerPayment measures, in one process, what a payment of a
// batch of n costs to prove and to verify as kind 9 carries it now, in
// chunk proofs (zkp.Batch, up to zkp.BatchSize amounts each, chained on
// the balance), against the per-payment transfer proofs it carried before
// (one transfer proof per payment, chained the same way). Both are proved
// with gnark's prover, and verified as a validator does: every proof
// decoded from its bytes (the G2 subgroup check) and all batch-verified
// together (zkp.BatchVerify: one Miller loop per proof). It reports each
// path's milliseconds per payment and the ratios chunked / per-payment.
//
//	go test ./ledger/state -run '^$' -bench BatchPerPayment -benchtime 1x
func BenchmarkBatchPerPayment(b *testing.B) {
	for _, n := range []int{zkp.BatchSize, ledger.MaxBatchPayments} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var proveRatio, verifyRatio float64
			for range b.N {
				po, vo := provePayments(b, n, false)
				pc, vc := provePayments(b, n, true)
				proveRatio, verifyRatio = pc.Seconds()/po.Seconds(), vc.Seconds()/vo.Seconds()
				per := func(d time.Duration) float64 { return d.Seconds() / float64(n) * 1e3 }
				b.ReportMetric(per(pc), "chunk-prove-ms/payment")
				b.ReportMetric(per(vc), "chunk-verify-ms/payment")
				b.ReportMetric(per(po), "transfer-prove-ms/payment")
				b.ReportMetric(per(vo), "transfer-verify-ms/payment")
			}
			b.ReportMetric(proveRatio, "prove-ratio")
			b.ReportMetric(verifyRatio, "verify-ratio")
		})
	}
}

// provePayments proves n payments chained against one balance, in chunk
// proofs (chunked) or one transfer proof each, then decodes and
// batch-verifies the proofs.
func provePayments(b *testing.B, n int, chunked bool) (prove, verify time.Duration) {
	b.Helper()
	vk := testKeys.keys.Transfer
	if chunked {
		vk = testKeys.keys.Batch
	}
	bal := ledger.Opening{Value: 1 << 40}
	bal.Blinding, _ = zkp.RandomAmountBlinding()
	amts := make([]ledger.Opening, n)
	for j := range amts {
		amts[j] = ledger.Opening{Value: uint64(100 + j)}
		amts[j].Blinding, _ = zkp.RandomAmountBlinding()
	}
	var pubs []zkp.Public
	var raws [][zkp.ProofSize]byte
	runtime.GC()
	start := time.Now()
	for j := 0; j < n; {
		size := 1
		if chunked {
			size = min(zkp.BatchSize, n-j)
		}
		ctx := zkp.NewContext("bench", []byte{byte(j), byte(j >> 8)})
		var pub zkp.Public
		var proof *zkp.Proof
		var err error
		if chunked {
			in := zkp.BatchInput{Balance: bal.Value, BalanceBlinding: bal.Blinding, Context: ctx}
			for _, a := range amts[j : j+size] {
				in.Amounts = append(in.Amounts, a.Value)
				in.AmountBlindings = append(in.AmountBlindings, a.Blinding)
			}
			pub, proof, err = testKeys.batchPK.ProveBatch(in, vk)
		} else {
			pub, proof, err = testKeys.transferPK.ProveTransfer(zkp.TransferInput{Balance: bal.Value, BalanceBlinding: bal.Blinding,
				Amount: amts[j].Value, AmountBlinding: amts[j].Blinding, Context: ctx}, vk)
		}
		if err != nil {
			b.Fatal(err)
		}
		pubs, raws = append(pubs, pub), append(raws, proof.Bytes())
		for _, a := range amts[j : j+size] {
			bal, _ = bal.Minus(a)
		}
		j += size
	}
	prove = time.Since(start)
	runtime.GC()
	start = time.Now()
	proofs := make([]*zkp.Proof, len(raws))
	for i := range raws {
		var err error
		if proofs[i], err = zkp.DecodeProof(raws[i][:]); err != nil {
			b.Fatal(err)
		}
	}
	if err := zkp.BatchVerify(vk, pubs, proofs); err != nil {
		b.Fatal(err)
	}
	return prove, time.Since(start)
}

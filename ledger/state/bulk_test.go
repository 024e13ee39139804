package state

import (
	"context"
	"testing"
	"time"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// bulk builds a signed bulk transfer of amounts from p's current opening
// to one receiver in USD. The flow of payment cheat (if ≥ 0) encrypts one
// more minor unit than the payment.
func (f *fixture) bulk(p *member, to *member, amounts []uint64, cheat int) (*ledger.Tx, ledger.Opening) {
	f.t.Helper()
	avail := p.avail[usd]
	body := &ledger.BulkTransfer{To: to.id.Config.ID, Currency: usd, Available: avail.Commitment(), Payments: make([]ledger.BulkPayment, len(amounts))}
	amts := make([]ledger.Opening, len(amounts))
	flows := make([]he.Flow, len(amounts))
	total := ledger.ZeroOpening()
	for j, a := range amounts {
		r, _ := zkp.RandomAmountBlinding()
		amts[j] = ledger.Opening{Value: a, Blinding: r}
		total, _ = total.Plus(amts[j])
		flows[j] = he.Flow{Amount: a, Blinding: r}
		if j == cheat {
			flows[j].Amount++
		}
		body.Payments[j].Amount = amts[j].Commitment()
		aad := ledger.BulkMemoAAD(testChain, p.id.Config.ID, to.id.Config.ID, usd, p.nonce, j)
		body.Payments[j].Memo, _ = ledger.SealOpening(to.id.MemoPub, amts[j], aad)
	}
	if f.flows != nil {
		var err error
		if body.Flow, err = f.flows.(party.BulkFlowSealer).SealFlows(flows); err != nil {
			f.t.Fatal(err)
		}
	}
	tx := &ledger.Tx{Kind: ledger.KindBulkTransfer, Sender: p.id.Config.ID, Nonce: p.nonce, Body: body}
	left := avail
	contexts := tx.PaymentContexts(testChain)
	for j, amt := range amts {
		_, proof, err := testKeys.transferPK.ProveTransfer(zkp.TransferInput{Balance: left.Value, BalanceBlinding: left.Blinding,
			Amount: amt.Value, AmountBlinding: amt.Blinding, Context: contexts[j]}, testKeys.keys.Transfer)
		if err != nil {
			f.t.Fatal(err)
		}
		body.Payments[j].Proof = proof.Bytes()
		left, _ = left.Minus(amt)
	}
	tx.Sign(testChain, p.id.Sign)
	return tx, total
}

func TestBulkTransfer(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	amounts := []uint64{100, 250, 3000}
	start := time.Now()
	tx, total := f.bulk(f.a, f.b, amounts, -1)
	t.Logf("built and proved %d payments in %s", len(amounts), time.Since(start).Round(time.Millisecond))
	raw := tx.Encode()
	t.Logf("bulk transfer of %d payments: %d bytes, %d bytes per payment (flow %d bytes)",
		len(amounts), len(raw), len(raw)/len(amounts), len(tx.Body.(*ledger.BulkTransfer).Flow))
	full, _ := ledger.DecodeTx(raw) // the largest batch, each payment with a memo to the regulator
	fb := full.Body.(*ledger.BulkTransfer)
	for len(fb.Payments) < ledger.MaxBulkPayments {
		fb.Payments = append(fb.Payments, fb.Payments[0])
	}
	for j := range fb.Payments {
		fb.Payments[j].AuditMemo = make([]byte, ledger.MemoSize)
	}
	t.Logf("bulk transfer of %d payments with audit memos: %d bytes, %d bytes per payment",
		len(fb.Payments), len(full.Encode()), len(full.Encode())/len(fb.Payments))
	if res := f.checkTx(raw); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	if res := f.block(raw); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	src.txs[tx.ID()] = raw
	if got := f.account(f.a).Available; got != f.a.avail[usd].Commitment().String() {
		t.Fatal("sender's available is not its opening less the payments")
	}
	if got := f.account(f.b).Pending; got != total.Commitment().String() {
		t.Fatal("receiver's pending is not the sum of the payments")
	}
	var st ledger.StatusInfo
	if code := f.query("/status", tx.ID().String(), &st); code != 0 || st.Kind != "bulk-transfer" || st.To != "bank-b" {
		t.Fatalf("status of the bulk transfer: code %d, %+v", code, st)
	}

	// the receiver's wallet finds and opens every payment
	var in []ledger.IncomingInfo
	f.query("/incoming", "bank-b/0", &in)
	if len(in) != len(amounts) {
		t.Fatalf("%d incoming entries, want %d", len(in), len(amounts))
	}
	for j, e := range in {
		if e.TxID != ledger.PaymentID(tx.ID(), j).String() || int(e.Payment) != j || e.Kind != "bulk-transfer" {
			t.Fatalf("incoming %d: %+v", j, e)
		}
	}
	f.b.id.Home = t.TempDir()
	w, err := party.CreateWallet(f.b.id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var rep party.SyncReport
	for _, e := range in {
		if err := w.Accept(e, &rep); err != nil {
			t.Fatal(err)
		}
	}
	if rep.Received != len(amounts) || len(rep.Bad) != 0 {
		t.Fatalf("wallet: %+v", rep)
	}
	got, err := w.Received(usd)
	if err != nil || len(got) != len(amounts) {
		t.Fatalf("wallet holds %d payments (%v)", len(got), err)
	}

	// the aggregates decrypt to the payments' sum and check
	aud, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !aud.Consistent || aud.Positions["bank-b"]["USD"] != "33.50" || aud.Positions["bank-a"]["USD"] != "966.50" {
		t.Fatalf("audit: %+v", aud)
	}
	for _, a := range aud.Aggregates {
		if a.Key == "corridor/USD/SG-HK" && (a.Amount != audit.Withheld || !a.Consistent) { // one transaction: withheld
			t.Fatalf("corridor: %+v", a)
		}
	}

	// the receiver applies two of the three payments by id
	ids := []ledger.TxID{ledger.PaymentID(tx.ID(), 0), ledger.PaymentID(tx.ID(), 2)}
	ap := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: "bank-b", Nonce: f.b.nonce, Body: &ledger.ApplyPending{Currency: usd, Payments: ids}}
	ap.Sign(testChain, f.b.id.Sign)
	if res := f.block(ap.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("apply: %s", res.TxResults[0].Log)
	}
	f.b.nonce++
	if code := f.query("/status", ids[0].String(), &st); code != 0 || st.Applied != f.height {
		t.Fatalf("payment 0: code %d, %+v", code, st)
	}
	var st1 ledger.StatusInfo
	if code := f.query("/status", ledger.PaymentID(tx.ID(), 1).String(), &st1); code != 0 || st1.Applied != 0 || st1.Kind != "bulk-transfer" {
		t.Fatalf("payment 1: code %d, %+v", code, st1)
	}
	if got := f.account(f.b).Pending; got != tx.Body.(*ledger.BulkTransfer).Payments[1].Amount.String() {
		t.Fatal("receiver's pending is not the unapplied payment")
	}
}

func TestBulkTransferAuditNamesCheater(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	honest, amt := f.transfer(f.a, f.b, 500)
	f.a.spend(amt)
	cheat, total := f.bulk(f.a, f.b, []uint64{10, 20, 30, 40}, 2)
	f.a.spend(total)
	if res := f.block(honest.Encode(), cheat.Encode()); res.TxResults[0].Code != ledger.CodeOK || res.TxResults[1].Code != ledger.CodeOK {
		t.Fatalf("block: %+v", res.TxResults)
	}
	src.txs[honest.ID()], src.txs[cheat.ID()] = honest.Encode(), cheat.Encode()
	rep, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent || len(rep.Culprits) != 4 {
		t.Fatalf("audit: consistent %v, culprits %+v", rep.Consistent, rep.Culprits)
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.ID().String() || c.Sender != "bank-a" {
			t.Fatalf("culprit %+v, want %s", c, cheat.ID())
		}
	}
}

func TestBulkTransferRejections(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	before := f.snapshot()

	// a proof made for another payment, at index 1
	tx, _ := f.bulk(f.a, f.b, []uint64{10, 20, 30}, -1)
	b := tx.Body.(*ledger.BulkTransfer)
	b.Payments[1].Proof = b.Payments[0].Proof
	tx.Sign(testChain, f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeBadProof {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadProof)
	}
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeBadProof {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadProof)
	}
	if f.snapshot() != before {
		t.Fatal("a rejected bulk transfer changed the state")
	}

	// encoding limits
	one, _ := f.bulk(f.a, f.b, []uint64{10}, -1)
	p := one.Body.(*ledger.BulkTransfer).Payments[0]
	for _, n := range []int{0, ledger.MaxBulkPayments + 1} {
		tx, _ := ledger.DecodeTx(one.Encode())
		tx.Body.(*ledger.BulkTransfer).Payments = make([]ledger.BulkPayment, n)
		for j := range n {
			tx.Body.(*ledger.BulkTransfer).Payments[j] = p
		}
		tx.Sign(testChain, f.a.id.Sign)
		if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeEncoding {
			t.Fatalf("%d payments: code %d (%s), want %d", n, res.Code, res.Log, ledger.CodeEncoding)
		}
	}
	if res := f.checkTx(one.Encode()); res.Code != ledger.CodeOK {
		t.Fatalf("one payment: %s", res.Log)
	}
}

// A block's pre-pass batch-verifies a bulk transfer's proofs with the
// chained statements the apply checks, so the apply finds them all cached.
func TestBulkTransferBatchVerified(t *testing.T) {
	f := newFixture(t)
	tx, total := f.bulk(f.a, f.b, []uint64{5, 6, 7}, -1)
	v := f.app.exec.verifier
	res := f.block(tx.Encode())
	if res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("bulk: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	if b, s := v.batched.Load(), v.singles.Load(); b != 3 || s != 0 {
		t.Fatalf("%d batched, %d single verifications; want the bulk's 3 batched and none alone", b, s)
	}
	if got := f.account(f.a).Available; got != f.a.avail[usd].Commitment().String() {
		t.Fatal("sender's available is not its opening less the payments")
	}
}

package state

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// seal encrypts payments into c's book as the app's layout places them.
func (f *fixture) seal(c ledger.Currency, amts []ledger.Opening, keys [][]string) []byte {
	f.t.Helper()
	return f.sealWith(f.flows, c, amts, keys)
}

// sealWith is seal with sealer s (nil: no flow).
func (f *fixture) sealWith(s party.FlowSealer, c ledger.Currency, amts []ledger.Opening, keys [][]string) []byte {
	f.t.Helper()
	if s == nil {
		return nil
	}
	res, err := f.app.Query(context.Background(), &abci.QueryRequest{Path: "/layout", Data: []byte(c.String())})
	if err != nil || res.Code != 0 {
		f.t.Fatalf("layout: %v %s", err, res.Log)
	}
	var info ledger.LayoutInfo
	if err := json.Unmarshal(res.Value, &info); err != nil {
		f.t.Fatal(err)
	}
	l, err := ledger.LayoutOf(c, info.Keys)
	if err != nil {
		f.t.Fatal(err)
	}
	entries := make([]ledger.FlowEntry, len(amts))
	for j := range amts {
		entries[j] = ledger.FlowEntry{Amount: amts[j], Keys: keys[j]}
	}
	sums, err := ledger.FlowSums(l, entries)
	if err != nil {
		f.t.Fatal(err)
	}
	flow, err := s.SealBook(sums, uint64(len(amts)))
	if err != nil {
		f.t.Fatal(err)
	}
	return flow
}

// countryOf is a member's country.
func countryOf(m *member) [2]byte { return [2]byte{m.id.Config.Country[0], m.id.Config.Country[1]} }

// payKeys are the aggregates of payments from p to each of tos.
func payKeys(p *member, tos ...*member) [][]string {
	out := make([][]string, len(tos))
	for j, to := range tos {
		out[j] = ledger.TransferKeys(usd, p.id.Config.ID, countryOf(p), to.id.Config.ID, countryOf(to))
	}
	return out
}

// bulk builds a signed batch of amounts from p's current opening to one
// receiver in USD. The flow of payment cheat (if ≥ 0) encrypts one more
// minor unit than the payment.
func (f *fixture) bulk(p *member, to *member, amounts []uint64, cheat int) (*ledger.Tx, ledger.Opening) {
	tos := make([]*member, len(amounts))
	for j := range tos {
		tos[j] = to
	}
	return f.batch(p, tos, amounts, cheat)
}

// batch builds a signed batch from p's current opening paying amounts[j]
// to tos[j] in USD; the flow of payment cheat (if ≥ 0) encrypts one more
// minor unit than the payment.
func (f *fixture) batch(p *member, tos []*member, amounts []uint64, cheat int) (*ledger.Tx, ledger.Opening) {
	f.t.Helper()
	avail := p.avail[usd]
	body := &ledger.BatchTransfer{Books: []ledger.BatchBook{{Currency: usd, Available: avail.Commitment()}}, Payments: make([]ledger.BatchPayment, len(amounts))}
	amts := make([]ledger.Opening, len(amounts))
	flows := make([]ledger.Opening, len(amounts))
	total := ledger.ZeroOpening()
	for j, a := range amounts {
		r, _ := zkp.RandomAmountBlinding()
		amts[j] = ledger.Opening{Value: a, Blinding: r}
		total, _ = total.Plus(amts[j])
		flows[j] = amts[j]
		if j == cheat {
			flows[j].Value++
		}
		body.Payments[j] = ledger.BatchPayment{To: tos[j].id.Config.ID, Currency: usd, Amount: amts[j].Commitment()}
		aad := ledger.BulkMemoAAD(testChain, p.id.Config.ID, tos[j].id.Config.ID, usd, p.nonce, j)
		body.Payments[j].Memo, _ = ledger.SealOpening(tos[j].id.MemoPub, amts[j], aad)
	}
	body.Books[0].Flow = f.seal(usd, flows, payKeys(p, tos...))
	tx := &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: p.id.Config.ID, Nonce: p.nonce, Body: body}
	proveChunks(f.t, tx, map[ledger.Currency]ledger.Opening{usd: avail}, amts)
	tx.Sign(testChain, p.id.Sign)
	return tx, total
}

// sizeProofs gives each book of b one zero proof per chunk of its
// currency's payments: the number its chunk contexts bind.
func sizeProofs(b *ledger.BatchTransfer) {
	for i, chunks := range b.Chunks() {
		b.Books[i].Proofs = make([][zkp.ProofSize]byte, len(chunks))
	}
}

// proveChunks (re)proves every chunk of a batch, as the wallet does: chunk
// k of currency c against left[c] (its book's available opening) less the
// amounts of c's earlier chunks, bound to its chunk context; amts are the
// payments' openings. The caller signs.
func proveChunks(t testing.TB, tx *ledger.Tx, left map[ledger.Currency]ledger.Opening, amts []ledger.Opening) {
	t.Helper()
	b := tx.Body.(*ledger.BatchTransfer)
	sizeProofs(b)
	contexts := tx.ChunkContexts(testChain)
	for i, chunks := range b.Chunks() {
		bal := left[b.Books[i].Currency]
		for n, idx := range chunks {
			chunk := make([]ledger.Opening, len(idx))
			for m, j := range idx {
				chunk[m] = amts[j]
			}
			b.Books[i].Proofs[n] = proveChunk(t, bal, chunk, contexts[i][n])
			for _, a := range chunk {
				bal, _ = bal.Minus(a)
			}
		}
	}
}

// proveChunk proves one chunk of amounts against the balance bal, bound
// to ctx.
func proveChunk(t testing.TB, bal ledger.Opening, amts []ledger.Opening, ctx zkp.Context) [zkp.ProofSize]byte {
	t.Helper()
	in := zkp.BatchInput{Balance: bal.Value, BalanceBlinding: bal.Blinding, Context: ctx}
	for _, a := range amts {
		in.Amounts = append(in.Amounts, a.Value)
		in.AmountBlindings = append(in.AmountBlindings, a.Blinding)
	}
	_, proof, err := testKeys.batchPK.ProveBatch(in, testKeys.keys.Batch)
	if err != nil {
		t.Fatal(err)
	}
	return proof.Bytes()
}

// foreignChunkProof is a valid chunk proof from another batch (of the
// same amounts from the same balance): made for another context.
func (f *fixture) foreignChunkProof(p, to *member, amounts []uint64) [zkp.ProofSize]byte {
	f.t.Helper()
	other, _ := f.bulk(p, to, amounts, -1)
	return other.Body.(*ledger.BatchTransfer).Books[0].Proofs[0]
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
		len(amounts), len(raw), len(raw)/len(amounts), len(tx.Body.(*ledger.BatchTransfer).Books[0].Flow))
	full, _ := ledger.DecodeTx(raw) // the largest batch, each payment with a memo to the regulator
	fb := full.Body.(*ledger.BatchTransfer)
	for len(fb.Payments) < ledger.MaxBatchPayments {
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
	if code := f.query("/status", tx.ID().String(), &st); code != 0 || st.Kind != "batch-transfer" || st.To != "bank-b" {
		t.Fatalf("status of the bulk transfer: code %d, %+v", code, st)
	}

	// the receiver's wallet finds and opens every payment
	var in []ledger.IncomingInfo
	f.query("/incoming", "bank-b/0", &in)
	if len(in) != len(amounts) {
		t.Fatalf("%d incoming entries, want %d", len(in), len(amounts))
	}
	for j, e := range in {
		if e.TxID != ledger.PaymentID(tx.ID(), j).String() || int(e.Payment) != j || e.Kind != "batch-transfer" {
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
	// positions count flows after genesis: the opening balances are in currency/USD/funded
	if !aud.Consistent || aud.Positions["bank-b"]["USD"] != "33.50" || aud.Positions["bank-a"]["USD"] != "-33.50" {
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
	if code := f.query("/status", ledger.PaymentID(tx.ID(), 1).String(), &st1); code != 0 || st1.Applied != 0 || st1.Kind != "batch-transfer" {
		t.Fatalf("payment 1: code %d, %+v", code, st1)
	}
	if got := f.account(f.b).Pending; got != tx.Body.(*ledger.BatchTransfer).Payments[1].Amount.String() {
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

	// a valid chunk proof made for another batch of the same amounts
	tx, _ := f.bulk(f.a, f.b, []uint64{10, 20, 30}, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	b.Books[0].Proofs[0] = f.foreignChunkProof(f.a, f.b, []uint64{10, 20, 30})
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
	p := one.Body.(*ledger.BatchTransfer).Payments[0]
	for _, n := range []int{0, ledger.MaxBatchPayments + 1} {
		tx, _ := ledger.DecodeTx(one.Encode())
		tx.Body.(*ledger.BatchTransfer).Payments = make([]ledger.BatchPayment, n)
		for j := range n {
			tx.Body.(*ledger.BatchTransfer).Payments[j] = p
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

// A block's pre-pass batch-verifies a bulk transfer's chunk proofs with
// the chained statements the apply checks, so the apply finds them all
// cached.
func TestBulkTransferBatchVerified(t *testing.T) {
	f := newFixture(t)
	tx, total := f.bulk(f.a, f.b, amountsFrom(5, zkp.BatchSize+3), -1) // two chunks
	v := f.app.exec.verifier
	res := f.block(tx.Encode())
	if res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("bulk: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	if b, s := v.batched.Load(), v.singles.Load(); b != 2 || s != 0 {
		t.Fatalf("%d batched, %d single verifications; want the bulk's 2 chunk proofs batched and none alone", b, s)
	}
	if got := f.account(f.a).Available; got != f.a.avail[usd].Commitment().String() {
		t.Fatal("sender's available is not its opening less the payments")
	}
}

// A batch paying two receivers in one transaction: each payment pending
// at its receiver under its PaymentID; the audit, with the flow placed in
// the book's groups by the layout, checks; a payment's flow put in
// another aggregate's group (the sender's cheat) names the batch and its
// sender.
func TestBatchTwoReceiversAndMisplacedFlow(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	send := func(tx *ledger.Tx, total ledger.Opening) {
		t.Helper()
		if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
			t.Fatalf("block: %s", res.TxResults[0].Log)
		}
		src.txs[tx.ID()] = tx.Encode()
		f.a.spend(total)
	}
	tx, total := f.batch(f.a, []*member{f.b, f.issuer, f.b}, []uint64{100, 200, 300}, -1)
	send(tx, total)
	for j, to := range []string{"bank-b", "issuer-usd", "bank-b"} {
		var st ledger.StatusInfo
		if code := f.query("/status", ledger.PaymentID(tx.ID(), j).String(), &st); code != 0 || st.To != to {
			t.Fatalf("payment %d: code %d, %+v", j, code, st)
		}
	}
	rep, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil || !rep.Consistent || rep.Positions["bank-b"]["USD"] != "4.00" || rep.Positions["issuer-usd"]["USD"] != "2.00" {
		t.Fatalf("honest batch audit: %v %+v", err, rep)
	}

	// bank-a puts its payment to the issuer in bank-b's in group instead
	keys := payKeys(f.a, f.b, f.b)
	keys[1][2] = ledger.AggCorridor(usd, countryOf(f.a), countryOf(f.issuer)) // only its in group is wrong
	cheat, cheatTotal := f.batchWithKeys(f.a, []*member{f.b, f.issuer}, []uint64{10, 20}, keys)
	send(cheat, cheatTotal)
	rep, err = audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent || len(rep.Culprits) == 0 {
		t.Fatalf("a misplaced flow is not found: %+v", rep)
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.ID().String() || c.Sender != "bank-a" {
			t.Fatalf("culprit %+v, want the batch %s from bank-a", c, cheat.ID())
		}
	}
}

// batchWithKeys is batch with the flow placed by keys (what a cheating
// sender chooses) rather than by the payments' aggregates.
func (f *fixture) batchWithKeys(p *member, tos []*member, amounts []uint64, keys [][]string) (*ledger.Tx, ledger.Opening) {
	f.t.Helper()
	tx, total := f.batch(p, tos, amounts, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	// rebuild the openings from the memos sealed to the receivers
	amts := make([]ledger.Opening, len(b.Payments))
	for j := range b.Payments {
		o, err := ledger.OpenMemo(tos[j].id.MemoKey, b.Payments[j].Memo, ledger.BulkMemoAAD(testChain, p.id.Config.ID, tos[j].id.Config.ID, usd, p.nonce, j))
		if err != nil {
			f.t.Fatal(err)
		}
		amts[j] = o
	}
	b.Books[0].Flow = f.seal(usd, amts, keys) // proofs bind the context, which covers the flow: prove again
	return f.reprove(p, tx, amts), total
}

// reprove proves a batch's chunks again after its body changed.
func (f *fixture) reprove(p *member, tx *ledger.Tx, amts []ledger.Opening) *ledger.Tx {
	f.t.Helper()
	proveChunks(f.t, tx, map[ledger.Currency]ledger.Opening{usd: p.avail[usd]}, amts)
	tx.Sign(testChain, p.id.Sign)
	return tx
}

// A batch whose flow claims another load than its number of payments is
// refused with CodeFlowLoad, and changes nothing.
func TestBatchClaimedLoad(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	before := f.snapshot()
	tx, _ := f.batch(f.a, []*member{f.b, f.b, f.b}, []uint64{1, 2, 3}, -1)
	b := tx.Body.(*ledger.BatchTransfer)
	amts := make([]ledger.Opening, 3)
	for j := range amts {
		amts[j], _ = ledger.OpenMemo(f.b.id.MemoKey, b.Payments[j].Memo, ledger.BulkMemoAAD(testChain, f.a.id.Config.ID, f.b.id.Config.ID, usd, f.a.nonce, j))
	}
	// the groups of three payments, claimed at a load of one
	l := f.layout(usd)
	entries := make([]ledger.FlowEntry, 3)
	for j, k := range payKeys(f.a, f.b, f.b, f.b) {
		entries[j] = ledger.FlowEntry{Amount: amts[j], Keys: k}
	}
	sums, _ := ledger.FlowSums(l, entries)
	flow, err := f.flows.SealBook(sums, 1)
	if err == nil {
		b.Books[0].Flow = flow
		tx = f.reprove(f.a, tx, amts)
		if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeFlowLoad {
			t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeFlowLoad)
		}
	}
	// a claim of four for three payments
	flow, err = f.flows.SealBook(sums, 4)
	if err != nil {
		t.Fatal(err)
	}
	b.Books[0].Flow = flow
	tx = f.reprove(f.a, tx, amts)
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeFlowLoad {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeFlowLoad)
	}
	if f.snapshot() != before {
		t.Fatal("a refused batch changed the state")
	}
}

// amountsFrom is n amounts from a up, one minor unit apart.
func amountsFrom(a uint64, n int) []uint64 {
	out := make([]uint64, n)
	for j := range out {
		out[j] = a + uint64(j)
	}
	return out
}

// layout reads c's book layout from the app.
func (f *fixture) layout(c ledger.Currency) *ledger.Layout {
	f.t.Helper()
	var info ledger.LayoutInfo
	if code := f.query("/layout", c.String(), &info); code != 0 {
		f.t.Fatalf("layout: code %d", code)
	}
	l, err := ledger.LayoutOf(c, info.Keys)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

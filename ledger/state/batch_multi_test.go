package state

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// newTwoBookFixture is the fixture with an HE key and two currencies:
// bank-a (SG) funded with USD 1,000.00 and SGD 2,000.00, bank-b (HK) and
// issuer-usd (US) holding USD and SGD accounts at zero.
func newTwoBookFixture(t *testing.T, pk *he.PublicKey, opts ...Option) *fixture {
	f := &fixture{t: t, dir: t.TempDir(), opts: opts, flows: party.NewHESealer(pk)}
	f.reg = newParty(t, "regulator", "regulator", "SG")
	f.a = newParty(t, "bank-a", "bank", "SG")
	f.b = newParty(t, "bank-b", "bank", "HK")
	f.issuer = newParty(t, "issuer-usd", "issuer", "US")
	g := ledger.Genesis{VKHashes: ledger.GenesisKeys{Transfer: testKeys.keys.Transfer.HashHex(), Mint: testKeys.keys.Mint.HashHex(), Batch: testKeys.keys.Batch.HashHex()}}
	for _, p := range []*member{f.reg, f.a, f.b, f.issuer} {
		g.Parties = append(g.Parties, p.id.GenesisParty())
	}
	g.Issuers = []ledger.GenesisIssuer{{Currency: "USD", Party: "issuer-usd"}}
	raw, _ := pk.MarshalBinary()
	g.HEPublicKey = hex.EncodeToString(raw)
	for _, c := range []ledger.Currency{usd, sgd} {
		for _, p := range []*member{f.a, f.b, f.issuer} {
			o := ledger.ZeroOpening()
			acct := ledger.GenesisAccount{Party: p.id.Config.ID, Currency: c.String()}
			if p == f.a {
				r, _ := zkp.RandomAmountBlinding()
				o = ledger.Opening{Value: map[ledger.Currency]uint64{usd: 100000, sgd: 200000}[c], Blinding: r}
				flow, err := f.flows.SealFlow(o.Value, o.Blinding)
				if err != nil {
					t.Fatal(err)
				}
				acct.Flow = hex.EncodeToString(flow)
			}
			p.avail[c] = o
			acct.Available = o.Commitment().String()
			g.Accounts = append(g.Accounts, acct)
		}
	}
	f.supply = f.a.avail[usd]
	f.genesis, _ = json.Marshal(g)
	f.open()
	if _, err := f.app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: f.genesis}); err != nil {
		t.Fatal(err)
	}
	f.block()
	return f
}

// pay is one payment of a batch under test.
type pay struct {
	to     *member
	c      ledger.Currency
	amount uint64
}

// batchOf builds a signed batch from p paying pays, each currency's
// chunks proved against its balance less the batch's earlier chunks in
// it, with one book entry (available, proofs, flow) per currency in
// increasing order.
func (f *fixture) batchOf(p *member, pays []pay) (*ledger.Tx, map[ledger.Currency]ledger.Opening) {
	f.t.Helper()
	body := &ledger.BatchTransfer{Payments: make([]ledger.BatchPayment, len(pays))}
	amts := make([]ledger.Opening, len(pays))
	debits := map[ledger.Currency]ledger.Opening{}
	for j, q := range pays {
		r, _ := zkp.RandomAmountBlinding()
		amts[j] = ledger.Opening{Value: q.amount, Blinding: r}
		d, ok := debits[q.c]
		if !ok {
			d = ledger.ZeroOpening()
		}
		debits[q.c], _ = d.Plus(amts[j])
		aad := ledger.BulkMemoAAD(testChain, p.id.Config.ID, q.to.id.Config.ID, q.c, p.nonce, j)
		body.Payments[j] = ledger.BatchPayment{To: q.to.id.Config.ID, Currency: q.c, Amount: amts[j].Commitment()}
		body.Payments[j].Memo, _ = ledger.SealOpening(q.to.id.MemoPub, amts[j], aad)
	}
	for _, c := range []ledger.Currency{sgd, usd} { // increasing currency order
		if _, ok := debits[c]; !ok {
			continue
		}
		var ca []ledger.Opening
		var keys [][]string
		for j, q := range pays {
			if q.c == c {
				ca = append(ca, amts[j])
				keys = append(keys, ledger.TransferKeys(c, p.id.Config.ID, countryOf(p), q.to.id.Config.ID, countryOf(q.to)))
			}
		}
		body.Books = append(body.Books, ledger.BatchBook{Currency: c, Available: p.avail[c].Commitment(), Flow: f.seal(c, ca, keys)})
	}
	tx := &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: p.id.Config.ID, Nonce: p.nonce, Body: body}
	left := map[ledger.Currency]ledger.Opening{}
	for c := range debits {
		left[c] = p.avail[c]
	}
	proveChunks(f.t, tx, left, amts)
	tx.Sign(testChain, p.id.Sign)
	return tx, debits
}

// spendAll takes a committed batch's debits from p's openings.
func (p *member) spendAll(debits map[ledger.Currency]ledger.Opening) {
	for c, d := range debits {
		p.avail[c], _ = p.avail[c].Minus(d)
	}
	p.nonce++
}

// state renders what a rejected transaction must not change: both books
// (layout, load, sum) and every account of both currencies.
func (f *fixture) state() string {
	f.t.Helper()
	var s string
	for _, c := range []ledger.Currency{usd, sgd} {
		var l ledger.LayoutInfo
		f.query("/layout", c.String(), &l)
		raw, _ := json.Marshal(l)
		s += string(raw)
		for _, p := range []*member{f.a, f.b, f.issuer} {
			var a ledger.AccountInfo
			f.query("/account", p.id.Config.ID+"/"+c.String(), &a)
			s += p.id.Config.ID + ":" + a.Available + "/" + a.Pending + " "
		}
	}
	return s
}

// A batch paying two receivers in two currencies: each payment pending at
// its receiver under its PaymentID, which the receiver applies; the
// sender debited once per currency; each book takes one flow; the audit
// checks both books and reads each account's position.
func TestBatchTwoReceiversTwoCurrencies(t *testing.T) {
	sk, pk := heKeys()
	f := newTwoBookFixture(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	pays := []pay{{f.b, usd, 100}, {f.issuer, sgd, 250}, {f.b, sgd, 300}, {f.b, usd, 45}}
	tx, debits := f.batchOf(f.a, pays)
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeOK {
		t.Fatalf("CheckTx: %s", res.Log)
	}
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	src.txs[tx.ID()] = tx.Encode()
	f.a.spendAll(debits)
	for _, c := range []ledger.Currency{usd, sgd} {
		var a ledger.AccountInfo
		f.query("/account", "bank-a/"+c.String(), &a)
		if a.Available != f.a.avail[c].Commitment().String() {
			t.Fatalf("bank-a's %s available is not debited by the batch's %s payments", c, c)
		}
		var l ledger.LayoutInfo
		f.query("/layout", c.String(), &l)
		if l.Load != 1+2 { // the genesis funding and the batch's two payments in c
			t.Fatalf("%s book load %d, want 3", c, l.Load)
		}
	}
	// each payment's pending entry, applied by its receiver
	byRecv := map[string]map[ledger.Currency][]ledger.TxID{}
	for j, q := range pays {
		id := ledger.PaymentID(tx.ID(), j)
		var st ledger.StatusInfo
		if code := f.query("/status", id.String(), &st); code != 0 || st.To != q.to.id.Config.ID || st.Currency != q.c.String() || st.Applied != 0 {
			t.Fatalf("payment %d: code %d, %+v", j, code, st)
		}
		r := q.to.id.Config.ID
		if byRecv[r] == nil {
			byRecv[r] = map[ledger.Currency][]ledger.TxID{}
		}
		byRecv[r][q.c] = append(byRecv[r][q.c], id)
	}
	for _, m := range []*member{f.b, f.issuer} {
		for _, c := range []ledger.Currency{sgd, usd} {
			ids := byRecv[m.id.Config.ID][c]
			if len(ids) == 0 {
				continue
			}
			ap := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: m.id.Config.ID, Nonce: m.nonce, Body: &ledger.ApplyPending{Currency: c, Payments: ids}}
			ap.Sign(testChain, m.id.Sign)
			if res := f.block(ap.Encode()); res.TxResults[0].Code != ledger.CodeOK {
				t.Fatalf("%s applies its %s payments: %s", m.id.Config.ID, c, res.TxResults[0].Log)
			}
			m.nonce++
			for j, q := range pays {
				if q.to == m && q.c == c {
					var st ledger.StatusInfo
					if f.query("/status", ledger.PaymentID(tx.ID(), j).String(), &st); st.Applied == 0 {
						t.Fatalf("payment %d not applied", j)
					}
				}
			}
			var a ledger.AccountInfo
			f.query("/account", m.id.Config.ID+"/"+c.String(), &a)
			if a.Pending != zkp.ZeroCommitment().String() {
				t.Fatalf("%s's %s pending after applying: %s", m.id.Config.ID, c, a.Pending)
			}
		}
	}
	rep, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent || rep.Positions["bank-b"]["USD"] != "1.45" || rep.Positions["bank-b"]["SGD"] != "3.00" ||
		rep.Positions["issuer-usd"]["SGD"] != "2.50" || rep.Positions["bank-a"]["SGD"] != "-5.50" || rep.Totals["SGD"] != "2000.00" {
		t.Fatalf("audit: %+v", rep)
	}
}

// A batch with one bad proof (the SGD book's chunk proof is the USD
// book's: a proof moved to another currency) is refused whole, at CheckTx
// and in a block, and changes nothing: no account, no book.
func TestBatchOneBadProof(t *testing.T) {
	_, pk := heKeys()
	f := newTwoBookFixture(t, pk)
	before := f.state()
	tx, _ := f.batchOf(f.a, []pay{{f.b, usd, 10}, {f.b, sgd, 20}, {f.issuer, sgd, 30}})
	b := tx.Body.(*ledger.BatchTransfer)
	b.Book(sgd).Proofs[0] = b.Book(usd).Proofs[0]
	tx.Sign(testChain, f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeBadProof {
		t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeBadProof)
	}
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeBadProof {
		t.Fatalf("block: code %d (%s), want %d", res.TxResults[0].Code, res.TxResults[0].Log, ledger.CodeBadProof)
	}
	if f.state() != before {
		t.Fatal("a batch with a bad proof changed the state")
	}
}

// Capacity: with books of at most 3 payments (the genesis funding takes
// one), a batch of 2 USD and 3 SGD payments would overfill the SGD book
// (the USD book would fit): it is refused with CodeAggregateFull before
// any change, the USD book included; a batch that fits goes through, and
// then a single payment that would pass the capacity is refused too.
func TestBatchBookCapacity(t *testing.T) {
	_, pk := heKeys()
	f := newTwoBookFixture(t, pk, WithAggregateCapacity(3))
	before := f.state()
	tx, _ := f.batchOf(f.a, []pay{{f.b, usd, 1}, {f.b, usd, 2}, {f.b, sgd, 3}, {f.b, sgd, 4}, {f.issuer, sgd, 5}})
	for _, code := range []uint32{f.checkTx(tx.Encode()).Code, f.block(tx.Encode()).TxResults[0].Code} {
		if code != ledger.CodeAggregateFull {
			t.Fatalf("code %d, want %d", code, ledger.CodeAggregateFull)
		}
	}
	if f.state() != before {
		t.Fatal("a batch refused for capacity changed the state")
	}
	fits, debits := f.batchOf(f.a, []pay{{f.b, usd, 1}, {f.b, sgd, 3}, {f.issuer, sgd, 5}})
	if res := f.block(fits.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("a batch within capacity: %s", res.TxResults[0].Log)
	}
	f.a.spendAll(debits)
	one, _ := f.batchOf(f.a, []pay{{f.b, sgd, 1}})
	if res := f.block(one.Encode()); res.TxResults[0].Code != ledger.CodeAggregateFull {
		t.Fatalf("one payment into a full book: code %d", res.TxResults[0].Code)
	}
}

// Determinism: two apps fed the same blocks (batches in two currencies,
// a refused batch, an apply) reach the same app hash at every height.
func TestBatchDeterminism(t *testing.T) {
	_, pk := heKeys()
	f := newTwoBookFixture(t, pk)
	store, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	twin, err := NewApp(store, testKeys.keys, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := twin.InitChain(ctx, &abci.InitChainRequest{ChainId: testChain, AppStateBytes: f.genesis}); err != nil {
		t.Fatal(err)
	}
	h := int64(0)
	twinBlock := func(txs ...[]byte) []byte {
		h++
		res, err := twin.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: h, Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := twin.Commit(ctx, &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
		return res.AppHash
	}
	twinBlock() // the fixture's first, empty block
	same := func(txs ...[]byte) {
		t.Helper()
		a := f.block(txs...).AppHash
		if b := twinBlock(txs...); string(a) != string(b) {
			t.Fatalf("height %d: app hashes differ", f.height)
		}
	}
	b1, d1 := f.batchOf(f.a, []pay{{f.b, usd, 7}, {f.issuer, sgd, 8}, {f.b, sgd, 9}})
	f.a.spendAll(d1)
	b2, d2 := f.batchOf(f.a, []pay{{f.issuer, usd, 11}, {f.b, usd, 12}})
	f.a.spendAll(d2)
	bad, _ := f.batchOf(f.a, []pay{{f.b, usd, 1}, {f.b, sgd, 2}})
	bb := bad.Body.(*ledger.BatchTransfer)
	bb.Books[0].Proofs[0], bb.Books[1].Proofs[0] = bb.Books[1].Proofs[0], bb.Books[0].Proofs[0]
	bad.Sign(testChain, f.a.id.Sign)
	same(b1.Encode(), b2.Encode(), bad.Encode())
	ap := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: "bank-b", Nonce: 0, Body: &ledger.ApplyPending{Currency: usd,
		Payments: []ledger.TxID{ledger.PaymentID(b1.ID(), 0), ledger.PaymentID(b2.ID(), 1)}}}
	ap.Sign(testChain, f.b.id.Sign)
	same(ap.Encode())
}

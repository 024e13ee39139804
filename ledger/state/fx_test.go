package state

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"reflect"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

var (
	sgd = ledger.Currency{'S', 'G', 'D'}
	jpy = ledger.Currency{'J', 'P', 'Y'}
)

// fxKeys is the fx circuit's dev setup, made once for the package's tests.
var fxKeys = sync.OnceValues(func() (*zkp.ProvingKey, *zkp.VerifyingKey) {
	pk, vk, err := zkp.SetupDev(zkp.FX)
	if err != nil {
		panic(err)
	}
	return pk, vk
})

// fxFixture is a chain with the fx key: bank-sg (SG) holds USD 10,000.00,
// bank-hk (HK) holds SGD 100,000.00 and JPY 5,000,000, bank-us (US) holds
// nothing; every bank has a USD, SGD and JPY account.
type fxFixture struct {
	*fixture
	sg, hk, us *member
	band       map[ledger.TxID]ledger.Opening // the provider's book of each quote's band
}

func newFXFixture(t *testing.T) *fxFixture { return newFXFixtureWith(t, nil) }

// newFXFixtureWith builds the fixture; with an HE public key the fundings
// and every leg carry their flows.
func newFXFixtureWith(t *testing.T, hePK *he.PublicKey) *fxFixture {
	_, fxvk := fxKeys()
	f := &fixture{t: t, dir: t.TempDir()}
	if hePK != nil {
		f.flows = party.NewHESealer(hePK)
	}
	x := &fxFixture{fixture: f, band: map[ledger.TxID]ledger.Opening{}}
	f.reg = newParty(t, "regulator", "regulator", "SG")
	x.sg, x.hk, x.us = newParty(t, "bank-sg", "bank", "SG"), newParty(t, "bank-hk", "bank", "HK"), newParty(t, "bank-us", "bank", "US")
	g := ledger.Genesis{VKHashes: ledger.GenesisKeys{Transfer: testKeys.keys.Transfer.HashHex(), Mint: testKeys.keys.Mint.HashHex(), FX: fxvk.HashHex()}}
	for _, p := range []*member{f.reg, x.sg, x.hk, x.us} {
		g.Parties = append(g.Parties, p.id.GenesisParty())
	}
	funds := map[*member]map[ledger.Currency]uint64{x.sg: {usd: 1_000_000}, x.hk: {sgd: 10_000_000, jpy: 5_000_000}, x.us: {}}
	for _, p := range []*member{x.sg, x.hk, x.us} {
		for _, c := range []ledger.Currency{usd, sgd, jpy} {
			o := ledger.ZeroOpening()
			if v := funds[p][c]; v > 0 {
				r, _ := zkp.RandomAmountBlinding()
				o = ledger.Opening{Value: v, Blinding: r}
			}
			p.avail[c] = o
			acct := ledger.GenesisAccount{Party: p.id.Config.ID, Currency: c.String(), Available: o.Commitment().String()}
			if f.flows != nil && o.Value > 0 {
				flow, err := f.flows.SealFlow(o.Value, o.Blinding)
				if err != nil {
					t.Fatal(err)
				}
				acct.Flow = hex.EncodeToString(flow)
			}
			g.Accounts = append(g.Accounts, acct)
		}
	}
	if hePK != nil {
		pk, _ := hePK.MarshalBinary()
		g.HEPublicKey = hex.EncodeToString(pk)
	}
	f.genesis, _ = json.Marshal(g)
	store, err := OpenStore(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys := testKeys.keys
	keys.FX = fxvk
	if f.app, err = NewApp(store, keys, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.InitChain(context.Background(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: f.genesis}); err != nil {
		t.Fatal(err)
	}
	f.block()
	return x
}

func (x *fxFixture) prove(in zkp.TransferInput) [zkp.ProofSize]byte {
	x.t.Helper()
	_, p, err := testKeys.transferPK.ProveTransfer(in, testKeys.keys.Transfer)
	if err != nil {
		x.t.Fatal(err)
	}
	return p.Bytes()
}

// quote builds provider p's quote sell/buy at rate with band [1, max],
// live for blocks more blocks.
func (x *fxFixture) quote(p *member, sell, buy ledger.Currency, rate, max uint64, blocks int64) *ledger.Tx {
	x.t.Helper()
	avail := p.avail[buy]
	body := &ledger.Quote{Sell: sell, Buy: buy, Rate: rate, Min: 1, Max: max, ValidUntil: x.height + 1 + blocks, Available: avail.Commitment()}
	tx := &ledger.Tx{Kind: ledger.KindQuote, Sender: p.id.Config.ID, Nonce: p.nonce, Body: body}
	body.Proof = x.prove(zkp.TransferInput{Balance: avail.Value, BalanceBlinding: avail.Blinding, Amount: max, AmountBlinding: new(big.Int), Context: tx.Context(testChain)})
	tx.Sign(testChain, p.id.Sign)
	return tx
}

// publish commits a quote and books its band; it returns the quote's id.
func (x *fxFixture) publish(q *ledger.Tx) ledger.TxID {
	x.t.Helper()
	if res := x.block(q.Encode()); res.TxResults[0].Code != 0 {
		x.t.Fatalf("quote: %s", res.TxResults[0].Log)
	}
	b := q.Body.(*ledger.Quote)
	x.band[q.ID()] = ledger.Opening{Value: b.Max, Blinding: new(big.Int)}
	x.member(q.Sender).nonce++
	return q.ID()
}

func (x *fxFixture) member(id string) *member {
	for _, m := range []*member{x.sg, x.hk, x.us} {
		if m.id.Config.ID == id {
			return m
		}
	}
	return nil
}

// swapParts are a swap's transaction and its legs' openings.
type swapParts struct {
	tx     *ledger.Tx
	a, b   ledger.Opening
	quote  ledger.TxID
	legA   zkp.TransferInput
	legB   zkp.TransferInput
	band   zkp.TransferInput
	fx     zkp.FXInput
	payer  *member
	q      *ledger.Quote
	filled bool
	tamper tamper
}

// tamper is how a dishonest party bends a swap: leg B's amount moved off
// the rate by bDelta minor units, or a leg or band proof made against a
// balance it does not have (the only way to prove an unaffordable leg).
type tamper struct {
	bDelta               int64
	fakeA, fakeB, fakeBd bool
	flowDelta            int64 // leg B's HE flow encrypts this many minor units more than leg B
	fxSkipA, fxSkipB     bool  // leg A's (B's) flow leaves out its provider's FX group
}

// fake is an opening of value v with a fresh blinding: a balance nobody has.
func fake(v uint64) ledger.Opening {
	r, _ := zkp.RandomAmountBlinding()
	return ledger.Opening{Value: v, Blinding: r}
}

// request builds payer's request to swap amount a of the quote's A into B
// for to: leg A's and the fx proof are made, the fill is not.
func (x *fxFixture) request(payer *member, qtx *ledger.Tx, a uint64, to *member) *swapParts {
	return x.requestT(payer, qtx, a, to, tamper{})
}

func (x *fxFixture) requestT(payer *member, qtx *ledger.Tx, a uint64, to *member, tm tamper) *swapParts {
	x.t.Helper()
	q := qtx.Body.(*ledger.Quote)
	b, err := zkp.FXAmount(a, q.Rate)
	if err != nil {
		x.t.Fatal(err)
	}
	b = uint64(int64(b) + tm.bDelta)
	rA, _ := zkp.RandomAmountBlinding()
	rB, _ := zkp.RandomAmountBlinding()
	s := &swapParts{a: ledger.Opening{Value: a, Blinding: rA}, b: ledger.Opening{Value: b, Blinding: rB}, quote: qtx.ID(), payer: payer, q: q, tamper: tm}
	provider := x.member(qtx.Sender)
	availA := payer.avail[q.Sell]
	body := &ledger.Swap{Quote: qtx.ID(), Provider: provider.id.Config.ID, Sell: q.Sell, Buy: q.Buy, Rate: q.Rate, To: to.id.Config.ID,
		Available: availA.Commitment(), AmountA: s.a.Commitment(), AmountB: s.b.Commitment(),
		ProviderAvailable: zkp.ZeroCommitment(), Band: zkp.ZeroCommitment()}
	seal := func(key [32]byte, o ledger.Opening, aad []byte) []byte {
		m, err := ledger.SealOpening(key, o, aad)
		if err != nil {
			x.t.Fatal(err)
		}
		return m
	}
	body.MemoA = seal(provider.id.MemoPub, s.a, ledger.MemoAAD(testChain, payer.id.Config.ID, provider.id.Config.ID, q.Sell, payer.nonce))
	body.MemoB = seal(to.id.MemoPub, s.b, ledger.MemoAAD(testChain, payer.id.Config.ID, to.id.Config.ID, q.Buy, payer.nonce))
	body.ProviderMemoB = seal(provider.id.MemoPub, s.b, ledger.SwapProviderAAD(testChain, payer.id.Config.ID, provider.id.Config.ID, q.Buy, payer.nonce))
	pid := provider.id.Config.ID
	keysA := ledger.SwapKeys(q.Sell, q.Buy, payer.id.Config.ID, countryOf(payer), pid, countryOf(provider), pid)
	if tm.fxSkipA {
		keysA = keysA[:len(keysA)-1]
	}
	body.FlowA = x.seal(q.Sell, []ledger.Opening{s.a}, [][]string{keysA})
	legB := s.b
	legB.Value = uint64(int64(legB.Value) + tm.flowDelta)
	keysB := ledger.SwapKeys(q.Buy, q.Sell, pid, countryOf(provider), to.id.Config.ID, countryOf(to), pid)
	if tm.fxSkipB {
		keysB = keysB[:len(keysB)-1]
	}
	body.FlowB = x.seal(q.Buy, []ledger.Opening{legB}, [][]string{keysB})
	s.tx = &ledger.Tx{Kind: ledger.KindSwap, Sender: payer.id.Config.ID, Nonce: payer.nonce, Body: body}
	ctx := s.tx.Context(testChain)
	proveA := availA
	if tm.fakeA {
		proveA = fake(a)
	}
	s.legA = zkp.TransferInput{Balance: proveA.Value, BalanceBlinding: proveA.Blinding, Amount: a, AmountBlinding: rA, Context: ctx}
	s.fx = zkp.FXInput{AmountA: a, BlindingA: rA, BlindingB: rB, Rate: q.Rate, Context: ctx}
	body.ProofA = x.prove(s.legA)
	fxpk, fxvk := fxKeys()
	_, p, err := fxpk.ProveFX(s.fx, fxvk)
	if err != nil {
		x.t.Fatal(err)
	}
	body.ProofFX = p.Bytes()
	body.ProofB, body.ProofBand = body.ProofA, body.ProofA // placeholders until the fill
	s.tx.Sign(testChain, payer.id.Sign)
	return s
}

// fill makes the provider's part: leg B against its available B, the band
// proof against the quote's band, and its signature.
func (x *fxFixture) fill(s *swapParts) *swapParts {
	x.t.Helper()
	body := s.tx.Body.(*ledger.Swap)
	provider := x.member(body.Provider)
	availB, band := provider.avail[s.q.Buy], x.band[s.quote]
	ctx := s.tx.Context(testChain)
	proveB, proveBand := availB, band
	if s.tamper.fakeB {
		proveB = fake(s.b.Value)
	}
	if s.tamper.fakeBd {
		proveBand = fake(s.b.Value)
	}
	s.legB = zkp.TransferInput{Balance: proveB.Value, BalanceBlinding: proveB.Blinding, Amount: s.b.Value, AmountBlinding: s.b.Blinding, Context: ctx}
	s.band = zkp.TransferInput{Balance: proveBand.Value, BalanceBlinding: proveBand.Blinding, Amount: s.b.Value, AmountBlinding: s.b.Blinding, Context: ctx}
	body.ProviderAvailable, body.Band = availB.Commitment(), band.Commitment()
	body.ProofB = x.prove(s.legB)
	body.ProofBand = x.prove(s.band)
	if err := s.tx.SignProvider(testChain, provider.id.Sign); err != nil {
		x.t.Fatal(err)
	}
	s.filled = true
	return s
}

// settle books a committed swap in the test's own books.
func (x *fxFixture) settle(s *swapParts) {
	body := s.tx.Body.(*ledger.Swap)
	provider := x.member(body.Provider)
	s.payer.avail[s.q.Sell], _ = s.payer.avail[s.q.Sell].Minus(s.a)
	provider.avail[s.q.Buy], _ = provider.avail[s.q.Buy].Minus(s.b)
	x.band[s.quote], _ = x.band[s.quote].Minus(s.b)
	s.payer.nonce++
}

func (x *fxFixture) acct(p *member, c ledger.Currency) ledger.AccountInfo {
	var a ledger.AccountInfo
	if code := x.query("/account", p.id.Config.ID+"/"+c.String(), &a); code != 0 {
		x.t.Fatalf("no %s account for %s", c, p.id.Config.ID)
	}
	return a
}

// TestSwap: a quote with its liquidity proof, then one swap USD → SGD
// paid to a third bank: both legs land, memos open to the amounts, the
// band shrinks by leg B, and each leg is applied on its own.
func TestSwap(t *testing.T) {
	x := newFXFixture(t)
	qtx := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
	if res := x.checkTx(qtx.Encode()); res.Code != 0 {
		t.Fatalf("CheckTx quote: %s", res.Log)
	}
	qid := x.publish(qtx)
	var quotes []ledger.QuoteInfo
	if x.query("/fx/quotes", "", &quotes) != 0 || len(quotes) != 1 || quotes[0].ID != qid.String() || quotes[0].RateText != "1.3402" || quotes[0].Pair != "USD/SGD" || !quotes[0].Live {
		t.Fatalf("quotes %+v", quotes)
	}

	s := x.fill(x.request(x.sg, qtx, 500_001, x.us)) // USD 5,000.01 → SGD 6,701.01 (6,701.0134 rounded down)
	if s.b.Value != 670_101 {
		t.Fatalf("leg B %d", s.b.Value)
	}
	if res := x.checkTx(s.tx.Encode()); res.Code != 0 {
		t.Fatalf("CheckTx swap: %d %s", res.Code, res.Log)
	}
	if res := x.block(s.tx.Encode()); res.TxResults[0].Code != 0 {
		t.Fatalf("swap: %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	x.settle(s)
	if x.acct(x.sg, usd).Available != x.sg.avail[usd].Commitment().String() || x.acct(x.hk, sgd).Available != x.hk.avail[sgd].Commitment().String() {
		t.Fatal("a payer's available balance is not its book")
	}
	if x.acct(x.hk, usd).Pending != s.a.Commitment().String() || x.acct(x.us, sgd).Pending != s.b.Commitment().String() {
		t.Fatal("a receiver's pending balance is not its leg")
	}
	var q ledger.QuoteInfo
	if x.query("/fx/quote", qid.String(), &q) != 0 || q.Band != x.band[qid].Commitment().String() || q.Fills != 1 {
		t.Fatalf("quote after the fill %+v", q)
	}
	for _, leg := range []struct {
		to  *member
		c   ledger.Currency
		amt ledger.Opening
	}{{x.hk, usd, s.a}, {x.us, sgd, s.b}} {
		var in []ledger.IncomingInfo
		x.query("/incoming", leg.to.id.Config.ID+"/0", &in)
		if len(in) != 1 || in[0].Kind != "fx-swap" || in[0].Sender != "bank-sg" {
			t.Fatalf("%s incoming %+v", leg.to.id.Config.ID, in)
		}
		o, err := ledger.OpenMemo(leg.to.id.MemoKey, in[0].Memo, ledger.MemoAAD(testChain, "bank-sg", leg.to.id.Config.ID, leg.c, in[0].Nonce))
		if err != nil || o.Value != leg.amt.Value || !o.Commitment().Equal(leg.amt.Commitment()) {
			t.Fatalf("%s's memo opens to %+v, %v", leg.to.id.Config.ID, o, err)
		}
		id, _ := ledger.ParseTxID(in[0].TxID)
		apply := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: leg.to.id.Config.ID, Nonce: leg.to.nonce, Body: &ledger.ApplyPending{Currency: leg.c, Payments: []ledger.TxID{id}}}
		apply.Sign(testChain, leg.to.id.Sign)
		if res := x.block(apply.Encode()); res.TxResults[0].Code != 0 {
			t.Fatalf("apply-pending: %s", res.TxResults[0].Log)
		}
		leg.to.nonce++
		if got := x.acct(leg.to, leg.c); got.Pending != zkp.ZeroCommitment().String() {
			t.Fatalf("%s's pending after apply %+v", leg.to.id.Config.ID, got)
		}
	}
}

// TestSwapRounding: JPY has no minor unit. A cent at 150 JPY per USD is
// 1.5 yen: one cent buys 1 yen, three buy 4, and a swap that rounds to no
// yen at all has no proof.
func TestSwapRounding(t *testing.T) {
	x := newFXFixture(t)
	rate, err := ledger.ParseRate(usd, jpy, "150")
	if err != nil || rate != 150_000_000 {
		t.Fatalf("rate %d, %v", rate, err)
	}
	qtx := x.quote(x.hk, usd, jpy, rate, 1_000_000, 600)
	x.publish(qtx)
	pending := zkp.ZeroCommitment()
	for _, c := range []struct{ a, b uint64 }{{1, 1}, {3, 4}} {
		s := x.fill(x.request(x.sg, qtx, c.a, x.sg)) // back to the payer, in yen
		if s.b.Value != c.b {
			t.Fatalf("%d cents → %d yen, want %d", c.a, s.b.Value, c.b)
		}
		if res := x.block(s.tx.Encode()); res.TxResults[0].Code != 0 {
			t.Fatalf("swap of %d cents: %s", c.a, res.TxResults[0].Log)
		}
		x.settle(s)
		pending = pending.Add(s.b.Commitment())
	}
	if x.acct(x.sg, jpy).Pending != pending.String() {
		t.Fatal("the payer's yen pending is not 1 + 4 yen")
	}
	low := qtx.Body.(*ledger.Quote)
	if _, err := zkp.FXAmount(1, low.Rate/2); err == nil {
		t.Fatal("a cent at 75 JPY per USD (0.75 yen) rounds to a yen")
	}
}

// fxSnapshot is every balance and quote a swap could touch.
func (x *fxFixture) snapshot(quotes ...ledger.TxID) string {
	var out []any
	for _, p := range []*member{x.sg, x.hk, x.us} {
		for _, c := range []ledger.Currency{usd, sgd, jpy} {
			out = append(out, x.acct(p, c))
		}
		var in []ledger.IncomingInfo
		x.query("/incoming", p.id.Config.ID+"/0", &in)
		out = append(out, in)
	}
	for _, id := range quotes {
		var q ledger.QuoteInfo
		x.query("/fx/quote", id.String(), &q)
		out = append(out, q)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// TestSwapRejections plays the dishonest payer, the dishonest provider and
// the replay: each swap is refused with its own code at CheckTx and in a
// block alike, and changes nothing, neither leg.
func TestSwapRejections(t *testing.T) {
	x := newFXFixture(t)
	qtx := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
	qid := x.publish(qtx)
	small := x.quote(x.hk, usd, sgd, 134_020_000, 1_000, 600) // SGD 10.00 of band
	smallID := x.publish(small)
	short := x.quote(x.hk, usd, sgd, 134_020_000, 1_000_000, 0) // live for this block only, in state quotePruneGrace more: the cases run within them
	shortID := x.publish(short)
	x.block() // now past short's window

	// A fill that commits, for the replay below.
	done := x.fill(x.request(x.sg, qtx, 10_000, x.us))
	if res := x.block(done.tx.Encode()); res.TxResults[0].Code != 0 {
		t.Fatalf("swap: %s", res.TxResults[0].Log)
	}
	x.settle(done)

	resign := func(s *swapParts) []byte {
		s.tx.Sign(testChain, s.payer.id.Sign)
		if err := s.tx.SignProvider(testChain, x.hk.id.Sign); err != nil {
			t.Fatal(err)
		}
		return s.tx.Encode()
	}
	swapBody := func(s *swapParts) *ledger.Swap { return s.tx.Body.(*ledger.Swap) }
	cases := []struct {
		name string
		code uint32
		raw  func() []byte
	}{
		{"quote expired", ledger.CodeQuoteExpired, func() []byte { return x.fill(x.request(x.sg, short, 100, x.us)).tx.Encode() }},
		{"quote unknown", ledger.CodeQuoteUnknown, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).Quote = ledger.TxID{0xfe}
			return resign(s)
		}},
		{"quote's pair named wrongly", ledger.CodeQuoteUnknown, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).Buy = jpy
			return resign(s)
		}},
		{"replayed fill (the committed request, filled again)", ledger.CodeFillReplayed, func() []byte {
			s := *done
			s.tx, _ = ledger.DecodeTx(done.tx.Encode())
			x.band[done.quote], _ = x.band[done.quote].Plus(done.b) // the provider proves as before the fill
			x.hk.avail[sgd], _ = x.hk.avail[sgd].Plus(done.b)
			defer func() {
				x.band[done.quote], _ = x.band[done.quote].Minus(done.b)
				x.hk.avail[sgd], _ = x.hk.avail[sgd].Minus(done.b)
			}()
			return x.fill(&s).tx.Encode()
		}},
		{"fill past the band", ledger.CodeFillPastBand, func() []byte {
			return x.fill(x.requestT(x.sg, small, 1_000, x.us, tamper{fakeBd: true})).tx.Encode() // SGD 13.40 > 10.00
		}},
		{"the swap names another rate than the quote's", ledger.CodeFXRate, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).Rate++
			return resign(s)
		}},
		{"leg B one minor unit above the rate", ledger.CodeFXRate, func() []byte {
			return x.fill(x.requestT(x.sg, qtx, 100_001, x.us, tamper{bDelta: 1})).tx.Encode()
		}},
		{"leg B one minor unit below the rate", ledger.CodeFXRate, func() []byte {
			return x.fill(x.requestT(x.sg, qtx, 100_001, x.us, tamper{bDelta: -1})).tx.Encode()
		}},
		{"leg A unaffordable", ledger.CodeLegUnaffordable, func() []byte {
			return x.fill(x.requestT(x.sg, qtx, 2_000_000, x.us, tamper{fakeA: true})).tx.Encode() // USD 20,000 of 9,900
		}},
		{"leg B unaffordable: leg A is valid and is not applied", ledger.CodeLegUnaffordable, func() []byte {
			return x.fill(x.requestT(x.sg, qtx, 100_000, x.us, tamper{fakeB: true})).tx.Encode()
		}},
		{"stale payer balance", ledger.CodeStaleBalance, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).Available = zkp.Commit(1, big.NewInt(1))
			return resign(s)
		}},
		{"stale provider balance", ledger.CodeStaleBalance, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).ProviderAvailable = zkp.Commit(1, big.NewInt(1))
			return x.resignFill(s.tx) // a provider that filled against a balance it no longer has
		}},
		{"stale band", ledger.CodeStaleBand, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).Band = zkp.Commit(1, big.NewInt(1))
			return x.resignFill(s.tx)
		}},
		{"a proof changed after the provider signed", ledger.CodeProviderSig, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).ProofB = swapBody(s).ProofA // any other proof bytes, as a re-randomised proof would be
			return s.tx.Encode()
		}},
		{"provider's signature by someone else", ledger.CodeProviderSig, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			if err := s.tx.SignProvider(testChain, x.us.id.Sign); err != nil {
				t.Fatal(err)
			}
			return s.tx.Encode()
		}},
		{"leg B changed after the provider signed", ledger.CodeProviderSig, func() []byte {
			s := x.fill(x.request(x.sg, qtx, 100, x.us))
			swapBody(s).To = "bank-sg"
			s.tx.Sign(testChain, x.sg.id.Sign) // the payer re-signs; the provider did not
			return s.tx.Encode()
		}},
	}
	quotes := []ledger.TxID{qid, smallID, shortID}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := c.raw()
			before, hash := x.snapshot(quotes...), x.app.appHash
			if res := x.checkTx(raw); res.Code != c.code {
				t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, c.code)
			}
			res := x.block(raw)
			if r := res.TxResults[0]; r.Code != c.code {
				t.Fatalf("in a block: code %d (%s), want %d", r.Code, r.Log, c.code)
			}
			if after := x.snapshot(quotes...); after != before || string(x.app.appHash) != string(hash) {
				t.Fatal("a rejected swap changed the state")
			}
		})
	}
}

// TestQuoteRejections: a quote whose liquidity proof the provider's
// balance cannot back, and quotes with bad terms, are refused and leave no
// quote behind.
func TestQuoteRejections(t *testing.T) {
	x := newFXFixture(t)
	cases := []struct {
		name string
		code uint32
		tx   func() *ledger.Tx
	}{
		{"max above the provider's balance", ledger.CodeLegUnaffordable, func() *ledger.Tx {
			q := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
			b := q.Body.(*ledger.Quote)
			b.Max = 20_000_000 // SGD 200,000 of 100,000: the proof was for 50,000
			q.Sign(testChain, x.hk.id.Sign)
			return q
		}},
		{"min above max", ledger.CodeBadQuote, func() *ledger.Tx {
			q := x.quote(x.hk, usd, sgd, 134_020_000, 5_000, 600)
			q.Body.(*ledger.Quote).Min = 5_001
			q.Sign(testChain, x.hk.id.Sign)
			return q
		}},
		{"window already over", ledger.CodeBadQuote, func() *ledger.Tx {
			q := x.quote(x.hk, usd, sgd, 134_020_000, 5_000, 600)
			q.Body.(*ledger.Quote).ValidUntil = 1
			q.Sign(testChain, x.hk.id.Sign)
			return q
		}},
		{"one currency", ledger.CodeBadQuote, func() *ledger.Tx { return x.quote(x.hk, sgd, sgd, 100_000_000, 5_000, 600) }},
		{"stale balance", ledger.CodeStaleBalance, func() *ledger.Tx {
			q := x.quote(x.hk, usd, sgd, 134_020_000, 5_000, 600)
			q.Body.(*ledger.Quote).Available = zkp.Commit(1, big.NewInt(1))
			q.Sign(testChain, x.hk.id.Sign)
			return q
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx := c.tx()
			if res := x.checkTx(tx.Encode()); res.Code != c.code {
				t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, c.code)
			}
			if r := x.block(tx.Encode()).TxResults[0]; r.Code != c.code {
				t.Fatalf("in a block: code %d (%s), want %d", r.Code, r.Log, c.code)
			}
			if x.query("/fx/quote", tx.ID().String(), nil) != ledger.QueryCodeNotFound {
				t.Fatal("a refused quote was kept")
			}
		})
	}
}

// TestSwapAudited: with the regulator's HE key each leg carries its own
// flow into the aggregates a transfer of its currency enters, and the audit
// checks them against the legs' commitments like any transfer's; a payer
// whose leg B flow encrypts one minor unit more than leg B is named.
func TestSwapAudited(t *testing.T) {
	sk, pk := heKeys()
	x := newFXFixtureWith(t, pk)
	b := &auditBench{fixture: x.fixture, src: &appSource{f: x.fixture, txs: map[ledger.TxID][]byte{}}, sk: sk, pk: pk}
	qtx := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
	x.publish(qtx)
	s := x.fill(x.request(x.sg, qtx, 500_001, x.us))
	b.commit(t, s.tx)
	x.settle(s)
	rep := b.run(t)
	if !rep.Consistent {
		t.Fatalf("an honest swap does not audit: %+v", rep)
	}
	want := map[string]bool{"out/USD/bank-sg": false, "in/USD/bank-hk": false, "corridor/USD/SG-HK": false, "currency/USD/transfers": false,
		"out/SGD/bank-hk": false, "in/SGD/bank-us": false, "corridor/SGD/HK-US": false, "currency/SGD/transfers": false,
		"fxin/USD/SGD@bank-hk": false, "fxout/SGD/USD@bank-hk": false}
	for _, a := range rep.Aggregates {
		if _, ok := want[a.Key]; ok && a.Flows == 1 && a.Consistent {
			want[a.Key] = true
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("aggregate %s does not hold the swap's leg, checked", k)
		}
	}

	cheat := x.fill(x.requestT(x.sg, qtx, 100_000, x.us, tamper{flowDelta: 1}))
	b.commit(t, cheat.tx)
	x.settle(cheat)
	rep = b.run(t)
	if rep.Consistent {
		t.Fatal("a leg B flow one minor unit off its commitment audits clean")
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.tx.ID().String() || c.Sender != "bank-sg" {
			t.Fatalf("culprit %+v, want the cheating swap from bank-sg", c)
		}
	}
}

// resignFill signs a changed fill again as its provider (bank-hk), as a
// provider that filled from a stale view would.
func (x *fxFixture) resignFill(tx *ledger.Tx) []byte {
	x.t.Helper()
	if err := tx.SignProvider(testChain, x.hk.id.Sign); err != nil {
		x.t.Fatal(err)
	}
	return tx.Encode()
}

// TestQuoteAllocatesFXGroups: a quote gives its provider's FX aggregates
// slot groups at the end of both books, in block order, once per
// provider and pair direction; two chains that see the same quotes lay
// their books out alike.
func TestQuoteAllocatesFXGroups(t *testing.T) {
	_, pk := heKeys()
	layouts := func() map[ledger.Currency][]string {
		x := newFXFixtureWith(t, pk)
		before := map[ledger.Currency]int{}
		for _, c := range []ledger.Currency{usd, sgd, jpy} {
			before[c] = len(x.layout(c).Keys)
		}
		x.publish(x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600))
		x.publish(x.quote(x.hk, usd, sgd, 134_000_000, 1_000_000, 600)) // same pair: no new group
		x.publish(x.quote(x.hk, usd, jpy, 15_000_000_000, 1_000_000, 600))
		out := map[ledger.Currency][]string{}
		for _, c := range []ledger.Currency{usd, sgd, jpy} {
			out[c] = x.layout(c).Keys[before[c]:]
		}
		return out
	}
	got := layouts()
	want := map[ledger.Currency][]string{
		usd: {"fxin/USD/SGD@bank-hk", "fxin/USD/JPY@bank-hk"},
		sgd: {"fxout/SGD/USD@bank-hk"},
		jpy: {"fxout/JPY/USD@bank-hk"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("groups added by the quotes: %v, want %v", got, want)
	}
	if again := layouts(); !reflect.DeepEqual(again, got) {
		t.Fatalf("the same quotes lay out %v on one chain and %v on another", got, again)
	}
}

// TestSwapFXGroupMisplacedIsNamed: a payer whose wallet leaves a leg out
// of its provider's FX group (the transfer's groups right) passes the
// validators, who cannot see placement; the audit finds the FX aggregate
// off its commitments and bisection names that swap, and only it.
func TestSwapFXGroupMisplacedIsNamed(t *testing.T) {
	for _, tc := range []struct {
		name string
		tm   tamper
		agg  string
	}{
		{"leg A", tamper{fxSkipA: true}, "fxin/USD/SGD@bank-hk"},
		{"leg B", tamper{fxSkipB: true}, "fxout/SGD/USD@bank-hk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sk, pk := heKeys()
			x := newFXFixtureWith(t, pk)
			b := &auditBench{fixture: x.fixture, src: &appSource{f: x.fixture, txs: map[ledger.TxID][]byte{}}, sk: sk, pk: pk}
			qtx := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
			x.publish(qtx)
			for _, a := range []uint64{200_000, 0} {
				tm := tamper{}
				if a == 0 {
					a, tm = 150_000, tc.tm
				}
				s := x.fill(x.requestT(x.sg, qtx, a, x.us, tm))
				b.commit(t, s.tx)
				x.settle(s)
				if tm != (tamper{}) {
					rep := b.run(t)
					checkCulprits(t, rep, s.tx.ID(), "bank-sg", "", 1)
					if rep.Culprits[0].Aggregate != tc.agg {
						t.Fatalf("culprit named in %s, want %s", rep.Culprits[0].Aggregate, tc.agg)
					}
				}
			}
		})
	}
}

// TestSwapFXFigures: the audit reports a pair's volume in both its
// currencies and the provider's net position (bought − sold) from the FX
// aggregates; a single swap's volume is withheld; a figure resting on an
// FX aggregate a cheat broke fails, while the other currency's stands.
func TestSwapFXFigures(t *testing.T) {
	sk, pk := heKeys()
	x := newFXFixtureWith(t, pk)
	b := &auditBench{fixture: x.fixture, src: &appSource{f: x.fixture, txs: map[ledger.TxID][]byte{}}, sk: sk, pk: pk}
	qtx := x.quote(x.hk, usd, sgd, 134_020_000, 5_000_000, 600)
	x.publish(qtx)
	var sumA, sumB uint64
	swap := func(a uint64, tm tamper) {
		s := x.fill(x.requestT(x.sg, qtx, a, x.us, tm))
		b.commit(t, s.tx)
		x.settle(s)
		sumA, sumB = sumA+s.a.Value, sumB+s.b.Value
	}
	swap(500_001, tamper{})
	rep := b.run(t)
	if len(rep.FX) != 1 || rep.FX[0].SellVolume != audit.Withheld || rep.FX[0].BuyVolume != audit.Withheld {
		t.Fatalf("one swap's volume is shown: %+v", rep.FX)
	}
	swap(100_000, tamper{})
	rep = b.run(t)
	want := audit.FXVolume{Pair: "USD/SGD", Sell: "USD", Buy: "SGD", SellVolume: ledger.FormatBig(usd, new(big.Int).SetUint64(sumA)), BuyVolume: ledger.FormatBig(sgd, new(big.Int).SetUint64(sumB))}
	if !rep.Consistent || len(rep.FX) != 1 || rep.FX[0] != want {
		t.Fatalf("fx volumes %+v (consistent %v), want %+v", rep.FX, rep.Consistent, want)
	}
	pos := rep.FXPositions["bank-hk"]
	if pos["USD"] != ledger.FormatBig(usd, new(big.Int).SetUint64(sumA)) || pos["SGD"] != ledger.FormatBig(sgd, new(big.Int).Neg(new(big.Int).SetUint64(sumB))) {
		t.Fatalf("bank-hk's fx position %v; bought %d USD, sold %d SGD", pos, sumA, sumB)
	}
	swap(70_000, tamper{fxSkipB: true})
	rep = b.run(t)
	failed := map[string]bool{}
	for _, f := range rep.Failures {
		failed[f.Figure] = true
	}
	if !failed["fx/USD/SGD/SGD"] || !failed["fxposition/bank-hk/SGD"] || failed["fx/USD/SGD/USD"] || failed["fxposition/bank-hk/USD"] {
		t.Fatalf("failures %v: want the SGD figures failed, the USD ones standing", failed)
	}
	if rep.FX[0].SellVolume != ledger.FormatBig(usd, new(big.Int).SetUint64(sumA)) || rep.FX[0].BuyVolume != "" {
		t.Fatalf("fx volumes after the cheat: %+v", rep.FX[0])
	}
}

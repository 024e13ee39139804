package state

import (
	"context"
	"math/big"
	"strings"
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

var heKeys = sync.OnceValues(func() (*he.SecretKey, *he.PublicKey) {
	return he.GenerateKeys(he.DefaultParams())
})

// openAggregate decrypts an aggregate and checks it against its
// commitment sum, as the regulator's audit does.
func openAggregate(t *testing.T, info ledger.AggregateInfo) (amount *big.Int, ok bool) {
	t.Helper()
	sk, _ := heKeys()
	ct := he.Zero(he.DefaultParams())
	if err := ct.UnmarshalBinary(info.Ciphertext); err != nil {
		t.Fatal(err)
	}
	sums, err := he.NewDecryptor(sk).Decrypt(ct)
	if err != nil {
		t.Fatal(err)
	}
	g := sums[info.Group] // the aggregate's group of its book
	if !g.Amount.IsUint64() {
		return g.Amount, false
	}
	r := new(big.Int).Mod(g.Blinding, zkp.Order())
	return g.Amount, zkp.Commit(g.Amount.Uint64(), r).String() == info.Commitment
}

func TestFlowsAggregate(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	tx1, amt1 := f.transfer(f.a, f.b, 1200)
	f.a.spend(amt1)
	tx2, amt2 := f.transfer(f.a, f.b, 34)
	f.a.spend(amt2)
	for _, tx := range []*ledger.Tx{tx1, tx2} {
		if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeOK {
			t.Fatalf("CheckTx: %s", res.Log)
		}
	}
	if res := f.block(tx1.Encode(), tx2.Encode()); res.TxResults[0].Code != ledger.CodeOK || res.TxResults[1].Code != ledger.CodeOK {
		t.Fatalf("block: %+v", res.TxResults)
	}
	var list []ledger.AggregateInfo
	f.query("/aggregates", "", &list)
	want := map[string]uint64{
		"out/USD/bank-a": 1234, "in/USD/bank-b": 1234,
		"corridor/USD/SG-HK": 1234, "currency/USD/transfers": 1234, "currency/USD/funded": 100000,
	} // in/USD/bank-a counts from genesis on: its opening balance is in funded
	if len(list) != len(want) {
		t.Fatalf("aggregates %+v", list)
	}
	for _, a := range list {
		var info ledger.AggregateInfo
		if code := f.query("/aggregate", a.Key, &info); code != 0 {
			t.Fatalf("aggregate %s: code %d", a.Key, code)
		}
		amount, ok := openAggregate(t, info)
		if !ok || amount.Uint64() != want[a.Key] {
			t.Errorf("%s: decrypts to %v, consistent %v; want %d", a.Key, amount, ok, want[a.Key])
		}
		if a.Key != "currency/USD/funded" && len(info.Txs) != 2 {
			t.Errorf("%s: %d transactions indexed, want 2", a.Key, len(info.Txs))
		}
	}
}

func TestFlowRejections(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	good, _ := f.transfer(f.a, f.b, 10)
	flow := good.Body.(*ledger.Transfer).Flow
	with := func(flow []byte) []byte {
		tx, _ := ledger.DecodeTx(good.Encode())
		tx.Body.(*ledger.Transfer).Flow = flow
		tx.Sign(testChain, f.a.id.Sign)
		return tx.Encode()
	}
	otherParams := append([]byte{}, flow...)
	otherParams[2] ^= 0xff // the parameter-set byte of the header
	twice := he.Zero(he.DefaultParams())
	twice.UnmarshalBinary(flow)
	he.NewEvaluator(he.DefaultParams()).Add(twice, twice.Copy())
	twiceRaw, _ := twice.MarshalBinary()
	forger := he.NewForger(pk)
	slots, _ := forger.Slots(map[int]he.Flow{ledger.FlowGroup: {Amount: 10, Blinding: big.NewInt(1)}})
	trivial, err := forger.Trivial(slots)
	if err != nil {
		t.Fatal(err)
	}
	trivialRaw, _ := trivial.MarshalBinary()
	cases := []struct {
		name string
		flow []byte
		code uint32
	}{
		{"missing", nil, ledger.CodeFlowMalformed},
		{"truncated", flow[:len(flow)/2], ledger.CodeFlowMalformed},
		{"other parameters", otherParams, ledger.CodeFlowParams},
		{"oversize", make([]byte, ledger.MaxFlowSize), ledger.CodeFlowTooLarge},
		{"a load of 2 for 1 payment", twiceRaw, ledger.CodeFlowLoad},
		{"noiseless (c1 = 0)", trivialRaw, ledger.CodeFlowDegenerate},
	}
	before := f.snapshot()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := f.checkTx(with(tc.flow))
			if res.Code != tc.code {
				t.Fatalf("code %d (%s), want %d", res.Code, res.Log, tc.code)
			}
		})
	}
	if f.snapshot() != before {
		t.Fatal("state changed")
	}
	if res := f.checkTx(good.Encode()); res.Code != ledger.CodeOK {
		t.Fatalf("good: %s", res.Log)
	}
}

// An epoch close replaces an aggregate by the regulator's re-encryption of
// its sums; later flows add onto it and the audit stays consistent.
func TestEpochClose(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	pay := func(amount uint64) { payAB(t, f, src, amount) }
	pay(700)
	pay(300)
	aud := audit.New(src, sk, audit.DefaultFXRates())
	closeTx := f.closeTx(t, aud, "out/USD/bank-a", "in/USD/bank-b")
	if res := f.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("epoch close: %s", res.TxResults[0].Log)
	}
	var info ledger.AggregateInfo
	f.query("/aggregate", "out/USD/bank-a", &info)
	if len(info.Txs) != 0 {
		t.Fatalf("bisection index not restarted: %v", info.Txs)
	}
	pay(25)
	rep, err := aud.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range rep.Aggregates {
		if a.Key == "out/USD/bank-a" && (a.Amount != "10.25" || a.Flows != 1) {
			t.Fatalf("after close: %+v", a)
		}
	}
	if !rep.Consistent {
		t.Fatalf("audit after epoch close: %+v", rep.Aggregates)
	}
	// A cheater after the close is still named: bisection starts from the
	// epoch's base.
	f.flows = cheatSealer{f.flows.(*party.HESealer)}
	tx, amt := f.transfer(f.a, f.b, 5)
	f.flows = party.NewHESealer(pk)
	f.a.spend(amt)
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatal(res.TxResults[0].Log)
	}
	src.txs[tx.ID()] = tx.Encode()
	rep, err = aud.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent || len(rep.Culprits) != 4 {
		t.Fatalf("cheater after an epoch close: consistent %v, culprits %+v", rep.Consistent, rep.Culprits)
	}
	for _, c := range rep.Culprits {
		if c.TxID != tx.ID().String() {
			t.Fatalf("culprit %+v, want %s", c, tx.ID())
		}
	}
	// Only the regulator may close.
	bad := &ledger.Tx{Kind: ledger.KindEpochClose, Sender: "bank-a", Nonce: f.a.nonce, Body: closeTx.Body}
	bad.Sign(testChain, f.a.id.Sign)
	if res := f.checkTx(bad.Encode()); res.Code != ledger.CodeUnauthorized {
		t.Fatalf("bank closes an epoch: code %d", res.Code)
	}
}

// closeTx builds the regulator's epoch close the way Auditor.Close does.
func (f *fixture) closeTx(t *testing.T, aud *audit.Auditor, keys ...string) *ledger.Tx {
	t.Helper()
	aggs, err := aud.Reencrypt(context.Background(), keys)
	if err != nil {
		t.Fatal(err)
	}
	body := &ledger.EpochClose{Aggregates: aggs}
	tx := &ledger.Tx{Kind: ledger.KindEpochClose, Sender: "regulator", Nonce: f.reg.nonce, Body: body}
	tx.Sign(testChain, f.reg.id.Sign)
	f.reg.nonce++
	return tx
}

// TestAggregateCapacity: with a capacity of 4 payments per book (the
// genesis funding takes one), the fourth transfer into the book is rejected at CheckTx (counting
// the mempool) and inside a block, where it changes nothing and does not
// halt the chain; after an epoch close it goes through.
func TestAggregateCapacity(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk, WithAggregateCapacity(4))
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	var txs []*ledger.Tx
	for _, amount := range []uint64{100, 200, 300, 400} {
		tx, amt := f.transfer(f.a, f.b, amount)
		f.a.spend(amt)
		txs = append(txs, tx)
		src.txs[tx.ID()] = tx.Encode()
	}
	if res := f.block(txs[0].Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("first transfer: %s", res.TxResults[0].Log)
	}
	for i, want := range []uint32{ledger.CodeOK, ledger.CodeOK, ledger.CodeAggregateFull} {
		if res := f.checkTx(txs[i+1].Encode()); res.Code != want {
			t.Fatalf("CheckTx of transfer %d: code %d (%s), want %d", i+2, res.Code, res.Log, want)
		}
	}
	before := f.snapshot()
	prop, _ := f.app.ProcessProposal(context.Background(), &abci.ProcessProposalRequest{Height: f.height + 1, Txs: [][]byte{txs[1].Encode(), txs[2].Encode(), txs[3].Encode()}})
	if prop.Status != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatal("a proposal overflowing an aggregate is accepted")
	}
	res := f.block(txs[1].Encode(), txs[2].Encode(), txs[3].Encode()) // fails the test if FinalizeBlock errs
	if res.TxResults[0].Code != ledger.CodeOK || res.TxResults[1].Code != ledger.CodeOK || res.TxResults[2].Code != ledger.CodeAggregateFull {
		t.Fatalf("block: %+v", res.TxResults)
	}
	if !strings.Contains(res.TxResults[2].Log, "capacity") {
		t.Fatalf("rejection says %q", res.TxResults[2].Log)
	}
	if after := f.snapshot(); after == before {
		t.Fatal("the two transfers that fit did not apply")
	}
	mid := f.snapshot()
	if res := f.block(txs[3].Encode()); res.TxResults[0].Code != ledger.CodeAggregateFull || f.snapshot() != mid {
		t.Fatalf("full aggregate: code %d, state changed %v", res.TxResults[0].Code, f.snapshot() != mid)
	}
	aud := audit.New(src, sk, audit.DefaultFXRates())
	closeTx := f.closeTx(t, aud, "out/USD/bank-a", "in/USD/bank-b", "corridor/USD/SG-HK", "currency/USD/transfers")
	if res := f.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("epoch close: %s", res.TxResults[0].Log)
	}
	if res := f.block(txs[3].Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("after the epoch close: %s", res.TxResults[0].Log)
	}
	rep, err := aud.Run(context.Background())
	if err != nil || !rep.Consistent {
		t.Fatalf("audit: %v %+v", err, rep)
	}
}

// A close made before a flow entered the aggregate is refused: applying it
// would drop that flow from the ciphertext while its commitment stays in
// the sum, and the aggregate would never check again.
func TestEpochCloseStale(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	pay := func(amount uint64) { payAB(t, f, src, amount) }
	pay(700)
	aud := audit.New(src, sk, audit.DefaultFXRates())
	closeTx := f.closeTx(t, aud, "out/USD/bank-a")
	pay(300) // enters out/USD/bank-a after the regulator read it
	if res := f.checkTx(closeTx.Encode()); res.Code != ledger.CodeStaleClose {
		t.Fatalf("stale close at CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeStaleClose)
	}
	if res := f.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeStaleClose {
		t.Fatalf("stale close in a block: code %d, want %d", res.TxResults[0].Code, ledger.CodeStaleClose)
	}
	rep, err := aud.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent {
		t.Fatalf("audit after a refused stale close: %+v", rep.Aggregates)
	}
	f.reg.nonce-- // the refused close used no nonce
	fresh := f.closeTx(t, aud, "out/USD/bank-a")
	if res := f.block(fresh.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("close after auditing again: %s", res.TxResults[0].Log)
	}
}

// payAB commits a transfer of amount from bank a to bank b in its own block
// and lets the audit's source serve it.
func payAB(t *testing.T, f *fixture, src *appSource, amount uint64) {
	t.Helper()
	tx, amt := f.transfer(f.a, f.b, amount)
	f.a.spend(amt)
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: %s", res.TxResults[0].Log)
	}
	src.txs[tx.ID()] = tx.Encode()
}

// TestFlowLayoutFitsTheLedger: a full bulk transfer fits one flow
// ciphertext, and an aggregate's default capacity is he's MaxLoad (the
// most flows that always decrypt exactly), never above it.
func TestFlowLayoutFitsTheLedger(t *testing.T) {
	_, pk := heKeys()
	p := pk.Params()
	if ledger.MaxBatchPayments > p.MaxLoad() {
		t.Fatalf("a batch of %d payments, a load of %d per ciphertext", ledger.MaxBatchPayments, p.MaxLoad())
	}
	for _, asked := range []uint64{0, p.MaxLoad() + 1, ^uint64(0)} {
		if got := newFlowBook(pk, asked).capacity; got != p.MaxLoad() {
			t.Errorf("capacity %d asked: %d, want MaxLoad %d", asked, got, p.MaxLoad())
		}
	}
	if got := newFlowBook(pk, 3).capacity; got != 3 {
		t.Errorf("capacity 3 asked: %d", got)
	}
}

// A flow's decoding is cached by its bytes and claimed load, and the cache
// never changes a verdict: the same bytes under another load are refused,
// a refused flow is refused again with the same code, and a flow one byte
// away is decoded afresh.
func TestFlowDecodeCache(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	book := f.app.exec.flows
	amts := []ledger.Opening{{Value: 5, Blinding: big.NewInt(1)}, {Value: 7, Blinding: big.NewInt(2)}}
	raw := f.seal(usd, amts, payKeys(f.a, f.b, f.b))
	ct, rej := book.decode(raw, 2)
	if rej != nil {
		t.Fatalf("valid flow: %s", rej.Msg)
	}
	if again, rej := book.decode(raw, 2); rej != nil || again != ct {
		t.Fatalf("second decode: %v, shared %v; want the cached ciphertext", rej, again == ct)
	}
	for range 2 {
		if _, rej := book.decode(raw, 3); rej == nil || rej.Code != ledger.CodeFlowLoad {
			t.Fatalf("the cached flow under another load: %v, want CodeFlowLoad", rej)
		}
	}
	zero, err := he.Zero(pk.Params()).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, rej := book.decode(zero, 0); rej == nil || rej.Code != ledger.CodeFlowDegenerate {
			t.Fatalf("a zero ciphertext: %v, want CodeFlowDegenerate each time", rej)
		}
	}
	tampered := append([]byte(nil), raw...)
	tampered[len(tampered)/2] ^= 1
	if other, rej := book.decode(tampered, 2); rej == nil && other == ct {
		t.Fatal("a flow one byte away was served the cached ciphertext")
	}
}

// A batch's aggregate sums, as recorded (payments grouped by the aggregates
// they enter, summed in extended coordinates), are the points a chain of
// affine additions gives, byte for byte: payments on two corridors,
// interleaved, into aggregates that already hold a sum.
func TestRecordedSumsAreAffineSums(t *testing.T) {
	_, pk := heKeys()
	f := newFixtureWith(t, pk)
	tos := []*member{f.b, f.issuer, f.b, f.b, f.issuer, f.b}
	amounts := []uint64{1, 20, 300, 4000, 5, 60}
	tx, total := f.batch(f.a, tos, amounts, -1)
	keys := payKeys(f.a, tos...)
	v := view{f.app.base()}
	want := map[string]zkp.Commitment{}
	for _, ks := range keys {
		for _, k := range ks {
			want[k], _ = v.commitmentAt(aggSumKey(k))
		}
	}
	book, _ := v.commitmentAt(bookSumKey(usd))
	if book.Equal(zkp.ZeroCommitment()) {
		t.Fatal("the book holds no sum before the batch: the test would not add into one")
	}
	if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("batch: %s", res.TxResults[0].Log)
	}
	f.a.spend(total)
	for j, p := range tx.Body.(*ledger.BatchTransfer).Payments {
		book = book.Add(p.Amount)
		for _, k := range keys[j] {
			want[k] = want[k].Add(p.Amount)
		}
	}
	v = view{f.app.base()}
	for k, w := range want {
		got, err := v.commitmentAt(aggSumKey(k))
		if err != nil || got.Bytes() != w.Bytes() {
			t.Errorf("%s: recorded %s, affine sum %s (%v)", k, got, w, err)
		}
	}
	if got, _ := v.commitmentAt(bookSumKey(usd)); got.Bytes() != book.Bytes() {
		t.Errorf("book sum: recorded %s, affine sum %s", got, book)
	}
}

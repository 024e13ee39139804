package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// fakeLedger is a Source of transfers in a few aggregates.
type fakeLedger struct {
	aggs   map[string]ledger.AggregateInfo
	txs    map[ledger.TxID][]byte
	sums   map[string]uint64 // true amount per aggregate
	orphan string            // a transaction in no aggregate
	gen    *ledger.Genesis   // nil: an empty genesis
}

func (f *fakeLedger) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	var out []ledger.AggregateInfo
	for _, a := range f.aggs {
		out = append(out, ledger.AggregateInfo{Key: a.Key})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (f *fakeLedger) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	a, ok := f.aggs[key]
	if !ok {
		return a, errors.New("not found")
	}
	return a, nil
}

func (f *fakeLedger) RawTx(_ context.Context, id ledger.TxID) ([]byte, error) {
	raw, ok := f.txs[id]
	if !ok {
		return nil, errors.New("not found")
	}
	return raw, nil
}

func (f *fakeLedger) Genesis(context.Context) (*ledger.Genesis, error) {
	if f.gen != nil {
		return f.gen, nil
	}
	return &ledger.Genesis{}, nil
}

// chainOf is the digest that names src's chain in approvals.
func chainOf(t testing.TB, src Source) string {
	t.Helper()
	g, err := src.Genesis(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, err := genesisDigest(g)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fakeCountries are the fake ledger's banks.
var fakeCountries = map[string]string{"banka": "SG", "bankb": "HK", "bankc": "HK", "bankd": "SG"}

// fakePay is a transfer of the fake ledger.
type fakePay struct{ from, to string }

// pays lists n transfers from → to for each "from>to" in spec.
func pays(spec map[string]int) []fakePay {
	keys := make([]string, 0, len(spec))
	for k := range spec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []fakePay
	for _, k := range keys {
		from, to, _ := strings.Cut(k, ">")
		for range spec[k] {
			out = append(out, fakePay{from, to})
		}
	}
	return out
}

// newFakeLedger books transfers into one USD book laid out as the ledger
// does; transfer cheatAt (if ≥ 0) encrypts one unit more than its
// commitment in cheatKey's group. It also holds one transfer in no
// aggregate (orphan).
func newFakeLedger(t testing.TB, pk *he.PublicKey, ps []fakePay, cheatKey string, cheatAt int) *fakeLedger {
	t.Helper()
	enc, ev := he.NewEncryptor(pk), he.NewEvaluator(pk.Params())
	rng := rand.New(rand.NewPCG(11, 12))
	f := &fakeLedger{aggs: map[string]ledger.AggregateInfo{}, txs: map[ledger.TxID][]byte{}, sums: map[string]uint64{}}
	usd, _ := ledger.ParseCurrency("USD")
	l := ledger.NewLayout(usd)
	for _, b := range []string{"banka", "bankb", "bankc", "bankd"} {
		if _, err := l.Admit(b, [2]byte{fakeCountries[b][0], fakeCountries[b][1]}, pk.Params().Groups()); err != nil {
			t.Fatal(err)
		}
	}
	cc := func(b string) [2]byte { return [2]byte{fakeCountries[b][0], fakeCountries[b][1]} }
	var proof [zkp.ProofSize]byte
	proof[0], proof[32], proof[96] = 0x40, 0x40, 0x40 // points at infinity: a well-formed encoding
	book := he.Zero(pk.Params())
	coms, counts, txs := map[string]zkp.Commitment{}, map[string]uint64{}, map[string][]string{}
	var all []string
	transfer := func(i int, p fakePay) (*ledger.Tx, []string, uint64, *he.Ciphertext) {
		amount, r := rng.Uint64N(1_000_000), new(big.Int).SetUint64(rng.Uint64())
		keys := ledger.TransferKeys(usd, p.from, cc(p.from), p.to, cc(p.to))
		sums, err := ledger.FlowSums(l, []ledger.FlowEntry{{Amount: ledger.Opening{Value: amount, Blinding: r}, Keys: keys}})
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := l.Group(cheatKey); ok && i == cheatAt {
			sums[g].Amount.Add(sums[g].Amount, big.NewInt(1))
		}
		ct, err := enc.EncryptBatch(sums, 1)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := ct.MarshalBinary()
		c := zkp.Commit(amount, r)
		tx := &ledger.Tx{Kind: ledger.KindTransfer, Sender: p.from, Nonce: uint64(i), Body: &ledger.Transfer{To: p.to, Currency: usd, Available: c, Amount: c, Proof: proof, Flow: raw}}
		f.txs[tx.ID()] = tx.Encode()
		return tx, keys, amount, ct
	}
	for i, p := range ps {
		tx, keys, amount, ct := transfer(i, p)
		c := tx.Body.(*ledger.Transfer).Amount
		for _, k := range keys {
			if s, ok := coms[k]; ok {
				coms[k] = s.Add(c)
			} else {
				coms[k] = c
			}
			counts[k]++
			txs[k] = append(txs[k], tx.ID().String())
			f.sums[k] += amount
		}
		all = append(all, tx.ID().String())
		if err := ev.Add(book, ct); err != nil {
			t.Fatal(err)
		}
	}
	orphan, _, _, _ := transfer(len(ps), fakePay{"banka", "bankb"})
	f.orphan = orphan.ID().String()
	raw, _ := book.MarshalBinary()
	var bookPayments []uint64
	for _, k := range l.Keys {
		bookPayments = append(bookPayments, counts[k])
	}
	for g, k := range l.Keys {
		if counts[k] == 0 {
			continue // the ledger lists an aggregate once a payment entered it
		}
		f.aggs[k] = ledger.AggregateInfo{Key: k, Commitment: coms[k].String(), Ciphertext: raw, Txs: txs[k], Group: g,
			Layout: l.Keys, Countries: fakeCountries, Payments: counts[k], BookPayments: bookPayments, BookTxs: all}
	}
	return f
}

var (
	regOnce   sync.Once
	regShares []*he.KeyShare
	regPK     *he.PublicKey
	regSign   []ed25519.PrivateKey
	regRoster map[int]ed25519.PublicKey
)

// regulators returns the parties of one 3-of-4 key over src.
func regulators(t testing.TB, src Source) ([]*Regulator, *he.PublicKey) {
	t.Helper()
	regOnce.Do(func() {
		var err error
		if regShares, regPK, err = he.ThresholdKeys(he.DefaultParams(), 4, 3); err != nil {
			panic(err)
		}
		regRoster = map[int]ed25519.PublicKey{}
		for _, ks := range regShares {
			pub, priv, _ := ed25519.GenerateKey(nil)
			regSign = append(regSign, priv)
			regRoster[ks.Index()] = pub
		}
	})
	out := make([]*Regulator, len(regShares))
	for i, ks := range regShares {
		out[i] = NewRegulator(ks, regSign[i], regRoster, src, DefaultMinFlows).WithPublicKey(regPK)
	}
	return out, regPK
}

func holders(rs ...*Regulator) []Holder {
	out := make([]Holder, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// thresholdPays fill every group of the USD book they enter with 2
// payments or more; sparsePays leave bankd's and bankc's with one.
var (
	thresholdPays = pays(map[string]int{"banka>bankb": 6, "bankd>bankc": 2})
	sparsePays    = pays(map[string]int{"banka>bankb": 6, "bankd>bankc": 1})
)

// TestThresholdAudit: three of four regulator parties run the audit; the
// figures are exact and the report is consistent. A book with a group of
// a single payment stays sealed whole: its decryption would reveal that
// payment. Two parties cannot make an opener at all.
func TestThresholdAudit(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, thresholdPays, "", -1)
	rs, _ := regulators(t, src)
	p := pk.Params()
	if _, err := NewThresholdOpener(p, 4, 3, holders(rs[0], rs[1])); !errors.Is(err, he.ErrThreshold) {
		t.Fatalf("an opener of two parties: %v", err)
	}
	op, err := NewThresholdOpener(p, 4, 3, holders(rs[1], rs[2], rs[3]))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rep, err := NewWith(src, op, DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("threshold audit of %d aggregates: %v", len(rep.Aggregates), time.Since(start))
	if !rep.Consistent || len(rep.Culprits) > 0 || len(rep.Failures) > 0 {
		t.Fatalf("report: %+v", rep)
	}
	usd, _ := ledger.ParseCurrency("USD")
	for _, a := range rep.Aggregates {
		if a.Amount != ledger.FormatBig(usd, new(big.Int).SetUint64(src.sums[a.Key])) || !a.Consistent || a.Sealed {
			t.Fatalf("aggregate %s: %+v, want %d", a.Key, a, src.sums[a.Key])
		}
	}

	sparse := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ = regulators(t, sparse)
	if op, err = NewThresholdOpener(p, 4, 3, holders(rs[1], rs[2], rs[3])); err != nil {
		t.Fatal(err)
	}
	if rep, err = NewWith(sparse, op, DefaultFXRates()).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	sealed := 0
	for _, a := range rep.Aggregates {
		info := sparse.aggs[a.Key]
		if info.BookPayments[info.Group] == 1 {
			if !a.Sealed || a.Amount != Sealed {
				t.Fatalf("an aggregate of a single-payment group: %+v", a)
			}
			sealed++
			continue
		}
		if a.Sealed || !a.Consistent || a.Amount != ledger.FormatBig(usd, new(big.Int).SetUint64(sparse.sums[a.Key])) {
			t.Fatalf("aggregate %s of a book with a sparse group, under masks: %+v, want %d", a.Key, a, sparse.sums[a.Key])
		}
	}
	if sealed == 0 || len(rep.Sealed) != sealed || len(rep.Culprits) > 0 || !rep.Consistent {
		t.Fatalf("sealed: %v (%d sparse), culprits %+v, consistent %v", rep.Sealed, sealed, rep.Culprits, rep.Consistent)
	}
}

// TestThresholdAuditNamesCheater: an aggregate that does not check is
// bisected under the approval the three parties sign, and its cheater
// named.
func TestThresholdAuditNamesCheater(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, thresholdPays, "corridor/USD/SG-HK", 4)
	rs, _ := regulators(t, src)
	op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[3]))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewWith(src, op, DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := src.aggs["corridor/USD/SG-HK"].BookTxs[4]
	if rep.Consistent || len(rep.Culprits) != 1 || rep.Culprits[0].TxID != want || !strings.Contains(rep.Culprits[0].Reason, "another amount") {
		t.Fatalf("culprits %+v, want %s", rep.Culprits, want)
	}
}

// TestRegulatorPolicy: a party refuses a single flow, a sub-aggregate and
// an aggregate of a book with a group below k; it opens single flows only
// under an approval that t parties signed for this run and aggregate; it
// signs no approval for an aggregate that checks.
func TestRegulatorPolicy(t *testing.T) {
	_, pk := regulators(t, nil)
	sparse := newFakeLedger(t, pk, sparsePays, "", -1)
	rs, _ := regulators(t, sparse)
	ctx := context.Background()
	for _, key := range []string{"in/USD/bankc", "in/USD/bankb"} {
		tg := Target{Run: "r1", Aggregate: key, Parts: []Part{{Aggregate: key}}}
		if _, err := rs[0].Share(ctx, ShareRequest{Target: tg, Active: []int{1, 2, 3}}); !errors.Is(err, ErrRefused) {
			t.Fatalf("%s, of a book with a single-payment group: %v", key, err)
		}
	}
	src := newFakeLedger(t, pk, thresholdPays, "out/USD/banka", 2)
	rs, _ = regulators(t, src)
	active := []int{1, 2, 3}
	bad := src.aggs["out/USD/banka"]
	one := Target{Run: "r1", Aggregate: bad.Key, Parts: []Part{{Tx: bad.Txs[2]}}}
	for name, tg := range map[string]Target{
		"a single flow":            one,
		"a sub-aggregate of three": {Run: "r1", Aggregate: bad.Key, Parts: []Part{{Tx: bad.Txs[0]}, {Tx: bad.Txs[1]}, {Tx: bad.Txs[2]}}},
	} {
		if _, err := rs[0].Share(ctx, ShareRequest{Target: tg, Active: active}); !errors.Is(err, ErrRefused) {
			t.Fatalf("%s without approval: %v", name, err)
		}
	}
	if _, err := rs[0].Share(ctx, ShareRequest{Target: Target{Run: "r1", Aggregate: bad.Key, Parts: []Part{{Aggregate: bad.Key}}}, Active: active}); err != nil {
		t.Fatalf("an aggregate of six: %v", err)
	}

	// The approval: each party combines the aggregate's shares itself.
	op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[2]))
	if err != nil {
		t.Fatal(err)
	}
	agg := he.Zero(pk.Params())
	if err := agg.UnmarshalBinary(bad.Ciphertext); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Open(ctx, Target{Run: "r1", Aggregate: bad.Key, Parts: []Part{{Aggregate: bad.Key}}}, agg); err != nil {
		t.Fatal(err)
	}
	flows := aggregateParts(bad, &ledger.Genesis{})
	ap, err := op.Approve(ctx, chainOf(t, src), "r1", bad.Key, agg, flows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs[3].Share(ctx, ShareRequest{Target: one, Active: []int{2, 3, 4}, Approval: ap}); err != nil {
		t.Fatalf("a single flow under a three-party approval: %v", err)
	}
	two := &Approval{Statement: ap.Statement, Signatures: map[int][]byte{1: ap.Signatures[1], 2: ap.Signatures[2]}}
	if _, err := rs[3].Share(ctx, ShareRequest{Target: one, Active: []int{2, 3, 4}, Approval: two}); !errors.Is(err, ErrRefused) {
		t.Fatalf("an approval of two parties: %v", err)
	}
	forged := &Approval{Statement: ap.Statement, Signatures: map[int][]byte{1: ap.Signatures[1], 2: ap.Signatures[2], 4: ap.Signatures[1]}}
	if _, err := rs[3].Share(ctx, ShareRequest{Target: one, Active: []int{2, 3, 4}, Approval: forged}); !errors.Is(err, ErrRefused) {
		t.Fatalf("an approval with a copied signature: %v", err)
	}
	other := one
	other.Run = "r2"
	if _, err := rs[3].Share(ctx, ShareRequest{Target: other, Active: []int{2, 3, 4}, Approval: ap}); !errors.Is(err, ErrRefused) {
		t.Fatalf("an approval of another run: %v", err)
	}
	foreign := Target{Run: "r1", Aggregate: bad.Key, Parts: []Part{{Tx: src.orphan}}}
	if _, err := rs[3].Share(ctx, ShareRequest{Target: foreign, Active: []int{2, 3, 4}, Approval: ap}); !errors.Is(err, ErrRefused) {
		t.Fatalf("a flow of no aggregate of the book under the approval: %v", err)
	}

	// No approval for an aggregate that checks, nor for flows not its own.
	good := src.aggs["in/USD/bankb"]
	gct := he.Zero(pk.Params())
	_ = gct.UnmarshalBinary(good.Ciphertext)
	if _, err := op.Open(ctx, Target{Run: "r1", Aggregate: good.Key, Parts: []Part{{Aggregate: good.Key}}}, gct); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Approve(ctx, chainOf(t, src), "r1", good.Key, gct, aggregateParts(good, &ledger.Genesis{})); !errors.Is(err, ErrRefused) {
		t.Fatalf("an approval for an aggregate that checks: %v", err)
	}
	if _, err := op.Approve(ctx, chainOf(t, src), "r1", bad.Key, agg, flows[:3]); !errors.Is(err, ErrRefused) {
		t.Fatalf("an approval for part of the aggregate's flows: %v", err)
	}
	// A requester's forged share, making the clean aggregate look broken.
	gd, _ := gct.Digest()
	forgedShares := append([]SignedShare(nil), op.last["r1\x00"+string(gd[:])].shares...)
	forgedShares[0].Share = append([]byte(nil), forgedShares[0].Share...)
	forgedShares[0].Share[2000] ^= 0x10
	st := Statement{Version: statementVersion, Chain: chainOf(t, src), Run: "r1", Aggregate: good.Key, Flows: aggregateParts(good, &ledger.Genesis{})}
	if _, err := rs[3].Sign(ctx, ApprovalRequest{Statement: st, Shares: forgedShares}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not signed") {
		t.Fatalf("an approval on a forged share: %v", err)
	}
}

// TestAuditTimes compares the audit through one key and through three
// shares on the same ledger shape.
func TestAuditTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	sizes := pays(map[string]int{"banka>bankb": 3, "bankb>banka": 4, "bankc>bankd": 5, "bankd>bankc": 6})
	sk, pk1 := he.GenerateKeys(he.DefaultParams())
	src1 := newFakeLedger(t, pk1, sizes, "", -1)
	var single time.Duration
	for range 2 { // the second run, warm
		start := time.Now()
		if rep, err := New(src1, sk, DefaultFXRates()).Run(context.Background()); err != nil || !rep.Consistent {
			t.Fatalf("single key: %v %+v", err, rep)
		}
		single = time.Since(start)
	}
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, sizes, "", -1)
	rs, _ := regulators(t, src)
	op, _ := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[2]))
	var shared time.Duration
	for range 2 {
		start := time.Now()
		if rep, err := NewWith(src, op, DefaultFXRates()).Run(context.Background()); err != nil || !rep.Consistent {
			t.Fatalf("threshold: %v %+v", err, rep)
		}
		shared = time.Since(start)
	}
	t.Logf("audit of %d aggregates: one key %v, three shares %v", len(sizes), single, shared)
}

// TestThresholdAuditUndecodable: an aggregate the ledger cannot decode is
// named the ledger's fault, with no flow opened, and the audit completes.
func TestThresholdAuditUndecodable(t *testing.T) {
	_, pk := regulators(t, nil)
	src := newFakeLedger(t, pk, thresholdPays, "", -1)
	info := src.aggs["in/USD/bankb"]
	info.Ciphertext = info.Ciphertext[:100]
	src.aggs["in/USD/bankb"] = info
	rs, _ := regulators(t, src)
	op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[2]))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewWith(src, op, DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Culprits) != 1 || rep.Culprits[0].Sender != senderLedger || rep.Culprits[0].Reason != reasonUnknown {
		t.Fatalf("culprits %+v", rep.Culprits)
	}
}

// fundedGenesis is a genesis that funds bankb in USD with a fresh
// encryption of its opening flow: two chains made alike still differ in it.
func fundedGenesis(t testing.TB, pk *he.PublicKey) *ledger.Genesis {
	t.Helper()
	ct, err := he.NewEncryptor(pk).EncryptBatch(map[int]he.GroupSum{ledger.FlowGroup: {Amount: big.NewInt(500), Blinding: big.NewInt(7)}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := ct.MarshalBinary()
	return &ledger.Genesis{Accounts: []ledger.GenesisAccount{{Party: "bankb", Currency: "USD", Available: zkp.Commit(500, big.NewInt(7)).String(), Flow: hex.EncodeToString(raw)}}}
}

// TestApprovalBoundToChain: the same parties, with the same keys, serve
// two chains whose aggregates and genesis fundings carry the same names.
// An approval won on chain A for an aggregate that fails there opens that
// aggregate's genesis funding on A; a party of chain B refuses it for B's
// funding of the same name, and refuses to sign a statement that names
// chain A though B's aggregate of that name fails too. A statement of
// version v1, which named no chain, is refused.
func TestApprovalBoundToChain(t *testing.T) {
	_, pk := regulators(t, nil)
	ctx := context.Background()
	const key = "out/USD/banka"
	chain := func() (*fakeLedger, []*Regulator, *ThresholdOpener, *he.Ciphertext, []Part) {
		src := newFakeLedger(t, pk, thresholdPays, key, 2)
		src.gen = fundedGenesis(t, pk)
		rs, _ := regulators(t, src)
		op, err := NewThresholdOpener(pk.Params(), 4, 3, holders(rs[0], rs[1], rs[2]))
		if err != nil {
			t.Fatal(err)
		}
		agg := he.Zero(pk.Params())
		if err := agg.UnmarshalBinary(src.aggs[key].Ciphertext); err != nil {
			t.Fatal(err)
		}
		if _, err := op.Open(ctx, Target{Run: "r1", Aggregate: key, Parts: []Part{{Aggregate: key}}}, agg); err != nil {
			t.Fatal(err)
		}
		return src, rs, op, agg, aggregateParts(src.aggs[key], src.gen)
	}
	srcA, rsA, opA, aggA, flowsA := chain()
	srcB, rsB, opB, aggB, flowsB := chain()
	if chainOf(t, srcA) == chainOf(t, srcB) {
		t.Fatal("two chains of one digest")
	}
	fund := Part{Genesis: "bankb/USD"}
	if !slices.Contains(flowsA, fund) || !slices.Contains(flowsB, fund) {
		t.Fatalf("the aggregate's flows %v hold no genesis funding", flowsA)
	}
	ap, err := opA.Approve(ctx, chainOf(t, srcA), "r1", key, aggA, flowsA)
	if err != nil {
		t.Fatal(err)
	}
	one := ShareRequest{Target: Target{Run: "r1", Aggregate: key, Parts: []Part{fund}}, Active: []int{2, 3, 4}, Approval: ap}
	if _, err := rsA[3].Share(ctx, one); err != nil {
		t.Fatalf("the genesis funding under its chain's approval: %v", err)
	}
	if _, err := rsB[3].Share(ctx, one); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "chain") {
		t.Fatalf("the genesis funding of chain B under chain A's approval: %v", err)
	}

	// Chain B's aggregate fails too, but its parties sign only for B.
	gd, _ := aggB.Digest()
	sharesB := opB.last["r1\x00"+string(gd[:])].shares
	st := Statement{Version: statementVersion, Chain: chainOf(t, srcA), Run: "r1", Aggregate: key, Flows: flowsB}
	if _, err := rsB[0].Sign(ctx, ApprovalRequest{Statement: st, Shares: sharesB}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "chain") {
		t.Fatalf("a statement naming another chain: %v", err)
	}
	st.Chain = chainOf(t, srcB)
	if _, err := rsB[0].Sign(ctx, ApprovalRequest{Statement: st, Shares: sharesB}); err != nil {
		t.Fatalf("the statement naming its chain: %v", err)
	}

	// A v1 statement, signed by three parties as v1 parties did.
	v1 := Statement{Version: statementV1, Run: "r1", Aggregate: key, Flows: flowsA}
	old := &Approval{Statement: v1, Signatures: map[int][]byte{}}
	for i := range 3 {
		old.Signatures[regShares[i].Index()] = ed25519.Sign(regSign[i], v1.message())
	}
	one.Approval = old
	if _, err := rsA[3].Share(ctx, one); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "names no chain") {
		t.Fatalf("a v1 approval: %v", err)
	}
	gd, _ = aggA.Digest()
	if _, err := rsA[0].Sign(ctx, ApprovalRequest{Statement: v1, Shares: opA.last["r1\x00"+string(gd[:])].shares}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "names no chain") {
		t.Fatalf("a v1 statement to sign: %v", err)
	}
}

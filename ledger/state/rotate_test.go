package state

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// TestEpochQuery: before any rotation the chain is at epoch 0 with the
// genesis key, one regulator's; a transaction signed for another epoch
// is refused.
func TestEpochQuery(t *testing.T) {
	_, pk := he.GenerateKeys(he.DefaultParams())
	f := newFixtureWith(t, pk)
	var ep ledger.EpochInfo
	if code := f.query("/epoch", "", &ep); code != 0 {
		t.Fatalf("/epoch: code %d", code)
	}
	want, _ := pk.MarshalBinary()
	if ep.Epoch != 0 || ep.Height != 0 || ep.Shared() || !bytes.Equal(ep.PublicKey, want) {
		t.Fatalf("/epoch: %+v", ep)
	}
	if code := f.query("/epoch", "1", nil); code != ledger.QueryCodeBadQuery {
		t.Fatalf("/epoch 1 before any rotation: code %d", code)
	}
	tx, _ := f.transfer(f.a, f.b, 100)
	tx.Sign(ledger.EpochDomain(testChain, 1), f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != ledger.CodeBadSignature {
		t.Fatalf("a transfer signed for epoch 1 at epoch 0: code %d %s", res.Code, res.Log)
	}
	tx.Sign(testChain, f.a.id.Sign)
	if res := f.checkTx(tx.Encode()); res.Code != 0 {
		t.Fatalf("the same transfer signed for epoch 0: code %d %s", res.Code, res.Log)
	}

	plain := newFixture(t) // no HE key: no epoch to read
	if code := plain.query("/epoch", "", nil); code != ledger.QueryCodeNotFound {
		t.Fatalf("/epoch without an HE key: code %d", code)
	}
}

// epochSource is the test app seen as a rotation's ledger: the audit's
// source, the key epoch and the books.
type epochSource struct{ *appSource }

func (s epochSource) Epoch(context.Context) (ledger.EpochInfo, error) {
	var e ledger.EpochInfo
	if code := s.f.query("/epoch", "", &e); code != 0 {
		return e, client.ErrNotFound
	}
	return e, nil
}

func (s epochSource) Layout(_ context.Context, c ledger.Currency) (ledger.LayoutInfo, error) {
	var l ledger.LayoutInfo
	if code := s.f.query("/layout", c.String(), &l); code != 0 {
		return l, client.ErrNotFound
	}
	return l, nil
}

// regulatorParties are the parties of one key epoch, in memory.
type regulatorParties struct {
	shares []*he.KeyShare
	signs  []ed25519.PrivateKey
	roster map[int]ed25519.PublicKey
}

func newRegulatorParties(t *testing.T, n, th int) (*regulatorParties, *he.PublicKey) {
	t.Helper()
	shares, pk, err := he.ThresholdKeys(he.DefaultParams(), n, th)
	if err != nil {
		t.Fatal(err)
	}
	r := &regulatorParties{shares: shares, roster: map[int]ed25519.PublicKey{}}
	for _, ks := range shares {
		pub, priv, _ := ed25519.GenerateKey(nil)
		r.signs = append(r.signs, priv)
		r.roster[ks.Index()] = pub
	}
	return r, pk
}

// auditor audits through the first t parties; they open books of a
// single flow per group (k = 1), since the fixture funds one account.
func (r *regulatorParties) auditor(t *testing.T, src audit.Source) *audit.Auditor {
	t.Helper()
	var holders []audit.Holder
	for i, ks := range r.shares {
		holders = append(holders, audit.NewRegulator(ks, r.signs[i], r.roster, src, 1))
	}
	op, err := audit.NewThresholdOpener(he.DefaultParams(), len(r.shares), r.shares[0].Threshold(), holders)
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewWith(src, op, audit.DefaultFXRates())
}

// rotation builds the regulator's rotation to epoch e: every book that
// holds a flow, switched by the old parties to the new key, as
// audit.Rotate does.
func (f *fixture) rotation(t *testing.T, src epochSource, old *regulatorParties, e uint32, newPK *he.PublicKey, n, th int) *ledger.Rotation {
	t.Helper()
	to, err := he.NewTarget(newPK, n)
	if err != nil {
		t.Fatal(err)
	}
	pkb, _ := newPK.MarshalBinary()
	body := &ledger.Rotation{Epoch: e, Parties: uint8(n), Threshold: uint8(th), PublicKey: pkb}
	for _, k := range ledger.Currencies {
		l, err := src.Layout(context.Background(), k.Code)
		if err != nil || l.Load == 0 {
			continue
		}
		info, err := src.Aggregate(context.Background(), l.Keys[0])
		if err != nil {
			t.Fatal(err)
		}
		ct := he.Zero(he.DefaultParams())
		if err := ct.UnmarshalBinary(info.Ciphertext); err != nil {
			t.Fatal(err)
		}
		th0 := old.shares[0].Threshold()
		active := make([]int, th0)
		shares := make([]*he.SwitchShare, th0)
		for i := range th0 {
			active[i] = old.shares[i].Index()
		}
		for i := range th0 {
			if shares[i], err = old.shares[i].ShareSwitch(ct, active, to); err != nil {
				t.Fatal(err)
			}
		}
		sw, err := he.Switch(ct, to, shares)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := sw.MarshalBinary()
		sum, err := zkp.ParseCommitment(l.Commitment)
		if err != nil {
			t.Fatal(err)
		}
		body.Books = append(body.Books, ledger.ClosedAggregate{Key: ledger.BookKey(k.Code), Sum: sum, Ciphertext: raw})
	}
	return body
}

func (f *fixture) regulatorTx(kind ledger.Kind, sender *member, epoch uint32, body ledger.Body) *ledger.Tx {
	tx := &ledger.Tx{Kind: kind, Sender: sender.id.Config.ID, Nonce: sender.nonce, Body: body}
	tx.Sign(ledger.EpochDomain(testChain, epoch), sender.id.Sign)
	return tx
}

// TestRotation: the regulators rotate from a 3-of-4 key to a 2-of-3 one.
// The rotation is refused from a bank, to the wrong epoch, without a
// book, or for a book a flow entered since; applied, it keeps both keys,
// and a payment made for the old epoch is refused as stale while one for
// the new goes through. The audit through the new parties checks every
// aggregate, over flows of both epochs, and still names a cheater after
// the rotation; under the shared key no payment may carry an audit memo.
func TestRotation(t *testing.T) {
	old, oldPK := newRegulatorParties(t, 4, 3)
	f := newFixtureWith(t, oldPK)
	src := epochSource{&appSource{f: f, txs: map[ledger.TxID][]byte{}}}
	payAB(t, f, src.appSource, 700)
	payAB(t, f, src.appSource, 300)
	if rep, err := old.auditor(t, src).Run(context.Background()); err != nil || !rep.Consistent {
		t.Fatalf("audit before the rotation: %v %+v", err, rep)
	}

	next, newPK := newRegulatorParties(t, 3, 2)
	body := f.rotation(t, src, old, 1, newPK, 3, 2)
	if len(body.Books) != 1 {
		t.Fatalf("%d books to switch, want USD's", len(body.Books))
	}
	for _, c := range []struct {
		name   string
		sender *member
		body   *ledger.Rotation
		code   uint32
	}{
		{"from a bank", f.a, body, ledger.CodeUnauthorized},
		{"to epoch 2", f.reg, &ledger.Rotation{Epoch: 2, Parties: 3, Threshold: 2, PublicKey: body.PublicKey, Books: body.Books}, ledger.CodeRotation},
		{"without the USD book", f.reg, &ledger.Rotation{Epoch: 1, Parties: 3, Threshold: 2, PublicKey: body.PublicKey}, ledger.CodeRotationBooks},
		{"with a key that is not one", f.reg, &ledger.Rotation{Epoch: 1, Parties: 3, Threshold: 2, PublicKey: []byte{1, 2, 3}, Books: body.Books}, ledger.CodeRotation},
	} {
		tx := f.regulatorTx(ledger.KindRotation, c.sender, 0, c.body)
		if res := f.checkTx(tx.Encode()); res.Code != c.code {
			t.Fatalf("rotation %s: code %d (%s), want %d", c.name, res.Code, res.Log, c.code)
		}
	}
	// A flow entered the book since the switch: stale, and nothing changes.
	payAB(t, f, src.appSource, 5)
	before := f.snapshot()
	stale := f.regulatorTx(ledger.KindRotation, f.reg, 0, body)
	if res := f.block(stale.Encode()); res.TxResults[0].Code != ledger.CodeStaleRotation {
		t.Fatalf("stale rotation: code %d %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	if f.snapshot() != before {
		t.Fatal("a refused rotation changed the state")
	}

	// A payment made before the rotation, committed after it.
	early, amtEarly := f.transfer(f.a, f.b, 40)
	body = f.rotation(t, src, old, 1, newPK, 3, 2)
	rot := f.regulatorTx(ledger.KindRotation, f.reg, 0, body)
	f.reg.nonce++
	if res := f.block(rot.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("rotation: %s", res.TxResults[0].Log)
	}
	var ep ledger.EpochInfo
	f.query("/epoch", "", &ep)
	want, _ := newPK.MarshalBinary()
	if ep.Epoch != 1 || ep.Height != f.height || ep.Parties != 3 || ep.Threshold != 2 || !bytes.Equal(ep.PublicKey, want) {
		t.Fatalf("/epoch after the rotation: epoch %d height %d %d-of-%d", ep.Epoch, ep.Height, ep.Threshold, ep.Parties)
	}
	var ep0 ledger.EpochInfo
	f.query("/epoch", "0", &ep0)
	if wantOld, _ := oldPK.MarshalBinary(); !bytes.Equal(ep0.PublicKey, wantOld) {
		t.Fatal("/epoch 0 no longer answers the genesis key")
	}
	if res := f.checkTx(early.Encode()); res.Code != ledger.CodeStaleEpoch {
		t.Fatalf("a payment made for epoch 0 after the rotation: code %d %s", res.Code, res.Log)
	}

	// Payments of the new epoch: sealed to the new key, signed for it.
	f.flows = party.NewHESealer(newPK)
	payNew := func(sealer party.FlowSealer, amount uint64, auditMemo bool) (*ledger.Tx, uint32) {
		f.flows = sealer
		tx, amt := f.transfer(f.a, f.b, amount)
		f.flows = party.NewHESealer(newPK)
		if auditMemo {
			tx.Body.(*ledger.Transfer).AuditMemo = tx.Body.(*ledger.Transfer).Memo
		}
		tx.Sign(ledger.EpochDomain(testChain, 1), f.a.id.Sign)
		res := f.block(tx.Encode())
		if res.TxResults[0].Code == ledger.CodeOK {
			f.a.spend(amt)
			src.txs[tx.ID()] = tx.Encode()
		}
		return tx, res.TxResults[0].Code
	}
	_ = amtEarly
	if _, code := payNew(party.NewHESealer(newPK), 250, false); code != ledger.CodeOK {
		t.Fatalf("a payment of epoch 1: code %d", code)
	}
	if _, code := payNew(party.NewHESealer(newPK), 1, true); code != ledger.CodeAuditMemo {
		t.Fatalf("an audit memo under the shared key: code %d", code)
	}
	// Every aggregate checks through the new parties, over both epochs'
	// flows; the FX total waits for an epoch close under the new key (the
	// switch's noise times a rate is past the FX budget).
	aud := next.auditor(t, src)
	rep, err := aud.Run(context.Background())
	if err != nil || len(rep.Culprits) > 0 || len(rep.Failures) != 1 || rep.Failures[0].Figure != "usd_total" {
		t.Fatalf("audit across both epochs: %v %+v", err, rep)
	}
	for _, a := range rep.Aggregates {
		if !a.Consistent || a.Sealed || (a.Key == "out/USD/bank-a" && a.Amount != "12.55") { // 7 + 3 + 0.05 before, 2.50 after
			t.Fatalf("after the rotation: %+v, want out/USD/bank-a 12.55", a)
		}
	}
	aggs, err := aud.Reencrypt(context.Background(), []string{ledger.BookKey(usd)})
	if err != nil {
		t.Fatal(err)
	}
	closeTx := f.regulatorTx(ledger.KindEpochClose, f.reg, 1, &ledger.EpochClose{Aggregates: aggs})
	f.reg.nonce++
	if res := f.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("epoch close under the new key: %s", res.TxResults[0].Log)
	}
	if rep, err = aud.Run(context.Background()); err != nil || !rep.Consistent || rep.USDTotal == "" {
		t.Fatalf("audit after the close: %v %+v", err, rep)
	}
	// The old parties no longer open the books.
	if rep, err := old.auditor(t, src).Run(context.Background()); err == nil && rep.Consistent {
		t.Fatal("the old key's parties audited the switched books")
	}
	// A cheater after the rotation is named through the new parties.
	cheat, code := payNew(cheatSealer{party.NewHESealer(newPK)}, 9, false)
	if code != ledger.CodeOK {
		t.Fatalf("cheating payment: code %d", code)
	}
	rep, err = aud.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent || len(rep.Culprits) == 0 {
		t.Fatalf("cheater after the rotation: consistent %v, culprits %+v", rep.Consistent, rep.Culprits)
	}
	named := 0
	for _, c := range rep.Culprits {
		switch c.TxID {
		case cheat.ID().String():
			named++
		case "":
		default:
			t.Fatalf("culprit %+v, want %s", c, cheat.ID())
		}
		t.Logf("culprit %s %s: %s", c.Aggregate, c.TxID, c.Reason)
	}
	if named == 0 {
		t.Fatalf("the cheater after the rotation is not named: %+v", rep.Culprits)
	}
}

// TestAuditMemoUnderSharedGenesis: with a genesis whose key is shared
// (he_parties, he_threshold), epoch 0 refuses a payment's audit memo and
// takes the same payment without one; with one regulator's key it takes
// both.
func TestAuditMemoUnderSharedGenesis(t *testing.T) {
	_, pk := he.GenerateKeys(he.DefaultParams())
	f := newFixtureWith(t, pk)
	tx, _ := f.transfer(f.a, f.b, 100)
	withMemo := *tx
	body := *tx.Body.(*ledger.Transfer)
	body.AuditMemo = body.Memo
	withMemo.Body = &body
	g, err := ledger.ParseGenesis(f.genesis)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		parties, threshold int
		memo               uint32
	}{{0, 0, ledger.CodeOK}, {4, 3, ledger.CodeAuditMemo}} {
		g.HEParties, g.HEThreshold = c.parties, c.threshold
		raw, _ := json.Marshal(g)
		v := view{newOverlay(f.app.store)}
		v.o.set(keyGenesis, raw)
		e := &executor{}
		if rej := e.checkAuditMemo(v, &withMemo); (rej == nil && c.memo != ledger.CodeOK) || (rej != nil && rej.Code != c.memo) {
			t.Fatalf("%d-of-%d genesis, an audit memo: %v, want code %d", c.threshold, c.parties, rej, c.memo)
		}
		if rej := e.checkAuditMemo(v, tx); rej != nil {
			t.Fatalf("%d-of-%d genesis, no audit memo: %v", c.threshold, c.parties, rej)
		}
	}
}

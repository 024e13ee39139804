package state

import (
	"context"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// appSource serves the audit from a test fixture's app.
type appSource struct {
	f   *fixture
	txs map[ledger.TxID][]byte
}

func (s *appSource) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	var out []ledger.AggregateInfo
	s.f.query("/aggregates", "", &out)
	return out, nil
}

func (s *appSource) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	var out ledger.AggregateInfo
	if code := s.f.query("/aggregate", key, &out); code != 0 {
		return out, client.ErrNotFound
	}
	return out, nil
}

func (s *appSource) RawTx(_ context.Context, id ledger.TxID) ([]byte, error) {
	raw, ok := s.txs[id]
	if !ok {
		return nil, client.ErrNotFound
	}
	return raw, nil
}

func (s *appSource) Genesis(context.Context) (*ledger.Genesis, error) {
	return ledger.ParseGenesis(s.f.genesis)
}

// cheatSealer encrypts one more minor unit than the payment.
type cheatSealer struct{ honest *party.HESealer }

func (c cheatSealer) SealFlow(amount uint64, blinding *big.Int) ([]byte, error) {
	return c.honest.SealFlow(amount+1, blinding)
}

// SealBook puts one more minor unit in every group of the payments.
func (c cheatSealer) SealBook(sums map[int]he.GroupSum, payments uint64) ([]byte, error) {
	out := map[int]he.GroupSum{}
	for g, s := range sums {
		out[g] = he.GroupSum{Amount: new(big.Int).Add(s.Amount, big.NewInt(1)), Blinding: s.Blinding}
	}
	return c.honest.SealBook(out, payments)
}

func TestAuditNamesCheater(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	send := func(amount uint64, cheat bool) ledger.TxID {
		honest := f.flows
		if cheat {
			f.flows = cheatSealer{honest.(*party.HESealer)}
		}
		tx, amt := f.transfer(f.a, f.b, amount)
		f.flows = honest
		f.a.spend(amt)
		if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
			t.Fatalf("block: %s", res.TxResults[0].Log)
		}
		src.txs[tx.ID()] = tx.Encode()
		return tx.ID()
	}
	for _, amt := range []uint64{500, 1250, 75} {
		send(amt, false)
	}
	rep, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent || rep.Totals["USD"] != "1000.00" || rep.USDTotal != "1000.00" || rep.Positions["bank-b"]["USD"] != "18.25" {
		t.Fatalf("honest audit: %+v", rep)
	}
	cheat := send(300, true)
	send(40, false)
	rep, err = audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent {
		t.Fatal("audit misses a flow that does not match its commitment")
	}
	if len(rep.Culprits) == 0 {
		t.Fatal("no culprit named")
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.String() || c.Sender != "bank-a" {
			t.Fatalf("culprit %+v, want %s from bank-a", c, cheat)
		}
	}
	inconsistent := 0
	for _, a := range rep.Aggregates {
		if !a.Consistent {
			inconsistent++
		}
	}
	if inconsistent != 4 || len(rep.Culprits) != 4 {
		t.Fatalf("%d inconsistent aggregates, %d culprits; want the transfer's 4", inconsistent, len(rep.Culprits))
	}
}

// forgedSealer seals flows as a dishonest sender would: forge turns the
// payment's honest flow, placed in each of its groups, into the attack.
type forgedSealer struct {
	forger *he.Forger
	forge  func(f *he.Forger, flows map[int]he.Flow) (*he.Ciphertext, error)
}

// SealBook forges one payment's flow: each group of its sums holds the
// payment itself.
func (s forgedSealer) SealBook(sums map[int]he.GroupSum, payments uint64) ([]byte, error) {
	flows := map[int]he.Flow{}
	for g, v := range sums {
		flows[g] = he.Flow{Amount: v.Amount.Uint64(), Blinding: v.Blinding}
	}
	ct, err := s.forge(s.forger, flows)
	if err != nil {
		return nil, err
	}
	return ct.MarshalBinary()
}

func (s forgedSealer) SealFlow(amount uint64, blinding *big.Int) ([]byte, error) {
	return s.SealBook(map[int]he.GroupSum{ledger.FlowGroup: {Amount: new(big.Int).SetUint64(amount), Blinding: blinding}}, 1)
}

// editSlots encrypts the flows' slots after edit changes those of each
// of their groups (o is the group's first slot).
func editSlots(edit func(slots []uint64, o, size, blinding, groups int)) func(*he.Forger, map[int]he.Flow) (*he.Ciphertext, error) {
	return func(f *he.Forger, flows map[int]he.Flow) (*he.Ciphertext, error) {
		slots, err := f.Slots(flows)
		if err != nil {
			return nil, err
		}
		size, blinding, groups := f.Layout()
		for g := range flows {
			edit(slots, g*size, size, blinding, groups)
		}
		return f.EncryptSlots(slots)
	}
}

// flood encrypts the flows honestly, then adds x to every coefficient of c0.
func flood(x int64) func(*he.Forger, map[int]he.Flow) (*he.Ciphertext, error) {
	return func(f *he.Forger, flows map[int]he.Flow) (*he.Ciphertext, error) {
		ct, err := f.EncryptSlots(must(f.Slots(flows)))
		if err != nil {
			return nil, err
		}
		return f.AddNoise(ct, x), nil
	}
}

// eachFlow applies change to the flow in every group.
func eachFlow(flows map[int]he.Flow, change func(*he.Flow)) map[int]he.Flow {
	out := map[int]he.Flow{}
	for g, fl := range flows {
		change(&fl)
		out[g] = fl
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// auditBench is a fixture whose transactions the audit can read.
type auditBench struct {
	*fixture
	src *appSource
	sk  *he.SecretKey
	pk  *he.PublicKey
}

func newAuditBench(t *testing.T) *auditBench {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	return &auditBench{fixture: f, src: &appSource{f: f, txs: map[ledger.TxID][]byte{}}, sk: sk, pk: pk}
}

// pay sends a transfer from bank-a to bank-b, its flow sealed by sealer
// (nil: honestly), in its own block, and wants it committed.
func (b *auditBench) pay(t *testing.T, amount uint64, sealer party.FlowSealer) ledger.TxID {
	t.Helper()
	honest := b.flows
	if sealer != nil {
		b.flows = sealer
	}
	tx, amt := b.transfer(b.a, b.b, amount)
	b.flows = honest
	b.commit(t, tx)
	b.a.spend(amt)
	return tx.ID()
}

// mint issues amount USD to bank-b, its flow sealed by sealer (nil: honestly).
func (b *auditBench) mint(t *testing.T, amount uint64, sealer party.FlowSealer) ledger.TxID {
	t.Helper()
	if sealer == nil {
		sealer = b.flows
	}
	tx := b.fixture.mint(b.b, amount, sealer)
	b.commit(t, tx)
	return tx.ID()
}

func (b *auditBench) commit(t *testing.T, tx *ledger.Tx) {
	t.Helper()
	if res := b.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("block: code %d: %s", res.TxResults[0].Code, res.TxResults[0].Log)
	}
	b.src.txs[tx.ID()] = tx.Encode()
}

func (b *auditBench) run(t *testing.T) *audit.Report {
	t.Helper()
	rep, err := audit.New(b.src, b.sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatalf("the audit aborts: %v", err)
	}
	checkNamed(t, rep)
	return rep
}

// checkNamed is the audit's invariant: every aggregate that does not check,
// or is noisier than honest flows can make it, ends with a name, and so
// does every failed figure.
func checkNamed(t *testing.T, rep *audit.Report) {
	t.Helper()
	named := map[string]bool{}
	for _, c := range rep.Culprits {
		named[c.Aggregate] = true
		if c.Reason == "" {
			t.Errorf("culprit %+v without a reason", c)
		}
	}
	for _, a := range rep.Aggregates {
		if (!a.Consistent || a.Noisy) && !named[a.Key] {
			t.Errorf("aggregate %s does not check (noisy %v) and names nobody", a.Key, a.Noisy)
		}
	}
	for _, f := range rep.Failures {
		if len(f.Culprits) == 0 {
			t.Errorf("failed figure %s names nobody: %s", f.Figure, f.Reason)
		}
	}
	if rep.Consistent != (len(rep.Culprits) == 0 && len(rep.Failures) == 0) {
		t.Errorf("consistent %v with %d culprits and %d failures", rep.Consistent, len(rep.Culprits), len(rep.Failures))
	}
}

// checkCulprits wants every culprit to be cheat, from bank-a, for reason,
// in want aggregates.
func checkCulprits(t *testing.T, rep *audit.Report, cheat ledger.TxID, sender, reason string, want int) {
	t.Helper()
	if rep.Consistent || len(rep.Culprits) != want {
		t.Fatalf("consistent %v, culprits %+v; want %d", rep.Consistent, rep.Culprits, want)
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.String() || c.Sender != sender || !strings.Contains(c.Reason, reason) {
			t.Fatalf("culprit %+v, want %s from %s for %q", c, cheat, sender, reason)
		}
	}
}

// transferKeys are the aggregates a transfer from bank-a to bank-b enters.
var transferKeys = []string{"out/USD/bank-a", "in/USD/bank-b", "corridor/USD/SG-HK", "currency/USD/transfers"}

// TestAuditFloodedFlowIsNamed: transfers whose flows are right but flooded
// with noise to just under the decryption bound decrypt exactly alone, yet
// two of them wrap every aggregate they enter around Q, which then decrypts
// to garbage. The audit names both in each, for their noise, and the
// regulator can still close the epoch: the aggregates' sums are recovered
// from their flows, and the next audit is clean.
func TestAuditFloodedFlowIsNamed(t *testing.T) {
	b := newAuditBench(t)
	x := int64(b.pk.Params().MaxNoise()) - 100
	sealer := forgedSealer{he.NewForger(b.pk), flood(x)}
	b.pay(t, 500, nil)
	cheats := map[string]bool{b.pay(t, 300, sealer).String(): true}
	b.pay(t, 1250, nil)
	cheats[b.pay(t, 700, sealer).String()] = true
	b.pay(t, 40, nil)
	rep := b.run(t)
	for _, a := range rep.Aggregates {
		if slices.Contains(transferKeys, a.Key) && a.Consistent {
			t.Fatalf("aggregate %s checks, though two flooded flows wrap it", a.Key)
		}
	}
	if rep.Consistent || len(rep.Culprits) != 10 {
		t.Fatalf("culprits %+v, want both transfers in each of the book's 5 aggregates (noise is the book's)", rep.Culprits)
	}
	for _, c := range rep.Culprits {
		if !cheats[c.TxID] || c.Sender != "bank-a" || !strings.Contains(c.Reason, "noise") ||
			strings.Contains(c.Reason, "another amount") || strings.Contains(c.Reason, "limbs") {
			t.Fatalf("culprit %+v: want a flooded transfer, named for its noise alone", c)
		}
	}
	aud := audit.New(b.src, b.sk, audit.DefaultFXRates())
	for id := range cheats {
		txid, _ := ledger.ParseTxID(id)
		if c, err := aud.CheckFlow(context.Background(), txid); err != nil || c == nil || !strings.Contains(c.Reason, "noise") {
			t.Fatalf("CheckFlow: %+v, %v", c, err)
		}
	}
	closeTx := b.closeTx(t, aud, transferKeys...)
	if res := b.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("epoch close: %s", res.TxResults[0].Log)
	}
	b.pay(t, 60, nil)
	rep = b.run(t)
	if !rep.Consistent || rep.Positions["bank-b"]["USD"] != "28.50" || rep.USDTotal != "1000.00" {
		t.Fatalf("after the close: %+v", rep)
	}
}

// TestAuditFXNoiseIsNamed: an issuer's mint whose flow carries noise 2^25
// leaves every aggregate consistent, but the USD rate multiplies that
// noise past the decryption bound in the FX-weighted total. The audit
// still returns its report: the USD total is a failure naming the mint,
// the rest stands; after an epoch close the USD total is back.
func TestAuditFXNoiseIsNamed(t *testing.T) {
	b := newAuditBench(t)
	b.pay(t, 500, nil)
	cheat := b.mint(t, 5000, forgedSealer{he.NewForger(b.pk), flood(1 << 25)})
	rep := b.run(t)
	for _, a := range rep.Aggregates {
		if !a.Consistent {
			t.Fatalf("aggregate %s does not check; 2^25 of noise should only break the FX total", a.Key)
		}
		if !a.Noisy { // noise is the book's: every aggregate of it shows it
			t.Fatalf("aggregate %s noisy %v", a.Key, a.Noisy)
		}
	}
	checkCulprits(t, rep, cheat, "issuer-usd", "noise", len(rep.Aggregates))
	if rep.USDTotal != "" || len(rep.Failures) != 1 || rep.Failures[0].Figure != "usd_total" {
		t.Fatalf("USD total %q, failures %+v", rep.USDTotal, rep.Failures)
	}
	for _, c := range rep.Failures[0].Culprits {
		if c.TxID != cheat.String() {
			t.Fatalf("the USD total's failure names %+v, want the mint %s", c, cheat)
		}
	}
	if rep.Totals["USD"] != "1050.00" || rep.Positions["bank-b"]["USD"] != "55.00" || rep.Positions["bank-a"]["USD"] != "-5.00" {
		t.Fatalf("the rest of the report: totals %v, positions %v", rep.Totals, rep.Positions)
	}
	aud := audit.New(b.src, b.sk, audit.DefaultFXRates())
	closeTx := b.closeTx(t, aud, "currency/USD/minted", "in/USD/bank-b")
	if res := b.block(closeTx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
		t.Fatalf("epoch close: %s", res.TxResults[0].Log)
	}
	if rep = b.run(t); !rep.Consistent || rep.USDTotal != "1050.00" {
		t.Fatalf("after the close: USD total %q, %+v", rep.USDTotal, rep)
	}
}

// TestAuditNamesEachAttack sends, between honest transfers, one transfer
// whose flow is each attack a sender can make without the key, and wants
// the audit to name it, for its reason, in every aggregate it enters.
func TestAuditNamesEachAttack(t *testing.T) {
	// A wrong value breaks the transfer's 4 aggregates; limbs out of
	// bounds and noise break the whole book (its 5 aggregates here).
	cases := []struct {
		name, reason string
		forge        func(*he.Forger, map[int]he.Flow) (*he.Ciphertext, error)
		want         int
	}{
		{"wrong value", "another amount", func(f *he.Forger, fls map[int]he.Flow) (*he.Ciphertext, error) {
			return f.EncryptSlots(must(f.Slots(eachFlow(fls, func(fl *he.Flow) { fl.Amount++ }))))
		}, 4},
		{"wrong blinding", "another amount or blinding", func(f *he.Forger, fls map[int]he.Flow) (*he.Ciphertext, error) {
			return f.EncryptSlots(must(f.Slots(eachFlow(fls, func(fl *he.Flow) { fl.Blinding = new(big.Int).Add(fl.Blinding, big.NewInt(1)) }))))
		}, 4},
		// Blinding limbs that still add up to the blinding, one of them far
		// above its bound: the sum is right, every aggregate overflows.
		{"blinding limbs out of bounds", "limbs above their bounds", editSlots(func(s []uint64, o, size, blinding, groups int) {
			const k = 1 << 21
			tm := he.DefaultParams().PlaintextModulus()
			_, pk := heKeys()
			_, width := he.NewForger(pk).LimbBits()
			s[o+blinding] += k << width
			s[o+blinding+1] = (s[o+blinding+1] + tm - k) % tm
		}), 5},
		// The amount's limbs in the slots past the last group.
		{"value outside every slot group", "outside every slot group", editSlots(func(s []uint64, o, size, blinding, groups int) {
			copy(s[size*groups:], s[o:o+blinding])
			clear(s[o : o+blinding])
		}), 5},
		{"noise near the decryption bound", "noise", flood(int64(he.DefaultParams().MaxNoise()) - 100), 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newAuditBench(t)
			b.pay(t, 500, nil)
			cheat := b.pay(t, 300, forgedSealer{he.NewForger(b.pk), tc.forge})
			b.pay(t, 40, nil)
			rep := b.run(t)
			checkCulprits(t, rep, cheat, "bank-a", tc.reason, tc.want)
		})
	}

	// A right flow in another aggregate's slot group of the book (here the
	// receiver's in moved to funded's group 0): both aggregates fail, and
	// bisection over the book names the flow in each; so does CheckFlow.
	t.Run("value in another slot group", func(t *testing.T) {
		b := newAuditBench(t)
		in := b.layout(usd)
		gIn, _ := in.Group("in/USD/bank-b")
		misplaced := b.pay(t, 300, forgedSealer{he.NewForger(b.pk), func(f *he.Forger, fls map[int]he.Flow) (*he.Ciphertext, error) {
			fls[ledger.FlowGroup] = fls[gIn]
			delete(fls, gIn)
			return f.EncryptSlots(must(f.Slots(fls)))
		}})
		b.pay(t, 40, nil)
		checkCulprits(t, b.run(t), misplaced, "bank-a", "slot group", 2)
		c, err := audit.New(b.src, b.sk, audit.DefaultFXRates()).CheckFlow(context.Background(), misplaced)
		if err != nil || c == nil || !strings.Contains(c.Reason, "slot group 0") || c.Sender != "bank-a" {
			t.Fatalf("CheckFlow: %+v, %v", c, err)
		}
	})

	// A noiseless ciphertext (c1 = 0) decrypts exactly and anyone can read
	// it: validators refuse it before it enters an aggregate.
	t.Run("noiseless ciphertext", func(t *testing.T) {
		b := newAuditBench(t)
		b.flows = forgedSealer{he.NewForger(b.pk), func(f *he.Forger, fls map[int]he.Flow) (*he.Ciphertext, error) {
			return f.Trivial(must(f.Slots(fls)))
		}}
		tx, _ := b.transfer(b.a, b.b, 300)
		before := b.snapshot()
		if res := b.checkTx(tx.Encode()); res.Code != ledger.CodeFlowDegenerate {
			t.Fatalf("CheckTx: code %d (%s), want %d", res.Code, res.Log, ledger.CodeFlowDegenerate)
		}
		if res := b.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeFlowDegenerate || b.snapshot() != before {
			t.Fatalf("FinalizeBlock: code %d", res.TxResults[0].Code)
		}
	})
}

// tamperedSource serves one aggregate that is not the sum of its flows.
type tamperedSource struct {
	*appSource
	key string
}

func (s tamperedSource) Aggregate(ctx context.Context, key string) (ledger.AggregateInfo, error) {
	info, err := s.appSource.Aggregate(ctx, key)
	if key == s.key {
		info.Ciphertext, _ = he.Zero(he.DefaultParams()).MarshalBinary()
	}
	return info, err
}

// TestAuditNamesLedger: when every flow of an aggregate checks but the
// aggregate the ledger serves does not, the ledger is named.
func TestAuditNamesLedger(t *testing.T) {
	b := newAuditBench(t)
	b.pay(t, 500, nil)
	b.pay(t, 40, nil)
	rep, err := audit.New(tamperedSource{b.src, "corridor/USD/SG-HK"}, b.sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkNamed(t, rep)
	if len(rep.Culprits) != 1 || rep.Culprits[0].Sender != "ledger" || rep.Culprits[0].Aggregate != "corridor/USD/SG-HK" {
		t.Fatalf("culprits %+v", rep.Culprits)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Figure != "corridor/USD/SG-HK" || rep.USDTotal != "1000.00" {
		t.Fatalf("failures %+v, USD total %q", rep.Failures, rep.USDTotal)
	}
}

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp"
)

// aggSource serves aggregates only (whole-aggregate targets need no
// transactions).
type aggSource map[string]ledger.AggregateInfo

func (s aggSource) Aggregates(context.Context) ([]ledger.AggregateInfo, error) { return nil, nil }
func (s aggSource) Aggregate(_ context.Context, k string) (ledger.AggregateInfo, error) {
	a, ok := s[k]
	if !ok {
		return a, errors.New("not found")
	}
	return a, nil
}
func (s aggSource) RawTx(context.Context, ledger.TxID) ([]byte, error) {
	return nil, errors.New("not found")
}
func (s aggSource) Genesis(context.Context) (*ledger.Genesis, error) { return &ledger.Genesis{}, nil }

// TestRegulatorServe: three regulator endpoints decrypt an aggregate
// exactly through 'sable audit”s opener, masking a group of one payment
// in its book (the commit and reveal rounds go through the endpoints too,
// and an endpoint reveals only given every commitment); a book of
// one payment opens wholly masked; two endpoints make no opener; the homes
// keep their secrets 0600 and no file holds a whole key.
func TestRegulatorServe(t *testing.T) {
	dir := t.TempDir()
	pk, homes, err := audit.WriteRegulators(dir, []string{"SG", "HK", "US", "TH"}, 3, audit.DefaultMinFlows)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range homes {
		for _, f := range []string{"he.share", "approval.key"} {
			st, err := os.Stat(filepath.Join(h, f))
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s/%s: %v %v", h, f, st.Mode(), err)
			}
		}
		if _, err := os.Stat(filepath.Join(h, "he.sk")); err == nil {
			t.Fatalf("%s holds a whole secret key", h)
		}
	}
	enc, ev := he.NewEncryptor(pk), he.NewEvaluator(pk.Params())
	src := aggSource{}
	var want uint64
	for key, n := range map[string]int{"in/USD/bank-hk": 3, "in/USD/bank-th": 1} {
		agg, com := he.Zero(pk.Params()), zkp.ZeroCommitment()
		info := ledger.AggregateInfo{Key: key}
		for i := range n {
			amt, r := uint64(1000+i), big.NewInt(int64(7+i))
			ct, err := enc.Encrypt(map[int]he.Flow{ledger.FlowGroup: {Amount: amt, Blinding: r}})
			if err != nil {
				t.Fatal(err)
			}
			_ = ev.Add(agg, ct)
			com = com.Add(zkp.Commit(amt, r))
			info.Txs = append(info.Txs, strings.Repeat("0", 63)+string(rune('1'+i)))
			if n == 3 {
				want += amt
			}
		}
		info.Ciphertext, _ = agg.MarshalBinary()
		info.Commitment = com.String()
		// each its own book; bank-hk's has a second group of one payment
		info.Payments, info.BookPayments = uint64(n), []uint64{uint64(n)}
		if n == 3 {
			info.BookPayments = append(info.BookPayments, 1)
		}
		src[key] = info
	}
	var urls []string
	for _, home := range homes[1:] {
		h, err := audit.LoadRegulatorHome(home)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(regulatorHandler(h, h.Regulator(src)))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	ctx := context.Background()
	if _, _, err := regulatorsOpener(ctx, strings.Join(urls[:2], ","), src); !errors.Is(err, he.ErrThreshold) {
		t.Fatalf("two endpoints: %v", err)
	}
	op, _, err := regulatorsOpener(ctx, strings.Join(urls, ","), src)
	if err != nil {
		t.Fatal(err)
	}
	open := func(key string) (audit.Opening, error) {
		ct := he.Zero(pk.Params())
		if err := ct.UnmarshalBinary(src[key].Ciphertext); err != nil {
			t.Fatal(err)
		}
		return op.Open(ctx, audit.Target{Run: "r", Aggregate: key, Parts: []audit.Part{{Aggregate: key}}}, ct)
	}
	got, err := open("in/USD/bank-hk")
	if err != nil || got.Err != nil {
		t.Fatalf("three endpoints: %v %v", err, got.Err)
	}
	if total := got.Sums[ledger.FlowGroup].Amount; total == nil || total.Uint64() != want || !slices.Equal(got.Masked, []int{1}) {
		t.Fatalf("decrypted %v masked %v, want %d masked [1]", total, got.Masked, want)
	}
	// A book of one payment opens masked whole: nothing of it is read.
	if got, err = open("in/USD/bank-th"); err != nil || got.Err != nil || !slices.Equal(got.Masked, []int{0}) || got.Sums[0].Amount != nil {
		t.Fatalf("a single-flow book: %v %v masked %v", err, got.Err, got.Masked)
	}
	// A mixed list: one home, two endpoints.
	if _, _, err := regulatorsOpener(ctx, homes[0]+","+strings.Join(urls[:2], ","), src); err != nil {
		t.Fatalf("a home and two endpoints: %v", err)
	}
	// An endpoint reveals its mask only given every active party's
	// commitment: its own alone is refused (403, ErrRefused).
	var rh [3]*remoteHolder
	for i, u := range urls {
		if rh[i], err = dialRegulator(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	active := []int{rh[0].Index(), rh[1].Index(), rh[2].Index()}
	tg := audit.Target{Run: "r2", Aggregate: "in/USD/bank-th", Parts: []audit.Part{{Aggregate: "in/USD/bank-th"}}}
	c, err := rh[0].Commit(ctx, audit.MaskRequest{Target: tg, Active: active})
	if err != nil || len(c.Commit) != 32 || c.Party != active[0] {
		t.Fatalf("commit through an endpoint: %+v %v", c, err)
	}
	if m, err := rh[0].Reveal(ctx, audit.RevealRequest{Target: tg, Active: active, Commitments: []audit.MaskCommitment{*c}}); !errors.Is(err, audit.ErrRefused) {
		t.Fatalf("a reveal with one of three commitments: %v %v", m, err)
	}
}

func TestRegulatorCLIErrors(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"regulator", "serve"}, "--home and --node are required"},
		{[]string{"regulator", "serve", "--home", t.TempDir(), "--node", "http://127.0.0.1:1", "--addr", "0.0.0.0:0"}, "not a loopback"},
		{[]string{"regulator", "serve", "--home", t.TempDir(), "--node", "http://127.0.0.1:1"}, "regulator home"},
		{[]string{"audit", "--node", "http://127.0.0.1:1", "--regulators", t.TempDir()}, "--regulators"},
	} {
		code, _, errs := runSable(tc.args...)
		if code != 1 || !strings.HasPrefix(errs, "sable: error: ") || !strings.Contains(errs, tc.mention) || strings.Contains(errs, "goroutine") {
			t.Errorf("sable %s: exit %d, stderr %q; want exit 1 mentioning %q", strings.Join(tc.args, " "), code, errs, tc.mention)
		}
	}
}

// TestTestnetRegulators: 'sable testnet --regulators' writes one home per
// jurisdiction, no whole secret key anywhere, and the genesis carries the
// collective key every home holds.
func TestTestnetRegulators(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	code, out, errs := runSable("testnet", "--validators", "1", "--keys", keysDir, "--out", dir, "--base-port", "32500", "--regulators", "SG,HK,US,TH", "--threshold", "3")
	if code != 0 {
		t.Fatalf("testnet: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "regulators/TH: a share of the 3-of-4 HE key") {
		t.Fatalf("output:\n%s", out)
	}
	_ = filepath.Walk(dir, func(path string, _ os.FileInfo, _ error) error {
		if filepath.Base(path) == "he.sk" {
			t.Errorf("%s holds a whole secret key", path)
		}
		return nil
	})
	raw, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var app struct {
		Parties   int `json:"he_parties"`
		Threshold int `json:"he_threshold"`
	}
	if err := json.Unmarshal(raw, &struct {
		AppState any `json:"app_state"`
	}{&app}); err != nil || app.Parties != 4 || app.Threshold != 3 {
		t.Fatalf("the genesis says the key is shared %d-of-%d (%v), want 3-of-4", app.Threshold, app.Parties, err)
	}
	for _, j := range []string{"SG", "HK", "US", "TH"} {
		h, err := audit.LoadRegulatorHome(filepath.Join(dir, "regulators", j))
		if err != nil {
			t.Fatal(err)
		}
		pkb, _ := h.PublicKey.MarshalBinary()
		if !strings.Contains(string(raw), hex.EncodeToString(pkb)) {
			t.Fatalf("the genesis does not carry %s's collective key", j)
		}
	}
	code, _, errs = runSable("testnet", "--validators", "1", "--out", filepath.Join(t.TempDir(), "x"), "--regulators", "SG,HK", "--threshold", "3")
	if code != 1 || !strings.Contains(errs, "threshold from 2 to 2") {
		t.Fatalf("a threshold above the parties: exit %d, %q", code, errs)
	}
}

// cheatSealer encrypts one more minor unit than each payment.
type cheatSealer struct{ honest *party.HESealer }

func (c cheatSealer) SealFlow(amount uint64, blinding *big.Int) ([]byte, error) {
	return c.honest.SealFlow(amount+1, blinding)
}

func (c cheatSealer) SealBook(sums map[int]he.GroupSum, payments uint64) ([]byte, error) {
	out := map[int]he.GroupSum{}
	for g, s := range sums {
		out[g] = he.GroupSum{Amount: new(big.Int).Add(s.Amount, big.NewInt(1)), Blinding: s.Blinding}
	}
	return c.honest.SealBook(out, payments)
}

// TestRegulatorRotate: on a network of one validator with SG, HK, US and
// TH sharing the key 3-of-4, banks pay, the parties rotate to a 2-of-4 key
// ('sable regulator rotate': every home gets he.share.1, 0600), banks pay
// under the new key, and the audit through two parties checks every
// aggregate over both epochs; a cheating sender after the rotation is
// named; one party of the new key audits nothing alone.
func TestRegulatorRotate(t *testing.T) {
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "1000", TimeoutCommit: 100 * time.Millisecond, KeysFrom: keysDir,
		Regulators: []string{"SG", "HK", "US", "TH"}, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(context.Background(), l.Validators[0].Home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	c, err := client.Dial(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := localnet.WaitHeight(c, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	rpc := n.RPCAddr()
	bank := func(id string) string {
		for _, b := range l.Banks {
			if b.ID == id {
				return b.Home
			}
		}
		t.Fatalf("no bank %s", id)
		return ""
	}
	pay := func(amount string) {
		t.Helper()
		if r := sable(t, "transfer", "--home", bank("bank-sg"), "--node", rpc, "--to", "bank-hk", "--currency", "SGD", "--amount", amount, "--wait"); r.code != 0 {
			t.Fatalf("transfer: exit %d %s", r.code, r.stderr)
		}
	}
	pay("10")
	pay("20")
	homes := strings.Join(l.Regulators, ",")
	start := time.Now()
	r := sable(t, "regulator", "rotate", "--node", rpc, "--regulators", homes, "--threshold", "2", "--keys", l.Regulator.Home)
	if r.code != 0 || !strings.Contains(r.stdout, "key epoch 1: a 2-of-4 key") {
		t.Fatalf("rotate: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("rotation: %v\n%s", time.Since(start), r.stdout)
	for _, h := range l.Regulators {
		st, err := os.Stat(filepath.Join(h, "he.share.1"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s/he.share.1: %v", h, err)
		}
	}
	ep, err := c.Epoch(context.Background())
	if err != nil || ep.Epoch != 1 || ep.Parties != 4 || ep.Threshold != 2 {
		t.Fatalf("epoch after the rotation: %+v %v", ep, err)
	}
	pay("5")
	pay("7.25")
	two := strings.Join(l.Regulators[2:], ",") // US and TH: any two of the new key
	r = sable(t, "audit", "--node", rpc, "--regulators", two, "--json")
	var rep audit.Report
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rep) != nil || !rep.Consistent {
		t.Fatalf("audit across both epochs: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	found := false
	for _, a := range rep.Aggregates {
		if a.Key == "out/SGD/bank-sg" {
			found = a.Amount == "42.25" && a.Consistent
		}
	}
	if !found || rep.USDTotal == "" {
		t.Fatalf("audit: out/SGD/bank-sg should hold 42.25 over both epochs, with a USD total: %s", r.stdout)
	}
	// One party of the new key does not audit alone.
	if r := sable(t, "audit", "--node", rpc, "--regulators", l.Regulators[0], "--json"); r.code == 0 || !strings.Contains(r.stderr, "the key needs 2") {
		t.Fatalf("one party of a 2-of-4 key: exit %d %s", r.code, r.stderr)
	}

	// A cheater after the rotation, under the new key, is named.
	s, err := party.Open(bank("bank-sg"), rpc)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ep.Key()
	if err != nil {
		t.Fatal(err)
	}
	s.Sender.Flows = cheatSealer{party.NewHESealer(pk)}
	cur, _ := ledger.ParseCurrency("SGD")
	for range 2 { // two, so that every group the cheat enters holds k = 2 payments since the close
		id, err := s.Sender.Transfer(context.Background(), party.TransferRequest{To: "bank-hk", Currency: cur, Amount: 300})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitCommitted(context.Background(), id, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	r = sable(t, "audit", "--node", rpc, "--regulators", two, "--json")
	if r.code != 1 || json.Unmarshal([]byte(r.stdout), &rep) != nil || len(rep.Culprits) == 0 {
		t.Fatalf("audit after a cheat: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	named := false
	for _, cu := range rep.Culprits {
		named = named || cu.Sender == "bank-sg" && cu.TxID != ""
	}
	if !named {
		t.Fatalf("the cheater is not named: %+v", rep.Culprits)
	}
}

package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// fxNetwork is one validator in the test's process on a testnet whose
// banks hold 10,000,000 of every currency.
func fxNetwork(t *testing.T) (*testnet.Layout, *client.Client) {
	t.Helper()
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "10000000", TimeoutCommit: 100 * time.Millisecond, KeysFrom: keysDir})
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
	return l, c
}

// fxExchange swaps amount of quote id through the three files in dir:
// payer requests (leg B to to), provider fills, payer submits and waits.
func fxExchange(t *testing.T, dir string, payer, provider, to testnet.Party, id, amount string) {
	t.Helper()
	req, filled := dir+"-request.json", dir+"-filled.json"
	for _, args := range [][]string{
		{"fx", "request", "--home", payer.Home, "--quote", id, "--amount", amount, "--to", to.ID, "--out", req},
		{"fx", "fill", "--home", provider.Home, "--in", req, "--out", filled},
		{"fx", "submit", "--home", payer.Home, "--in", filled, "--wait"},
	} {
		if r := sable(t, args...); r.code != 0 {
			t.Fatalf("%s %s: exit %d %q", args[0], args[1], r.code, r.stderr)
		}
	}
}

// TestFXCommands: a provider quotes USD/SGD at 1.3402 with a max of SGD
// 5,000,000 (its liquidity proved), the quote is listed, and a payer swaps
// USD 1,000.00 for SGD 1,340.20 paid to a third bank through the three
// files; each bank's balance moves by its leg only, once, and a second
// submission of the same swap pays nothing.
func TestFXCommands(t *testing.T) {
	l, _ := fxNetwork(t)
	sg, hk, us := l.Banks[0], l.Banks[1], l.Banks[2]

	r := sable(t, "fx", "quote", "--home", hk.Home, "--pair", "USD/SGD", "--rate", "1.3402", "--max", "5000000", "--valid-blocks", "600", "--wait")
	if r.code != 0 {
		t.Fatalf("fx quote: exit %d %q", r.code, r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	r = sable(t, "fx", "quotes", "--home", sg.Home, "--json")
	var qs []ledger.QuoteInfo
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &qs) != nil {
		t.Fatalf("fx quotes: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if len(qs) != 1 || qs[0].ID != id || qs[0].Provider != hk.ID || qs[0].Pair != "USD/SGD" || qs[0].Rate != 134_020_000 ||
		qs[0].RateText != "1.3402" || qs[0].Max != 500_000_000 || !qs[0].Live {
		t.Fatalf("quotes %+v", qs)
	}

	dir := t.TempDir()
	req, filled := filepath.Join(dir, "req.json"), filepath.Join(dir, "filled.json")
	if r := sable(t, "fx", "request", "--home", sg.Home, "--quote", id, "--amount", "1000", "--to", us.ID, "--out", req); r.code != 0 {
		t.Fatalf("fx request: exit %d %q", r.code, r.stderr)
	} else if !strings.Contains(r.stderr, "SGD 1340.20") {
		t.Fatalf("fx request does not say what is delivered: %q", r.stderr)
	}
	if st, err := os.Stat(req); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("request file: %v, mode %v", err, st.Mode())
	}
	var fields map[string]any
	if raw, _ := os.ReadFile(req); json.Unmarshal(raw, &fields) != nil || len(fields) != 4 || fields["tx"] == nil || fields["quote"] != id {
		t.Fatalf("the request file holds %v, want only chain_id, quote, step and the transaction", fields)
	}
	wantError(t, sable(t, "fx", "fill", "--home", sg.Home, "--in", req, "--out", filled), 1, "not this party's")
	if r := sable(t, "fx", "fill", "--home", hk.Home, "--in", req, "--out", filled); r.code != 0 {
		t.Fatalf("fx fill: exit %d %q", r.code, r.stderr)
	}
	wantError(t, sable(t, "fx", "submit", "--home", sg.Home, "--in", req), 1, "request file, not a filled one")
	r = sable(t, "fx", "submit", "--home", sg.Home, "--in", filled, "--wait")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("fx submit: exit %d %q", r.code, r.stderr)
	}
	wantError(t, sable(t, "fx", "submit", "--home", sg.Home, "--in", filled), 1, "stale")

	// A fill the payer never submits: once the payer's nonce is taken by
	// another transaction, the provider's wallet forgets it, and its next
	// fill is proved against its whole balance again (else code 14).
	abandoned, filled2 := filepath.Join(dir, "abandoned.json"), filepath.Join(dir, "abandoned-filled.json")
	if r := sable(t, "fx", "request", "--home", sg.Home, "--quote", id, "--amount", "10", "--to", us.ID, "--out", abandoned); r.code != 0 {
		t.Fatalf("fx request: %q", r.stderr)
	}
	if r := sable(t, "fx", "fill", "--home", hk.Home, "--in", abandoned, "--out", filled2); r.code != 0 {
		t.Fatalf("fx fill: %q", r.stderr)
	}
	if r := sable(t, "transfer", "--home", sg.Home, "--to", us.ID, "--currency", "USD", "--amount", "1", "--wait"); r.code != 0 {
		t.Fatalf("transfer: %q", r.stderr)
	}
	fxExchange(t, filepath.Join(dir, "after-abandoned"), sg, hk, us, id, "20")

	for _, p := range []testnet.Party{hk, us} {
		if r := sable(t, "wallet", "sync", "--home", p.Home); r.code != 0 {
			t.Fatalf("%s: wallet sync: %q", p.ID, r.stderr)
		}
	}
	for _, c := range []struct {
		home, cur, want string
	}{
		{sg.Home, "USD", "9998979.00"}, {sg.Home, "SGD", "10000000.00"}, // 1,000 + 20 swapped, 1 paid
		{hk.Home, "USD", "10001020.00"}, {hk.Home, "SGD", "9998633.00"}, // 1,340.20 + 26.80 delivered
		{us.Home, "SGD", "10001367.00"}, {us.Home, "USD", "10000001.00"},
	} {
		if got := balances(t, c.home)[c.cur]; got != c.want {
			t.Errorf("%s %s %s, want %s", filepath.Base(c.home), c.cur, got, c.want)
		}
	}
	// The payer's wallet, lost, is rebuilt from the ledger: its swaps' self-memos give leg A.
	before := balances(t, sg.Home)
	if err := os.RemoveAll(party.WalletDir(sg.Home)); err != nil {
		t.Fatal(err)
	}
	if r := sable(t, "wallet", "recover", "--home", sg.Home); r.code != 0 {
		t.Fatalf("wallet recover of a payer with swaps: exit %d %q", r.code, r.stderr)
	}
	if after := balances(t, sg.Home); !reflect.DeepEqual(after, before) {
		t.Fatalf("balances after recover %v, before %v", after, before)
	}

	r = sable(t, "fx", "quotes", "--home", sg.Home, "--json")
	if json.Unmarshal([]byte(r.stdout), &qs) != nil || len(qs) != 1 || qs[0].Fills != 2 {
		t.Fatalf("quote after one fill %+v", qs)
	}

	// The provider's wallet, lost, is rebuilt as well: leg A from its
	// incoming payments, leg B and the quote's band from the swaps' provider
	// memos. Its next fill of the quote and its next transfer commit.
	before = balances(t, hk.Home)
	if err := os.RemoveAll(party.WalletDir(hk.Home)); err != nil {
		t.Fatal(err)
	}
	if r := sable(t, "wallet", "recover", "--home", hk.Home); r.code != 0 || !strings.Contains(r.stdout, "2 swaps filled as FX provider, 1 live quote bands") {
		t.Fatalf("wallet recover of a provider: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if after := balances(t, hk.Home); !reflect.DeepEqual(after, before) {
		t.Fatalf("provider's balances after recover %v, before %v", after, before)
	}
	fxExchange(t, filepath.Join(dir, "after-recover"), sg, hk, us, id, "30") // filled by the recovered provider
	if r := sable(t, "wallet", "sync", "--home", hk.Home); r.code != 0 {
		t.Fatalf("wallet sync: %q", r.stderr)
	}
	if r := sable(t, "transfer", "--home", hk.Home, "--to", us.ID, "--currency", "SGD", "--amount", "1", "--wait"); r.code != 0 {
		t.Fatalf("transfer by the recovered provider: exit %d %q", r.code, r.stderr)
	}
	if got := balances(t, hk.Home)["SGD"]; got != "9998591.80" { // 40.20 delivered (USD 30 at 1.3402), 1 paid
		t.Fatalf("provider SGD %s after the fill and the transfer, want 9998591.80", got)
	}
}

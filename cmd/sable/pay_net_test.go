package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// TestPayOnNetwork pays through real quotes and swaps on a one-validator
// network where every bank holds 1000.00 of every currency: a split across
// two providers, then a two-hop payment (THB → USD → HKD), each chosen by
// the router, committed, and seen in the banks' balances.
func TestPayOnNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a network")
	}
	l, c := network(t)
	ctx := context.Background()
	banks := filepath.Dir(l.Banks[0].Home)
	home := func(id string) string { return filepath.Join(banks, id) }
	cur := func(s string) ledger.Currency { v, _ := ledger.ParseCurrency(s); return v }
	quote := func(provider, sell, buy, rate, max string) {
		t.Helper()
		s, err := party.Open(home(provider), "")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, err := ledger.ParseRate(cur(sell), cur(buy), rate)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := ledger.ParseAmount(cur(buy), max)
		id, err := s.Sender.Quote(ctx, party.QuoteRequest{Sell: cur(sell), Buy: cur(buy), Rate: r, Min: 1, Max: m, ValidBlocks: 600})
		if err != nil {
			t.Fatalf("%s quotes %s/%s: %v", provider, sell, buy, err)
		}
		if o, err := c.WaitCommitted(ctx, id, 60*time.Second); err != nil || o.State != "committed" {
			t.Fatalf("quote %s/%s: %+v %v", sell, buy, o, err)
		}
	}
	// Rates in major units: 1 SGD buys 0.744 USD at bank-us (band USD 300),
	// 0.74 at bank-hk; 1 THB buys 0.029 USD; 1 USD buys 7.8 HKD.
	quote("bank-us", "SGD", "USD", "0.744", "300.00")
	quote("bank-hk", "SGD", "USD", "0.74", "900.00")
	quote("bank-us", "THB", "USD", "0.029", "900.00")
	quote("bank-hk", "USD", "HKD", "7.8", "900.00")

	// Split: USD 500.00 from SGD, bank-us's band first.
	r := sable(t, "pay", "--home", home("bank-sg"), "--to", "bank-th", "--deliver", "USD", "--amount", "500",
		"--from", "SGD", "--providers", banks, "--json")
	out := payJSON(t, r)
	if r.code != 0 || out.State != "delivered" || out.Route.Kind != "split" || len(out.Submitted) != 2 {
		t.Fatalf("split: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}
	legs := out.Route.Hops[0].Legs
	if legs[0].Provider != "bank-us" || legs[0].Receive != "300.00" || legs[0].Pay != "403.23" || legs[1].Receive != "200.00" || legs[1].Pay != "270.28" {
		t.Fatalf("split legs %+v: want bank-us's USD 300.00 for SGD 403.23 (⌈30000/0.744⌉), then bank-hk's USD 200.00 for SGD 270.28", legs)
	}

	// Two hops: HKD 100.00 from THB; no quote joins THB and HKD.
	r = sable(t, "pay", "--home", home("bank-th"), "--to", "bank-sg", "--deliver", "HKD", "--amount", "100",
		"--from", "THB", "--providers", banks, "--json")
	out = payJSON(t, r)
	if r.code != 0 || out.State != "delivered" || out.Route.Kind != "two-hop" || out.Route.Via != "USD" || len(out.Submitted) != 2 {
		t.Fatalf("two-hop: exit %d, %+v, stderr %q", r.code, out, r.stderr)
	}

	// Every leg landed: balances are available plus pending.
	sg, th := balances(t, home("bank-sg")), balances(t, home("bank-th"))
	if sg["SGD"] != "326.49" || sg["HKD"] != addMajor("1000.00", out.Route.Delivered) {
		t.Fatalf("bank-sg %v: want SGD 1000 − 673.51, HKD 1000 + %s", sg, out.Route.Delivered)
	}
	if th["USD"] != "1500.00" || th["THB"] != subMajor("1000.00", out.Route.Spend) {
		t.Fatalf("bank-th %v: want USD 1000 + 500 (the first hop's USD spent again), THB 1000 − %s", th, out.Route.Spend)
	}
}

// addMajor and subMajor add and subtract decimal amounts (HKD, THB: cents).
func addMajor(a, b string) string {
	c := ledger.Currency{'H', 'K', 'D'}
	x, _ := ledger.ParseAmount(c, a)
	y, _ := ledger.ParseAmount(c, b)
	return ledger.FormatAmount(c, x+y)
}

func subMajor(a, b string) string {
	c := ledger.Currency{'T', 'H', 'B'}
	x, _ := ledger.ParseAmount(c, a)
	y, _ := ledger.ParseAmount(c, b)
	return ledger.FormatAmount(c, x-y)
}

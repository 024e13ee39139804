package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/route"
)

// fakeLedger plays the ledger for 'sable pay': balances, quotes, and a
// record of every call in order; a swap can be made to fail.
type fakeLedger struct {
	balances map[ledger.Currency]uint64
	quotes   []route.Quote
	height   int64
	calls    []string
	swaps    int
	failSwap int   // the n-th swap (1-based) fails; 0: none; -1: every one
	failWith error // its error
	txs      int
}

func (f *fakeLedger) Self() string { return "bank-th" }
func (f *fakeLedger) Home() string { return "/homes/bank-th" }

func (f *fakeLedger) Balances(context.Context) (map[ledger.Currency]uint64, error) {
	return f.balances, nil
}

func (f *fakeLedger) Quotes(context.Context) ([]route.Quote, int64, error) {
	return f.quotes, f.height, nil
}

func (f *fakeLedger) tx() ledger.TxID {
	f.txs++
	return ledger.TxID{byte(f.txs)}
}

func (f *fakeLedger) Transfer(_ context.Context, to string, c ledger.Currency, amount uint64) (ledger.TxID, error) {
	f.calls = append(f.calls, fmt.Sprintf("transfer %s %s %d", to, c, amount))
	return f.tx(), nil
}

func (f *fakeLedger) Swap(_ context.Context, leg route.Leg, to string) (ledger.TxID, error) {
	f.swaps++
	if f.swaps == f.failSwap || f.failSwap < 0 {
		f.calls = append(f.calls, "swap failed")
		return ledger.TxID{}, f.failWith
	}
	f.calls = append(f.calls, fmt.Sprintf("swap %s pay %d → %s %d", leg.Quote.ID, leg.Pay, to, leg.Receive))
	return f.tx(), nil
}

func (f *fakeLedger) Commit(_ context.Context, id ledger.TxID) (int64, error) {
	f.calls = append(f.calls, fmt.Sprintf("commit %d", id[0]))
	return f.height + 1, nil
}

func (f *fakeLedger) Synced(context.Context) error {
	f.calls = append(f.calls, "sync")
	return nil
}

func (f *fakeLedger) ApplyPending(_ context.Context, c ledger.Currency) error {
	f.calls = append(f.calls, "apply-pending "+c.String())
	return nil
}

// playLedger makes 'sable pay' talk to f for the rest of the test.
func playLedger(t *testing.T, f *fakeLedger) {
	saved := openPayLedger
	openPayLedger = func(string, string, string) (payLedger, func(), error) { return f, func() {}, nil }
	t.Cleanup(func() { openPayLedger = saved })
}

// payMarket is bank-th's view: it holds THB and USD; USD → HKD and
// THB → USD are quoted, USD → SGD by two providers with small bands.
func payMarket() *fakeLedger {
	cur := func(s string) ledger.Currency { c, _ := ledger.ParseCurrency(s); return c }
	q := func(id, provider, from, to string, rate, max uint64) route.Quote {
		return route.Quote{ID: id, Provider: provider, From: cur(from), To: cur(to), Rate: rate, Scale: 8,
			Min: 1, Max: max, Remaining: max, Expiry: 700, Proven: true}
	}
	return &fakeLedger{
		balances: map[ledger.Currency]uint64{cur("THB"): 10_000_000_00, cur("USD"): 50_000_00},
		height:   40,
		quotes: []route.Quote{
			q("q-us", "bank-us", "THB", "USD", 2_900_000, 1_000_000_00),
			q("q-hk", "bank-hk", "USD", "HKD", 780_000_000, 10_000_000_00),
			q("q-sg1", "bank-sg", "USD", "SGD", 134_000_000, 1_000_00),
			q("q-sg2", "bank-hk", "USD", "SGD", 133_000_000, 5_000_00),
		},
	}
}

func payJSON(t *testing.T, r result) payOutput {
	t.Helper()
	var out payOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("pay --json: %v in %q (stderr %q)", err, r.stdout, r.stderr)
	}
	return out
}

// TestPayDryRun: the route is printed, with its cost, and nothing is
// submitted.
func TestPayDryRun(t *testing.T) {
	f := payMarket()
	playLedger(t, f)
	r := sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD", "--dry-run", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := payJSON(t, r)
	if out.State != "dry-run" || len(out.Submitted) != 0 || len(f.calls) != 0 {
		t.Fatalf("a dry run submitted: %+v, calls %v", out, f.calls)
	}
	if out.Route.Kind != "split" || len(out.Route.Hops) != 1 || len(out.Route.Hops[0].Legs) != 2 ||
		out.Route.Hops[0].Legs[0].Quote != "q-sg1" || out.Route.Hops[0].Legs[0].Receive != "1000.00" ||
		out.Route.Hops[0].Legs[1].Receive != "2000.00" || out.Route.Delivered != "3000.00" {
		t.Fatalf("route %+v: want bank-sg's band (SGD 1000.00) filled first, the rest from bank-hk", out.Route)
	}
	text := sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD", "--dry-run")
	if text.code != 0 {
		t.Fatalf("exit %d: %s", text.code, text.stderr)
	}
	// bank-sg's quote does not pay bank-sg itself: the ledger takes no swap
	// with oneself, so the route leaves it out.
	self := payJSON(t, sable(t, "pay", "--home", "h", "--to", "bank-sg", "--deliver", "SGD", "--amount", "3000", "--from", "USD", "--dry-run", "--json"))
	if self.Route.Kind != "fx" || self.Route.Hops[0].Legs[0].Quote != "q-sg2" {
		t.Fatalf("paying bank-sg: %+v", self.Route)
	}
	if text.code != 0 || !strings.Contains(text.stdout, "split USD→SGD through bank-sg, bank-hk") || !strings.Contains(text.stdout, " bps") {
		t.Fatalf("text route: %q", text.stdout)
	}
}

// TestPayTwoHops: THB → USD back to the payer, committed and moved into
// available, before USD → HKD goes to the beneficiary.
func TestPayTwoHops(t *testing.T) {
	f := payMarket()
	playLedger(t, f)
	r := sable(t, "pay", "--home", "h", "--to", "bank-sg", "--deliver", "HKD", "--amount", "10000.00", "--from", "THB", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := payJSON(t, r)
	want := []string{
		"swap q-us pay 4420897 → bank-th 128206", "commit 1", "sync", "apply-pending USD",
		"swap q-hk pay 128206 → bank-sg 1000006", "commit 2", "sync",
	}
	if strings.Join(f.calls, "; ") != strings.Join(want, "; ") {
		t.Fatalf("calls\n%s\nwant\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
	if out.State != "delivered" || out.Route.Kind != "two-hop" || out.Route.Via != "USD" || len(out.Submitted) != 2 ||
		!out.Submitted[0].Committed || !out.Submitted[1].Committed || out.Submitted[1].Hop != 2 {
		t.Fatalf("outcome %+v", out)
	}
}

// TestPaySecondHopFails: the second hop's swap is refused; the command
// fails, says the payer holds the intermediate currency, and the first
// hop's transaction is reported committed.
func TestPaySecondHopFails(t *testing.T) {
	f := payMarket()
	f.failSwap, f.failWith = 2, &ledger.Rejection{Code: ledger.CodeQuoteExpired, Msg: "quote expired at height 41"}
	playLedger(t, f)
	r := sable(t, "pay", "--home", "h", "--to", "bank-sg", "--deliver", "HKD", "--amount", "10000.00", "--from", "THB", "--json")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-2:]
	if !strings.HasPrefix(last[0], "sable: error: ") || !strings.Contains(last[0], "code 40") ||
		!strings.HasPrefix(last[1], "sable: hint: ") || !strings.Contains(last[1], "USD 1282.06") || !strings.Contains(last[1], "--from USD") {
		t.Fatalf("stderr %q: want the rejection, then a hint naming the USD held and how to pay with it", r.stderr)
	}
	out := payJSON(t, r)
	if out.State != "failed" || len(out.Submitted) != 1 || !out.Submitted[0].Committed || out.Error == "" {
		t.Fatalf("outcome %+v", out)
	}
	if f.calls[len(f.calls)-1] != "swap failed" {
		t.Fatalf("something was sent after the failure: %v", f.calls)
	}
}

// TestPayReplansWhenRefused: the router cannot see what is left of a band
// (the ledger hides it); a provider that refuses the first fill, before
// anything was submitted, is left out and the payment planned again. Once
// a leg is submitted, a refusal is a failure that says what was delivered.
func TestPayReplansWhenRefused(t *testing.T) {
	f := payMarket()
	f.failSwap, f.failWith = 1, errors.New("ledger: SGD 1000.00 past quote q-sg1's band (SGD 0.00 left)")
	playLedger(t, f)
	r := sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out := payJSON(t, r)
	if want := "swap failed; swap q-sg2 pay 225564 → bank-us 300000; commit 1; sync"; strings.Join(f.calls, "; ") != want {
		t.Fatalf("calls %v, want %s", f.calls, want)
	}
	if out.State != "delivered" || out.Route.Kind != "fx" || len(out.Replanned) != 1 || out.Replanned[0].Quote != "q-sg1" ||
		!strings.Contains(r.stderr, "planning again without it") {
		t.Fatalf("outcome %+v, stderr %q", out, r.stderr)
	}

	// Every quote refuses: each is left out in turn, and the error says so.
	f = payMarket()
	f.failSwap, f.failWith = -1, errors.New("ledger: the provider's balance is short")
	playLedger(t, f)
	r = sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD")
	if r.code != 1 || f.swaps != 2 || !strings.Contains(r.stderr, "after leaving out 2 quote(s) that would not fill (the last, q-sg2: ledger: the provider's balance is short)") {
		t.Fatalf("every quote refused: exit %d, %d swaps, stderr %q", r.code, f.swaps, r.stderr)
	}

	// The node refusing the swap for a reason of its own (malformed, code
	// 1) is not the quote's: no second plan.
	f = payMarket()
	f.failSwap, f.failWith = 1, &ledger.Rejection{Code: ledger.CodeEncoding, Msg: "malformed transaction"}
	playLedger(t, f)
	r = sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD", "--json")
	if out := payJSON(t, r); r.code != 1 || f.swaps != 1 || len(out.Replanned) != 0 || out.State != "failed" {
		t.Fatalf("malformed: exit %d, %d swaps, %+v", r.code, f.swaps, out)
	}

	// The split's second leg refused after the first was submitted: no
	// second plan; the hint says what was delivered and what is left.
	f = payMarket()
	f.failSwap, f.failWith = 2, errors.New("ledger: USD 2000.00 available after the fills in flight, USD 2000.00 to fill")
	playLedger(t, f)
	r = sable(t, "pay", "--home", "h", "--to", "bank-us", "--deliver", "SGD", "--amount", "3000", "--from", "USD")
	if r.code != 1 || !strings.Contains(r.stderr, "SGD 1000.00 of 3000.00 delivered") || !strings.Contains(r.stderr, "--amount 2000.00") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestPayDirect: a balance in the target currency pays with one transfer.
func TestPayDirect(t *testing.T) {
	f := payMarket()
	playLedger(t, f)
	r := sable(t, "pay", "--home", "h", "--to", "bank-sg", "--deliver", "USD", "--amount", "250.00")
	if r.code != 0 || strings.Join(f.calls, "; ") != "transfer bank-sg USD 25000; commit 1; sync" {
		t.Fatalf("exit %d %s, calls %v", r.code, r.stderr, f.calls)
	}
	if !strings.Contains(r.stdout, "direct USD") || !strings.Contains(r.stdout, "cost 0 bps") {
		t.Fatalf("stdout %q", r.stdout)
	}
}

// TestPayRefusals: each reason for no route is an error with a hint, and
// nothing is submitted; bad flags fail before the home is opened.
func TestPayRefusals(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		mention string
		hint    string
	}{
		{[]string{"--deliver", "EUR", "--amount", "10"}, "no live quote", "sable fx quotes"},
		{[]string{"--deliver", "SGD", "--amount", "70000", "--from", "USD"}, "bands cannot fill", "smaller amount"},
		{[]string{"--deliver", "SGD", "--amount", "1000", "--from", "USD", "--max-cost", "0"}, "above the maximum of 0 bps", "--max-cost"},
		{[]string{"--deliver", "HKD", "--amount", "5000000", "--from", "THB"}, "balance short", "sable balance"},
		{[]string{"--deliver", "SGD", "--amount", "1,500"}, "thousands separators", "write 1500.00"},
		{[]string{"--deliver", "XYZ", "--amount", "1"}, "--deliver", ""},
		{[]string{"--deliver", "SGD"}, "--amount is required", "major units"},
		{[]string{"--deliver", "SGD", "--amount", "1", "--max-cost", "-5"}, "negative", ""},
		{[]string{"--deliver", "SGD", "--amount", "1", "--from", "XX"}, "--from", ""},
	} {
		f := payMarket()
		playLedger(t, f)
		r := sable(t, append([]string{"pay", "--home", "h", "--to", "bank-sg"}, tc.args...)...)
		wantError(t, r, 1, tc.mention)
		if tc.hint != "" && !strings.Contains(r.stderr, "sable: hint: ") {
			t.Errorf("%v: stderr %q has no hint", tc.args, r.stderr)
		}
		if !strings.Contains(r.stderr, tc.hint) {
			t.Errorf("%v: stderr %q lacks the hint %q", tc.args, r.stderr, tc.hint)
		}
		if len(f.calls) != 0 {
			t.Errorf("%v: submitted %v", tc.args, f.calls)
		}
	}
	r := sable(t, "pay", "--home", "h", "--to", "not a bank", "--deliver", "SGD", "--amount", "1")
	wantError(t, r, 1, "--to")
	r = sable(t, "pay", "--home", "h", "--to", "bank-th", "--deliver", "SGD", "--amount", "1")
	wantError(t, r, 1, "the payer itself")
}

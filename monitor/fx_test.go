package monitor

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// band is a quote's remaining band as the ledger lists it: a commitment to
// an amount it hides, which the panel must never carry.
const band = "0b5e55ed0fba2d0c0mm17"

// TestFXPanel: the snapshot lists each quote's public terms in the
// ledger's order, marks expired ones, counts swaps per pair, never carries
// a band, says when there are no quotes, and keeps the audit's figures
// when the quotes cannot be read.
func TestFXPanel(t *testing.T) {
	l := newFakeLedger()
	sgdNet(l)
	l.pay("bank-sg", "bank-hk", "SGD", "10.00")
	l.pay("bank-sg", "bank-hk", "SGD", "20.00")
	srv, n := newLedgerServer(t, l)
	n.height = 99 // the next step is block 100
	n.quotes = []ledger.QuoteInfo{
		{ID: "Q-SGJP", Provider: "bank-th", Pair: "SGD/JPY", Rate: 11_250_000_000, RateText: "112.5", Min: 150000, Max: 9000000,
			ValidUntil: 97, Band: band, Fills: 0, Live: false},
		{ID: "Q-USSG-1", Provider: "bank-sg", Pair: "USD/SGD", Rate: 134_020_000, RateText: "1.3402", Min: 100000, Max: 50000000,
			ValidUntil: 120, Band: band, Fills: 2, Live: true},
		// Live for a node older than /fx/quotes' next-block rule at its
		// valid-until height, but no later block can fill it.
		{ID: "Q-USSG-2", Provider: "bank-hk", Pair: "USD/SGD", Rate: 134_000_000, RateText: "1.34", Min: 5000, Max: 2500000,
			ValidUntil: 100, Band: band, Fills: 1, Live: true},
	}
	s, raw := n.step(t, srv)
	fx := s.FX
	if !fx.Read || fx.Error != "" || s.Status != "live" {
		t.Fatalf("FX %+v, status %q", fx, s.Status)
	}
	want := []Quote{
		{ID: "Q-SGJP", Provider: "bank-th", Pair: "SGD/JPY", Rate: "112.5", Min: "150000", Max: "9000000", Currency: "JPY",
			ValidUntil: 97, BlocksLeft: 0, Live: false, Fills: 0},
		{ID: "Q-USSG-1", Provider: "bank-sg", Pair: "USD/SGD", Rate: "1.3402", Min: "1000.00", Max: "500000.00", Currency: "SGD",
			ValidUntil: 120, BlocksLeft: 20, Live: true, Fills: 2},
		{ID: "Q-USSG-2", Provider: "bank-hk", Pair: "USD/SGD", Rate: "1.34", Min: "50.00", Max: "25000.00", Currency: "SGD",
			ValidUntil: 100, BlocksLeft: 0, Live: false, Fills: 1},
	}
	if !reflect.DeepEqual(fx.Quotes, want) {
		t.Errorf("quotes\n got %+v\nwant %+v", fx.Quotes, want)
	}
	pairs := []FXPair{{Pair: "SGD/JPY", Quotes: 1, Swaps: 0}, {Pair: "USD/SGD", Quotes: 2, Swaps: 3}}
	if !reflect.DeepEqual(fx.Pairs, pairs) {
		t.Errorf("pairs %+v, want %+v", fx.Pairs, pairs)
	}
	if strings.Contains(raw, band) || strings.Contains(raw, "band") {
		t.Error("a quote's band (what is left of it, hidden by the ledger) is in the state")
	}

	// No quotes: the panel lists none, as an empty list.
	n.quotes = nil
	s, raw = n.step(t, srv)
	if !s.FX.Read || len(s.FX.Quotes) != 0 || len(s.FX.Pairs) != 0 || !strings.Contains(raw, `"fx":{"read":true,"quotes":[],"pairs":[]}`) {
		t.Errorf("no quotes: %+v in %s", s.FX, raw)
	}

	// The quotes query fails: the panel says why; the audit's figures stand.
	n.qerr = errors.New("client: /fx/quotes: connection reset")
	s, _ = n.step(t, srv)
	if s.FX.Read || !strings.Contains(s.FX.Error, "connection reset") || s.Status != "live" || s.Corridors[0].Value != "30.00" {
		t.Errorf("quotes unreadable: FX %+v, status %q, corridors %+v", s.FX, s.Status, s.Corridors)
	}
}

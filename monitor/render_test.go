package monitor_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/monitor"
)

// staticNode is a node at a fixed height whose aggregates hold rep's
// flows (as monitor.InfosOf makes them up).
type staticNode struct {
	height int64
	rep    *audit.Report
	quotes []ledger.QuoteInfo
}

func (n staticNode) Height(context.Context) (int64, []byte, error) {
	return n.height, []byte{0x5a, 0xb1, 0xe0}, nil
}

func (n staticNode) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	return monitor.InfosOf(n.rep), nil
}

func (n staticNode) Quotes(context.Context) ([]ledger.QuoteInfo, error) { return n.quotes, nil }

func (n staticNode) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	for _, a := range monitor.InfosOf(n.rep) {
		if a.Key == key {
			return a, nil
		}
	}
	return ledger.AggregateInfo{}, errors.New("no aggregate " + key)
}

// TestDashboardShowsCulprits renders an inconsistent audit in Chromium:
// the banner turns red, the culprit is named, one-flow aggregates are
// withheld, and names carrying markup stay text. The FX panel lists the
// node's quotes, one of them expired.
func TestDashboardShowsCulprits(t *testing.T) {
	chromium := chromiumPath(t)
	evil := `<img src=x onerror="window.pwned=1">`
	rep := &audit.Report{
		USDTotal:  "1480000.00",
		FlowBytes: 95249,
		Aggregates: []audit.AggregateResult{
			{Key: "corridor/SGD/SG-HK", Amount: "9.99", Flows: 1},
			{Key: "corridor/USD/US-TH", Amount: "250000.00", Flows: 3, Consistent: true},
			{Key: "currency/SGD/funded", Amount: "2000000.00", Consistent: true},
			{Key: "currency/USD/funded", Amount: "2000000.00", Consistent: true},
			{Key: "in/SGD/bank-sg", Amount: "1000000.00", Consistent: true},
			{Key: "in/USD/bank-th", Amount: "1250000.00", Flows: 3, Consistent: true},
			{Key: "in/USD/" + evil, Amount: "750000.00", Consistent: true},
			{Key: "out/SGD/bank-sg", Amount: "9.99", Flows: 1},
			{Key: "out/USD/" + evil, Amount: "250000.00", Flows: 3, Consistent: true},
		},
		Culprits: []audit.Culprit{{Aggregate: "corridor/SGD/SG-HK", TxID: "9F3C0A", Sender: evil}},
	}
	quotes := []ledger.QuoteInfo{
		{ID: "Q1", Provider: evil, Pair: "USD/SGD", Rate: 134_020_000, RateText: "1.3402", Min: 100000, Max: 50000000,
			ValidUntil: 60, Band: "0b5e55ed", Fills: 2, Live: true},
		{ID: "Q2", Provider: "bank-hk", Pair: "USD/SGD", Rate: 134_000_000, RateText: "1.34", Min: 5000, Max: 2500000,
			ValidUntil: 42, Band: "0b5e55ed", Fills: 1, Live: true}, // its last block is committed
	}
	srv, err := monitor.New(monitor.Config{Node: staticNode{42, rep, quotes},
		Audit: func(context.Context) (*audit.Report, error) { return rep, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-served }()

	p := startBrowser(t, chromium).open("http://"+ln.Addr().String()+"/", 1360, 1000)
	type view struct {
		Banner, BannerClass, Culprits, Corridor, Text string
		FXHeading, FXLive, FXExpired, FXPairs         string
		Injected, Pwned                               bool
		Withheld                                      int
	}
	v, err := waitFor(ctx, p, `({
  Banner: document.getElementById('banner-text').textContent,
  BannerClass: document.getElementById('banner').className,
  Culprits: document.getElementById('culprits').textContent,
  Corridor: (document.querySelector('[data-corridor="SG-HK/SGD"] .amt') || {}).textContent || '',
  Text: document.body.innerText,
  Injected: document.querySelectorAll('main img, footer img').length > 0,
  Pwned: window.pwned === 1,
  Withheld: document.querySelectorAll('#heatmap td.hidden').length,
  FXHeading: document.querySelector('#fx-card h2').textContent,
  FXLive: Array.from(document.querySelectorAll('#fx tr[data-quote="Q1"] td'), (td) => td.textContent).join('|'),
  FXExpired: Array.from(document.querySelectorAll('#fx tr[data-quote="Q2"] td'), (td) => td.textContent).join('|'),
  FXPairs: document.getElementById('fx-pairs').textContent,
})`, func(v view) bool { return strings.Contains(v.BannerClass, "bad") })
	if err != nil {
		t.Fatalf("no red banner: %v (%+v)", err, v)
	}
	if !strings.Contains(v.Banner, "2 of 9 aggregates INCONSISTENT") || !strings.Contains(v.Banner, "1 transaction named") {
		t.Errorf("banner %q", v.Banner)
	}
	if !strings.Contains(v.Culprits, "9F3C0A") || !strings.Contains(v.Culprits, evil) {
		t.Errorf("culprits %q", v.Culprits)
	}
	if v.Injected || v.Pwned {
		t.Error("markup from the ledger became page elements")
	}
	if !strings.HasPrefix(v.Corridor, "withheld") || v.Withheld != 1 || strings.Contains(v.Text, "9.99") {
		t.Errorf("a one-flow corridor and position: corridor %q, %d withheld heat-map cells, text has 9.99: %v",
			v.Corridor, v.Withheld, strings.Contains(v.Text, "9.99"))
	}
	if want := evil + "|USD/SGD|1.3402|1,000.00 SGD|500,000.00 SGD|60|18|live|2"; v.FXHeading != "FX quotes" || v.FXLive != want {
		t.Errorf("FX panel %q, live quote row %q, want %q", v.FXHeading, v.FXLive, want)
	}
	if !strings.HasSuffix(v.FXExpired, "|42|0|expired|1") || v.FXPairs != "USD/SGD3 swaps committed against 2 listed quotes" {
		t.Errorf("FX panel: expired quote row %q, pairs %q", v.FXExpired, v.FXPairs)
	}
	if strings.Contains(v.Text, "0b5e55ed") {
		t.Error("a quote's band is on the page")
	}
	out := os.Getenv("SABLE_ARTIFACTS")
	if out == "" {
		out = filepath.Join(os.TempDir(), "sable-artifacts")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(out, "monitor-dashboard-inconsistent.png")
	if err := os.WriteFile(shot, p.screenshot(1360), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
}

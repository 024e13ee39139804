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
}

func (n staticNode) Height(context.Context) (int64, []byte, error) {
	return n.height, []byte{0x5a, 0xb1, 0xe0}, nil
}

func (n staticNode) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	return monitor.InfosOf(n.rep), nil
}

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
// withheld, and names carrying markup stay text.
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
	srv, err := monitor.New(monitor.Config{Node: staticNode{42, rep},
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

package monitor_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/monitor"
)

// pageState is what the test reads off the rendered page.
type pageState struct {
	Height    string `json:"height"`
	Conn      string `json:"conn"`
	Banner    string `json:"banner"`
	BannerCls string `json:"bannerClass"`
	USD       string `json:"usd"`
	Supply    string `json:"supply"`
	Transfers string `json:"transfers"`
	Corridor  string `json:"corridor"`
	Heat      int    `json:"heatCells"`
	Chart     int    `json:"chartPoints"`
	FX        string `json:"fx"`
	HTML      string `json:"html"`
	Text      string `json:"text"`
}

const readPage = `({
  height: document.getElementById('height').textContent,
  conn: document.getElementById('conn').textContent,
  banner: document.getElementById('banner-text').textContent,
  bannerClass: document.getElementById('banner').className,
  usd: document.getElementById('usd-total').textContent,
  supply: (document.querySelector('#totals tr[data-currency="SGD"] td:nth-child(2)') || {}).textContent || '',
  transfers: (document.querySelector('#totals tr[data-currency="SGD"] td:nth-child(4)') || {}).textContent || '',
  corridor: (document.querySelector('[data-corridor="SG-HK/SGD"] .amt') || {}).textContent || '',
  heatCells: document.querySelectorAll('#heatmap td').length,
  chartPoints: document.querySelectorAll('#chart circle').length,
  fx: document.getElementById('fx').textContent,
  html: document.documentElement.outerHTML,
  text: document.body.innerText,
})`

func (s pageState) height() int64 {
	h, _ := strconv.ParseInt(strings.ReplaceAll(s.Height, ",", ""), 10, 64)
	return h
}

// TestDashboardInBrowser runs a one-validator network with HE, the
// monitor, and headless Chromium on the page: it waits for blocks to
// show, makes two payments, and checks that the page follows them with
// aggregates only, never a single payment's amount. It saves a screenshot
// to $SABLE_ARTIFACTS (default: a sable-artifacts folder in the temp dir).
func TestDashboardInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	network, err := localnet.New(filepath.Join(t.TempDir(), "net"), localnet.Options{Options: testnet.Options{Validators: 1, Fund: "1000000",
		TimeoutCommit: 100 * time.Millisecond, EmptyBlockInterval: 500 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer network.Close()
	if err := network.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	deadline, _ := ctx.Deadline()
	if err := network.WaitHeight([]int{0}, 2, time.Until(deadline)); err != nil {
		t.Fatalf("the network did not start: %v", err)
	}
	l, c := network.Layout, network.Client(0)

	sk, err := party.LoadHESecretKey(l.Regulator.Home)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := monitor.New(monitor.Config{Node: c, Audit: audit.New(c, sk, audit.DefaultFXRates()).Run, Poll: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/"
	t.Logf("network and monitor up in %s: %s", time.Since(t0).Round(time.Millisecond), url)

	b := startBrowser(t, chromium)
	p := b.open(url, 1360, 1000)
	read := func(what string, cond func(pageState) bool) pageState {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := waitFor(wctx, p, readPage, cond)
		if err != nil {
			t.Fatalf("page never showed %s: %v; last: height %q conn %q banner %q corridor %q transfers %q\n%s",
				what, err, s.Height, s.Conn, s.Banner, s.Corridor, s.Transfers, tailText(s.Text))
		}
		return s
	}

	first := read("a block and a consistent audit", func(s pageState) bool {
		return s.height() >= 2 && s.Conn == "Live" && strings.HasPrefix(s.Banner, "All ") && strings.Contains(s.BannerCls, "ok")
	})
	// Four banks funded with 1,000,000.00 SGD at genesis: the funded total
	// holds the opening balances, and no account has a flow yet, so the
	// heat map of positions (net flows since genesis) is empty.
	if first.Supply != "4,000,000.00" || first.Heat != 0 || first.Chart != 1 {
		t.Errorf("first render: SGD supply %q, %d heat-map cells, %d chart points", first.Supply, first.Heat, first.Chart)
	}
	// No bank has quoted: the FX panel reads the ledger's empty list.
	if !strings.HasPrefix(first.FX, "no quotes listed") {
		t.Errorf("first render: FX panel %q", first.FX)
	}
	t.Logf("page shows block %s: %s; USD total %s (%s)", first.Height, first.Banner, first.USD, time.Since(t0).Round(time.Millisecond))
	// It keeps following new (empty) blocks.
	read("a newer block", func(s pageState) bool { return s.height() > first.height() })

	bank, err := party.Open(l.Banks[0].Home, "") // bank-sg
	if err != nil {
		t.Fatal(err)
	}
	defer bank.Close()
	sender := bank.Sender
	sgd, _ := ledger.ParseCurrency("SGD")
	// committed waits for a submitted transaction and returns its height.
	committed := func(what string, txid ledger.TxID, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		o, err := c.WaitCommitted(ctx, txid, 30*time.Second)
		if err != nil || o.State != "committed" {
			t.Fatalf("%s: %+v %v", what, o, err)
		}
		return o.Height
	}
	pay := func(amount uint64) int64 {
		t.Helper()
		txid, err := sender.Transfer(ctx, party.TransferRequest{To: "bank-hk", Currency: sgd, Amount: amount})
		return committed("payment", txid, err)
	}
	// Single payments: 4321.87 and 2718.28 SGD; together 7040.15.
	singles := []string{"4321.87", "4,321.87", "432187", "2718.28", "2,718.28", "271828"}
	noSingle := func(s pageState, when string) {
		t.Helper()
		for _, a := range singles {
			if strings.Contains(s.HTML, a) || strings.Contains(s.Text, a) {
				t.Errorf("%s: a single payment's amount %q is on the page", when, a)
			}
		}
		res, err := http.Get(url + "api/state")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, a := range singles {
			if strings.Contains(string(body), a) {
				t.Errorf("%s: a single payment's amount %q is in /api/state", when, a)
			}
		}
	}

	h1 := pay(432187)
	one := read(fmt.Sprintf("block %d with the first payment", h1), func(s pageState) bool {
		return s.height() >= h1 && strings.Contains(s.Corridor, "1 flow pending")
	})
	noSingle(one, "after one payment")
	t.Logf("after one payment (block %d): corridor SG→HK SGD %q", h1, one.Corridor)

	h2 := pay(271828)
	two := read(fmt.Sprintf("block %d with both payments", h2), func(s pageState) bool {
		return s.height() >= h2 && strings.HasPrefix(s.Corridor, "7,040.15") && strings.HasPrefix(s.Transfers, "7,040.15")
	})
	noSingle(two, "after two payments")
	if !strings.HasPrefix(two.Banner, "All ") || !strings.Contains(two.BannerCls, "ok") || two.Supply != "4,000,000.00" {
		t.Errorf("after two payments: banner %q (%s), SGD supply %q", two.Banner, two.BannerCls, two.Supply)
	}
	t.Logf("after two payments (block %d): corridor %q, SGD transferred %q, %s", h2, two.Corridor, two.Transfers, two.Banner)

	// The SGD issuer mints 3141.59 and 1618.03 into bank-th: the supply and
	// the USD-equivalent total move once both are in.
	var issuer testnet.Party
	for _, is := range l.Issuers {
		if is.Currency == "SGD" {
			issuer = is
		}
	}
	iss, err := party.Open(issuer.Home, "")
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	minter := iss.Sender
	mint := func(amount uint64) int64 {
		t.Helper()
		txid, err := minter.Mint(ctx, "bank-th", sgd, amount)
		return committed("mint", txid, err)
	}
	singles = append(singles, "3141.59", "3,141.59", "314159", "1618.03", "1,618.03", "161803")
	h3 := mint(314159)
	three := read(fmt.Sprintf("block %d with the first mint", h3), func(s pageState) bool {
		return s.height() >= h3 && strings.Contains(s.Supply, "1 flow pending") && strings.Contains(s.USD, "1 flow pending")
	})
	noSingle(three, "after one mint")
	if !strings.HasPrefix(three.USD, strings.TrimSpace(first.USD)) {
		t.Errorf("USD total after one mint %q, before %q", three.USD, first.USD)
	}
	h4 := mint(161803)
	four := read(fmt.Sprintf("block %d with both mints", h4), func(s pageState) bool {
		return s.height() >= h4 && s.Supply == "4,004,759.62" && !strings.Contains(s.USD, "pending") && s.USD != first.USD
	})
	noSingle(four, "after two mints")
	if !strings.HasPrefix(four.Banner, "All ") || four.USD != "USD12,486,322.11" {
		t.Errorf("after two mints: banner %q, USD total %q", four.Banner, four.USD)
	}
	t.Logf("after two mints (block %d): SGD supply %q, USD total %q", h4, four.Supply, four.USD)

	png := p.screenshot(1360)
	out := os.Getenv("SABLE_ARTIFACTS")
	if out == "" {
		out = filepath.Join(os.TempDir(), "sable-artifacts")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(out, "monitor-dashboard.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 10_000 || string(png[1:4]) != "PNG" {
		t.Errorf("screenshot is %d bytes", len(png))
	}
	t.Logf("screenshot: %s (%d bytes); total %s", shot, len(png), time.Since(t0).Round(time.Millisecond))
}

func tailText(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

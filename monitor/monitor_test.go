package monitor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
)

// fakeNode is a node whose height and aggregates the test sets; each
// aggregate's transactions are made up from its report (infosOf).
type fakeNode struct {
	mu      sync.Mutex
	height  int64
	aggs    []ledger.AggregateInfo
	version int
	err     error
}

func (n *fakeNode) Height(context.Context) (int64, []byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.height, []byte{0xab, 0xcd, byte(n.height)}, n.err
}

func (n *fakeNode) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]ledger.AggregateInfo, len(n.aggs))
	for i, a := range n.aggs {
		out[i] = ledger.AggregateInfo{Key: a.Key, Commitment: a.Commitment}
	}
	return out, n.err
}

func (n *fakeNode) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, a := range n.aggs {
		if a.Key == key {
			return a, n.err
		}
	}
	return ledger.AggregateInfo{}, fmt.Errorf("no aggregate %s", key)
}

func (n *fakeNode) Quotes(context.Context) ([]ledger.QuoteInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return nil, n.err
}

func (n *fakeNode) set(h int64, rep *audit.Report, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.height, n.err = h, err
	if rep != nil { // a new audit: new commitment sums
		n.version++
		n.aggs = infosOf(rep)
		for i := range n.aggs {
			n.aggs[i].Commitment += fmt.Sprint("#", n.version)
		}
	}
}

// fakeAudit returns whatever report the test last set, counting runs.
type fakeAudit struct {
	mu   sync.Mutex
	rep  *audit.Report
	runs atomic.Int32
}

func (f *fakeAudit) run(context.Context) (*audit.Report, error) {
	f.runs.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rep == nil {
		return nil, errors.New("no report")
	}
	return f.rep, nil
}

// harness ties a fake node, a fake audit and a server together.
type harness struct {
	node  *fakeNode
	audit *fakeAudit
	srv   *Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{node: &fakeNode{}, audit: &fakeAudit{}}
	srv, err := New(Config{Node: h.node, Audit: h.audit.run, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	return h
}

// at sets the ledger to height with rep's aggregates.
func (h *harness) at(height int64, rep *audit.Report) {
	h.audit.mu.Lock()
	h.audit.rep = rep
	h.audit.mu.Unlock()
	h.node.set(height, rep, nil)
}

// report is a small network: two banks funded in SGD at genesis, SG→HK
// transfers in SGD (amounts given per flow count), one JPY mint.
func report(corridorFlows int, corridor string, consistent bool) *audit.Report {
	out := audit.AggregateResult{Key: "out/SGD/bank-sg", Amount: corridor, Flows: corridorFlows, Consistent: true}
	rep := &audit.Report{
		Consistent: consistent,
		USDTotal:   "1480000.00",
		FlowBytes:  12345,
		Aggregates: []audit.AggregateResult{
			{Key: "corridor/SGD/SG-HK", Amount: corridor, Flows: corridorFlows, Consistent: consistent},
			{Key: "currency/SGD/funded", Amount: "2000000.00", Consistent: true},
			{Key: "currency/SGD/transfers", Amount: corridor, Flows: corridorFlows, Consistent: true},
			{Key: "in/SGD/bank-hk", Amount: "1000000.00", Flows: corridorFlows, Consistent: true},
			{Key: "in/SGD/bank-sg", Amount: "1000000.00", Consistent: true},
			out,
		},
	}
	if !consistent {
		rep.Culprits = []audit.Culprit{{Aggregate: "corridor/SGD/SG-HK", TxID: "AB12", Sender: "bank-sg"}}
	}
	return rep
}

func getState(t *testing.T, url string) map[string]any {
	t.Helper()
	res, err := http.Get(url + "/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/state: %s %q", res.Status, res.Header.Get("Content-Type"))
	}
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNewRefusesSinglePaymentThreshold(t *testing.T) {
	if _, err := New(Config{Node: &fakeNode{}, Audit: (&fakeAudit{}).run, MinFlows: 1}); err == nil {
		t.Fatal("a threshold of 1 flow accepted")
	}
	if _, err := New(Config{}); err == nil {
		t.Fatal("no node and no audit accepted")
	}
}

func TestStateJSONShape(t *testing.T) {
	h := newHarness(t)
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()

	if m := getState(t, ts.URL); m["status"] != "waiting" || m["audited"] != false {
		t.Fatalf("before any poll: %v", m)
	}
	h.at(7, report(2, "300.00", true))
	h.srv.tick(context.Background())
	m := getState(t, ts.URL)
	for _, k := range []string{"seq", "height", "app_hash", "time", "status", "min_flows", "consistent", "inconsistent", "usd_total",
		"currencies", "parties", "totals", "positions", "corridors", "aggregates", "culprits", "rates", "history", "he_bytes_per_transfer", "fx"} {
		if _, ok := m[k]; !ok {
			t.Errorf("state has no %q", k)
		}
	}
	if m["height"] != 7.0 || m["app_hash"] != "abcd07" || m["status"] != "live" || m["consistent"] != true || m["min_flows"] != 2.0 {
		t.Errorf("state: height %v hash %v status %v consistent %v min_flows %v", m["height"], m["app_hash"], m["status"], m["consistent"], m["min_flows"])
	}
	if u := m["usd_total"].(map[string]any); u["value"] != "1480000.00" {
		t.Errorf("usd_total %v", u)
	}
	totals := m["totals"].([]any)
	if len(totals) != 1 {
		t.Fatalf("totals %v", totals)
	}
	sgd := totals[0].(map[string]any)
	if sgd["currency"] != "SGD" || sgd["supply"].(map[string]any)["value"] != "2000000.00" || sgd["transfers"].(map[string]any)["value"] != "300.00" {
		t.Errorf("SGD total %v", sgd)
	}
	corr := m["corridors"].([]any)[0].(map[string]any)
	if corr["from"] != "SG" || corr["to"] != "HK" || corr["currency"] != "SGD" || corr["value"] != "300.00" || corr["flows"] != 2.0 {
		t.Errorf("corridor %v", corr)
	}
	pos := map[string]string{}
	for _, p := range m["positions"].([]any) {
		p := p.(map[string]any)
		pos[p["party"].(string)+"/"+p["currency"].(string)] = p["value"].(string)
	}
	if pos["bank-sg/SGD"] != "999700.00" || pos["bank-hk/SGD"] != "1000000.00" {
		t.Errorf("positions %v", pos)
	}
	if h := m["history"].([]any); len(h) != 1 || h[0].(map[string]any)["height"] != 7.0 || m["history_complete"] != true {
		t.Errorf("history %v", m["history"])
	}
	if r := m["rates"].(map[string]any); r["SGD"] != "0.740000" {
		t.Errorf("rates %v", r)
	}

	h.at(8, report(2, "300.00", false))
	h.srv.tick(context.Background())
	m = getState(t, ts.URL)
	if m["consistent"] != false || m["inconsistent"] != 1.0 {
		t.Errorf("after a bad flow: consistent %v inconsistent %v", m["consistent"], m["inconsistent"])
	}
	if c := m["culprits"].([]any); len(c) != 1 || c[0].(map[string]any)["txid"] != "AB12" || c[0].(map[string]any)["sender"] != "bank-sg" {
		t.Errorf("culprits %v", c)
	}
}

// TestSinglePaymentWithheld: one payment in a corridor is not shown, nor
// is a change of one flow; two together are.
func TestSinglePaymentWithheld(t *testing.T) {
	h := newHarness(t)
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()
	body := func() string {
		res, err := http.Get(ts.URL + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	figure := func(key string) Figure {
		for _, a := range h.srv.State().Aggregates {
			if a.Key == key {
				return a.Figure
			}
		}
		t.Fatalf("no aggregate %s", key)
		return Figure{}
	}

	// The monitor starts on a ledger with one payment of 4321.87.
	h.at(3, report(1, "4321.87", true))
	h.srv.tick(context.Background())
	if strings.Contains(body(), "4321.87") || strings.Contains(body(), "995678.13") {
		t.Fatalf("a single payment's amount in the state: %s", body())
	}
	if f := figure("corridor/SGD/SG-HK"); !f.Withheld || f.Pending != 1 {
		t.Errorf("one-flow corridor %+v", f)
	}
	// A second payment of 2718.28: the corridor rests on two flows.
	h.at(4, report(2, "7040.15", true))
	h.srv.tick(context.Background())
	if f := figure("corridor/SGD/SG-HK"); f.Value != "7040.15" || f.Withheld || f.Pending != 0 {
		t.Errorf("two-flow corridor %+v", f)
	}
	// A third of 1000.00 would show by difference: it waits for a fourth.
	h.at(5, report(3, "8040.15", true))
	h.srv.tick(context.Background())
	if f := figure("corridor/SGD/SG-HK"); f.Value != "7040.15" || f.Pending != 1 {
		t.Errorf("after one more flow %+v", f)
	}
	if strings.Contains(body(), "8040.15") {
		t.Error("a one-flow change is readable off the state")
	}
	h.at(6, report(4, "8540.15", true))
	h.srv.tick(context.Background())
	if f := figure("corridor/SGD/SG-HK"); f.Value != "8540.15" || f.Pending != 0 {
		t.Errorf("after two more flows %+v", f)
	}

	// An aggregate that appears later starts from a disclosed zero.
	rep := report(4, "8540.15", true)
	rep.Aggregates = append(rep.Aggregates, audit.AggregateResult{Key: "currency/SGD/minted", Amount: "5.00", Flows: 1, Consistent: true})
	h.at(7, rep)
	h.srv.tick(context.Background())
	s := h.srv.State()
	if f := figure("currency/SGD/minted"); f.Value != "0.00" || f.Pending != 1 {
		t.Errorf("a new one-flow aggregate %+v", f)
	}
	if s.Totals[0].Supply.Value != "2000000.00" || s.Totals[0].Supply.Pending != 1 {
		t.Errorf("supply with a pending mint %+v", s.Totals[0].Supply)
	}
	if s.USDTotal.Value != "1480000.00" || s.USDTotal.Pending != 1 {
		t.Errorf("USD total with a pending mint %+v", s.USDTotal)
	}
}

func TestEventsPushOnNewBlock(t *testing.T) {
	h := newHarness(t)
	h.at(5, report(2, "300.00", true))
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.srv.Run(ctx)

	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan *Snapshot, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var s Snapshot
				if err := json.Unmarshal([]byte(data), &s); err != nil {
					t.Error(err)
				}
				events <- &s
			}
		}
		close(events)
	}()
	next := func(height int64) *Snapshot {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case s, ok := <-events:
				if !ok {
					t.Fatal("event stream ended")
				}
				if s.Height == height && s.Status == "live" {
					return s
				}
			case <-deadline:
				t.Fatalf("no snapshot at height %d", height)
			}
		}
	}
	first := next(5)
	runs := h.audit.runs.Load()
	if runs != 1 || len(first.Corridors) != 1 {
		t.Fatalf("first snapshot: %d audits, corridors %v", runs, first.Corridors)
	}

	// An empty block: a new snapshot, the same audit.
	h.node.set(6, nil, nil)
	s6 := next(6)
	if h.audit.runs.Load() != 1 || s6.Seq <= first.Seq || s6.HistoryComplete || len(s6.History) != 1 || s6.History[0].Height != 6 {
		t.Errorf("empty block: %d audits, seq %d→%d, history %v (complete %v)", h.audit.runs.Load(), first.Seq, s6.Seq, s6.History, s6.HistoryComplete)
	}
	// New flows: a new audit.
	h.at(7, report(4, "900.00", true))
	if s7 := next(7); h.audit.runs.Load() != 2 || s7.Corridors[0].Value != "900.00" {
		t.Errorf("block with flows: %d audits, corridor %+v", h.audit.runs.Load(), s7.Corridors[0])
	}
	// No new block: no event.
	select {
	case s := <-events:
		t.Errorf("event without a new block: height %d", s.Height)
	case <-time.After(100 * time.Millisecond):
	}
	// The node goes away: one event saying so, with the last figures.
	h.node.set(7, nil, errors.New("connection refused"))
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-events:
			if s.Status == "node unreachable" {
				if !strings.Contains(s.Error, "connection refused") || !s.Audited || s.Corridors[0].Value != "900.00" {
					t.Errorf("unreachable snapshot %+v", s)
				}
				return
			}
		case <-deadline:
			t.Fatal("no event for an unreachable node")
		}
	}
}

func TestServeEndsStreamsAndHostCheck(t *testing.T) {
	h := newHarness(t)
	h.at(3, report(2, "300.00", true))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.srv.Serve(ctx, l) }()
	base := "http://" + l.Addr().String()

	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || !strings.Contains(csp, "script-src 'sha256-") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("GET /: %s, CSP %q", res.Status, csp)
	}
	if !strings.Contains(string(page), `id="height"`) {
		t.Fatal("the page has no height")
	}
	for _, path := range []string{"/nope", "/api/state/x"} {
		if res, err := http.Get(base + path); err != nil || res.StatusCode != 404 {
			t.Errorf("GET %s: %v %v", path, res.Status, err)
		}
	}
	if res, err := http.Post(base+"/api/state", "text/plain", nil); err != nil || res.StatusCode != 405 {
		t.Errorf("POST /api/state: %v %v", res.Status, err)
	}

	// DNS rebinding: a page on another name that resolves here is refused.
	req, _ := http.NewRequest("GET", base+"/api/state", nil)
	req.Host = "attacker.example:" + strings.Split(l.Addr().String(), ":")[1]
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %v %v", res.Status, err)
	}
	req, _ = http.NewRequest("GET", base+"/api/state", nil)
	req.Host = "localhost:" + strings.Split(l.Addr().String(), ":")[1]
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("localhost Host: %v %v", res.Status, err)
	}

	// An open event stream does not hold up shutdown.
	res, err = http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return with an event stream open")
	}
}

// TestPageIsSelfContained: no external resources, no markup from data.
func TestPageIsSelfContained(t *testing.T) {
	s := string(page)
	for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "<link", "src=", "@import", "url("} {
		if strings.Contains(s, bad) {
			t.Errorf("the page uses %q", bad)
		}
	}
	if strings.Count(s, "http://") != strings.Count(s, "http://www.w3.org/2000/svg") || strings.Contains(s, "https://") {
		t.Error("the page references an external address")
	}
}

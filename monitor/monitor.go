// Package monitor is the regulator's live dashboard: a small HTTP server
// that audits the ledger's encrypted aggregates at every new block and
// pushes what it may show to a web page over server-sent events.
//
// GET / is one self-contained page (embedded; no external resources),
// GET /api/state the latest snapshot as JSON, GET /events a stream of
// snapshots, one per committed block. Every figure comes from decrypted
// aggregates, and a value is shown only if no combination of everything
// the page has shown, in one snapshot or across snapshots, singles out
// fewer than MinFlows flows (disclose.go), so no single payment's amount
// can be read off it. Withheld values never leave the server.
package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
)

// Node is what the monitor polls: a validator's height, its list of
// aggregates with their commitment sums (to skip audits of unchanged
// state), and each aggregate's transactions (to know which flows each
// figure holds), and its FX quotes (public terms, for the FX panel).
// *ledger/client.Client implements it.
type Node interface {
	Height(ctx context.Context) (int64, []byte, error)
	Aggregates(ctx context.Context) ([]ledger.AggregateInfo, error)
	AggregateReader
	QuoteReader
}

// AuditFunc runs the regulator's audit, e.g. audit.New(...).Run.
type AuditFunc func(ctx context.Context) (*audit.Report, error)

// Config sets up a Server.
type Config struct {
	Node  Node
	Audit AuditFunc
	Rates audit.FXRates // for USD equivalents shown next to native amounts
	// MinFlows is the disclosure threshold, at least 2 (the default): no
	// combination of shown values singles out fewer flows.
	MinFlows int
	// Poll is how often the node's height is read; default 500ms.
	Poll time.Duration
	// Timeout bounds one audit; default 2 minutes.
	Timeout time.Duration
	Log     *slog.Logger
}

// DefaultMinFlows is the default disclosure threshold.
const DefaultMinFlows = 2

const (
	maxHistory = 2000             // points kept; thinned evenly beyond
	reaudit    = 30 * time.Second // re-audit unchanged state this often
	heartbeat  = 15 * time.Second // SSE comment to keep proxies and clients awake
)

// Server is the dashboard. Run polls the node; Handler serves the page.
type Server struct {
	cfg   Config
	b     *builder
	flows *flowBook // owned by Run's goroutine

	mu      sync.Mutex
	snap    *Snapshot // latest published, without history
	history []Point
	seq     uint64
	subs    map[chan *Snapshot]struct{}
	done    chan struct{}
	closed  bool

	// poll state, owned by Run's goroutine
	lastHeight int64
	lastFP     string
	lastAudit  time.Time
	base       *Snapshot // built from the last good audit
	failing    string    // status+error of the last failed poll
	fxFailing  string    // error of the last failed quotes read, logged once
}

// New checks cfg and returns a server that has not started polling.
func New(cfg Config) (*Server, error) {
	if cfg.Node == nil || cfg.Audit == nil {
		return nil, errors.New("monitor: a node and an audit are required")
	}
	if cfg.MinFlows == 0 {
		cfg.MinFlows = DefaultMinFlows
	}
	if cfg.MinFlows < 2 {
		return nil, fmt.Errorf("monitor: a disclosure threshold of %d flows would show single payments; use at least 2", cfg.MinFlows)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Rates == nil {
		cfg.Rates = audit.DefaultFXRates()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{
		cfg:   cfg,
		b:     &builder{rates: cfg.Rates, d: newDiscloser(cfg.MinFlows)},
		flows: newFlowBook(),
		snap:  &Snapshot{Status: "waiting", MinFlows: cfg.MinFlows, Time: time.Now().UTC()},
		subs:  map[chan *Snapshot]struct{}{},
		done:  make(chan struct{}),
	}, nil
}

// Run polls the node until ctx ends: when the height changes it audits
// (unless the aggregates are unchanged) and publishes a snapshot.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Server) tick(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, hash, err := s.cfg.Node.Height(qctx)
	if err != nil {
		s.fail(ctx, "node unreachable", err)
		return
	}
	if h == s.lastHeight && s.failing == "" {
		return
	}
	list, err := s.cfg.Node.Aggregates(qctx)
	if err != nil {
		s.fail(ctx, "node unreachable", err)
		return
	}
	fp := fingerprint(list)
	if s.base == nil || fp != s.lastFP || time.Since(s.lastAudit) > reaudit {
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		t0 := time.Now()
		rep, err := s.cfg.Audit(actx)
		cancel()
		if err != nil {
			s.fail(ctx, "audit failed", err)
			return
		}
		if err := s.readFlows(ctx, rep); err != nil {
			s.fail(ctx, "node unreachable", err)
			return
		}
		base := s.b.build(rep, s.flows)
		base.AuditMS = time.Since(t0).Milliseconds()
		s.base, s.lastFP, s.lastAudit = base, fp, time.Now()
		s.cfg.Log.Info("audit", "height", h, "consistent", rep.Consistent, "aggregates", len(rep.Aggregates), "ms", base.AuditMS)
	}
	s.lastHeight, s.failing = h, ""
	snap := *s.base
	snap.Height, snap.AppHash, snap.Status, snap.Error = h, hex.EncodeToString(hash), "live", ""
	snap.FX = s.readFX(ctx, h)
	if e := snap.FX.Error; e != "" && e != s.fxFailing {
		s.cfg.Log.Warn("monitor", "status", "fx quotes unavailable", "height", h, "err", e)
	}
	s.fxFailing = snap.FX.Error
	s.publish(&snap)
}

// readFlows brings the flow book to the state after rep's audit: the
// aggregate list is read after the audit, so it holds every flow the
// report's figures do.
func (s *Server) readFlows(ctx context.Context, rep *audit.Report) error {
	qctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	list, err := s.cfg.Node.Aggregates(qctx)
	if err != nil {
		return err
	}
	return s.flows.update(qctx, s.cfg.Node, rep, list)
}

// fail publishes the last good figures with a status saying what is wrong,
// once per distinct failure.
func (s *Server) fail(ctx context.Context, status string, err error) {
	if ctx.Err() != nil {
		return
	}
	msg := err.Error()
	if s.failing == status+msg {
		return
	}
	s.failing = status + msg
	s.cfg.Log.Warn("monitor", "status", status, "err", msg)
	snap := Snapshot{MinFlows: s.cfg.MinFlows}
	if s.base != nil {
		snap = *s.base
		snap.Height = s.lastHeight
		s.mu.Lock()
		snap.AppHash, snap.FX = s.snap.AppHash, s.snap.FX
		s.mu.Unlock()
	}
	snap.Status, snap.Error = status, msg
	s.publish(&snap)
}

// fingerprint identifies the aggregates' state: any new flow changes its
// aggregate's commitment sum.
func fingerprint(list []ledger.AggregateInfo) string {
	h := sha256.New()
	for _, a := range list {
		fmt.Fprintf(h, "%s=%s;", a.Key, a.Commitment)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// publish makes snap the latest and hands it to every event stream.
func (s *Server) publish(snap *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	snap.Seq = s.seq
	snap.Time = time.Now().UTC()
	if snap.Status == "live" && !snap.USDTotal.Withheld {
		p := Point{Height: snap.Height, Time: snap.Time, Value: snap.USDTotal.Value, USD: snap.USDTotal.USD}
		if n := len(s.history); n == 0 || s.history[n-1].Height < p.Height {
			s.history = append(s.history, p)
		}
		if len(s.history) > maxHistory {
			s.history = thin(s.history)
		}
	}
	s.snap = snap
	for ch := range s.subs {
		select {
		case ch <- snap:
		default: // the stream is behind: replace its pending snapshot
			select {
			case <-ch:
			default:
			}
			ch <- snap
		}
	}
}

// thin keeps every other point, and always the first and the newest.
func thin(ps []Point) []Point {
	out := make([]Point, 0, len(ps)/2+2)
	for i := 0; i < len(ps)-1; i += 2 {
		out = append(out, ps[i])
	}
	return append(out, ps[len(ps)-1])
}

// State returns the latest snapshot with the full history.
func (s *Server) State() *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.withHistory(s.snap, true)
}

// withHistory copies snap with the full history or only its newest point.
func (s *Server) withHistory(snap *Snapshot, full bool) *Snapshot {
	c := *snap
	switch n := len(s.history); {
	case full:
		c.History = append([]Point{}, s.history...)
	case n > 0:
		c.History = []Point{s.history[n-1]}
	default:
		c.History = []Point{}
	}
	c.HistoryComplete = full
	return &c
}

func (s *Server) subscribe() (chan *Snapshot, *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan *Snapshot, 1)
	s.subs[ch] = struct{}{}
	return ch, s.withHistory(s.snap, true)
}

func (s *Server) unsubscribe(ch chan *Snapshot) {
	s.mu.Lock()
	delete(s.subs, ch)
	s.mu.Unlock()
}

// Close ends every event stream (Serve calls it on shutdown).
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
}

// Serve polls the node and serves the dashboard on l until ctx ends. It
// answers only requests whose Host names the listening address (or
// localhost on a loopback one), against DNS rebinding.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{Handler: s.handler(allowedHosts(l.Addr())), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn)}
	pollCtx, stopPoll := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		s.Run(pollCtx)
	}()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	stopPoll()
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	<-polled
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Handler serves the page, the state and the event stream, for any Host.
func (s *Server) Handler() http.Handler { return s.handler(nil) }

func (s *Server) handler(hosts map[string]bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.servePage)
	mux.HandleFunc("GET /api/state", s.serveState)
	mux.HandleFunc("GET /events", s.serveEvents)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hosts != nil && !hosts[r.Host] {
			http.Error(w, "monitor: unexpected Host header", http.StatusMisdirectedRequest)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		mux.ServeHTTP(w, r)
	})
}

// allowedHosts lists the Host headers that name addr; nil (any) for an
// unspecified address, where the operator chose to expose the page.
func allowedHosts(addr net.Addr) map[string]bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		return nil
	}
	port := fmt.Sprint(tcp.Port)
	hosts := map[string]bool{net.JoinHostPort(tcp.IP.String(), port): true}
	if tcp.IP.IsLoopback() {
		hosts[net.JoinHostPort("localhost", port)] = true
	}
	return hosts
}

func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Write(page)
}

func (s *Server) serveState(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.State())
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "monitor: streaming unsupported", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	ch, first := s.subscribe()
	defer s.unsubscribe(ch)
	io.WriteString(w, "retry: 2000\n\n")
	if err := writeEvent(w, first); err != nil {
		return
	}
	fl.Flush()
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-beat.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
		case snap := <-ch:
			s.mu.Lock()
			ev := s.withHistory(snap, false)
			s.mu.Unlock()
			if err := writeEvent(w, ev); err != nil {
				return
			}
		}
		fl.Flush()
	}
}

func writeEvent(w io.Writer, snap *Snapshot) error {
	b, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: snapshot\ndata: %s\n\n", snap.Seq, b)
	return err
}

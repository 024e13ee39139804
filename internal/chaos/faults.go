package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
)

// The kinds of validator fault.
const (
	faultOne    = "validator"     // one validator SIGKILLed, restarted
	faultTwo    = "two"           // two at once: the network halts until they are back
	faultCommit = "commit"        // a validator kills itself between FinalizeBlock and Commit
	faultCLI    = "cli"           // a bank's CLI SIGKILLed mid-command (banks.go)
	recoverIn   = 2 * time.Minute // how long a restarted validator may take to catch up
)

// Event is one fault, for the log of the run.
type Event struct {
	AtS        float64 `json:"at_s"` // seconds into the run
	Kind       string  `json:"kind"`
	Validators []int   `json:"validators"`
	Detail     string  `json:"detail"`
}

// crash is one self-kill in Commit and what its restart showed.
type crash struct {
	validator int
	height    int64
	sigkill   bool // the process died of SIGKILL, the hook's
	replayed  bool // its restart replayed exactly that block
	txs       int  // transactions in that block
	detail    string
}

// faults strikes the validators on a seeded schedule, one fault at a time:
// each ends with its validators restarted and caught up, so that faults do
// not add up into a halt nobody chose.
type faults struct {
	net   *localnet.Net
	opt   Options
	r     *rand.Rand
	start time.Time
	log   *slog.Logger
	done  atomic.Bool // run has returned

	mu      sync.Mutex
	up      []bool
	events  []Event
	halts   []halt
	crashes []crash
}

// halt is one stop of the chain while two validators were down.
type halt struct {
	took    time.Duration // from the kill to the first block after the restart
	stalled bool          // no block was committed while they were down
}

func newFaults(net *localnet.Net, opt Options, start time.Time) *faults {
	up := make([]bool, net.Validators())
	for i := range up {
		up[i] = true
	}
	return &faults{net: net, opt: opt, r: rand.New(rand.NewPCG(opt.Seed, 1)), start: start, log: opt.Log, up: up}
}

// upNodes lists the validators that are running and caught up.
func (f *faults) upNodes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for i, ok := range f.up {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

func (f *faults) setUp(ok bool, vs ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range vs {
		f.up[i] = ok
	}
}

// run strikes until end: the first three faults are one of each kind in a
// seeded order, and strike even when the time is up, so that every run
// sees all of them; then faults at random.
func (f *faults) run(ctx context.Context, end time.Time) error {
	defer f.done.Store(true)
	first := []string{faultOne, faultTwo, faultCommit}
	f.r.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	for k := 0; ; k++ {
		gap := f.opt.FaultGap[0] + time.Duration(f.r.Int64N(int64(f.opt.FaultGap[1]-f.opt.FaultGap[0])+1))
		if k >= len(first) && time.Now().Add(gap).After(end) {
			return nil
		}
		if err := sleep(ctx, gap); err != nil {
			return nil
		}
		kind := f.pick(k, first)
		if err := f.strike(ctx, kind); err != nil {
			return fmt.Errorf("chaos: seed %d: %s fault at %.0f s: %w", f.opt.Seed, kind, time.Since(f.start).Seconds(), err)
		}
	}
}

func (f *faults) pick(k int, first []string) string {
	if k < len(first) {
		return first[k]
	}
	switch x := f.r.IntN(20); {
	case x < 8:
		return faultOne
	case x < 13:
		return faultTwo
	default:
		return faultCommit
	}
}

func (f *faults) strike(ctx context.Context, kind string) error {
	switch kind {
	case faultOne:
		return f.killOne(ctx)
	case faultTwo:
		return f.killTwo(ctx)
	}
	return f.crashInCommit(ctx)
}

// killOne SIGKILLs a random validator and restarts it 1–5 s later.
func (f *faults) killOne(ctx context.Context) error {
	i := f.r.IntN(f.net.Validators())
	down := time.Second + time.Duration(f.r.Int64N(int64(4*time.Second)))
	f.setUp(false, i)
	if err := f.net.Kill(i); err != nil {
		return err
	}
	f.event(faultOne, []int{i}, fmt.Sprintf("SIGKILL, restarted after %.1f s", down.Seconds()))
	if err := sleep(ctx, down); err != nil {
		return err
	}
	return f.restart(ctx, i)
}

// killTwo SIGKILLs two validators at once, which halts the network (4
// validators tolerate one fault), and restarts both 2–8 s later. The halt
// lasts until the first block after the restart.
func (f *faults) killTwo(ctx context.Context) error {
	vs := f.r.Perm(f.net.Validators())[:2]
	down := 2*time.Second + time.Duration(f.r.Int64N(int64(6*time.Second)))
	f.setUp(false, vs...)
	at := time.Now()
	if err := errors.Join(f.net.Kill(vs[0]), f.net.Kill(vs[1])); err != nil {
		return err
	}
	live := f.others(vs...)
	h0, _ := f.net.MaxHeight(live)
	if err := sleep(ctx, down); err != nil {
		return err
	}
	h1, _ := f.net.MaxHeight(live)
	for _, i := range vs {
		if err := f.net.Start(ctx, i); err != nil {
			return err
		}
	}
	if err := f.net.WaitHeight(live, h1+1, recoverIn); err != nil {
		return fmt.Errorf("the network did not resume after validators %v came back: %w", vs, err)
	}
	h := halt{took: time.Since(at), stalled: h1 <= h0+1} // one block may have been in its last round
	f.mu.Lock()
	f.halts = append(f.halts, h)
	f.mu.Unlock()
	f.event(faultTwo, vs, fmt.Sprintf("SIGKILL both, down %.1f s, heights %d→%d while down, halted %.1f s", down.Seconds(), h0, h1, h.took.Seconds()))
	return errors.Join(f.caughtUp(vs[0]), f.caughtUp(vs[1]))
}

// crashInCommit SIGKILLs a random validator and restarts it with the test
// hook armed a few blocks ahead: it kills itself in Commit of that block,
// after FinalizeBlock. Restarted once more, its handshake must replay the
// one block its app state lacks.
func (f *faults) crashInCommit(ctx context.Context) error {
	i := f.r.IntN(f.net.Validators())
	f.setUp(false, i)
	if err := f.net.Kill(i); err != nil {
		return err
	}
	top, err := f.net.MaxHeight(f.others(i))
	if err != nil {
		return err
	}
	c := crash{validator: i, height: top + 3}
	if err := f.net.Start(ctx, i, localnet.CrashBeforeCommit(c.height)); err != nil {
		return err
	}
	st, err := f.net.WaitExit(i, recoverIn)
	if err != nil { // the hook never fired: end it by hand
		c.detail = err.Error()
		_ = f.net.Kill(i)
	} else if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		c.sigkill = true
	} else {
		c.detail = fmt.Sprintf("exited with %v, not SIGKILL", st)
	}
	if err := f.net.Start(ctx, i); err != nil {
		return err
	}
	err = f.caughtUp(i)
	c.replayed = replayed(f.net.Log(i), c.height)
	c.txs = f.blockTxs(ctx, i, c.height)
	if !c.replayed && c.detail == "" {
		c.detail = fmt.Sprintf("the restart's log lacks app_height=%d replayed=1", c.height)
	}
	f.mu.Lock()
	f.crashes = append(f.crashes, c)
	f.mu.Unlock()
	f.event(faultCommit, []int{i}, fmt.Sprintf("killed itself in Commit of height %d (%d transactions; SIGKILL %v), restart replayed it: %v", c.height, c.txs, c.sigkill, c.replayed))
	return err
}

// replayed reports whether the last run in a validator's log started by
// replaying exactly block h (its app state held h−1).
func replayed(log string, h int64) bool {
	runs := strings.Split(log, "==== run ")
	return strings.Contains(runs[len(runs)-1], fmt.Sprintf("app_height=%d replayed=1 ", h))
}

// blockTxs counts the transactions of block h, as validator i has them.
func (f *faults) blockTxs(ctx context.Context, i int, h int64) int {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := f.net.RPC(i).BlockResults(ctx, &h)
	if err != nil {
		return 0
	}
	return len(res.TxResults)
}

// restart starts validator i again and waits until it has caught up.
func (f *faults) restart(ctx context.Context, i int) error {
	if err := f.net.Start(ctx, i); err != nil {
		return err
	}
	return f.caughtUp(i)
}

// caughtUp waits until validator i has left block sync and reached the
// others' height, then marks it up.
func (f *faults) caughtUp(i int) error {
	top, err := f.net.MaxHeight(f.others(i))
	if err != nil {
		return err
	}
	if err := f.net.WaitCaughtUp(i, recoverIn); err != nil {
		return err
	}
	if err := f.net.WaitHeight([]int{i}, top, recoverIn); err != nil {
		return err
	}
	f.setUp(true, i)
	return nil
}

// others lists the validators not in vs.
func (f *faults) others(vs ...int) []int {
	var out []int
	for i := range f.net.Validators() {
		if !contains(vs, i) {
			out = append(out, i)
		}
	}
	return out
}

func contains(vs []int, i int) bool {
	for _, v := range vs {
		if v == i {
			return true
		}
	}
	return false
}

func (f *faults) event(kind string, vs []int, detail string) {
	e := Event{AtS: time.Since(f.start).Seconds(), Kind: kind, Validators: vs, Detail: detail}
	f.mu.Lock()
	f.events = append(f.events, e)
	f.mu.Unlock()
	f.log.Info("chaos: fault", "at_s", fmt.Sprintf("%.1f", e.AtS), "kind", kind, "validators", vs, "detail", detail)
}

// restoreAll starts any validator a failed fault left down and waits until
// all are caught up.
func (f *faults) restoreAll(ctx context.Context) error {
	var errs []error
	for i := range f.net.Validators() {
		if _, _, err := f.net.Height(i); err != nil {
			_ = f.net.Kill(i)
			errs = append(errs, f.restart(ctx, i))
			continue
		}
		errs = append(errs, f.caughtUp(i))
	}
	return errors.Join(errs...)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

package chaos

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// cliRun is one CLI command a bank ran: a transfer (one payment, or a bulk
// transfer of several) or an apply-pending.
type cliRun struct {
	Bank    string
	Kind    string // "transfer" or "apply-pending"
	To      string
	Cur     ledger.Currency
	Amounts []uint64 // minor units, each unique in the run
	Node    int      // the validator it talked to

	killAt  time.Duration // when the schedule kills it (0: never)
	Killed  bool          // it died of the schedule's SIGKILL
	Hung    bool          // killed for running past cliLimit
	TxID    ledger.TxID   // printed on stdout (a transfer's first line)
	Printed bool          // it printed its transaction id before it ended
	Acked   bool          // exit 0 and "committed at height": a payment acknowledged
	Exit    int
	Reason  string // stderr's first line when it failed
	Took    time.Duration
}

// cliLimit bounds a CLI command: --wait gives up after 60 s, and the sync
// after the commit is short.
const cliLimit = 150 * time.Second

// driver runs every bank's CLI commands, one at a time per bank (a command
// holds the bank's wallet lock), back to back until the end.
type driver struct {
	layout *testnet.Layout
	opt    Options
	faults *faults
	start  time.Time
	seq    atomic.Uint64 // payments so far: makes each amount unique

	mu   sync.Mutex
	runs []*cliRun
	took []time.Duration // durations of acknowledged commands: proving to sync
}

func newDriver(l *testnet.Layout, opt Options, f *faults, start time.Time) *driver {
	return &driver{layout: l, opt: opt, faults: f, start: start}
}

// run has every bank pay until end, and on while the faults last, and
// waits for their last commands.
func (d *driver) run(ctx context.Context, end time.Time) {
	var wg sync.WaitGroup
	for b := range d.layout.Banks {
		wg.Add(1)
		go func() { defer wg.Done(); d.bank(ctx, b, end) }()
	}
	wg.Wait()
}

// bank runs bank b's commands: transfers to the other banks in random
// currencies (one in five a bulk transfer of 2–4 payments), and now and
// then an apply-pending, each through a random validator that is up.
func (d *driver) bank(ctx context.Context, b int, end time.Time) {
	r := rand.New(rand.NewPCG(d.opt.Seed, uint64(100+b)))
	for ctx.Err() == nil && (time.Now().Before(end) || !d.faults.done.Load()) {
		c := d.plan(r, b)
		d.exec(ctx, c)
		if c.Exit != 0 && !c.Killed {
			_ = sleep(ctx, 200*time.Millisecond) // a node down: try again shortly
		}
	}
}

// plan chooses bank b's next command from its seeded stream.
func (d *driver) plan(r *rand.Rand, b int) *cliRun {
	banks := d.layout.Banks
	c := &cliRun{Bank: banks[b].ID, Kind: "transfer"}
	up := d.faults.upNodes()
	c.Node = r.IntN(len(d.layout.Validators))
	if len(up) > 0 {
		c.Node = up[r.IntN(len(up))]
	}
	if r.Float64() < d.opt.CLIKill {
		c.killAt = time.Duration(r.Float64() * float64(d.killWindow()))
		c.killAt = max(c.killAt, time.Millisecond)
	}
	if r.IntN(10) == 0 {
		c.Kind = "apply-pending"
		return c
	}
	c.To = banks[(b+1+r.IntN(len(banks)-1))%len(banks)].ID
	c.Cur = ledger.Currencies[r.IntN(len(ledger.Currencies))].Code
	n := 1
	if r.IntN(5) == 0 {
		n = 2 + r.IntN(3)
	}
	for range n {
		c.Amounts = append(c.Amounts, d.seq.Add(1)*1000+1+r.Uint64N(999))
	}
	return c
}

// killWindow is how far into a command a kill may fall: 1.2 times the
// median acknowledged command, so that kills land while it starts, proves,
// broadcasts, waits for the commit or syncs.
func (d *driver) killWindow() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.took) < 5 {
		return 3 * time.Second
	}
	s := slices.Clone(d.took)
	slices.Sort(s)
	return s[len(s)/2] * 6 / 5
}

// args is the command line of c.
func (d *driver) args(c *cliRun) []string {
	home, _ := d.layout.Bank(c.Bank)
	node := d.layout.Validators[c.Node].RPC
	if c.Kind == "apply-pending" {
		return []string{"apply-pending", "--home", home.Home, "--node", node, "--wait"}
	}
	args := []string{"transfer", "--home", home.Home, "--node", node, "--to", c.To, "--currency", c.Cur.String(), "--wait"}
	for _, a := range c.Amounts {
		args = append(args, "--amount", ledger.FormatAmount(c.Cur, a))
	}
	return args
}

// exec runs c as a sable process, SIGKILLing it at c.killAt if it is
// still running, and records how it ended.
func (d *driver) exec(ctx context.Context, c *cliRun) {
	cmd := localnet.Command(d.opt.Sable, d.args(c)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		c.Exit, c.Reason = -1, err.Error()
		d.record(c)
		return
	}
	limit := cliLimit
	if c.killAt > 0 {
		limit = c.killAt
	}
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	_ = cmd.Wait()
	timer.Stop()
	c.Took = time.Since(t0)
	d.outcome(c, cmd.ProcessState.Sys(), stdout.String(), stderr.String())
	d.record(c)
}

// outcome reads how a command ended from its wait status and output.
func (d *driver) outcome(c *cliRun, sys any, stdout, stderr string) {
	if ws, ok := sys.(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		c.Killed, c.Hung = c.killAt > 0, c.killAt == 0
		c.Exit = -1
	} else if ok {
		c.Exit = ws.ExitStatus()
	}
	if line, _, _ := strings.Cut(stdout, "\n"); line != "" {
		if id, err := ledger.ParseTxID(strings.Fields(line)[0]); err == nil {
			c.TxID, c.Printed = id, true
		}
	}
	c.Acked = c.Exit == 0 && strings.Contains(stderr, "committed at height")
	if c.Exit != 0 && !c.Killed {
		c.Reason = firstError(stderr)
	}
}

// firstError is the first "sable: error:" line of a command's stderr.
func firstError(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "sable: error:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "sable: error:"))
		}
	}
	return strings.TrimSpace(stderr)
}

func (d *driver) record(c *cliRun) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.runs = append(d.runs, c)
	if c.Acked {
		d.took = append(d.took, c.Took)
	}
	if c.Killed {
		d.opt.Log.Info("chaos: fault", "at_s", fmt.Sprintf("%.1f", time.Since(d.start).Seconds()), "kind", faultCLI,
			"bank", c.Bank, "command", c.Kind, "after", c.killAt.Round(time.Millisecond), "printed_txid", c.Printed)
	}
}

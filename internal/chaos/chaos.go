package chaos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// Options shape a chaos run.
type Options struct {
	Duration time.Duration // how long the banks pay and faults strike; default 10m
	Seed     uint64        // the schedule's seed; 0 picks one (printed in the result)
	Sable    string        // the sable binary the validators and the CLIs run (required)
	Dir      string        // where the network lives; default a temporary directory, removed after
	// FaultGap bounds the pause between two validator faults; default 6–14 s.
	FaultGap [2]time.Duration
	// CLIKill is the share of CLI commands SIGKILLed mid-run; default 0.15.
	CLIKill float64
	Log     *slog.Logger // progress; default silent
}

func (o Options) withDefaults() (Options, error) {
	if o.Sable == "" {
		return o, errors.New("chaos: no sable binary (want the path of sable)")
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Minute
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()>>1 | 1
	}
	if o.FaultGap[0] <= 0 || o.FaultGap[1] < o.FaultGap[0] {
		o.FaultGap = [2]time.Duration{6 * time.Second, 14 * time.Second}
	}
	if o.CLIKill <= 0 {
		o.CLIKill = 0.15
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// fund is each bank's genesis balance in every currency (major units):
// enough for any run's payments, JPY included (no minor unit).
const fund = "1000000000"

// Run runs the chaos and checks what it left. The result is returned
// whenever the run got as far as checking; the error says which checks
// failed, or why the run could not be made.
func Run(ctx context.Context, opt Options) (*Result, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	dir, cleanup, err := runDir(opt.Dir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	opt.Log.Info("chaos: writing a 4-validator testnet", "dir", dir, "seed", opt.Seed)
	net, err := localnet.New(dir, localnet.Options{Options: testnet.Options{Validators: 4, Fund: fund}, Sable: opt.Sable})
	if err != nil {
		return nil, fmt.Errorf("chaos: %w", err)
	}
	defer net.Close()
	if err := startAll(ctx, net); err != nil {
		return nil, err
	}
	before, err := supplies(ctx, net.Client(0))
	if err != nil {
		return nil, err
	}
	res := &Result{Seed: opt.Seed, Validators: net.Validators(), Banks: len(net.Layout.Banks), Machine: machine(),
		Date: time.Now().UTC().Format(time.RFC3339)}
	if err := run(ctx, net, opt, res); err != nil {
		return res, err
	}
	if err := check(ctx, net, res, before); err != nil {
		return res, err
	}
	if failed := res.Failed(); len(failed) > 0 {
		return res, fmt.Errorf("chaos: seed %d: checks failed: %v", opt.Seed, failed)
	}
	return res, nil
}

// runDir is dir, or a temporary directory that cleanup removes.
func runDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "sable-chaos-")
	if err != nil {
		return "", nil, fmt.Errorf("chaos: %w", err)
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// startAll starts every validator and waits until each has committed a
// block (a node answers queries from its first committed state on).
func startAll(ctx context.Context, net *localnet.Net) error {
	if err := net.StartAll(ctx); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	if err := net.WaitHeight(net.All(), 2, 2*time.Minute); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

// run has the banks pay and the faults strike for the duration, then
// brings every validator back and waits for the last CLIs.
func run(ctx context.Context, net *localnet.Net, opt Options, res *Result) error {
	start := time.Now()
	end := start.Add(opt.Duration)
	f := newFaults(net, opt, start)
	d := newDriver(net.Layout, opt, f, start)
	done := make(chan struct{})
	go func() { defer close(done); d.run(ctx, end) }()
	ferr := f.run(ctx, end)
	rerr := f.restoreAll(ctx)
	<-done
	res.Duration = time.Since(start)
	res.Faults = f.summary()
	res.CLI = d.summary()
	res.runs = d.runs
	res.crashes = f.crashes
	res.Events = f.events
	res.countCLIKills()
	return errors.Join(ferr, rerr)
}

// supplies reads every currency's supply commitment.
func supplies(ctx context.Context, c interface {
	Supply(context.Context, ledger.Currency) (ledger.SupplyInfo, error)
}) (map[ledger.Currency]string, error) {
	out := map[ledger.Currency]string{}
	for _, k := range ledger.Currencies {
		s, err := c.Supply(ctx, k.Code)
		if err != nil {
			return nil, fmt.Errorf("chaos: supply of %s: %w", k.Code, err)
		}
		out[k.Code] = s.Supply
	}
	return out, nil
}

package localnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// Options shape a local network.
type Options struct {
	// The testnet to write; a zero BasePort takes free loopback ports.
	testnet.Options
	// Sable is the path of a sable binary: every validator then runs as its
	// own 'sable node' process, which can be killed like a crashed machine,
	// logging to its own file (Net.LogPath). Empty runs the validators inside
	// this process (node.Start), quietly.
	Sable string
	// LogLevel is 'sable node --log-level'; empty keeps the node's default.
	LogLevel string
}

// Write writes a testnet in dir, on free loopback ports unless
// opts.BasePort is set.
func Write(dir string, opts testnet.Options) (*testnet.Layout, error) {
	if opts.BasePort == 0 {
		validators := max(opts.Validators, 1)
		base, err := FreeBasePort(validators)
		if err != nil {
			return nil, err
		}
		opts.BasePort = base
	}
	l, err := testnet.Write(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("localnet: %w", err)
	}
	return l, nil
}

// Net is a local network: a written testnet and its validators, each
// running or not. Validator i is Layout.Validators[i]. A Net's methods are
// not safe for concurrent use on the same validator.
type Net struct {
	Layout *testnet.Layout
	dir    string
	opts   Options
	vals   []*validator
}

// validator is one validator's running state.
type validator struct {
	home string
	runs int    // starts so far, numbered in its log
	run  runner // nil while it is not running
	rpc  *rpchttp.HTTP
	cl   *client.Client
}

// New writes a testnet in dir (see Write) and returns it with no validator
// running.
func New(dir string, opts Options) (*Net, error) {
	l, err := Write(dir, opts.Options)
	if err != nil {
		return nil, err
	}
	n := &Net{Layout: l, dir: dir, opts: opts}
	for i, v := range l.Validators {
		n.vals = append(n.vals, &validator{home: v.Home})
		if err := n.dial(i); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Validators is the number of validators.
func (n *Net) Validators() int { return len(n.vals) }

// All lists every validator's index, for the waits.
func (n *Net) All() []int {
	all := make([]int, len(n.vals))
	for i := range all {
		all[i] = i
	}
	return all
}

// StartAll starts every validator that is not running.
func (n *Net) StartAll(ctx context.Context) error {
	for i, v := range n.vals {
		if v.run != nil {
			continue
		}
		if err := n.Start(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

// Start starts validator i, or restarts it on its state after Stop, Kill
// or WaitExit; env adds environment variables to its process (for test
// hooks; a validator in this process takes none). A process returns at
// once, a validator in this process once its RPC listens. Each start gets
// fresh RPC clients: a stopped in-process node's kept-alive connections
// would go on answering.
func (n *Net) Start(ctx context.Context, i int, env ...string) error {
	v := n.vals[i]
	if v.run != nil {
		return fmt.Errorf("localnet: validator %d is already running", i)
	}
	v.runs++
	run, err := n.launch(ctx, i, env)
	if err != nil {
		return fmt.Errorf("localnet: start validator %d: %w", i, err)
	}
	v.run = run
	return n.dial(i)
}

// launch starts validator i's next run, as a process when the Net has a
// sable binary.
func (n *Net) launch(ctx context.Context, i int, env []string) (runner, error) {
	v := n.vals[i]
	if n.opts.Sable == "" {
		return startInProcess(ctx, v.home, env)
	}
	return startProcess(n.opts.Sable, v.home, n.LogPath(i), n.opts.LogLevel, v.runs, env)
}

// dial makes validator i's RPC clients.
func (n *Net) dial(i int) error {
	v, addr := n.vals[i], n.Layout.Validators[i].RPC
	var err error
	if v.rpc, err = client.RPC(addr, 0); err != nil {
		return fmt.Errorf("localnet: validator %d RPC: %w", i, err)
	}
	if v.cl, err = client.Dial(addr); err != nil {
		return fmt.Errorf("localnet: validator %d: %w", i, err)
	}
	return nil
}

// PID is validator i's process id, or 0 if it is not running as a process
// of its own (not started, ended, or inside this process). Benchmarks read
// its CPU time from /proc/<pid>/stat.
func (n *Net) PID(i int) int {
	if p, ok := n.vals[i].run.(*process); ok && p.cmd.Process != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// Home is validator i's home directory.
func (n *Net) Home(i int) string { return n.vals[i].home }

// Stop shuts validator i down cleanly (SIGTERM for a process) and waits
// for it. Stopping a validator that is not running does nothing.
func (n *Net) Stop(i int) error { return n.end(i, "stop", runner.stop) }

// Kill SIGKILLs validator i's process, like a machine that crashes, and
// waits for it to die.
func (n *Net) Kill(i int) error { return n.end(i, "kill", runner.kill) }

// end ends validator i's run with how; a run that does not end stays, for
// Close.
func (n *Net) end(i int, what string, how func(runner) error) error {
	v := n.vals[i]
	if v.run == nil {
		return nil
	}
	if err := how(v.run); err != nil {
		return fmt.Errorf("localnet: %s validator %d: %w", what, i, err)
	}
	v.run = nil
	return nil
}

// WaitExit waits for validator i's process to end by itself (a test hook
// that kills it) and returns how it ended.
func (n *Net) WaitExit(i int, timeout time.Duration) (*os.ProcessState, error) {
	v := n.vals[i]
	if v.run == nil {
		return nil, fmt.Errorf("localnet: validator %d is not running", i)
	}
	st, err := v.run.wait(timeout)
	if err != nil {
		return nil, fmt.Errorf("localnet: validator %d: %w", i, err)
	}
	v.run = nil
	return st, nil
}

// StopAll stops every running validator cleanly, all at once: a validator
// stopping while its peers still gossip to it is where CometBFT's shutdown
// is fragile. A process that does not stop is killed, and its error
// returned.
func (n *Net) StopAll() error {
	errs := make([]error, len(n.vals))
	var wg sync.WaitGroup
	for i := range n.vals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = n.Stop(i); errs[i] != nil {
				_ = n.Kill(i)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close ends whatever still runs, for clean-up after a failure: processes
// are SIGKILLed, validators in this process stopped.
func (n *Net) Close() {
	for i, v := range n.vals {
		if _, ok := v.run.(*process); ok {
			_ = n.Kill(i)
		}
	}
	_ = n.StopAll()
}

// LogPath is the file validator i's process logs to, every run appended
// after a line "==== run N [env]". It lies outside the validators' homes.
func (n *Net) LogPath(i int) string {
	return filepath.Join(n.dir, "logs", fmt.Sprintf("validator-%d.log", i))
}

// Log reads validator i's log ("" when there is none).
func (n *Net) Log(i int) string {
	b, _ := os.ReadFile(n.LogPath(i))
	return string(b)
}

// RPC is a CometBFT RPC client to validator i, renewed at each start.
func (n *Net) RPC(i int) *rpchttp.HTTP { return n.vals[i].rpc }

// Client is a Sable client to validator i, renewed at each start.
func (n *Net) Client(i int) *client.Client { return n.vals[i].cl }

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sable-settlement/sable/bench"
	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/internal/chaos"
)

type benchFlags struct {
	json, quick, check, noProgress bool
	rounds, batch                  int
	results                        string

	validators int
	duration   time.Duration
	noKill     bool
	skipLedger bool

	preproved      bool
	rate           float64
	perTx          int
	timeoutCommit  time.Duration
	timeoutPropose time.Duration
	blockBytes     int64
	blockGas       int64
	netDir         string
	profile        time.Duration
}

func (f *benchFlags) register(cmd *cobra.Command) {
	fl := cmd.PersistentFlags()
	fl.BoolVar(&f.json, "json", false, "print one JSON object instead of tables")
	fl.BoolVar(&f.quick, "quick", false, "CI-sized run: fewer rounds, smaller batches")
	fl.BoolVar(&f.check, "check", false, "exit 1 if a target is not met")
	fl.BoolVar(&f.noProgress, "no-progress", false, "no progress bar on stderr")
	fl.IntVar(&f.rounds, "rounds", 0, "interleaved proving rounds (default 31, quick 7)")
	fl.IntVar(&f.batch, "batch", 0, "proofs in the verification batch (default 100, quick 32)")
	fl.StringVar(&f.results, "results", "", "also write the Markdown report to this file (e.g. bench/results.md)")
}

func (f *benchFlags) registerLedger(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&f.validators, "validators", 4, "validators of the loopback network")
	fl.DurationVar(&f.duration, "duration", 0, "how long the banks pay (default 30s, quick 12s)")
	fl.BoolVar(&f.noKill, "no-kill", false, "keep every validator up (by default the last one is stopped halfway)")
	fl.BoolVar(&f.preproved, "preproved", false, "measure the validators alone: every bank proves and signs its batches before the window, then submits them at --rate")
	fl.Float64Var(&f.rate, "rate", 100, "with --preproved: payments per second offered, shared by the banks")
	fl.IntVar(&f.perTx, "per-tx", 0, "with --preproved: payments per transaction (default: the most one carries)")
	fl.DurationVar(&f.timeoutCommit, "timeout-commit", 0, "the validators' consensus timeout_commit (default: the testnet's)")
	fl.DurationVar(&f.timeoutPropose, "timeout-propose", 0, "the validators' consensus timeout_propose (default: the testnet's)")
	fl.Int64Var(&f.blockBytes, "block-bytes", 0, "the chain's largest block in bytes (default: the testnet's)")
	fl.StringVar(&f.netDir, "dir", "", "with --preproved: write the network here and keep it (logs, stores) instead of a temporary directory")
	fl.Int64Var(&f.blockGas, "block-gas", 0, "the chain's block.max_gas: 6 per proof plus 1 per batch payment (default: the testnet's; -1: none)")
	fl.DurationVar(&f.profile, "profile", 0, "with --preproved: take a CPU profile of validator 0 this long in the middle of the window, and report its top")
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [prove|he|ledger|chaos]",
		Short: "Measure the proving path, HE aggregation and the ledger against baselines, in one run",
		Long: `Measure Sable's hot paths. Every figure that matters is a ratio of two
measurements taken in the same process, interleaved, because shared
machines are noisy: the transfer prover against the naive baseline circuit
and against its MSM floor, batched against single verification.

'sable bench' runs everything; 'sable bench prove', 'sable bench he' and
'sable bench ledger' one part each. 'sable bench chaos' (not part of
'sable bench') is the chaos run: faults while the banks pay, then checks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := runProveBench(cmd, &f)
			if err != nil {
				return err
			}
			h, heErr := runHEBench(cmd, &f)
			var l *bench.LedgerResult
			var lErr error
			if !f.skipLedger {
				l, lErr = runLedgerBench(cmd, &f)
			}
			if f.json {
				out := map[string]any{"prove": p, "he": h, "ledger": l}
				if heErr != nil {
					out["he_error"] = heErr.Error()
				}
				if lErr != nil {
					out["ledger_error"] = lErr.Error()
				}
				if err := printJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				w := cmd.OutOrStdout()
				p.WriteText(w)
				fmt.Fprintln(w)
				if h != nil {
					h.WriteText(w)
				}
				if heErr != nil {
					fmt.Fprintf(w, "HE benchmark failed: %v\n", heErr)
				}
				fmt.Fprintln(w)
				if l != nil {
					l.WriteText(w)
				}
				if lErr != nil {
					fmt.Fprintf(w, "Ledger benchmark failed: %v\n", lErr)
				}
			}
			if err := writeResults(cmd, &f, p, h, heErr, l, lErr); err != nil {
				return err
			}
			if err := errors.Join(heErr, lErr); err != nil {
				return failf("%v", err)
			}
			return checkTargets(&f, p)
		},
	}
	f.register(cmd)
	f.registerLedger(cmd)
	cmd.Flags().BoolVar(&f.skipLedger, "skip-ledger", false, "leave out the ledger benchmark")

	prove := &cobra.Command{
		Use:   "prove",
		Short: "Transfer proving against the baseline circuit and the MSM floor; verification, batches, throughput",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := runProveBench(cmd, &f)
			if err != nil {
				return err
			}
			if f.json {
				if err := printJSON(cmd.OutOrStdout(), p); err != nil {
					return err
				}
			} else {
				p.WriteText(cmd.OutOrStdout())
			}
			if err := writeResults(cmd, &f, p, nil, nil, nil, nil); err != nil {
				return err
			}
			return checkTargets(&f, p)
		},
	}
	he := &cobra.Command{
		Use:   "he",
		Short: "HE flows: encrypt, add, decrypt and audit an aggregate of 100,000 flows, bytes per flow",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h, err := runHEBench(cmd, &f)
			if err != nil {
				return failf("%v", err)
			}
			if f.json {
				if err := printJSON(cmd.OutOrStdout(), h); err != nil {
					return err
				}
			} else {
				h.WriteText(cmd.OutOrStdout())
			}
			return writeResults(cmd, &f, nil, h, nil, nil, nil)
		},
	}
	ledgerCmd := &cobra.Command{
		Use:   "ledger [--validators 4] [--duration 30s]",
		Short: "A loopback network of validators (sable node processes): tps and submit→commit latency, with one validator killed halfway",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.preproved {
				return runPreproved(cmd, &f)
			}
			l, err := runLedgerBench(cmd, &f)
			if err != nil {
				return failf("%v", err)
			}
			if f.json {
				if err := printJSON(cmd.OutOrStdout(), l); err != nil {
					return err
				}
			} else {
				l.WriteText(cmd.OutOrStdout())
			}
			return writeResults(cmd, &f, nil, nil, nil, l, nil)
		},
	}
	f.registerLedger(ledgerCmd)
	cmd.AddCommand(prove, he, ledgerCmd, newChaosCmd(&f))
	return cmd
}

// newChaosCmd is 'sable bench chaos': the run lives in internal/chaos.
func newChaosCmd(f *benchFlags) *cobra.Command {
	var opt chaos.Options
	cmd := &cobra.Command{
		Use:   "chaos [--duration 10m] [--seed N]",
		Short: "Chaos run: validators (one, two at once, one inside Commit) and bank CLIs SIGKILLed while the banks pay; then exactly-once, supply, wallet, app-hash and audit checks",
		Long: `Run 4 validators ('sable node' processes) with every testnet bank paying
continuously through 'sable transfer --wait' processes, while a seeded schedule
SIGKILLs a random validator, two at once (the network halts), a validator
between FinalizeBlock and Commit, and bank CLIs mid-command, restarting each.
Then check from the chain and the wallets: every acknowledged payment applied
exactly once, none twice, supply conserved, every wallet agreeing with the
ledger, one app hash, a consistent audit. Exit 1 if any check fails.

--seed reproduces the schedule of choices; --results writes the run as the
"## Chaos" section of that file (bench/results.md), leaving the rest alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runChaos(cmd, f, opt)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&opt.Duration, "duration", 10*time.Minute, "how long the banks pay and the faults strike")
	fl.Uint64Var(&opt.Seed, "seed", 0, "the schedule's seed (default: a random one, printed)")
	fl.StringVar(&opt.Dir, "dir", "", "keep the network and its logs in this directory (default: a temporary one, removed)")
	return cmd
}

func runChaos(cmd *cobra.Command, f *benchFlags, opt chaos.Options) error {
	self, err := os.Executable()
	if err != nil {
		return failf("%v", err)
	}
	opt.Sable = self
	if !f.noProgress {
		opt.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	ctx, cancel := commandContext()
	defer cancel()
	res, runErr := chaos.Run(ctx, opt)
	if res == nil {
		return failf("%v", runErr)
	}
	if f.json {
		if err := printJSON(cmd.OutOrStdout(), res); err != nil {
			return err
		}
	} else {
		res.WriteText(cmd.OutOrStdout())
	}
	if f.results != "" {
		old, err := os.ReadFile(f.results)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return failf("%v", err)
		}
		if err := atomicfile.Write(f.results, bench.ReplaceSection(old, chaos.Heading, res.Markdown()), 0o644); err != nil {
			return failf("%v", err)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: wrote the chaos section of %s\n", f.results)
	}
	if runErr != nil {
		return failf("%v", runErr)
	}
	return nil
}

func runProveBench(cmd *cobra.Command, f *benchFlags) (*bench.ProveResult, error) {
	pr := newProgress(cmd.ErrOrStderr(), f.noProgress)
	defer pr.done()
	res, err := bench.Prove(bench.ProveOptions{Quick: f.quick, Rounds: f.rounds, BatchSize: f.batch, Progress: pr})
	if err != nil {
		return nil, failf("bench prove: %v", err)
	}
	return res, nil
}

func runHEBench(cmd *cobra.Command, f *benchFlags) (*bench.HEResult, error) {
	pr := newProgress(cmd.ErrOrStderr(), f.noProgress)
	defer pr.done()
	return bench.HE(bench.HEOptions{Quick: f.quick, Progress: pr})
}

func runLedgerBench(cmd *cobra.Command, f *benchFlags) (*bench.LedgerResult, error) {
	pr := newProgress(cmd.ErrOrStderr(), f.noProgress)
	defer pr.done()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return bench.Ledger(bench.LedgerOptions{Quick: f.quick, Validators: f.validators, Duration: f.duration, Kill: !f.noKill,
		Sable: self, Progress: pr})
}

// runPreproved is 'sable bench ledger --preproved': it prints the result and
// writes the "## Ledger throughput" section of --results, leaving the rest.
func runPreproved(cmd *cobra.Command, f *benchFlags) error {
	pr := newProgress(cmd.ErrOrStderr(), f.noProgress)
	self, err := os.Executable()
	if err != nil {
		pr.done()
		return failf("%v", err)
	}
	opt := bench.LedgerOptions{Quick: f.quick, Validators: f.validators, Duration: f.duration, Kill: !f.noKill,
		Sable: self, Progress: pr, Rate: f.rate, PerTx: f.perTx, Profile: f.profile, Dir: f.netDir}
	opt.Testnet.TimeoutCommit, opt.Testnet.TimeoutPropose = f.timeoutCommit, f.timeoutPropose
	opt.Testnet.BlockMaxBytes, opt.Testnet.BlockMaxGas = f.blockBytes, f.blockGas
	r, err := bench.LedgerPreproved(opt)
	pr.done()
	if err != nil {
		return failf("%v", err)
	}
	if f.json {
		if err := printJSON(cmd.OutOrStdout(), r); err != nil {
			return err
		}
	} else {
		r.WriteText(cmd.OutOrStdout())
	}
	if f.results == "" {
		return nil
	}
	old, _ := os.ReadFile(f.results)
	md := bench.ReplaceSection(old, bench.ThroughputHeading, bench.ThroughputMarkdown(r))
	if err := atomicfile.Write(f.results, md, 0o644); err != nil {
		return failf("%v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "sable: wrote the %q section of %s\n", bench.ThroughputHeading, f.results)
	return nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failf("%v", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeResults(cmd *cobra.Command, f *benchFlags, p *bench.ProveResult, h *bench.HEResult, heErr error, l *bench.LedgerResult, lErr error) error {
	if f.results == "" {
		return nil
	}
	old, _ := os.ReadFile(f.results) // its chaos section, written by 'sable bench chaos', is kept
	md := bench.KeepSection(bench.MarkdownAll(p, h, heErr, l, lErr), old, chaos.Heading)
	md = bench.KeepSection(md, old, bench.ThroughputHeading) // written by 'sable bench ledger --preproved'

	if err := atomicfile.Write(f.results, md, 0o644); err != nil {
		return failf("%v", err)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "sable: wrote %s\n", f.results)
	return nil
}

func checkTargets(f *benchFlags, p *bench.ProveResult) error {
	if !f.check || p == nil {
		return nil
	}
	for _, t := range p.Targets {
		if !t.Met {
			return withHint(failf("target %s %s not met: %.2f", t.Name, t.Want, t.Value), "see the phases above and bench/results.md for where the time goes")
		}
	}
	return nil
}

// progress shows the harness's stages as a progress bar on a terminal,
// and as one line per stage otherwise.
type progress struct {
	w     io.Writer
	off   bool
	tty   bool
	bar   *progressbar.ProgressBar
	start time.Time
	name  string
}

func newProgress(w io.Writer, off bool) *progress {
	p := &progress{w: w, off: off}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *progress) Stage(name string, total int) {
	if p.off {
		return
	}
	p.finish()
	p.name, p.start = name, time.Now()
	if !p.tty {
		fmt.Fprintf(p.w, "sable: bench: %s\n", name)
		return
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *progress) Step() {
	if p.bar != nil {
		p.bar.Add(1)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}

func (p *progress) done() { p.finish() }

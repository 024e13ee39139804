package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sable-settlement/sable/bench"
	"github.com/sable-settlement/sable/internal/atomicfile"
)

type benchFlags struct {
	json, quick, check, noProgress bool
	rounds, batch                  int
	results                        string
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

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [prove|he]",
		Short: "Measure the proving path and HE aggregation against baselines, in one run",
		Long: `Measure Sable's hot paths. Every figure that matters is a ratio of two
measurements taken in the same process, interleaved, because shared
machines are noisy: the transfer prover against the naive baseline circuit
and against its MSM floor, batched against single verification.

'sable bench' runs everything; 'sable bench prove' and 'sable bench he' one
part each. The 4-validator ledger benchmark is not part of this harness yet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := runProveBench(cmd, &f)
			if err != nil {
				return err
			}
			h, heErr := runHEBench(cmd, &f)
			if f.json {
				out := map[string]any{"prove": p, "he": h, "ledger": bench.LedgerNote}
				if heErr != nil {
					out["he_error"] = heErr.Error()
				}
				if err := printJSON(cmd.OutOrStdout(), out); err != nil {
					return err
				}
			} else {
				p.WriteText(cmd.OutOrStdout())
				fmt.Fprintln(cmd.OutOrStdout())
				if h != nil {
					h.WriteText(cmd.OutOrStdout())
				}
				if heErr != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "HE benchmark failed: %v\n", heErr)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "\nLedger: %s.\n", bench.LedgerNote)
			}
			if err := writeResults(cmd, &f, p, h, heErr); err != nil {
				return err
			}
			if heErr != nil {
				return failf("%v", heErr)
			}
			return checkTargets(&f, p)
		},
	}
	f.register(cmd)

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
			if err := writeResults(cmd, &f, p, nil, nil); err != nil {
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
			return writeResults(cmd, &f, nil, h, nil)
		},
	}
	cmd.AddCommand(prove, he)
	return cmd
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

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failf("%v", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeResults(cmd *cobra.Command, f *benchFlags, p *bench.ProveResult, h *bench.HEResult, heErr error) error {
	if f.results == "" {
		return nil
	}
	if err := atomicfile.Write(f.results, bench.Markdown(p, h, heErr), 0o644); err != nil {
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

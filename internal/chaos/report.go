package chaos

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"sort"
	"time"
)

// Result is what a chaos run did and what its checks found.
type Result struct {
	Seed       uint64        `json:"seed"`
	Validators int           `json:"validators"`
	Banks      int           `json:"banks"`
	Duration   time.Duration `json:"duration_ns"`
	Machine    string        `json:"machine"`
	Date       string        `json:"date"`
	Faults     Faults        `json:"faults"`
	CLI        CLI           `json:"cli"`
	Payments   Payments      `json:"payments"`
	Height     int64         `json:"height"`
	AppHash    string        `json:"app_hash"`
	Checks     []Check       `json:"checks"`
	Events     []Event       `json:"events"`

	runs    []*cliRun
	crashes []crash
}

// Faults counts the faults by kind.
type Faults struct {
	Validator    int     `json:"validator"`      // one validator SIGKILLed
	Two          int     `json:"two"`            // two at once: halts
	Stalled      int     `json:"stalled"`        // of those, halts in which no block was committed while they were down
	HaltTotalS   float64 `json:"halt_total_s"`   // kill to first block after the restart, summed
	HaltLongestS float64 `json:"halt_longest_s"` //
	Commit       int     `json:"commit"`         // killed itself between FinalizeBlock and Commit
	Replayed     int     `json:"replayed"`       // of those, replayed the block on restart
	ReplayedTxs  int     `json:"replayed_txs"`   // transactions in the blocks replayed
	CLI          int     `json:"cli"`            // bank CLIs SIGKILLed mid-command
	CLIBefore    int     `json:"cli_before"`     // of those, before printing the transaction id (proving, broadcasting)
	CLIWaiting   int     `json:"cli_waiting"`    // after it: waiting for the commit, or syncing
}

// CLI counts the banks' commands.
type CLI struct {
	Commands     int            `json:"commands"`
	ApplyPending int            `json:"apply_pending"`
	Failed       int            `json:"failed"` // exited non-zero without being killed
	Hung         int            `json:"hung"`   // killed after running past the limit: must be 0
	Reasons      map[string]int `json:"reasons"`
}

func (f *faults) summary() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s Faults
	for _, e := range f.events {
		switch e.Kind {
		case faultOne:
			s.Validator++
		case faultTwo:
			s.Two++
		case faultCommit:
			s.Commit++
		}
	}
	for _, h := range f.halts {
		if h.stalled {
			s.Stalled++
		}
		s.HaltTotalS += h.took.Seconds()
		s.HaltLongestS = max(s.HaltLongestS, h.took.Seconds())
	}
	for _, c := range f.crashes {
		if c.replayed {
			s.Replayed++
			s.ReplayedTxs += c.txs
		}
	}
	return s
}

// summary counts the commands; CLI kills go into the faults too.
func (d *driver) summary() CLI {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := CLI{Reasons: map[string]int{}}
	for _, c := range d.runs {
		s.Commands++
		if c.Kind == "apply-pending" {
			s.ApplyPending++
		}
		if c.Hung {
			s.Hung++
		}
		if c.Exit != 0 && !c.Killed && !c.Hung {
			s.Failed++
			s.Reasons[shorten(c.Reason)]++
		}
	}
	return s
}

func (r *Result) countCLIKills() {
	for _, c := range r.runs {
		if !c.Killed {
			continue
		}
		r.Faults.CLI++
		if c.Printed {
			r.Faults.CLIWaiting++
		} else {
			r.Faults.CLIBefore++
		}
	}
}

// shorten makes a failure's reason groupable: transaction ids, quoted
// strings (URLs) and port numbers are elided, and it is cut at 160
// characters.
func shorten(s string) string {
	s = quoted.ReplaceAllString(s, `"…"`)
	s = hexID.ReplaceAllString(s, "…")
	s = port.ReplaceAllString(s, ":…")
	if r := []rune(s); len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}

var (
	quoted = regexp.MustCompile(`"[^"]*"`)
	hexID  = regexp.MustCompile(`[0-9a-f]{16,}`)
	port   = regexp.MustCompile(`:[0-9]{2,5}\b`)
)

// Failed lists the names of the checks that failed.
func (r *Result) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

func machine() string {
	return fmt.Sprintf("%d cores (GOMAXPROCS %d), %s/%s, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func okMark(ok bool) string {
	if ok {
		return "passed"
	}
	return "FAILED"
}

// WriteText renders the run for a person.
func (r *Result) WriteText(w io.Writer) {
	f, p := r.Faults, r.Payments
	fmt.Fprintf(w, "Chaos run, seed %d: %d validators and %d banks for %s\n\n", r.Seed, r.Validators, r.Banks, r.Duration.Round(time.Second))
	fmt.Fprintf(w, "faults: %d validator kills, %d double kills (halts; longest %.1f s, %d with no block while down), %d self-kills in Commit (%d replayed, %d transactions in those blocks), %d CLI kills (%d before the txid, %d waiting)\n",
		f.Validator, f.Two, f.HaltLongestS, f.Stalled, f.Commit, f.Replayed, f.ReplayedTxs, f.CLI, f.CLIBefore, f.CLIWaiting)
	fmt.Fprintf(w, "commands: %d (%d transfers, %d apply-pending), %d failed without a kill, %d hung\n", r.CLI.Commands, p.Transfers, r.CLI.ApplyPending, r.CLI.Failed, r.CLI.Hung)
	fmt.Fprintf(w, "payments: %d launched, %d acknowledged, %d on the ledger (%d of them unacknowledged), %d twice, %d acknowledged but missing, %d unexplained\n",
		p.Launched, p.Acked, p.Applied, p.AppliedUnacked, p.Twice, p.AckedMissing, p.Unexplained)
	for _, reason := range sortedReasons(r.CLI.Reasons) {
		fmt.Fprintf(w, "  failed ×%d: %s\n", r.CLI.Reasons[reason], reason)
	}
	fmt.Fprintln(w)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "%-7s %s: %s\n", okMark(c.OK), c.Name, c.Detail)
	}
}

func sortedReasons(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return m[out[i]] > m[out[j]] || m[out[i]] == m[out[j]] && out[i] < out[j] })
	return out
}

// Heading is the heading of the run's section in bench/results.md.
const Heading = "## Chaos (`sable bench chaos`)"

// Markdown renders the run as the Chaos section of bench/results.md.
func (r *Result) Markdown() []byte {
	var b bytes.Buffer
	f, p := r.Faults, r.Payments
	fmt.Fprintf(&b, "%s\n\n", Heading)
	fmt.Fprintf(&b, "Written by `make chaos` (`sable bench chaos --duration %s --seed %d`) on %s, %s. %d validators, each a `sable node` process, and %d banks paying back to back, each through `sable transfer --wait` CLI processes (one in five a bulk transfer, one command in ten an `apply-pending`) sent to a random validator that is up, for %s. Rerun the same schedule of choices with `--seed %d`.\n\n",
		r.Duration.Round(time.Minute), r.Seed, r.Date, r.Machine, r.Validators, r.Banks, r.Duration.Round(time.Second), r.Seed)
	b.WriteString("| fault (SIGKILL) | count | |\n|---|---:|---|\n")
	fmt.Fprintf(&b, "| one validator, restarted 1–5 s later | %d | |\n", f.Validator)
	fmt.Fprintf(&b, "| two validators at once, restarted 2–8 s later: the network halts | %d | %d with no block committed while they were down; halted %.1f s in all, %.1f s at longest (kill to first block after the restart) |\n", f.Two, f.Stalled, f.HaltTotalS, f.HaltLongestS)
	fmt.Fprintf(&b, "| a validator kills itself between `FinalizeBlock` and `Commit` (test hook `%s`), restarted | %d | %d replayed the block on restart (%d transactions in those blocks) |\n", "SABLE_TEST_CRASH_BEFORE_COMMIT", f.Commit, f.Replayed, f.ReplayedTxs)
	fmt.Fprintf(&b, "| a bank's CLI mid-command | %d | %d before printing its transaction id (reconciling, proving, broadcasting), %d after (waiting for the commit, syncing) |\n\n", f.CLI, f.CLIBefore, f.CLIWaiting)
	b.WriteString("| payments | |\n|---|---:|\n")
	fmt.Fprintf(&b, "| commands run (transfers, apply-pending) | %d (%d, %d) |\n", r.CLI.Commands, p.Transfers, r.CLI.ApplyPending)
	fmt.Fprintf(&b, "| payments launched | %d |\n", p.Launched)
	fmt.Fprintf(&b, "| acknowledged committed (exit 0, `committed at height`) | %d |\n", p.Acked)
	fmt.Fprintf(&b, "| on the ledger | %d |\n", p.Applied)
	fmt.Fprintf(&b, "| of those, unacknowledged (CLI killed or failed after the transaction left it, or its in-flight record sent again by the bank's next command) | %d |\n", p.AppliedUnacked)
	fmt.Fprintf(&b, "| acknowledged but not on the ledger | %d |\n", p.AckedMissing)
	fmt.Fprintf(&b, "| on the ledger twice | %d |\n", p.Twice)
	fmt.Fprintf(&b, "| on the ledger, sent by no command | %d |\n", p.Unexplained)
	fmt.Fprintf(&b, "| commands that failed without a kill (node down, halt) | %d |\n\n", r.CLI.Failed)
	if len(r.CLI.Reasons) > 0 {
		b.WriteString("Why commands failed without a kill: ")
		for i, reason := range sortedReasons(r.CLI.Reasons) {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%d× `%s`", r.CLI.Reasons[reason], reason)
		}
		b.WriteString(".\n\n")
	}
	fmt.Fprintf(&b, "Checked after the run, from the chain and the wallets (every bank's wallet synced until nothing is in flight), at height %d:\n\n", r.Height)
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "- %s — %s: %s\n", okMark(c.OK), c.Name, c.Detail)
	}
	b.WriteString("\n")
	return b.Bytes()
}

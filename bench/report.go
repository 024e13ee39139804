package bench

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/sable-settlement/sable/ledger/state"
	"github.com/sable-settlement/sable/zkp"
)

func yes(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

func table(w io.Writer, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func f2(x float64) string { return fmt.Sprintf("%.2f", x) }
func f1(x float64) string { return fmt.Sprintf("%.1f", x) }

// WriteText renders the proving benchmark for a person.
func (r *ProveResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Proving — %s, %d cores, %d interleaved rounds (medians)\n\n", r.Machine.CPU, r.Machine.Cores, r.Rounds)
	table(w, [][]string{
		{"", "constraints", "domain", "prove p50"},
		{"transfer, Sable's table engine", fmt.Sprint(r.Constraints), fmt.Sprint(r.Domain), f2(r.ProveMsP50) + " ms"},
		{"transfer, gnark's prover", fmt.Sprint(r.Constraints), fmt.Sprint(r.Domain), f2(r.GnarkProveMsP50) + " ms"},
		{"baseline (naive), gnark's prover", fmt.Sprint(r.BaselineConstraints), fmt.Sprint(r.BaselineDomain), f2(r.BaselineProveMsP50) + " ms"},
	})
	fmt.Fprintln(w)
	table(w, [][]string{
		{"speedup (baseline ÷ transfer)", f2(r.Speedup) + "×", fmt.Sprintf("paired %s×, CPU time %s×; circuit alone %s×, prover alone %s×", f2(r.SpeedupPaired), f2(r.SpeedupCPU), f2(r.CircuitSpeedup), f2(r.ProverSpeedup))},
		{"MSM floor (MultiExp, this witness)", f2(r.MSMFloorMs) + " ms", fmt.Sprintf("A %s, B %s, B₂ %s, K %s, Z %s ms", f2(r.FloorDetail.A), f2(r.FloorDetail.B1), f2(r.FloorDetail.B2), f2(r.FloorDetail.K), f2(r.FloorDetail.Z))},
		{"floor ratio (prove ÷ floor)", f2(r.FloorRatio), ""},
		{"prover's own MSMs (tables)", f2(r.OwnMSMMs) + " ms", fmt.Sprintf("task time A %s, B %s, B₂ %s, K+Z %s ms; prove ÷ own MSMs %s", f2(r.OwnDetail.A), f2(r.OwnDetail.B1), f2(r.OwnDetail.B2), f2(r.OwnDetail.KZ), f2(r.OwnMSMRatio))},
		{"phases of a proof", f2(r.Phases.MSMMs) + " ms MSM", fmt.Sprintf("witness %s, solve %s, h %s (concurrent), finish %s ms", f2(r.Phases.WitnessMs), f2(r.Phases.SolveMs), f2(r.Phases.HMs), f2(r.Phases.FinishMs))},
		{"verify, one proof", f1(r.VerifyUs) + " µs", ""},
		{fmt.Sprintf("batch verify, %d proofs", r.BatchSize), f1(r.BatchVerifyUsPerProof) + " µs/proof", fmt.Sprintf("%s× vs singles on all cores, %s× vs one after another", f2(r.BatchSpeedup), f2(r.BatchSpeedupSeq))},
		{"proofs/s, all cores", f1(r.ProofsPerS), fmt.Sprintf("one at a time: %s", f1(r.ProofsPerSSingle))},
		{"proving key load", f2(r.PKLoadMs) + " ms", fmt.Sprintf("%d bytes; prover tables built once in %s ms", r.PKBytes, f1(r.ProverInitMs))},
	})
	fmt.Fprintln(w)
	if len(r.OnePath) > 0 {
		rows := [][]string{{"one proving path", "tables: build", "write", "load", "MB", "prove: tables", "gnark", "break-even", "one-shot: cached", "no cache"}}
		for _, e := range r.OnePath {
			rows = append(rows, []string{e.Circuit, f1(e.BuildMs) + " ms", f1(e.WriteMs) + " ms", f1(e.LoadMs) + " ms", f1(float64(e.TablesBytes) / 1e6),
				f1(e.TablesProveMs) + " ms", f1(e.GnarkProveMs) + " ms", f1(e.BreakEven) + " proofs",
				fmt.Sprintf("%s ms (%s)", f1(e.OneShotCachedMs), e.OneShotCachedBy), fmt.Sprintf("%s ms (%s)", f1(e.OneShotNoCacheMs), e.OneShotNoCacheBy)})
		}
		table(w, rows)
		fmt.Fprintln(w)
	}
	for _, t := range r.Targets {
		fmt.Fprintf(w, "target %-14s %-6s %6s  %s\n", t.Name, t.Want, f2(t.Value), yes(t.Met))
	}
}

// WriteText renders the HE benchmark for a person.
func (r *HEResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Homomorphic aggregation — %s, %d groups per ciphertext (medians)\n\n", r.Params, r.Groups)
	table(w, [][]string{
		{"encrypt, one flow per ciphertext", f1(r.EncryptUsPerFlow) + " µs/flow"},
		{fmt.Sprintf("encrypt, %d flows per ciphertext", r.Groups), f1(r.EncryptBatchUsPerFlow) + " µs/flow"},
		{"add into an aggregate", f2(r.AddUsPerFlow) + " µs/flow"},
		{"decode + add (the ledger's work)", f2(r.DecodeAddUsPerFlow) + " µs/flow"},
		{fmt.Sprintf("decrypt + audit, aggregate of %d flows", r.AggregateFlows), f2(r.DecryptAuditMs) + " ms", fmt.Sprintf("decrypt %s ms; audit %s", f2(r.DecryptMs), map[bool]string{true: "consistent", false: "INCONSISTENT"}[r.AuditOK])},
		{"commitment sum the audit compares with", f2(r.CommitSumUsFlow) + " µs/flow"},
		{"bytes per flow, one per ciphertext", fmt.Sprint(r.BytesPerFlow)},
		{fmt.Sprintf("bytes per flow, %d per ciphertext", r.Groups), f1(r.BytesPerFlowB)},
	})
}

// WriteText renders the ledger benchmark for a person.
func (r *LedgerResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Ledger — %d validators on loopback (one process each), %d banks paying pipelined transfers for %.0f s\n\n", r.Validators, r.Banks, r.DurationS)
	rows := [][]string{{"", "validators", "s", "submitted", "committed", "rejected", "tps", "p50", "p99"}}
	for _, p := range r.Phases {
		rows = append(rows, []string{p.Name, fmt.Sprint(p.Validators), f1(p.DurationS), fmt.Sprint(p.Submitted), fmt.Sprint(p.Committed), fmt.Sprint(p.Rejected), f1(p.TPS), f1(p.P50Ms) + " ms", f1(p.P99Ms) + " ms"})
	}
	rows = append(rows, []string{"whole run", "", f1(r.DurationS), fmt.Sprint(r.Submitted), fmt.Sprint(r.Committed), fmt.Sprint(r.Rejected), f1(r.TPS), f1(r.P50Ms) + " ms", f1(r.P99Ms) + " ms"})
	table(w, rows)
	b := r.Bytes
	fmt.Fprintf(w, "\nbytes per transfer: %d = proof %d + commitments %d + memo %d + audit memo %d + HE ciphertext %d + other %d\n", b.Total, b.Proof, b.Commitments, b.Memo, b.AuditMemo, b.HE, b.Other)
	if r.Lost > 0 {
		fmt.Fprintf(w, "%d accepted transfers were not seen committed by the end\n", r.Lost)
	}
	fmt.Fprintf(w, "%s\n", r.Note)
}

func ledgerMarkdown(b *bytes.Buffer, r *LedgerResult) {
	fmt.Fprintf(b, "%d validators on loopback, each a `sable node` process, %d banks each sending pipelined transfers through a validator of its own for %.0f s", r.Validators, r.Banks, r.DurationS)
	if len(r.Phases) > 1 {
		fmt.Fprintf(b, "; the last validator is killed (SIGKILL) halfway")
	}
	fmt.Fprintf(b, ". %s.\n\n| | validators | s | submitted | committed | rejected | tps | p50 | p99 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", r.Note)
	for _, p := range r.Phases {
		fmt.Fprintf(b, "| %s | %d | %.1f | %d | %d | %d | %.1f | %.0f ms | %.0f ms |\n", p.Name, p.Validators, p.DurationS, p.Submitted, p.Committed, p.Rejected, p.TPS, p.P50Ms, p.P99Ms)
	}
	fmt.Fprintf(b, "| whole run | | %.1f | %d | %d | %d | %.1f | %.0f ms | %.0f ms |\n\n", r.DurationS, r.Submitted, r.Committed, r.Rejected, r.TPS, r.P50Ms, r.P99Ms)
	x := r.Bytes
	fmt.Fprintf(b, "Bytes per transfer on the wire: %d = proof %d + commitments %d + memo %d + audit memo %d + HE flow ciphertext %d + other fields and signature %d.", x.Total, x.Proof, x.Commitments, x.Memo, x.AuditMemo, x.HE, x.Other)
	if x.Total > 0 {
		fmt.Fprintf(b, " The HE ciphertext is %.1f%% of it: the wallet sends one flow per ciphertext; the batch form (one ciphertext for a bank's payments of a block, see `sable bench he`) would bring it to a few hundred bytes per payment.", 100*float64(x.HE)/float64(x.Total))
	}
	b.WriteString("\n\n")
	fmt.Fprintf(b, "The banks proved through `zkp.OpenProver` (via `party.Open`): %d transfer proofs on the table engine (tables from %s), %d on gnark's.\n\n",
		r.Prover.TableProofs, orNone(r.Prover.Tables), r.Prover.GnarkProofs)
	if r.Lost > 0 {
		fmt.Fprintf(b, "%d accepted transfers were not seen committed by the end of the run.\n\n", r.Lost)
	}
	fmt.Fprintf(b, "The %d cores carry all the validators and the banks' provers at once: these figures are for a shared machine, not for consensus alone.\n", r.Machine.GOMAXPROCS)
}

func orNone(s string) string {
	if s == "" {
		return "nowhere"
	}
	return s
}

// Markdown renders bench/results.md. Any result may be nil.
func Markdown(p *ProveResult, h *HEResult, heErr error) []byte {
	return MarkdownAll(p, h, heErr, nil, nil)
}

// MarkdownAll is Markdown with the ledger's result or error.
func MarkdownAll(p *ProveResult, h *HEResult, heErr error, l *LedgerResult, lErr error) []byte {
	var b bytes.Buffer
	m := ThisMachine()
	if p != nil {
		m = p.Machine
	} else if h != nil {
		m = h.Machine
	}
	fmt.Fprintf(&b, "# Sable benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`sable bench --results bench/results.md`) on %s.\n\n", m.Date)
	fmt.Fprintf(&b, "- CPU: %s, %d cores (GOMAXPROCS %d), %s\n- Go %s; %s\n\n", m.CPU, m.Cores, m.GOMAXPROCS, m.OS, strings.TrimPrefix(m.Go, "go"), m.ModuleList())
	fmt.Fprintf(&b, "The machine is shared and noisy: each figure that matters is a ratio of measurements taken in the same process, interleaved round by round (the order rotating every round) so both sides see the same noise. Absolute times are context.\n\n")
	if p != nil {
		proveMarkdown(&b, p)
	}
	b.WriteString("## Homomorphic aggregation (`sable bench he`)\n\n")
	if h != nil {
		heMarkdown(&b, h)
	} else if heErr != nil {
		fmt.Fprintf(&b, "Not measured: %v\n\n", heErr)
	}
	b.WriteString("## Ledger (`sable bench ledger`)\n\n")
	switch {
	case l != nil:
		ledgerMarkdown(&b, l)
	case lErr != nil:
		fmt.Fprintf(&b, "Not measured: %v\n", lErr)
	default:
		b.WriteString("Not measured in this run (`sable bench ledger`).\n")
	}
	return b.Bytes()
}

func proveMarkdown(b *bytes.Buffer, r *ProveResult) {
	fmt.Fprintf(b, "## Proving (`sable bench prove`)\n\n%d interleaved rounds, medians.\n\n", r.Rounds)
	fmt.Fprintf(b, "| | constraints | FFT domain | prove p50 |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(b, "| transfer, Sable's table engine (`zkp.TableProver`) | %d | %d | %.2f ms |\n", r.Constraints, r.Domain, r.ProveMsP50)
	fmt.Fprintf(b, "| transfer, gnark's prover (`zkp.ProvingKey.ProveTransfer`) | %d | %d | %.2f ms |\n", r.Constraints, r.Domain, r.GnarkProveMsP50)
	fmt.Fprintf(b, "| baseline: naive circuit (`bench/baseline`), gnark's prover | %d | %d | %.2f ms |\n\n", r.BaselineConstraints, r.BaselineDomain, r.BaselineProveMsP50)

	fmt.Fprintf(b, "| target | want | this run | |\n|---|---|---:|---|\n")
	for _, t := range r.Targets {
		fmt.Fprintf(b, "| `%s` | %s | %.2f | %s |\n", t.Name, t.Want, t.Value, yes(t.Met))
	}
	fmt.Fprintf(b, "\n- `speedup` = baseline ÷ transfer p50 = %.2f× (median of the per-round ratios: %.2f×; in process CPU time, %.2f ms against %.2f ms: %.2f×). It is the product of the circuit (%.2f×: both on gnark's prover) and of the prover (%.2f×: gnark's prover ÷ Sable's on the transfer circuit).\n", r.Speedup, r.SpeedupPaired, r.BaselineCPUMsP50, r.ProveCPUMsP50, r.SpeedupCPU, r.CircuitSpeedup, r.ProverSpeedup)
	fmt.Fprintf(b, "- `msm_floor_ms` = %.2f ms: gnark-crypto's `MultiExp` of the proving key's vectors by this circuit's solved witness — A %.2f, B %.2f (G1), B %.2f (G2), K %.2f, Z·h %.2f ms, one after another, each on all cores. `floor_ratio` = prove ÷ floor = %.2f: Sable's prover is faster than the MSMs it would need with `MultiExp`, because its MSMs run on tables precomputed from the key.\n", r.MSMFloorMs, r.FloorDetail.A, r.FloorDetail.B1, r.FloorDetail.B2, r.FloorDetail.K, r.FloorDetail.Z, r.FloorRatio)
	fmt.Fprintf(b, "- The prover's own MSMs on the same scalars take %.2f ms of wall time (their tasks: A %.2f, B %.2f, B₂ %.2f, K+Z·h %.2f ms, on both cores): prove ÷ own MSMs = %.2f, the honest measure of what proving adds to its MSMs.\n", r.OwnMSMMs, r.OwnDetail.A, r.OwnDetail.B1, r.OwnDetail.B2, r.OwnDetail.KZ, r.OwnMSMRatio)
	fmt.Fprintf(b, "- Both engines make ordinary Groth16 proofs for the same keys, and both sit behind the one proving path, `zkp.OpenProver` (below), which picks the faster. The figures above are the engines alone, without the check of each fresh proof that the path adds.\n")
	fmt.Fprintf(b, "- Verification: %.1f µs per proof alone; a block of %d proofs in one batch (random linear combination, one multi-pairing) %.1f µs per proof: %.2f× cheaper than %d single verifications spread over all cores, %.2f× cheaper than one after another.\n", r.VerifyUs, r.BatchSize, r.BatchVerifyUsPerProof, r.BatchSpeedup, r.BatchSize, r.BatchSpeedupSeq)
	fmt.Fprintf(b, "- Throughput: %.1f proofs/s with one proof per core on all %d cores (%.1f/s one at a time).\n", r.ProofsPerS, r.Machine.GOMAXPROCS, r.ProofsPerSSingle)
	fmt.Fprintf(b, "- Proving key: %d bytes, read in %.2f ms (checksummed raw format); the table engine's tables are built from it in %.0f ms, or loaded from their cache (below).\n\n", r.PKBytes, r.PKLoadMs, r.ProverInitMs)
	onePathMarkdown(b, r.OnePath)

	fmt.Fprintf(b, "### Where the time goes\n\nOne transfer proof, by phase (medians; h runs concurrently with the A and B MSMs):\n\n")
	fmt.Fprintf(b, "| phase | ms | share of the proof |\n|---|---:|---:|\n")
	share := func(x float64) string {
		if r.ProveMsP50 == 0 {
			return ""
		}
		return fmt.Sprintf("%.0f%%", 100*x/r.ProveMsP50)
	}
	fmt.Fprintf(b, "| witness: commitments, assignment, gnark witness | %.2f | %s |\n", r.Phases.WitnessMs, share(r.Phases.WitnessMs))
	fmt.Fprintf(b, "| solve: gnark's solver and its bit-decomposition hints | %.2f | %s |\n", r.Phases.SolveMs, share(r.Phases.SolveMs))
	fmt.Fprintf(b, "| MSMs and h, wall (h: 7 FFTs of %d, %.2f ms of one worker) | %.2f | %s |\n", r.Domain, r.Phases.HMs, r.Phases.MSMMs, share(r.Phases.MSMMs))
	fmt.Fprintf(b, "| finish: s·A + r·B, affine conversions | %.2f | %s |\n\n", r.Phases.FinishMs, share(r.Phases.FinishMs))
	if len(r.Tables) > 0 {
		fmt.Fprintf(b, "The prover's tables (2^{c·j}·P for every key point P and window j):\n\n| table | points | window c | digits per full scalar | MB |\n|---|---:|---:|---:|---:|\n")
		for _, t := range r.Tables {
			fmt.Fprintf(b, "| %s | %d | %d | %d | %.1f |\n", t.Name, t.Points, t.Window, t.Windows, float64(t.Bytes)/1e6)
		}
		fmt.Fprintln(b)
	}
	if s := r.Shape; s.Wires > 0 {
		fmt.Fprintf(b, "The witness: of its %d private wires, %d are 0, %d are 1, %d other values below 2^64 and %d full-width field elements (point coordinates and products); h has %d full-width coefficients. Zeros cost nothing, ones one addition; each full-width scalar costs one addition per window.\n\n", s.Wires, s.Zero, s.One, s.Small, s.Full, s.H)
	}
	whereTimeGoes(b, r)
}

// onePathMarkdown renders the costs that zkp.OpenProver's policy weighs.
func onePathMarkdown(b *bytes.Buffer, costs []EngineCosts) {
	if len(costs) == 0 {
		return
	}
	b.WriteString("### One proving path (`zkp.OpenProver`)\n\n")
	b.WriteString("The wallet, the CLI, the demo and these benchmarks prove through `zkp.OpenProver(dir, ...)`, which serves each circuit with the table engine when that is faster end to end: when the table cache beside the proving key (`<circuit>.tables`) is valid, from the first use of a `LongRunning` prover, or once a prover has made enough proofs with gnark's to pay for building the tables. Proofs here include the check of each fresh proof against the verifying key. Medians.\n\n")
	b.WriteString("| circuit | constraints | tables: build | write | load | size | proof: tables | proof: gnark | build pays after | one-shot, cache present | one-shot, no cache | long-running |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, e := range costs {
		fmt.Fprintf(b, "| %s | %d | %.0f ms | %.1f ms | %.1f ms | %.1f MB | %.1f ms | %.1f ms | %.1f proofs | %.1f ms (%s) | %.1f ms (%s) | %s |\n",
			e.Circuit, e.Constraints, e.BuildMs, e.WriteMs, e.LoadMs, float64(e.TablesBytes)/1e6, e.TablesProveMs, e.GnarkProveMs, e.BreakEven,
			e.OneShotCachedMs, e.OneShotCachedBy, e.OneShotNoCacheMs, e.OneShotNoCacheBy, e.LongRunningBy)
	}
	b.WriteString("\nA one-shot figure is a fresh prover's first proof: reading the keys, loading the tables if the cache is there, and the proof.\n")
	if t, f := engineCostsOf(costs, zkp.Transfer), engineCostsOf(costs, zkp.FX); t != nil && f != nil && t.TablesProveMs > 0 && t.GnarkProveMs > 0 {
		fmt.Fprintf(b, "An fx proof (a swap's rate relation, `circuits/fx`) costs %.2f× a transfer proof on the table engine and %.2f× on gnark's, in this process.\n",
			f.TablesProveMs/t.TablesProveMs, f.GnarkProveMs/t.GnarkProveMs)
	}
	b.WriteString("\n")
}

// whereTimeGoes reads this run's measurements: where a proof's time went
// and what dominates the MSMs. It states nothing the run did not measure.
func whereTimeGoes(b *bytes.Buffer, r *ProveResult) {
	p, o := r.Phases, r.OwnDetail
	pct := func(x, of float64) float64 {
		if of == 0 {
			return 0
		}
		return 100 * x / of
	}
	own := o.A + o.B1 + o.B2 + o.KZ
	fmt.Fprintf(b, "In this run the MSMs and h took %.0f%% of a transfer proof, witness solving %.0f%%, building the witness %.0f%% and the final combination %.0f%%. ",
		pct(p.MSMMs, r.ProveMsP50), pct(p.SolveMs, r.ProveMsP50), pct(p.WitnessMs, r.ProveMsP50), pct(p.FinishMs, r.ProveMsP50))
	fmt.Fprintf(b, "Of the prover's own MSM tasks, K+Z·h took %.0f%%, A %.0f%%, B %.0f%% and B₂ %.0f%%; B in G2 cost %.1f× its G1 twin. ",
		pct(o.KZ, own), pct(o.A, own), pct(o.B1, own), pct(o.B2, own), safeRatio(o.B2, o.B1))
	fmt.Fprintf(b, "Against gnark's prover on the same circuit, the table engine was %.2f× faster; against gnark-crypto's `MultiExp` of the same vectors it ran at %.2f of their time.\n\n", r.ProverSpeedup, r.FloorRatio)
	b.WriteString(`How the table engine works (` + "`zkp/internal/tableprover`" + `): it keeps gnark's solver and the FFTs and
replaces the MSMs. For each key point it stores the multiples 2^{c·j}·P (the window c chosen from the digits of a
sample witness), so an MSM is one pass that drops every non-zero signed c-bit digit into one of 2^{c−1} buckets with
affine additions batched under one field inversion, and a single reduction. The fixed terms (α, β, r·δ, s·δ, −rs·δ)
ride in the same passes as extra table points; the MSMs and h run as small tasks taken by whichever core is free.
Its cost is the number of bucket additions, about (full-width scalars) × ⌈255/c⌉ + 2^c per table (the tables and the
witness's shape are above): fewer of them needs fewer constraints, that is the circuit, not the prover.

`)
}

func safeRatio(x, y float64) float64 {
	if y == 0 {
		return 0
	}
	return x / y
}

func heMarkdown(b *bytes.Buffer, r *HEResult) {
	fmt.Fprintf(b, "%s: %d flows per ciphertext. Medians.\n\n| | |\n|---|---:|\n", r.Params, r.Groups)
	fmt.Fprintf(b, "| encrypt, one flow per ciphertext | %.1f µs/flow |\n", r.EncryptUsPerFlow)
	fmt.Fprintf(b, "| encrypt, %d flows per ciphertext | %.1f µs/flow |\n", r.Groups, r.EncryptBatchUsPerFlow)
	fmt.Fprintf(b, "| add into an aggregate | %.2f µs/flow |\n", r.AddUsPerFlow)
	fmt.Fprintf(b, "| decode + add (the ledger's work per flow) | %.2f µs/flow |\n", r.DecodeAddUsPerFlow)
	fmt.Fprintf(b, "| decrypt + audit an aggregate of %d flows | %.2f ms (decryption %.2f ms) |\n", r.AggregateFlows, r.DecryptAuditMs, r.DecryptMs)
	fmt.Fprintf(b, "| Σ C_amt the audit compares with | %.2f µs/flow |\n", r.CommitSumUsFlow)
	fmt.Fprintf(b, "| bytes per flow, one per ciphertext | %d |\n", r.BytesPerFlow)
	fmt.Fprintf(b, "| bytes per flow, %d per ciphertext | %.1f |\n\n", r.Groups, r.BytesPerFlowB)
	fmt.Fprintf(b, "The aggregate opened to the sum of its %d commitments: %v (%s). A flow alone in its ciphertext costs %d bytes on the wire; a bank that batches its payments of a block into one ciphertext pays %.0f bytes per flow.\n\n", r.AggregateFlows, r.AuditOK, r.Note, r.BytesPerFlow, r.BytesPerFlowB)
}

// ReplaceSection returns doc with its section under heading (from the line
// that starts with heading to the next "## " heading or the end) replaced by
// section, or with section appended when doc has no such heading. The chaos
// run writes its section of bench/results.md with it.
func ReplaceSection(doc []byte, heading string, section []byte) []byte {
	start, end := findSection(doc, heading)
	if start < 0 {
		out := bytes.TrimRight(bytes.Clone(doc), "\n")
		if len(out) > 0 {
			out = append(out, "\n\n"...)
		}
		return append(out, section...)
	}
	out := append(bytes.Clone(doc[:start]), section...)
	if end < len(doc) {
		out = append(bytes.TrimRight(out, "\n"), "\n\n"...)
	}
	return append(out, doc[end:]...)
}

// KeepSection carries old's section under heading into doc, a fresh
// rendering of bench/results.md (MarkdownAll), so that rewriting the file
// keeps what another command wrote there (the chaos run's section).
func KeepSection(doc, old []byte, heading string) []byte {
	start, end := findSection(old, heading)
	if start < 0 {
		return doc
	}
	return ReplaceSection(doc, heading, old[start:end])
}

// findSection locates the section under heading: the offset of its heading
// line and of the next "## " line (or the end); -1 when there is none.
func findSection(doc []byte, heading string) (int, int) {
	start := -1
	for off := 0; off < len(doc); {
		line := doc[off:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i+1]
		}
		switch {
		case start < 0 && bytes.HasPrefix(line, []byte(heading)):
			start = off
		case start >= 0 && bytes.HasPrefix(line, []byte("## ")):
			return start, off
		}
		off += len(line)
	}
	return start, len(doc)
}

// engineCostsOf returns c's costs, or nil.
func engineCostsOf(costs []EngineCosts, c zkp.Circuit) *EngineCosts {
	for i := range costs {
		if costs[i].Circuit == string(c) {
			return &costs[i]
		}
	}
	return nil
}

// ThroughputHeading heads the section 'sable bench ledger --preproved'
// writes into bench/results.md; a full 'sable bench' run keeps it.
const ThroughputHeading = "## Ledger throughput"

// WriteText renders the pre-proved ledger benchmark for a person.
func (r *PreprovedResult) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Ledger, pre-proved — %d validators on loopback (one process each), %d banks, %d payments per transaction, %.0f payments/s offered for %.0f s (prepared in %.0f s); timeout_propose %.0f ms, timeout_commit %.0f ms, block.max_gas %d\n\n",
		r.Validators, r.Banks, r.PerTx, r.Rate, r.DurationS, r.PrepareS, r.TimeoutProposeMs, r.TimeoutCommitMs, r.BlockMaxGas)
	rows := [][]string{{"", "validators", "s", "payments", "payments/s", "tx/s", "p50", "p99", "CPU/payment/validator", "cores busy"}}
	for _, p := range r.Phases {
		rows = append(rows, []string{p.Name, fmt.Sprint(p.Validators), f1(p.DurationS), fmt.Sprint(p.Committed), f1(p.PaymentsPerS), f2(p.TxPerS),
			f1(p.P50Ms) + " ms", f1(p.P99Ms) + " ms", fmt.Sprintf("%.3f ms", p.CPUPerPaymentMs), f2(p.CoresBusy)})
	}
	rows = append(rows, []string{"whole window", "", f1(r.DurationS), fmt.Sprint(r.Committed), f1(r.PaymentsPerS), f2(r.TxPerS), f1(r.P50Ms) + " ms", f1(r.P99Ms) + " ms", "", ""})
	table(w, rows)
	fmt.Fprintf(w, "\n%s\n", r.accounting())
	fmt.Fprintf(w, "%s\n", r.bytesLine())
	if t := r.Profile; t != nil {
		fmt.Fprintf(w, "\nvalidator %d's CPU profile (%.0f s, %s), flat:\n", t.Validator, t.Seconds, t.File)
		for _, a := range t.Areas[:min(8, len(t.Areas))] {
			fmt.Fprintf(w, "  %5.1f%%  %s\n", a.Share, a.Name)
		}
		for _, f := range t.Functions[:min(10, len(t.Functions))] {
			fmt.Fprintf(w, "  %5.1f%% (cum %5.1f%%)  %s\n", f.Share, f.Cum, f.Name)
		}
	}
	fmt.Fprintf(w, "%s\n", r.Note)
}

func (r *PreprovedResult) accounting() string {
	return fmt.Sprintf("prepared %d payments; accepted at CheckTx %d, committed %d (%d transactions); refused at CheckTx %d tx, in a block %d tx; lost %d, double-applied %d; app hashes equal at height %d: %s",
		r.Prepared, r.Submitted, r.Committed, r.CommittedTxs, r.RejectedCheck, r.RejectedBlock, r.Lost, r.DoubleApplied, r.AppHashHeight, yes(r.AppHashesEqual))
}

func (r *PreprovedResult) bytesLine() string {
	b := r.Bytes
	return fmt.Sprintf("bytes per payment: %.0f = proof %.0f + commitments %.0f + memos %.0f + HE %.0f + other %.0f (a transaction of %d payments: %d bytes); validator state per payment: app store %.0f, CometBFT data %.0f",
		b.Total, b.Proof, b.Commitments, b.Memos, b.HE, b.Other, r.PerTx, b.Tx, r.AppStateBytesPerPayment, r.ChainDataBytesPerPayment)
}

// ThroughputMarkdown renders the "## Ledger throughput" section.
func ThroughputMarkdown(r *PreprovedResult) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s (`sable bench ledger --preproved`)\n\n", ThroughputHeading)
	fmt.Fprintf(&b, "Measured on %s (%s, %d cores). %d validators on loopback, each a `sable node` process; %d banks proved, sealed and signed all their transactions before the window (%.0f s), each transaction %d payments chained on the bank's nonce and available balance, then submitted them at %.0f payments/s in all, each bank through its own validator, for %.0f s",
		r.Machine.Date, r.Machine.CPU, r.Machine.Cores, r.Validators, r.Banks, r.PrepareS, r.PerTx, r.Rate, r.DurationS)
	if len(r.Phases) > 1 {
		b.WriteString("; the last validator is killed (SIGKILL) halfway")
	}
	fmt.Fprintf(&b, ". Consensus: timeout_propose %.0f ms, timeout_commit %.0f ms, block.max_gas %d (a transaction's gas is 6 per proof plus 1 per payment of a batch). %s.\n\n",
		r.TimeoutProposeMs, r.TimeoutCommitMs, r.BlockMaxGas, r.Note)
	b.WriteString("| | validators | s | payments committed | payments/s | tx/s | p50 | p99 | CPU per payment per validator | cores busy | one validator per core |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %.1f | %.2f | %.0f ms | %.0f ms | %.3f ms | %.2f | %.0f payments/s |\n", p.Name, p.Validators, p.DurationS, p.Committed,
			p.PaymentsPerS, p.TxPerS, p.P50Ms, p.P99Ms, p.CPUPerPaymentMs, p.CoresBusy, p.OneValidatorPerCorePPS)
	}
	fmt.Fprintf(&b, "| whole window | | %.1f | %d | %.1f | %.2f | %.0f ms | %.0f ms | | | |\n\n", r.DurationS, r.Committed, r.PaymentsPerS, r.TxPerS, r.P50Ms, r.P99Ms)
	fmt.Fprintf(&b, "Accounting: %s.\n\n", r.accounting())
	x := r.Bytes
	fmt.Fprintf(&b, "Bytes per payment on the wire: %.0f = proof %.0f + commitments %.0f + memos (receiver, regulator, sender) %.0f + HE flow ciphertext %.0f + other fields and signature %.0f (one transaction of %d payments: %d bytes). A validator's state grows by %.0f bytes per payment in Sable's store and %.0f in CometBFT's data (blocks, block results, index).\n\n",
		x.Total, x.Proof, x.Commitments, x.Memos, x.HE, x.Other, r.PerTx, x.Tx, r.AppStateBytesPerPayment, r.ChainDataBytesPerPayment)
	if t := r.Profile; t != nil {
		fmt.Fprintf(&b, "Validator %d's CPU profile, %.0f s under this load (`go tool pprof %s`), own CPU by area:\n\n| area | share |\n|---|---:|\n", t.Validator, t.Seconds, filepath.Base(t.File))
		for _, a := range t.Areas[:min(10, len(t.Areas))] {
			fmt.Fprintf(&b, "| %s | %.1f%% |\n", a.Name, a.Share)
		}
		b.WriteString("\nTop functions (flat, with cumulative):\n\n| function | flat | cum |\n|---|---:|---:|\n")
		for _, f := range t.Functions[:min(12, len(t.Functions))] {
			fmt.Fprintf(&b, "| `%s` | %.1f%% | %.1f%% |\n", f.Name, f.Share, f.Cum)
		}
		b.WriteString("\n")
	}
	throughputVerdict(&b, r)
	return b.Bytes()
}

// throughputVerdict says what the figures mean: the target, the limit and
// what one validator per machine would reach.
func throughputVerdict(b *bytes.Buffer, r *PreprovedResult) {
	if len(r.Phases) == 0 {
		return
	}
	p := r.Phases[0]
	met := p.PaymentsPerS >= 1000 && p.P99Ms <= 2000
	fmt.Fprintf(b, "Target (issue 11): ≥ 1,000 committed payments/s with p99 ≤ 2 s on 4 validators on this machine: %s (%.0f payments/s, p99 %.0f ms with all validators up).",
		map[bool]string{true: "met", false: "not met"}[met], p.PaymentsPerS, p.P99Ms)
	if p.Blocks > 1 && p.BlockMs > 0 && r.BlockMaxGas > 0 && r.PerTx > 0 {
		perTx := state.BatchGas(r.PerTx)
		fmt.Fprintf(b, " Blocks came every %.0f ms with block.max_gas %d, room for %d transactions of %d payments (%d gas each; %d in the fullest): at that pace the chain carries at most about %.0f payments/s, and the validators kept %.2f of the %d cores busy.",
			p.BlockMs, r.BlockMaxGas, r.BlockMaxGas/perTx, r.PerTx, perTx, p.MaxBlockTx, float64(r.BlockMaxGas/perTx*int64(r.PerTx))*1000/p.BlockMs, p.CoresBusy, r.Machine.Cores)
	}
	if t := r.Profile; t != nil {
		var verify float64
		for _, a := range t.Areas {
			if strings.HasPrefix(a.Name, "BN254") {
				verify += a.Share
			}
		}
		fmt.Fprintf(b, " In validator %d's profile, BN254 arithmetic (batch verification's pairings and multi-exponentiation, and proof points' subgroup checks when a transaction is decoded) is %.0f%% of its CPU.", t.Validator, verify)
	}
	if p.CPUPerPaymentMs > 0 {
		perMachine := float64(r.Machine.Cores) * 1000 / p.CPUPerPaymentMs
		shared := perMachine / float64(p.Validators)
		fmt.Fprintf(b, " Each validator spends %.3f ms of CPU per payment, so %d validators sharing %d cores can commit at most about %.0f payments/s, and one validator per machine like this one (%d cores of its own) about %.0f payments/s.",
			p.CPUPerPaymentMs, p.Validators, r.Machine.Cores, shared, r.Machine.Cores, perMachine)
	}
	b.WriteString("\n\n")
	b.WriteString(throughputLimits)
}

// throughputLimits says what stands between these figures and the issue's
// target, whatever the run.
const throughputLimits = `What bounds these figures: a batch transfer carries one batch proof per 16 payments of a currency
(circuits/batch), so a validator's proof work per payment (decoding the proof's points, its share of a
batch verification) is about a twelfth of a transfer proof's, and it sums commitments in extended
coordinates with one inversion per transaction. A validator then spends about a quarter of a
millisecond of CPU per payment, and four validators sharing two cores keep little more than one core
busy at 1,200 payments/s: the cores no longer bind, the block pace does. A block is a consensus round
(the proposal and its parts, prevotes, precommits, FinalizeBlock and a synced Commit, then
timeout_commit) that runs one after the other on every validator; a payment waits for the next
proposal and then its round, so p99 is a few block intervals. With timeout_commit 100 ms blocks came
about 330 ms apart; with the testnet's 300 ms, 475-520 ms apart, and at 1,300 payments/s offered the
p99 rose to 2.9 s. After a validator is killed, the rounds whose proposer it was wait out
timeout_propose (1 s), which doubles the block interval and the p99. Earlier runs on this machine, with
a transfer proof per payment: 288 payments/s (p99 2.8 s, timeout_propose 3 s), the cores then nearly
all busy, most of it BN254 arithmetic. Past this point the levers are the block interval (a shorter
timeout_commit), larger blocks at the same pace, and one validator per machine.
`

package state

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
)

// validatorProfile names a file for a CPU profile of the validator's
// stages alone (go test's own -cpuprofile also covers the proving that
// prepares the transactions).
var validatorProfile = flag.String("validator-profile", "", "BenchmarkValidatorPerPayment: write a CPU profile of the timed stages to this file")

// validatorBatches full batches make the block BenchmarkValidatorPerPayment
// carries through one validator.
const validatorBatches = 2

// validatorLoad is the benchmark's prepared input: signed, proved batch
// transactions chained on bank-a's nonce and balance, and the bytes of the
// fixture's store (at genesis) they apply against. Proving takes most of
// a minute, so it is done once per process.
type validatorLoad struct {
	txs      [][]byte
	payments int
	store    map[string][]byte // file name → contents
	opts     []Option
}

var (
	validatorLoadOnce sync.Once
	validatorLoadData *validatorLoad
)

func prepareValidatorLoad(b *testing.B) *validatorLoad {
	validatorLoadOnce.Do(func() {
		_, pk := heKeys()
		f := newFixtureWith(b, pk)
		l := &validatorLoad{opts: f.opts}
		for i := range validatorBatches {
			n := ledger.MaxBatchPayments
			tos := make([]*member, n)
			amounts := make([]uint64, n)
			for j := range n {
				tos[j] = []*member{f.b, f.issuer}[(i+j)%2] // two corridors: SG→HK, SG→US
				amounts[j] = uint64(1 + j%97)
			}
			tx, total := f.batch(f.a, tos, amounts, -1)
			f.a.spend(total)
			l.txs = append(l.txs, tx.Encode())
			l.payments += n
		}
		if err := f.app.store.Close(); err != nil {
			b.Fatal(err)
		}
		l.store = readDir(b, f.dir)
		validatorLoadData = l
	})
	if validatorLoadData == nil {
		b.Fatal("preparing the validator load failed in an earlier run")
	}
	return validatorLoadData
}

func readDir(b *testing.B, dir string) map[string][]byte {
	entries, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "LOCK" {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			b.Fatal(err)
		}
		files[e.Name()] = raw
	}
	return files
}

// freshValidator is a new App over a copy of the load's store: a validator
// at the load's height that has seen none of its transactions (no decoded
// transaction, no verdict cached).
func (l *validatorLoad) freshValidator(b *testing.B) *App {
	dir := b.TempDir()
	for name, raw := range l.store {
		if err := os.WriteFile(filepath.Join(dir, name), raw, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	store, err := OpenStore(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	app, err := NewApp(store, testKeys.keys, slog.New(slog.NewTextHandler(io.Discard, nil)), l.opts...)
	if err != nil {
		b.Fatal(err)
	}
	return app
}

// cpuTime is the process's user and system CPU time so far: every
// goroutine's, the garbage collector's included.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// validatorStages are the benchmark's stages, in the order a validator
// meets a transaction.
var validatorStages = []string{"decode", "verify", "check", "recheck", "prepare", "process", "finalize", "commit"}

// BenchmarkValidatorPerPayment measures the CPU one validator spends per
// payment of full batch transactions, stage by stage, on a validator that
// has not seen them before (a fresh App over a copy of the same state each
// run, all opened before the first, so no cache carries over):
//
//	decode    the transactions' bytes into transactions (CheckTx's first step; cached after)
//	verify    their proofs, batch-verified (CheckTx's precheck)
//	check     CheckTx itself, with decoding and verdicts already cached: signature, state checks, apply
//	recheck   the mempool's recheck after a block that did not hold them (CHECK_TX_TYPE_RECHECK)
//	prepare   PrepareProposal (a validator proposes one block in n)
//	process   ProcessProposal
//	finalize  FinalizeBlock
//	commit    Commit (one synced Pebble batch)
//
// It reports each stage in µs of process CPU (user + system, GC included)
// per payment, and two sums: "validator" (decode, verify, check,
// process, finalize, commit, and a quarter of prepare: one validator in
// four proposes) and "outside-verify" (the same without verify). With
// -validator-profile FILE it writes a CPU profile of the stages alone.
//
//	go test ./ledger/state -run '^$' -bench ValidatorPerPayment -benchtime 3x
func BenchmarkValidatorPerPayment(b *testing.B) {
	l := prepareValidatorLoad(b)
	ctx := context.Background()
	cpu := map[string]time.Duration{}
	apps := make([]*App, b.N) // opened before the profile starts, so it holds the stages alone
	for i := range apps {
		apps[i] = l.freshValidator(b)
	}
	if *validatorProfile != "" {
		pf, err := os.Create(*validatorProfile)
		if err != nil {
			b.Fatal(err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	for _, app := range apps {
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		height := app.height + 1
		stage := func(name string, run func()) {
			start := cpuTime(b)
			run()
			cpu[name] += cpuTime(b) - start
		}
		var txs []*decoded
		stage("decode", func() { txs = app.decodeAll(l.txs) })
		stage("verify", func() {
			for _, d := range txs {
				if d.rej != nil {
					b.Fatalf("decode: %s", d.rej.Msg)
				}
				app.exec.verifier.checkBatch(d.proofs(app.exec), false)
			}
		})
		check := func(t abci.CheckTxType) {
			for _, raw := range l.txs {
				res, err := app.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: t})
				if err != nil || res.Code != ledger.CodeOK {
					b.Fatalf("CheckTx (%v): %v %s", t, err, res.GetLog())
				}
			}
		}
		stage("check", func() { check(abci.CHECK_TX_TYPE_CHECK) })
		stage("recheck", func() {
			app.check = app.base() // as after a block that held none of them
			check(abci.CHECK_TX_TYPE_RECHECK)
		})
		stage("prepare", func() {
			res, err := app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Height: height, Txs: l.txs, MaxTxBytes: ledger.MaxTxSize * int64(len(l.txs))})
			if err != nil || len(res.Txs) != len(l.txs) {
				b.Fatalf("PrepareProposal kept %d of %d: %v", len(res.GetTxs()), len(l.txs), err)
			}
		})
		stage("process", func() {
			res, err := app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Height: height, Txs: l.txs})
			if err != nil || res.Status != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
				b.Fatalf("ProcessProposal: %v %v", err, res.GetStatus())
			}
		})
		stage("finalize", func() {
			res, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: height, Txs: l.txs})
			if err != nil {
				b.Fatal(err)
			}
			for i, r := range res.TxResults {
				if r.Code != ledger.CodeOK {
					b.Fatalf("tx %d: %s", i, r.Log)
				}
			}
		})
		stage("commit", func() {
			if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
				b.Fatal(err)
			}
		})
		b.StopTimer()
		if err := app.store.Close(); err != nil {
			b.Fatal(err)
		}
	}
	per := func(d time.Duration) float64 {
		return float64(d.Microseconds()) / float64(b.N*l.payments)
	}
	var total time.Duration
	for _, s := range validatorStages {
		b.ReportMetric(per(cpu[s]), s+"-µs/payment")
		switch s {
		case "recheck":
		case "prepare":
			total += cpu[s] / 4
		default:
			total += cpu[s]
		}
	}
	b.ReportMetric(per(total), "validator-µs/payment")
	b.ReportMetric(per(total-cpu["verify"]), "outside-verify-µs/payment")
}

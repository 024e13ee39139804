package bench

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// The Go benchmarks: one per figure of `sable bench prove` (go test -bench .
// in bench/). Ratios need one process: compare within a single run, e.g.
//
//	go test -run '^$' -bench 'Prove(Transfer|Baseline)' -count 5 ./bench
//
// Fixtures are built once per process, on first use.

var (
	fixtureDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "sable-bench-test-") })
	transferFx = sync.OnceValues(func() (*transferSetup, error) {
		dir, err := fixtureDir()
		if err != nil {
			return nil, err
		}
		return newTransferSetup(dir, nil)
	})
	baselineFx = sync.OnceValues(func() (*baselineSetup, error) { return newBaselineSetup(nil) })
)

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := fixtureDir(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func transfer(b *testing.B) *transferSetup {
	b.Helper()
	t, err := transferFx()
	if err != nil {
		b.Fatal(err)
	}
	return t
}

func inputs(b *testing.B, n int) []zkp.TransferInput {
	b.Helper()
	out := make([]zkp.TransferInput, n)
	for i := range out {
		in, err := randomTransfer(i)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = in
	}
	return out
}

// BenchmarkProveTransfer is prove_ms_p50: the transfer circuit on Sable's
// table engine.
func BenchmarkProveTransfer(b *testing.B) {
	t := transfer(b)
	ins := inputs(b, 8)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := t.fast.ProveTransfer(ins[i%len(ins)], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveTransferGnark is gnark_prove_ms_p50: the transfer circuit
// on gnark's prover (zkp.ProvingKey.ProveTransfer).
func BenchmarkProveTransferGnark(b *testing.B) {
	t := transfer(b)
	ins := inputs(b, 8)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := t.pk.ProveTransfer(ins[i%len(ins)], nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveTransferOnePath is the transfer circuit on the one proving
// path, as a long-running sender has it (tables_prove_ms of one_path): the
// table engine, and the check of the fresh proof.
func BenchmarkProveTransferOnePath(b *testing.B) {
	t := transfer(b)
	if e := t.proving.Engine(zkp.Transfer); e != zkp.EngineTables {
		b.Fatalf("served by %q", e)
	}
	ins := inputs(b, 8)
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := t.proving.ProveTransfer(ins[i%len(ins)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProveBaseline is baseline_prove_ms_p50: the naive circuit on
// gnark's prover.
func BenchmarkProveBaseline(b *testing.B) {
	base, err := baselineFx()
	if err != nil {
		b.Fatal(err)
	}
	ins := inputs(b, 8)
	b.ResetTimer()
	for i := range b.N {
		if err := base.prove(ins[i%len(ins)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMSMFloor is msm_floor_ms: MultiExp of the key's vectors by a
// solved transfer witness.
func BenchmarkMSMFloor(b *testing.B) {
	t := transfer(b)
	in, err := t.fast.TransferMSMInputs(inputs(b, 1)[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, _, err := t.floor(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProverMSMs is own_msm_ms: the same MSMs on the prover's tables.
func BenchmarkProverMSMs(b *testing.B) {
	t := transfer(b)
	in, err := t.fast.TransferMSMInputs(inputs(b, 1)[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		t.fast.RunMSMs(in)
	}
}

// proofs returns n transfer proofs.
func proofs(b *testing.B, t *transferSetup, n int) ([]zkp.Public, []*zkp.Proof) {
	b.Helper()
	pubs, ps, _, err := t.proveParallel(n, silent{})
	if err != nil {
		b.Fatal(err)
	}
	return pubs, ps
}

// BenchmarkVerify is verify_us.
func BenchmarkVerify(b *testing.B) {
	t := transfer(b)
	pubs, ps := proofs(b, t, 8)
	b.ResetTimer()
	for i := range b.N {
		if err := t.vk.Verify(pubs[i%len(ps)], ps[i%len(ps)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchVerify100 is batch_verify_us_per_proof (reported as
// µs/proof); divide BenchmarkVerifySingles100 by it for batch_speedup.
func BenchmarkBatchVerify100(b *testing.B) {
	t := transfer(b)
	pubs, ps := proofs(b, t, 100)
	b.ResetTimer()
	for range b.N {
		if err := zkp.BatchVerify(t.vk, pubs, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ps)), "µs/proof")
}

// BenchmarkVerifySingles100 verifies the same 100 proofs one by one, on all
// cores.
func BenchmarkVerifySingles100(b *testing.B) {
	t := transfer(b)
	pubs, ps := proofs(b, t, 100)
	b.ResetTimer()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < len(ps); i = int(next.Add(1) - 1) {
					if err := t.vk.Verify(pubs[i], ps[i]); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(ps)), "µs/proof")
}

// BenchmarkProveParallel is proofs_per_s: one proof per core, each proof on
// one core.
func BenchmarkProveParallel(b *testing.B) {
	t := transfer(b)
	one := t.fast.WithWorkers(1)
	ins := inputs(b, 8)
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, _, err := one.ProveTransfer(ins[i%len(ins)], nil); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
}

// BenchmarkPKLoad is pk_load_ms: reading the transfer proving key file.
func BenchmarkPKLoad(b *testing.B) {
	t := transfer(b)
	b.ResetTimer()
	for range b.N {
		if _, err := zkp.ReadProvingKey(t.pkPath, zkp.Transfer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTablesLoad is tables_load_ms of one_path: loading and checking
// the transfer circuit's table cache.
func BenchmarkTablesLoad(b *testing.B) {
	t := transfer(b)
	b.ResetTimer()
	for range b.N {
		if _, err := zkp.ReadTableProver(zkp.TablesPath(t.dir, zkp.Transfer), t.pk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProverInit is prover_init_ms: building the prover's tables.
func BenchmarkProverInit(b *testing.B) {
	t := transfer(b)
	b.ResetTimer()
	for range b.N {
		if _, err := zkp.NewTableProver(t.pk); err != nil {
			b.Fatal(err)
		}
	}
}

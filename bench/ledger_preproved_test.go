package bench

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
)

// A short pre-proved run on 4 validator processes, one killed halfway: every
// payment accepted is committed exactly once and the validators left agree
// on the app hash. It checks the accounting, not a rate.
func TestLedgerPreprovedAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 4 validator processes")
	}
	sable, err := localnet.BuildSable(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := LedgerPreproved(LedgerOptions{Validators: 4, Duration: 4 * time.Second, Kill: true, Sable: sable,
		Rate: 8, PerTx: 2, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", r.accounting())
	if r.Prepared == 0 || r.Committed != r.Prepared || r.RejectedCheck != 0 || r.RejectedBlock != 0 {
		t.Errorf("prepared %d payments, committed %d; refused %d at CheckTx and %d in blocks: want all committed, none refused",
			r.Prepared, r.Committed, r.RejectedCheck, r.RejectedBlock)
	}
	if r.Lost != 0 || r.DoubleApplied != 0 {
		t.Errorf("lost %d, double-applied %d; want 0 and 0", r.Lost, r.DoubleApplied)
	}
	if !r.AppHashesEqual || r.AppHashHeight == 0 {
		t.Errorf("app hashes equal at height %d: %v", r.AppHashHeight, r.AppHashesEqual)
	}
	if len(r.Phases) != 2 || r.Phases[1].Validators != 3 || len(r.Phases[1].CPUSeconds) != 3 {
		t.Errorf("phases %+v: want all four validators, then three measured after the kill", r.Phases)
	}
	if r.Bytes.Total == 0 || r.Bytes.Proof == 0 || r.Bytes.Tx == 0 {
		t.Errorf("bytes per payment not measured: %+v", r.Bytes)
	}
}

// processCPU, which reads /proc/<pid>/stat, agrees with getrusage on this
// process.
func TestProcessCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	for x, end := 0, time.Now().Add(200*time.Millisecond); time.Now().Before(end); x++ {
		_ = x * x
	}
	self, proc := cpuTime(), processCPU(os.Getpid())
	if proc <= 0 || proc > self+50*time.Millisecond || proc < self-100*time.Millisecond {
		t.Fatalf("/proc says %s of CPU, getrusage %s", proc, self)
	}
}

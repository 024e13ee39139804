package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func sampleResult() *ProveResult {
	r := &ProveResult{Machine: Machine{CPU: "Test CPU", Cores: 2, GOMAXPROCS: 2, Go: "go1.x", Date: "today"},
		Rounds: 3, Constraints: 2040, Domain: 2048, ProveMsP50: 30, GnarkProveMsP50: 50, BaselineConstraints: 8680,
		BaselineDomain: 16384, BaselineProveMsP50: 200, Speedup: 6.67, MSMFloorMs: 45, FloorRatio: 0.67,
		BatchSize: 100, BatchSpeedup: 4, VerifyUs: 1500, BatchVerifyUsPerProof: 300}
	r.Targets = []Target{{Name: "speedup", Want: "≥ 6", Value: 6.67, Met: true}, {Name: "floor_ratio", Want: "≤ 1.3", Value: 0.67, Met: true}}
	return r
}

func TestReports(t *testing.T) {
	r := sampleResult()
	h := &HEResult{Params: "ParamsN12QP109", Groups: 292, AggregateFlows: 100000, AuditOK: true, BytesPerFlow: 1234}
	md := string(Markdown(r, h, nil))
	for _, want := range []string{"Test CPU, 2 cores", "| `speedup` | ≥ 6 | 6.67 | met |", "Where the time goes", "ParamsN12QP109", "aggregate of 100000 flows", "Ledger"} {
		if !strings.Contains(md, want) {
			t.Errorf("results.md lacks %q", want)
		}
	}
	if md := string(Markdown(nil, nil, errors.New("boom"))); !strings.Contains(md, "Not measured: boom") {
		t.Error("a failed HE run is not reported")
	}
	var text bytes.Buffer
	r.WriteText(&text)
	h.WriteText(&text)
	for _, want := range []string{"speedup (baseline ÷ transfer)", "6.67×", "target speedup", "met", "bytes per flow"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	// The JSON carries the names the issue asks for.
	b, _ := json.Marshal(r)
	for _, k := range []string{"constraints", "prove_ms_p50", "baseline_constraints", "baseline_prove_ms_p50", "speedup", "msm_floor_ms",
		"floor_ratio", "verify_us", "batch_verify_us_per_proof", "batch_speedup", "proofs_per_s", "pk_load_ms"} {
		if !strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestStats(t *testing.T) {
	s := samples{5, 1, 4, 2, 3}
	if s.p50() != 3 || s.quantile(0.9) != 5 || s.quantile(0) != 1 {
		t.Fatalf("quantiles of %v: %v %v", s, s.p50(), s.quantile(0.9))
	}
	if (samples{}).p50() != 0 {
		t.Fatal("empty p50")
	}
	a := samples{10 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond}
	b := samples{5 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond}
	if got := pairedRatio(a, b); got != 4 {
		t.Fatalf("paired ratio %v, want the median of 2, 4, 10", got)
	}
	if ratio(time.Second, 0) != 0 || ratio(3*time.Second, 2*time.Second) != 1.5 {
		t.Fatal("ratio")
	}
}

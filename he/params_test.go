package he

import (
	"math"
	"math/big"
	"testing"

	"github.com/tuneinsight/lattigo/v5/ring"
)

// standardMaxLogQP is the HomomorphicEncryption.org standard's bound on
// log2(QP) for 128-bit classical security with a uniform ternary secret and
// σ ≈ 3.2 (Security Standard v1.1, Table 1), by log2 N.
var standardMaxLogQP = map[int]float64{10: 27, 11: 54, 12: 109, 13: 218, 14: 438, 15: 881}

// TestParamsPinned fails on any change to the parameter set, so that a
// change is deliberate: ciphertexts on a ledger depend on every number.
func TestParamsPinned(t *testing.T) {
	p := DefaultParams()
	hp := p.hp
	if p.Set() != ParamsN12QP109 || p.String() != "ParamsN12QP109" {
		t.Fatalf("default set %d %q", p.Set(), p)
	}
	if hp.LogN() != 12 {
		t.Errorf("logN %d, pinned 12", hp.LogN())
	}
	wantQ := []uint64{0x7fffffffe0001, 0x3ffffffa001, 0xa001}
	if len(hp.Q()) != len(wantQ) {
		t.Fatalf("Q %x, pinned %x", hp.Q(), wantQ)
	}
	for i, q := range wantQ {
		if hp.Q()[i] != q {
			t.Errorf("Q[%d] = %#x, pinned %#x", i, hp.Q()[i], q)
		}
	}
	if hp.PCount() != 0 || hp.LogP() != 0 {
		t.Errorf("P %x (logP %v), pinned none", hp.P(), hp.LogP())
	}
	if hp.PlaintextModulus() != 0x1fffffffce001 {
		t.Errorf("t %#x, pinned 0x1fffffffce001", hp.PlaintextModulus())
	}
	if math.Abs(hp.LogQ()-108.322) > 0.001 {
		t.Errorf("logQ %.4f, pinned 108.322", hp.LogQ())
	}
	bound, ok := standardMaxLogQP[hp.LogN()]
	if !ok || hp.LogQP() > bound {
		t.Errorf("logQP %.3f exceeds the standard's %v for N = 2^%d", hp.LogQP(), bound, hp.LogN())
	}
	if xs, ok := hp.Xs().(ring.Ternary); !ok || xs.P != 2.0/3 || xs.H != 0 {
		t.Errorf("secret distribution %+v, want uniform ternary", hp.Xs())
	}
	if xe, ok := hp.Xe().(ring.DiscreteGaussian); !ok || xe.Sigma != 3.2 {
		t.Errorf("error distribution %+v, want σ = 3.2", hp.Xe())
	}
	pinned := []struct {
		name      string
		got, want uint64
	}{
		{"groups", uint64(p.Groups()), 215},
		{"max load", p.MaxLoad(), 67108871},
		{"rate budget", p.RateBudget(), 2207646875358},
		{"ciphertext size", uint64(p.CiphertextSize()), MaxCiphertextSize},
		{"max ciphertext size", MaxCiphertextSize, 95249},
		{"public key size", uint64(headerSize + p.packedSize(2, hp.MaxLevel())), maxPublicKeySize},
	}
	for _, c := range pinned {
		if c.got != c.want {
			t.Errorf("%s %d, pinned %d", c.name, c.got, c.want)
		}
	}
}

// TestModuliShape checks what the literal must satisfy for batching and
// for the capacity argument.
func TestModuliShape(t *testing.T) {
	hp := DefaultParams().hp
	twoN := uint64(2 * hp.N())
	tm := hp.PlaintextModulus()
	if !new(big.Int).SetUint64(tm).ProbablyPrime(32) || tm%twoN != 1 {
		t.Errorf("t = %d must be a prime ≡ 1 mod 2N", tm)
	}
	for i, q := range hp.Q() {
		if !new(big.Int).SetUint64(q).ProbablyPrime(32) || q%twoN != 1 {
			t.Errorf("Q[%d] = %d must be a prime ≡ 1 mod 2N", i, q)
		}
	}
	if hp.Q()[0] <= tm {
		t.Error("t must be below Q[0]")
	}
	if hp.MaxSlots() != hp.N() {
		t.Errorf("%d slots, want N = %d", hp.MaxSlots(), hp.N())
	}
	if hp.MaxLevel() != aggLevel+1 {
		t.Errorf("max level %d: the design switches down exactly one prime", hp.MaxLevel())
	}
}

// noiseModel is the analysis of the package documentation, in log2 units
// of the decryption noise e (decryption computes m + t·e mod Q).
type noiseModel struct {
	freshTop  float64 // std of a public-key encryption at the top level
	flow      float64 // std after the switch to the aggregate level
	flowMax   float64 // deterministic bound after the switch
	budget    float64 // log2 of the largest |e| that still decrypts exactly
	plainMax  float64 // log2 of the worst-case |e| at MaxLoad, no CLT
	fx12Sigma float64 // log2 of 12σ at a full rate budget with MaxRate
}

func model(p *Params) noiseModel {
	hp := p.hp
	n := float64(hp.N())
	h := 2 * n / 3 // expected Hamming weight of a uniform ternary polynomial
	sigma := 3.2
	q := hp.Q()
	qTop := float64(q[len(q)-1])
	// e0 + u·e_pk + e1·s, with u and s ternary.
	freshTop := sigma * math.Sqrt(1+2*h)
	// e/q_top + r0 + r1·s, r uniform in [−1/2, 1/2].
	flow := math.Sqrt(math.Pow(freshTop/qTop, 2) + (1+h)/12)
	// |r0| + |r1·s|∞ ≤ 1/2 + N/2, plus the switched fresh noise ≤ 6σ·(1+2N)/q_top.
	flowMax := 0.5 + n/2 + 6*sigma*(1+2*n)/qTop
	logQ := math.Log2(float64(q[0])) + math.Log2(float64(q[1]))
	budget := logQ - 1 - math.Log2(float64(hp.PlaintextModulus())) - 1e-9
	fx := 12 * flow * math.Sqrt(float64(MaxRate)*float64(p.RateBudget()))
	return noiseModel{
		freshTop:  math.Log2(freshTop),
		flow:      math.Log2(flow),
		flowMax:   math.Log2(flowMax),
		budget:    budget,
		plainMax:  math.Log2(float64(p.MaxLoad())) + math.Log2(flowMax),
		fx12Sigma: math.Log2(fx),
	}
}

// TestNoiseBudgetModel checks the capacity claims of the package
// documentation against the analytic model; TestCapacity measures them.
func TestNoiseBudgetModel(t *testing.T) {
	m := model(DefaultParams())
	t.Logf("log2 noise: fresh top std %.2f, flow std %.2f (max %.2f); budget %.2f; plain worst case at MaxLoad %.2f; FX 12σ at full budget %.2f",
		m.freshTop, m.flow, m.flowMax, m.budget, m.plainMax, m.fx12Sigma)
	if m.plainMax > m.budget-2 {
		t.Errorf("plain aggregates at MaxLoad: worst case 2^%.2f, budget 2^%.2f", m.plainMax, m.budget)
	}
	if m.fx12Sigma > m.budget-2 {
		t.Errorf("FX at full rate budget: 12σ = 2^%.2f, budget 2^%.2f", m.fx12Sigma, m.budget)
	}
}

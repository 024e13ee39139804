package bench

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/sable-settlement/sable/bench/baseline"
	"github.com/sable-settlement/sable/zkp"
)

// ProveOptions configures Prove.
type ProveOptions struct {
	Quick     bool     // CI-sized: fewer rounds, a smaller batch
	Rounds    int      // interleaved proving rounds; 0 for the default
	BatchSize int      // proofs in the verification batch; 0 for 100 (quick: 32)
	Progress  Progress // nil: silent
}

// Targets of issue 5.
const (
	TargetSpeedup      = 6.0 // baseline prove ÷ transfer prove, at least
	TargetFloorRatio   = 1.3 // transfer prove ÷ MSM floor, at most
	TargetBatchSpeedup = 3.0 // single ÷ batched verification per proof, at least
)

// ProveResult is what `sable bench prove --json` prints. Times are medians
// (p50) over the interleaved rounds unless named otherwise.
type ProveResult struct {
	Machine Machine `json:"machine"`
	Rounds  int     `json:"rounds"`

	Constraints int `json:"constraints"` // transfer circuit, R1CS
	Wires       int `json:"wires"`
	Domain      int `json:"domain"` // FFT domain size

	ProveMsP50      float64 `json:"prove_ms_p50"`       // transfer, Sable's table engine (zkp.TableProver)
	ProveMsP90      float64 `json:"prove_ms_p90"`       //
	GnarkProveMsP50 float64 `json:"gnark_prove_ms_p50"` // transfer, gnark's prover (zkp.ProvingKey.ProveTransfer)
	ProveCPUMsP50   float64 `json:"prove_cpu_ms_p50"`   // process CPU time of a transfer proof, all cores

	BaselineConstraints int     `json:"baseline_constraints"`
	BaselineDomain      int     `json:"baseline_domain"`
	BaselineProveMsP50  float64 `json:"baseline_prove_ms_p50"` // naive circuit, gnark's prover
	BaselineCPUMsP50    float64 `json:"baseline_prove_cpu_ms_p50"`

	Speedup        float64 `json:"speedup"`         // baseline ÷ transfer (p50s)
	SpeedupPaired  float64 `json:"speedup_paired"`  // median of the per-round ratios
	SpeedupCPU     float64 `json:"speedup_cpu"`     // the same with process CPU time instead of wall time
	CircuitSpeedup float64 `json:"circuit_speedup"` // baseline ÷ transfer, both on gnark's prover
	ProverSpeedup  float64 `json:"prover_speedup"`  // gnark's prover ÷ Sable's, transfer circuit

	MSMFloorMs  float64 `json:"msm_floor_ms"` // gnark-crypto MultiExp of the key's vectors by this witness's scalars
	FloorRatio  float64 `json:"floor_ratio"`  // prove ÷ floor
	FloorDetail MSMs    `json:"msm_floor_detail"`
	OwnMSMMs    float64 `json:"own_msm_ms"`    // the same MSMs on the prover's precomputed tables
	OwnMSMRatio float64 `json:"own_msm_ratio"` // prove ÷ own MSMs: what proving adds to its MSMs
	OwnDetail   MSMs    `json:"own_msm_detail"`
	Phases      Phases  `json:"phases"` // one transfer proof, by phase

	Tables []zkp.TableInfo `json:"prover_tables"`
	Shape  WitnessShape    `json:"witness_shape"`

	VerifyUs              float64 `json:"verify_us"`
	BatchSize             int     `json:"batch_size"`
	BatchVerifyUsPerProof float64 `json:"batch_verify_us_per_proof"`
	BatchSpeedup          float64 `json:"batch_speedup"`            // single verifications on all cores ÷ one batch
	BatchSpeedupSeq       float64 `json:"batch_speedup_sequential"` // single verifications one after another ÷ one batch

	ProofsPerS       float64 `json:"proofs_per_s"`        // all cores, one proof per core
	ProofsPerSSingle float64 `json:"proofs_per_s_single"` // one proof at a time (1 ÷ p50)
	PKLoadMs         float64 `json:"pk_load_ms"`          // zkp.ReadProvingKey, median
	PKBytes          int64   `json:"pk_bytes"`
	ProverInitMs     float64 `json:"prover_init_ms"` // zkp.NewTableProver: building the tables, once per process

	// OnePath is the one proving path (zkp.OpenProver), per circuit: what
	// its choice of engine weighs.
	OnePath []EngineCosts `json:"one_path"`

	Targets []Target `json:"targets"`
}

// EngineCosts are one circuit's costs on each engine of zkp.OpenProver
// (medians). Proofs here are the API's: verified before they return.
type EngineCosts struct {
	Circuit       string  `json:"circuit"`
	Constraints   int     `json:"constraints"`
	TablesBytes   int64   `json:"tables_bytes"`    // the table cache file
	BuildMs       float64 `json:"tables_build_ms"` // zkp.NewTableProver
	WriteMs       float64 `json:"tables_write_ms"` // TableProver.WriteTables
	LoadMs        float64 `json:"tables_load_ms"`  // zkp.ReadTableProver, checks included
	TablesProveMs float64 `json:"tables_prove_ms"` // a proof on a prover with its tables
	GnarkProveMs  float64 `json:"gnark_prove_ms"`  // a proof on gnark's engine
	// BreakEven is how many proofs pay for building the tables:
	// build ÷ (gnark − tables).
	BreakEven float64 `json:"break_even_proofs"`
	// A one-shot process: a fresh default prover's first proof, keys read
	// and (if the cache is there) tables loaded, and the engine it used.
	OneShotCachedMs  float64 `json:"one_shot_cached_ms"`
	OneShotCachedBy  string  `json:"one_shot_cached_engine"`
	OneShotNoCacheMs float64 `json:"one_shot_no_cache_ms"`
	OneShotNoCacheBy string  `json:"one_shot_no_cache_engine"`
	// LongRunningBy is the engine a LongRunning prover serves with.
	LongRunningBy string `json:"long_running_engine"`
}

// MSMs times each multi-scalar multiplication of a proof.
type MSMs struct {
	A  float64 `json:"a_g1_ms"`
	B1 float64 `json:"b_g1_ms"`
	B2 float64 `json:"b_g2_ms"`
	K  float64 `json:"k_g1_ms,omitempty"`
	Z  float64 `json:"z_g1_ms,omitempty"`
	KZ float64 `json:"kz_g1_ms,omitempty"`
}

// Phases splits a transfer proof (medians).
type Phases struct {
	WitnessMs float64 `json:"witness_ms"` // statement, commitments and gnark witness
	SolveMs   float64 `json:"solve_ms"`   // gnark's solver, hints included
	HMs       float64 `json:"h_ms"`       // quotient: 7 FFTs, concurrent with the A and B MSMs
	MSMMs     float64 `json:"msm_ms"`     // all MSMs, wall time
	FinishMs  float64 `json:"finish_ms"`  // s·A + r·B, affine conversions
}

// WitnessShape counts the private wires by size, and h's coefficients.
type WitnessShape struct {
	Wires int `json:"private_wires"`
	Zero  int `json:"zero"`
	One   int `json:"one"`
	Small int `json:"small"` // other values below 2^64
	Full  int `json:"full"`
	H     int `json:"h"`
}

func shapeOf(in *zkp.MSMInputs) WitnessShape {
	s := WitnessShape{Wires: len(in.K), H: len(in.H)}
	for i := range in.K {
		switch e := &in.K[i]; {
		case e.IsZero():
			s.Zero++
		case e.IsOne():
			s.One++
		case e.IsUint64():
			s.Small++
		default:
			s.Full++
		}
	}
	return s
}

// Target is one goal and whether this run reached it.
type Target struct {
	Name  string  `json:"name"`
	Want  string  `json:"want"`
	Value float64 `json:"value"`
	Met   bool    `json:"met"`
}

// prover is the set-up state shared by Prove and the Go benchmarks.
type prover struct {
	*transferSetup
	*baselineSetup
}

// transferSetup is the transfer circuit's dev setup: its keys written to a
// directory and the proving key read back (the key every prover here
// uses); the one proving path on that directory, LongRunning as a sender
// is, which builds the tables and writes their cache; and the table engine
// loaded from that cache, for the measuring hooks.
type transferSetup struct {
	pk       *zkp.ProvingKey
	vk       *zkp.VerifyingKey
	dir      string
	proving  *zkp.Prover
	fast     *zkp.TableProver
	pkPath   string
	initTime time.Duration // building the tables
}

func newTransferSetup(dir string, pr Progress) (*transferSetup, error) {
	pr = orSilent(pr)
	pr.Stage("setup: transfer circuit", 2)
	pk, vk, err := zkp.SetupDev(zkp.Transfer)
	if err != nil {
		return nil, err
	}
	pr.Step()
	t := &transferSetup{vk: vk, dir: dir}
	if err := writeKeys(dir, pk, vk); err != nil {
		return nil, err
	}
	t.pkPath, _ = zkp.KeyPaths(dir, zkp.Transfer)
	if t.pk, err = zkp.ReadProvingKey(t.pkPath, zkp.Transfer); err != nil {
		return nil, err
	}
	t.proving = zkp.OpenProver(dir, zkp.LongRunning())
	if _, _, err := t.proving.Keys(zkp.Transfer); err != nil {
		return nil, err
	}
	st := t.proving.Stats(zkp.Transfer)
	if st.Engine != zkp.EngineTables || st.CacheErr != nil {
		return nil, fmt.Errorf("bench: the long-running prover serves with %q (cache: %v, tables: %v)", st.Engine, st.CacheErr, st.TablesErr)
	}
	t.initTime = st.TablesTime
	if t.fast, err = zkp.ReadTableProver(zkp.TablesPath(dir, zkp.Transfer), t.pk); err != nil {
		return nil, err
	}
	pr.Step()
	return t, nil
}

// writeKeys writes a circuit's keys where zkp.OpenProver reads them.
func writeKeys(dir string, pk *zkp.ProvingKey, vk *zkp.VerifyingKey) error {
	pkPath, vkPath := zkp.KeyPaths(dir, pk.Circuit())
	if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
		return err
	}
	return zkp.WriteVerifyingKey(vkPath, vk)
}

// baselineSetup is the naive circuit's dev setup.
type baselineSetup struct {
	ccs *cs.R1CS
	bpk *groth16bn254.ProvingKey
}

func newBaselineSetup(pr Progress) (*baselineSetup, error) {
	pr = orSilent(pr)
	pr.Stage("setup: baseline circuit", 1)
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &baseline.Circuit{})
	if err != nil {
		return nil, fmt.Errorf("bench: compile baseline: %w", err)
	}
	bpk, _, err := groth16.Setup(ccs)
	if err != nil {
		return nil, fmt.Errorf("bench: baseline setup: %w", err)
	}
	pr.Step()
	return &baselineSetup{ccs: ccs.(*cs.R1CS), bpk: bpk.(*groth16bn254.ProvingKey)}, nil
}

// randomTransfer returns a random valid transfer secret.
func randomTransfer(i int) (zkp.TransferInput, error) {
	rb, err := zkp.RandomBlinding()
	if err != nil {
		return zkp.TransferInput{}, err
	}
	ra, err := zkp.RandomAmountBlinding()
	if err != nil {
		return zkp.TransferInput{}, err
	}
	return zkp.TransferInput{
		Balance: 5_000_000_000 + uint64(i)*7919, BalanceBlinding: rb,
		Amount: 1_234_567 + uint64(i)*104_729, AmountBlinding: ra,
		Context: zkp.NewContext("sable/bench", []byte(fmt.Sprint(i))),
	}, nil
}

// prove proves the naive circuit with gnark's prover.
func (p *baselineSetup) prove(in zkp.TransferInput) error {
	pub := zkp.Public{Circuit: zkp.Transfer, Available: zkp.Commit(in.Balance, in.BalanceBlinding),
		Amount: zkp.Commit(in.Amount, in.AmountBlinding), Context: in.Context}
	v := pub.Vector()
	c := &baseline.Circuit{Context: v[4], Balance: in.Balance, BalanceBlinding: in.BalanceBlinding, Value: in.Amount, Blinding: in.AmountBlinding}
	c.Available.X, c.Available.Y = v[0], v[1]
	c.Amount.X, c.Amount.Y = v[2], v[3]
	w, err := frontend.NewWitness(c, ecc.BN254.ScalarField())
	if err != nil {
		return err
	}
	_, err = groth16bn254.Prove(p.ccs, p.bpk, w)
	return err
}

// floor runs gnark-crypto's MultiExp over the proving key's vectors with
// in's scalars, one after another, each on all cores.
func (p *transferSetup) floor(in *zkp.MSMInputs) (MSMs, time.Duration, error) {
	g := p.pk.Groth16()
	cfg := ecc.MultiExpConfig{}
	var j1 bn254.G1Jac
	var j2 bn254.G2Jac
	t0 := time.Now()
	if _, err := j1.MultiExp(g.G1.A, in.A, cfg); err != nil {
		return MSMs{}, 0, err
	}
	t1 := time.Now()
	if _, err := j1.MultiExp(g.G1.B, in.B, cfg); err != nil {
		return MSMs{}, 0, err
	}
	t2 := time.Now()
	if _, err := j2.MultiExp(g.G2.B, in.B, cfg); err != nil {
		return MSMs{}, 0, err
	}
	t3 := time.Now()
	if _, err := j1.MultiExp(g.G1.K, in.K, cfg); err != nil {
		return MSMs{}, 0, err
	}
	t4 := time.Now()
	if _, err := j1.MultiExp(g.G1.Z, in.H, cfg); err != nil {
		return MSMs{}, 0, err
	}
	t5 := time.Now()
	return MSMs{A: ms(t1.Sub(t0)), B1: ms(t2.Sub(t1)), B2: ms(t3.Sub(t2)), K: ms(t4.Sub(t3)), Z: ms(t5.Sub(t4))}, t5.Sub(t0), nil
}

// Prove runs the proving benchmark.
func Prove(opt ProveOptions) (*ProveResult, error) {
	pr := orSilent(opt.Progress)
	rounds, batch := opt.Rounds, opt.BatchSize
	if rounds <= 0 {
		rounds = 31
		if opt.Quick {
			rounds = 7
		}
	}
	if batch <= 0 {
		batch = 100
		if opt.Quick {
			batch = 32
		}
	}
	dir, err := os.MkdirTemp("", "sable-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	t, err := newTransferSetup(dir, pr)
	if err != nil {
		return nil, err
	}
	b, err := newBaselineSetup(pr)
	if err != nil {
		return nil, err
	}
	p := &prover{t, b}
	res := &ProveResult{Machine: ThisMachine(), Rounds: rounds, BatchSize: batch, ProverInitMs: ms(t.initTime)}
	ccs, _ := zkp.Transfer.Compile()
	res.Constraints = ccs.GetNbConstraints()
	res.Wires = ccs.GetNbInternalVariables() + ccs.GetNbPublicVariables() + ccs.GetNbSecretVariables()
	res.Domain = int(p.pk.Groth16().Domain.Cardinality)
	res.BaselineConstraints = p.ccs.GetNbConstraints()
	res.BaselineDomain = int(p.bpk.Domain.Cardinality)

	// Key loading.
	pr.Stage("proving key load", 5)
	var loads samples
	for range 5 {
		k, err := zkp.ReadProvingKey(p.pkPath, zkp.Transfer)
		if err != nil {
			return nil, err
		}
		loads = append(loads, k.LoadTime)
		pr.Step()
	}
	res.PKLoadMs = ms(loads.p50())
	if st, err := os.Stat(p.pkPath); err == nil {
		res.PKBytes = st.Size()
	}

	// The MSM floor's scalars: one solved witness.
	in0, err := randomTransfer(0)
	if err != nil {
		return nil, err
	}
	msmIn, err := p.fast.TransferMSMInputs(in0)
	if err != nil {
		return nil, err
	}
	res.Shape = shapeOf(msmIn)
	res.Tables = p.fast.Tables()

	// Interleaved rounds: ours, gnark on ours, the baseline, the floor and
	// our MSMs, each round in a rotated order so none always runs first.
	pr.Stage("proving, interleaved", rounds)
	var fast, gnark, base, floor, own, wit, solve, hT, msmT, fin, fastCPU, baseCPU samples
	var floorD, ownD []MSMs
	for r := range rounds {
		in, err := randomTransfer(r + 1)
		if err != nil {
			return nil, err
		}
		steps := []func() error{
			func() error {
				start, cpu := time.Now(), cpuTime()
				pub, proof, tm, err := p.fast.ProveTransferTimed(in)
				if err != nil {
					return err
				}
				total := time.Since(start)
				fast, fastCPU = append(fast, total), append(fastCPU, cpuTime()-cpu)
				solve, hT, msmT, fin = append(solve, tm.Solve), append(hT, tm.H), append(msmT, tm.MSM), append(fin, tm.Finish)
				wit = append(wit, total-tm.Solve-tm.MSM-tm.Finish)
				if r == 0 {
					if err := p.vk.Verify(pub, proof); err != nil {
						return fmt.Errorf("bench: the fast prover's proof does not verify: %w", err)
					}
				}
				return nil
			},
			func() error {
				start := time.Now()
				if _, _, err := p.pk.ProveTransfer(in, nil); err != nil {
					return err
				}
				gnark = append(gnark, time.Since(start))
				return nil
			},
			func() error {
				start, cpu := time.Now(), cpuTime()
				if err := p.baselineSetup.prove(in); err != nil {
					return fmt.Errorf("bench: baseline: %w", err)
				}
				base, baseCPU = append(base, time.Since(start)), append(baseCPU, cpuTime()-cpu)
				return nil
			},
			func() error {
				d, total, err := p.floor(msmIn)
				if err != nil {
					return err
				}
				floor, floorD = append(floor, total), append(floorD, d)
				return nil
			},
			func() error {
				tm := p.fast.RunMSMs(msmIn)
				own = append(own, tm.MSM)
				ownD = append(ownD, MSMs{A: ms(tm.A), B1: ms(tm.B1), B2: ms(tm.B2), KZ: ms(tm.KZ)})
				return nil
			},
		}
		for i := range steps {
			if err := steps[(i+r)%len(steps)](); err != nil {
				return nil, err
			}
		}
		pr.Step()
	}
	res.ProveMsP50, res.ProveMsP90 = ms(fast.p50()), ms(fast.quantile(0.9))
	res.GnarkProveMsP50 = ms(gnark.p50())
	res.BaselineProveMsP50 = ms(base.p50())
	res.Speedup = ratio(base.p50(), fast.p50())
	res.SpeedupPaired = pairedRatio(base, fast)
	res.ProveCPUMsP50, res.BaselineCPUMsP50 = ms(fastCPU.p50()), ms(baseCPU.p50())
	res.SpeedupCPU = ratio(baseCPU.p50(), fastCPU.p50())
	res.CircuitSpeedup = ratio(base.p50(), gnark.p50())
	res.ProverSpeedup = ratio(gnark.p50(), fast.p50())
	res.MSMFloorMs = ms(floor.p50())
	res.FloorRatio = ratio(fast.p50(), floor.p50())
	res.FloorDetail = medianMSMs(floorD)
	res.OwnMSMMs = ms(own.p50())
	res.OwnMSMRatio = ratio(fast.p50(), own.p50())
	res.OwnDetail = medianMSMs(ownD)
	res.Phases = Phases{WitnessMs: ms(wit.p50()), SolveMs: ms(solve.p50()), HMs: ms(hT.p50()), MSMMs: ms(msmT.p50()), FinishMs: ms(fin.p50())}
	if fast.p50() > 0 {
		res.ProofsPerSSingle = round(float64(time.Second)/float64(fast.p50()), 1)
	}

	// Parallel proving: one proof per core, each on one core. Its proofs
	// make the verification batch.
	pubs, proofs, perS, err := p.proveParallel(batch, pr)
	if err != nil {
		return nil, err
	}
	res.ProofsPerS = perS

	if err := p.verifyBench(res, pubs, proofs, rounds, pr); err != nil {
		return nil, err
	}
	if res.OnePath, err = onePath(dir, max(3, rounds/3), pr); err != nil {
		return nil, err
	}
	res.Targets = []Target{
		{Name: "speedup", Want: fmt.Sprintf("≥ %g", TargetSpeedup), Value: res.Speedup, Met: res.Speedup >= TargetSpeedup},
		{Name: "floor_ratio", Want: fmt.Sprintf("≤ %g", TargetFloorRatio), Value: res.FloorRatio, Met: res.FloorRatio > 0 && res.FloorRatio <= TargetFloorRatio},
		{Name: "batch_speedup", Want: fmt.Sprintf("≥ %g", TargetBatchSpeedup), Value: res.BatchSpeedup, Met: res.BatchSpeedup >= TargetBatchSpeedup},
	}
	return res, nil
}

func medianMSMs(d []MSMs) MSMs {
	pick := func(f func(MSMs) float64) float64 {
		var s samples
		for _, x := range d {
			s = append(s, time.Duration(f(x)*float64(time.Millisecond)))
		}
		return ms(s.p50())
	}
	return MSMs{
		A:  pick(func(m MSMs) float64 { return m.A }),
		B1: pick(func(m MSMs) float64 { return m.B1 }),
		B2: pick(func(m MSMs) float64 { return m.B2 }),
		K:  pick(func(m MSMs) float64 { return m.K }),
		Z:  pick(func(m MSMs) float64 { return m.Z }),
		KZ: pick(func(m MSMs) float64 { return m.KZ }),
	}
}

// proveParallel proves n transfers with one worker per core, each proof on
// a single core, and returns them with the throughput.
func (p *transferSetup) proveParallel(n int, pr Progress) ([]zkp.Public, []*zkp.Proof, float64, error) {
	pr.Stage(fmt.Sprintf("proving %d transfers on %d cores", n, runtime.GOMAXPROCS(0)), n)
	inputs := make([]zkp.TransferInput, n)
	for i := range inputs {
		in, err := randomTransfer(1000 + i)
		if err != nil {
			return nil, nil, 0, err
		}
		inputs[i] = in
	}
	one := p.fast.WithWorkers(1)
	pubs := make([]zkp.Public, n)
	proofs := make([]*zkp.Proof, n)
	errs := make([]error, n)
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pubs[i], proofs[i], errs[i] = one.ProveTransfer(inputs[i], nil)
				mu.Lock()
				pr.Step()
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return nil, nil, 0, err
		}
	}
	return pubs, proofs, round(float64(n)/elapsed.Seconds(), 1), nil
}

// verifyBench times single verification, and a batch of all the proofs
// against the same proofs verified one by one, sequentially and on all
// cores, interleaved.
func (p *transferSetup) verifyBench(res *ProveResult, pubs []zkp.Public, proofs []*zkp.Proof, rounds int, pr Progress) error {
	n := len(proofs)
	rounds = max(3, rounds/3)
	pr.Stage(fmt.Sprintf("verifying: single and batches of %d", n), rounds)
	var single, batch, seq, par samples
	for r := range rounds {
		steps := []func() error{
			func() error { // sequential singles; also the single-verification time
				start := time.Now()
				for i := range proofs {
					t := time.Now()
					if err := p.vk.Verify(pubs[i], proofs[i]); err != nil {
						return err
					}
					single = append(single, time.Since(t))
				}
				seq = append(seq, time.Since(start))
				return nil
			},
			func() error { // singles on all cores
				start := time.Now()
				errs := make([]error, n)
				workers := runtime.GOMAXPROCS(0)
				var wg sync.WaitGroup
				for w := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := w; i < n; i += workers {
							errs[i] = p.vk.Verify(pubs[i], proofs[i])
						}
					}()
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						return err
					}
				}
				par = append(par, time.Since(start))
				return nil
			},
			func() error {
				start := time.Now()
				if err := zkp.BatchVerify(p.vk, pubs, proofs); err != nil {
					return fmt.Errorf("bench: batch of valid proofs rejected: %w", err)
				}
				batch = append(batch, time.Since(start))
				return nil
			},
		}
		for i := range steps {
			if err := steps[(i+r)%len(steps)](); err != nil {
				return err
			}
		}
		pr.Step()
	}
	res.VerifyUs = us(single.p50())
	res.BatchVerifyUsPerProof = us(batch.p50() / time.Duration(n))
	res.BatchSpeedup = ratio(par.p50(), batch.p50())
	res.BatchSpeedupSeq = ratio(seq.p50(), batch.p50())
	return nil
}

// onePath measures every circuit on the one proving path. dir holds the
// transfer circuit's keys; the others' are made here.
func onePath(dir string, rounds int, pr Progress) ([]EngineCosts, error) {
	for _, c := range []zkp.Circuit{zkp.Mint, zkp.FX} {
		pr.Stage(fmt.Sprintf("setup: %s circuit", c), 1)
		pk, vk, err := zkp.SetupDev(c)
		if err != nil {
			return nil, err
		}
		if err := writeKeys(dir, pk, vk); err != nil {
			return nil, err
		}
		pr.Step()
	}
	var out []EngineCosts
	for _, c := range zkp.Circuits() {
		if !c.TablesAtSetup() {
			continue // batch: its engines are measured by zkp's BenchmarkBatchEngines
		}
		e, err := engineCosts(dir, c, rounds, pr)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", c, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// proveOne proves the i-th random statement of c with p.
func proveOne(p *zkp.Prover, c zkp.Circuit, i int) error {
	in, err := randomTransfer(i)
	if err != nil {
		return err
	}
	switch c {
	case zkp.Transfer:
		_, _, err = p.ProveTransfer(in)
	case zkp.FX: // in's amount at 1.3402
		_, _, err = p.ProveFX(zkp.FXInput{AmountA: in.Amount, BlindingA: in.AmountBlinding, BlindingB: in.BalanceBlinding, Rate: 134_020_000, Context: in.Context})
	default:
		_, _, err = p.ProveMint(zkp.MintInput{Amount: in.Amount, AmountBlinding: in.AmountBlinding, Context: in.Context})
	}
	return err
}

// engineCosts measures c's tables (build, write, load) and, in interleaved
// rounds, a proof on each engine of a long-lived prover and the first proof
// of a fresh one-shot prover with the cache and without it.
func engineCosts(dir string, c zkp.Circuit, rounds int, pr Progress) (EngineCosts, error) {
	pr.Stage(fmt.Sprintf("one proving path: %s", c), rounds+3)
	e := EngineCosts{Circuit: string(c)}
	if ccs, err := c.Compile(); err == nil {
		e.Constraints = ccs.GetNbConstraints()
	}
	pkPath, _ := zkp.KeyPaths(dir, c)
	pk, err := zkp.ReadProvingKey(pkPath, c)
	if err != nil {
		return e, err
	}
	path := zkp.TablesPath(dir, c)
	var build, write, load samples
	for range 3 {
		start := time.Now()
		t, err := zkp.NewTableProver(pk)
		if err != nil {
			return e, err
		}
		build = append(build, time.Since(start))
		start = time.Now()
		if err := t.WriteTables(path); err != nil {
			return e, err
		}
		write = append(write, time.Since(start))
		start = time.Now()
		if _, err := zkp.ReadTableProver(path, pk); err != nil {
			return e, err
		}
		load = append(load, time.Since(start))
		pr.Step()
	}
	if st, err := os.Stat(path); err == nil {
		e.TablesBytes = st.Size()
	}
	e.BuildMs, e.WriteMs, e.LoadMs = ms(build.p50()), ms(write.p50()), ms(load.p50())

	long := zkp.OpenProver(dir, zkp.LongRunning())
	gnark := zkp.OpenProver(dir, zkp.WithEngine(zkp.EngineGnark))
	for _, p := range []*zkp.Prover{long, gnark} { // keys read, tables loaded
		if err := proveOne(p, c, 0); err != nil {
			return e, err
		}
	}
	e.LongRunningBy = string(long.Engine(c))
	var tablesT, gnarkT, cached, noCache samples
	timed := func(s *samples, p *zkp.Prover, i int) error {
		start := time.Now()
		if err := proveOne(p, c, i); err != nil {
			return err
		}
		*s = append(*s, time.Since(start))
		return nil
	}
	for r := range rounds {
		oneShot, oneShotNoCache := zkp.OpenProver(dir), zkp.OpenProver(dir, zkp.WithoutTablesCache())
		steps := []func() error{
			func() error { return timed(&tablesT, long, r+1) },
			func() error { return timed(&gnarkT, gnark, r+1) },
			func() error { return timed(&cached, oneShot, r+1) },
			func() error { return timed(&noCache, oneShotNoCache, r+1) },
		}
		for i := range steps {
			if err := steps[(i+r)%len(steps)](); err != nil {
				return e, err
			}
		}
		e.OneShotCachedBy, e.OneShotNoCacheBy = string(oneShot.Engine(c)), string(oneShotNoCache.Engine(c))
		pr.Step()
	}
	e.TablesProveMs, e.GnarkProveMs = ms(tablesT.p50()), ms(gnarkT.p50())
	e.OneShotCachedMs, e.OneShotNoCacheMs = ms(cached.p50()), ms(noCache.p50())
	if saved := gnarkT.p50() - tablesT.p50(); saved > 0 {
		e.BreakEven = round(float64(build.p50())/float64(saved), 1)
	}
	return e, nil
}

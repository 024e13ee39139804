package zkp

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/backend/witness"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
)

// TableProver is the table engine: a Groth16 prover specialised for
// Sable's small circuits. Its proofs are ordinary Groth16 proofs under the
// same keys: they verify with gnark's groth16.Verify and
// VerifyingKey.Verify, and are distributed like gnark's (fresh r and s for
// every proof).
//
// gnark's prover spends nearly all of its time in multi-scalar
// multiplications over the proving key's points, recomputing for every
// proof what depends only on the key. A TableProver precomputes once, for
// each of the key's point vectors, the multiples 2^{c·j}·P_i (see msm.go), so
// that each MSM is a single bucket pass with batched affine additions and
// one reduction, and folds the key's fixed terms (α, β, and δ times the
// random r, s and −rs) into the same passes. Witness solving, the quotient
// h and the two final scalar multiplications s·A and r·B are as in gnark.
//
// The tables cost about 15 MB for the transfer circuit and a few hundred
// milliseconds to build (InitTime); a TableProver is safe for concurrent use.
type TableProver struct {
	key      *ProvingKey
	ccs      *cs.R1CS
	nbPublic int

	// MSM tables. A: A_i then α, δ. B1 and B2: B_i then β, δ. KZ: K_i, then
	// Z_i, then δ.
	a, b1, kz *g1Table
	b2        *g2Table

	// InitTime is how long building the tables took.
	InitTime time.Duration

	workers int // goroutines per MSM
}

// ErrUnsupportedKey reports a proving key this prover cannot use.
var ErrUnsupportedKey = errors.New("zkp: the table prover does not support this proving key")

// NewTableProver builds the tables of a prover for k.
func NewTableProver(k *ProvingKey) (*TableProver, error) {
	start := time.Now()
	p, err := newTableProver(k)
	if err != nil {
		return nil, err
	}
	// Window sizes from the digits of a real witness: most wires are 0 or 1
	// (bits of the scalars the circuit decomposes), the rest full-width.
	sample, err := p.sampleScalars()
	if err != nil {
		return nil, err
	}
	v := p.vectors()
	var wg sync.WaitGroup
	build := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	build(func() { p.a = newG1Table(v.a, chooseWindow(sample.a)) })
	build(func() { p.b1 = newG1Table(v.b1, chooseWindow(sample.b)) })
	build(func() { p.b2 = newG2Table(v.b2, chooseWindow(sample.b)) })
	build(func() { p.kz = newG1Table(v.kz, chooseWindow(sample.kz)) })
	wg.Wait()
	p.InitTime = time.Since(start)
	return p, nil
}

// newTableProver returns a prover for k without its tables, once k is
// known to fit its circuit's constraint system.
func newTableProver(k *ProvingKey) (*TableProver, error) {
	ccs, err := k.circuit.Compile()
	if err != nil {
		return nil, err
	}
	r1cs, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("%w: not an R1CS", ErrUnsupportedKey)
	}
	pk := k.pk
	if len(pk.CommitmentKeys) != 0 {
		return nil, fmt.Errorf("%w: BSB22 commitments", ErrUnsupportedKey)
	}
	nbWires := r1cs.GetNbInternalVariables() + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()
	nbPublic := r1cs.GetNbPublicVariables()
	if len(pk.InfinityA) != nbWires || len(pk.InfinityB) != nbWires ||
		len(pk.G1.K) != nbWires-nbPublic || len(pk.G1.Z) != int(pk.Domain.Cardinality)-1 ||
		len(pk.G1.A) != nbWires-int(pk.NbInfinityA) || len(pk.G1.B) != nbWires-int(pk.NbInfinityB) || len(pk.G2.B) != len(pk.G1.B) {
		return nil, fmt.Errorf("%w: the key does not match the %s circuit", ErrUnsupportedKey, k.circuit)
	}
	return &TableProver{key: k, ccs: r1cs, nbPublic: nbPublic, workers: runtime.GOMAXPROCS(0)}, nil
}

// keyVectors are the point vectors of the four tables, in table order.
type keyVectors struct {
	a, b1, kz []bn254.G1Affine
	b2        []bn254.G2Affine
}

// vectors returns the key's vectors with the fixed terms folded in: A_i
// then α, δ; B_i then β, δ (in G1 and G2); K_i, then Z_i, then δ.
func (p *TableProver) vectors() keyVectors {
	pk := p.key.pk
	kz := make([]bn254.G1Affine, 0, len(pk.G1.K)+len(pk.G1.Z)+1)
	return keyVectors{
		a:  append(append([]bn254.G1Affine(nil), pk.G1.A...), pk.G1.Alpha, pk.G1.Delta),
		b1: append(append([]bn254.G1Affine(nil), pk.G1.B...), pk.G1.Beta, pk.G1.Delta),
		b2: append(append([]bn254.G2Affine(nil), pk.G2.B...), pk.G2.Beta, pk.G2.Delta),
		kz: append(append(append(kz, pk.G1.K...), pk.G1.Z...), pk.G1.Delta),
	}
}

// WithWorkers returns a prover sharing p's tables whose MSMs use n
// goroutines (at least 1): 1 suits a proof per core in parallel.
func (p *TableProver) WithWorkers(n int) *TableProver {
	q := *p
	q.workers = max(1, n)
	return &q
}

// TableInfo describes one of a prover's precomputed tables.
type TableInfo struct {
	Name    string `json:"name"`    // A, B1, B2 (G2) or KZ
	Points  int    `json:"points"`  // key points, with the folded fixed terms
	Window  int    `json:"window"`  // c, bits per digit
	Windows int    `json:"windows"` // digits per full-width scalar
	Bytes   int    `json:"bytes"`   // memory of the table
}

// Tables describes the prover's tables.
func (p *TableProver) Tables() []TableInfo {
	g1 := func(name string, t *g1Table) TableInfo {
		return TableInfo{name, t.n, t.c, t.m, len(t.points) * bn254.SizeOfG1AffineUncompressed}
	}
	return []TableInfo{g1("A", p.a), g1("B1", p.b1),
		{"B2", p.b2.n, p.b2.c, p.b2.m, len(p.b2.points) * bn254.SizeOfG2AffineUncompressed}, g1("KZ", p.kz)}
}

// Circuit returns the circuit the prover proves.
func (p *TableProver) Circuit() Circuit { return p.key.circuit }

// ProveTransfer is ProvingKey.ProveTransfer on the fast prover: the same
// checks, statement and witness, and the proof is verified before it is
// returned if vk is not nil.
func (p *TableProver) ProveTransfer(in TransferInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != Transfer {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := transferStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveMint is ProvingKey.ProveMint on the fast prover.
func (p *TableProver) ProveMint(in MintInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != Mint {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := mintStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

func (p *TableProver) prove(assignment frontend.Circuit, pub Public, vk *VerifyingKey) (*Proof, error) {
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("zkp: witness: %w", err)
	}
	proof, _, err := p.proveTimed(w)
	if err != nil {
		return nil, err
	}
	if err := selfCheck(vk, pub, proof); err != nil {
		return nil, err
	}
	return proof, nil
}

// Timings splits one proof's time into its phases. The MSMs and h run as
// tasks on the prover's workers: MSM is their wall time, H and the
// per-table times are the time of their own tasks (CPU time, on a machine
// with cores to spare).
type Timings struct {
	Solve  time.Duration // witness solving (gnark's solver, hints included)
	H      time.Duration // the quotient h: 7 FFTs of the domain's size
	MSM    time.Duration // all MSMs and h, wall time
	A, B1  time.Duration // each MSM's tasks
	B2, KZ time.Duration
	Finish time.Duration // s·A + r·B and affine conversions
}

// proveTimed proves for a full witness (public and secret parts).
func (p *TableProver) proveTimed(w witness.Witness) (*Proof, Timings, error) {
	var tm Timings
	start := time.Now()
	solved, err := p.ccs.Solve(w)
	if err != nil {
		return nil, tm, fmt.Errorf("zkp: prove %s: %w", p.key.circuit, err)
	}
	tm.Solve = time.Since(start)
	proof, err := p.proveSolution(solved.(*cs.R1CSSolution), &tm)
	return proof, tm, err
}

// proveSolution proves from a solved witness: the wires and the
// constraints' evaluations A, B, C (consumed).
func (p *TableProver) proveSolution(sol *cs.R1CSSolution, tm *Timings) (*Proof, error) {
	wires := []fr.Element(sol.W)
	pk := p.key.pk
	var r, s, kr fr.Element
	if _, err := r.SetRandom(); err != nil {
		return nil, err
	}
	if _, err := s.SetRandom(); err != nil {
		return nil, err
	}
	kr.Mul(&r, &s).Neg(&kr)
	sa, sb := p.wireScalars(wires, r, s)
	kz := func() []fr.Element {
		t := time.Now()
		h := quotient(sol.A, sol.B, sol.C, &pk.Domain)
		tm.H = time.Since(t)
		return p.kzScalars(wires, h, kr)
	}
	if len(wires)-p.nbPublic != len(pk.G1.K) {
		return nil, fmt.Errorf("zkp: prove %s: witness does not match the key", p.key.circuit)
	}
	res := p.runMSMs(sa, sb, kz, tm)
	tm.KZ -= tm.H // h is computed in the KZ job's first task
	ar, bs1, bs2, krs := res.ar, res.bs1, res.bs2, res.krs

	// Krs += s·Ar + r·Bs1.
	finish := time.Now()
	var t bn254.G1Jac
	var sb1, rb1 big.Int
	s.BigInt(&sb1)
	r.BigInt(&rb1)
	t.ScalarMultiplication(&ar, &sb1)
	krs.AddAssign(&t)
	t.ScalarMultiplication(&bs1, &rb1)
	krs.AddAssign(&t)

	proof := &Proof{}
	proof.p.Ar.FromJacobian(&ar)
	proof.p.Bs.FromJacobian(&bs2)
	proof.p.Krs.FromJacobian(&krs)
	tm.Finish = time.Since(finish)
	return proof, nil
}

// ProveTransferTimed is ProveTransfer without the self-check, reporting
// where the time went; for benchmarks.
func (p *TableProver) ProveTransferTimed(in TransferInput) (Public, *Proof, Timings, error) {
	if p.key.circuit != Transfer {
		return Public{}, nil, Timings{}, ErrWrongCircuit
	}
	pub, assignment, err := transferStatement(in)
	if err != nil {
		return Public{}, nil, Timings{}, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return Public{}, nil, Timings{}, fmt.Errorf("zkp: witness: %w", err)
	}
	proof, tm, err := p.proveTimed(w)
	return pub, proof, tm, err
}

// MSMInputs are the scalars of one proof's multi-scalar multiplications,
// as gnark's prover and this one use them: A and B are the wires whose key
// points (pk.G1.A, pk.G1.B and pk.G2.B) are not at infinity, K the private
// wires (pk.G1.K) and H the coefficients of h (pk.G1.Z).
type MSMInputs struct {
	A, B, K, H []fr.Element
}

// TransferMSMInputs solves the witness of a transfer and returns its MSM
// scalars; for benchmarks that time the MSMs alone.
func (p *TableProver) TransferMSMInputs(in TransferInput) (*MSMInputs, error) {
	if p.key.circuit != Transfer {
		return nil, ErrWrongCircuit
	}
	_, assignment, err := transferStatement(in)
	if err != nil {
		return nil, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	solved, err := p.ccs.Solve(w)
	if err != nil {
		return nil, err
	}
	sol := solved.(*cs.R1CSSolution)
	pk := p.key.pk
	var zero fr.Element
	sa, sb := p.wireScalars(sol.W, zero, zero)
	h := quotient(sol.A, sol.B, sol.C, &pk.Domain)
	return &MSMInputs{
		A: sa[:len(sa)-2], B: sb[:len(sb)-2],
		K: append([]fr.Element(nil), sol.W[p.nbPublic:]...),
		H: h[:len(pk.G1.Z)],
	}, nil
}

// RunMSMs runs this prover's four MSMs on in's scalars (with random r and
// s), as a proof does, and returns their times.
func (p *TableProver) RunMSMs(in *MSMInputs) Timings {
	var r, s, kr, one fr.Element
	r.SetRandom()
	s.SetRandom()
	kr.Mul(&r, &s).Neg(&kr)
	one.SetOne()
	sa := append(append(make([]fr.Element, 0, len(in.A)+2), in.A...), one, r)
	sb := append(append(make([]fr.Element, 0, len(in.B)+2), in.B...), one, s)
	skz := append(append(append(make([]fr.Element, 0, len(in.K)+len(in.H)+1), in.K...), in.H...), kr)
	var tm Timings
	p.runMSMs(sa, sb, func() []fr.Element { return skz }, &tm)
	return tm
}

// wireScalars returns the scalars of the A and B tables: the wires whose
// key points are not at infinity, then 1 (α or β) and r or s (δ).
func (p *TableProver) wireScalars(wires []fr.Element, r, s fr.Element) (sa, sb []fr.Element) {
	pk := p.key.pk
	sa = make([]fr.Element, 0, len(pk.G1.A)+2)
	sb = make([]fr.Element, 0, len(pk.G1.B)+2)
	for i := range wires {
		if !pk.InfinityA[i] {
			sa = append(sa, wires[i])
		}
		if !pk.InfinityB[i] {
			sb = append(sb, wires[i])
		}
	}
	var one fr.Element
	one.SetOne()
	return append(sa, one, r), append(sb, one, s)
}

// kzScalars returns the scalars of the KZ table: the private wires, h, and
// −rs (δ).
func (p *TableProver) kzScalars(wires, h []fr.Element, kr fr.Element) []fr.Element {
	pk := p.key.pk
	skz := make([]fr.Element, 0, len(pk.G1.K)+len(pk.G1.Z)+1)
	skz = append(skz, wires[p.nbPublic:]...)
	skz = append(skz, h[:len(pk.G1.Z)]...)
	return append(skz, kr)
}

type sampleScalars struct{ a, b, kz []fr.Element }

// sampleScalars solves a random valid witness of the prover's circuit and
// returns the scalars its MSMs would take (with a random h, r and s). A real
// proof's scalars have the same shapes: the same wires are 0, 1, small or
// full-width.
func (p *TableProver) sampleScalars() (sampleScalars, error) {
	var assignment frontend.Circuit
	rb, err := RandomBlinding()
	if err != nil {
		return sampleScalars{}, err
	}
	ra, err := RandomAmountBlinding()
	if err != nil {
		return sampleScalars{}, err
	}
	ctx := NewContext("sable/zkp/prover-sample")
	if p.key.circuit == Transfer {
		_, assignment, err = transferStatement(TransferInput{Balance: 1 << 40, BalanceBlinding: rb, Amount: 123456789, AmountBlinding: ra, Context: ctx})
	} else {
		_, assignment, err = mintStatement(MintInput{Amount: 123456789, AmountBlinding: ra, Context: ctx})
	}
	if err != nil {
		return sampleScalars{}, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return sampleScalars{}, err
	}
	solved, err := p.ccs.Solve(w)
	if err != nil {
		return sampleScalars{}, fmt.Errorf("zkp: prover sample witness: %w", err)
	}
	wires := []fr.Element(solved.(*cs.R1CSSolution).W)
	var r, s, kr fr.Element
	r.SetRandom()
	s.SetRandom()
	kr.SetRandom()
	h := make([]fr.Element, len(p.key.pk.G1.Z))
	for i := range h {
		h[i].SetRandom()
	}
	sa, sb := p.wireScalars(wires, r, s)
	return sampleScalars{a: sa, b: sb, kz: p.kzScalars(wires, h, kr)}, nil
}

// quotient returns the coefficients of h = (A·B − C)/(Xⁿ − 1), as gnark's
// prover computes them: A, B and C are the constraints' evaluations on the
// domain; they are interpolated, evaluated on a coset, combined there, and
// h interpolated back. The seven FFTs run one after another on the calling
// goroutine: the prover's other worker is busy with an MSM meanwhile, and at
// this size splitting an FFT costs more CPU than it saves.
func quotient(a, b, c []fr.Element, domain *fft.Domain) []fr.Element {
	n := int(domain.Cardinality)
	pad := func(v []fr.Element) []fr.Element {
		for len(v) < n {
			v = append(v, fr.Element{})
		}
		return v
	}
	a, b, c = pad(a), pad(b), pad(c)
	one := fft.WithNbTasks(1)
	for _, v := range [][]fr.Element{a, b, c} {
		domain.FFTInverse(v, fft.DIF, one)
		domain.FFT(v, fft.DIT, fft.OnCoset(), one)
	}
	// On the coset, Xⁿ − 1 is the constant gⁿ − 1.
	var den, o fr.Element
	o.SetOne()
	den.Exp(domain.FrMultiplicativeGen, big.NewInt(int64(n)))
	den.Sub(&den, &o).Inverse(&den)
	for i := range a {
		a[i].Mul(&a[i], &b[i]).Sub(&a[i], &c[i]).Mul(&a[i], &den)
	}
	domain.FFTInverse(a, fft.DIF, fft.OnCoset(), one)
	return a
}

package tableprover

import (
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// Key is what a prover is built for: a circuit's constraint system and its
// Groth16 proving key.
type Key struct {
	Name string // the circuit's name: in errors, and in table files
	CCS  *cs.R1CS
	PK   *groth16bn254.ProvingKey
}

// Prover is a Groth16 prover for one Key whose MSMs run over tables
// precomputed from the key. It is safe for concurrent use.
type Prover struct {
	key      Key
	nbPublic int

	// MSM tables. A: A_i then α, δ. B1 and B2: B_i then β, δ. KZ: K_i, then
	// Z_i, then δ.
	a, b1, kz *g1Table
	b2        *g2Table

	workers int // goroutines per MSM
}

// ErrUnsupportedKey reports a proving key this prover cannot use.
var ErrUnsupportedKey = errors.New("zkp: the table prover does not support this proving key")

// New builds the tables of a prover for k. sample is a full witness of k's
// circuit whose scalars have the shapes of a real proof's (the same wires
// 0, 1, small or full-width): the window of each table is chosen from it.
func New(k Key, sample witness.Witness) (*Prover, error) {
	p, err := newProver(k)
	if err != nil {
		return nil, err
	}
	s, err := p.sampleScalars(sample)
	if err != nil {
		return nil, err
	}
	v := p.vectors()
	var wg sync.WaitGroup
	build := func(f func()) { wg.Add(1); go func() { defer wg.Done(); f() }() }
	build(func() { p.a = newG1Table(v.a, chooseWindow(s.a)) })
	build(func() { p.b1 = newG1Table(v.b1, chooseWindow(s.b)) })
	build(func() { p.b2 = newG2Table(v.b2, chooseWindow(s.b)) })
	build(func() { p.kz = newG1Table(v.kz, chooseWindow(s.kz)) })
	wg.Wait()
	return p, nil
}

// newProver returns a prover for k without its tables, once k's proving
// key is known to fit its constraint system.
func newProver(k Key) (*Prover, error) {
	pk, r1cs := k.PK, k.CCS
	if len(pk.CommitmentKeys) != 0 {
		return nil, fmt.Errorf("%w: BSB22 commitments", ErrUnsupportedKey)
	}
	nbWires := r1cs.GetNbInternalVariables() + r1cs.GetNbPublicVariables() + r1cs.GetNbSecretVariables()
	nbPublic := r1cs.GetNbPublicVariables()
	if len(pk.InfinityA) != nbWires || len(pk.InfinityB) != nbWires ||
		len(pk.G1.K) != nbWires-nbPublic || len(pk.G1.Z) != int(pk.Domain.Cardinality)-1 ||
		len(pk.G1.A) != nbWires-int(pk.NbInfinityA) || len(pk.G1.B) != nbWires-int(pk.NbInfinityB) || len(pk.G2.B) != len(pk.G1.B) {
		return nil, fmt.Errorf("%w: the key does not match the %s circuit", ErrUnsupportedKey, k.Name)
	}
	return &Prover{key: k, nbPublic: nbPublic, workers: runtime.GOMAXPROCS(0)}, nil
}

// keyVectors are the point vectors of the four tables, in table order.
type keyVectors struct {
	a, b1, kz []bn254.G1Affine
	b2        []bn254.G2Affine
}

// vectors returns the key's vectors with the fixed terms folded in: A_i
// then α, δ; B_i then β, δ (in G1 and G2); K_i, then Z_i, then δ.
func (p *Prover) vectors() keyVectors {
	pk := p.key.PK
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
func (p *Prover) WithWorkers(n int) *Prover {
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
func (p *Prover) Tables() []TableInfo {
	g1 := func(name string, t *g1Table) TableInfo {
		return TableInfo{name, t.n, t.c, t.m, len(t.points) * bn254.SizeOfG1AffineUncompressed}
	}
	return []TableInfo{g1("A", p.a), g1("B1", p.b1),
		{"B2", p.b2.n, p.b2.c, p.b2.m, len(p.b2.points) * bn254.SizeOfG2AffineUncompressed}, g1("KZ", p.kz)}
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

// Prove proves for a full witness (public and secret parts) and says where
// the time went. The proof is not verified: that is the caller's check.
func (p *Prover) Prove(w witness.Witness) (*groth16bn254.Proof, Timings, error) {
	var tm Timings
	start := time.Now()
	solved, err := p.key.CCS.Solve(w)
	if err != nil {
		return nil, tm, fmt.Errorf("zkp: prove %s: %w", p.key.Name, err)
	}
	tm.Solve = time.Since(start)
	proof, err := p.proveSolution(solved.(*cs.R1CSSolution), &tm)
	return proof, tm, err
}

// proveSolution proves from a solved witness: the wires and the
// constraints' evaluations A, B, C (consumed).
func (p *Prover) proveSolution(sol *cs.R1CSSolution, tm *Timings) (*groth16bn254.Proof, error) {
	wires := []fr.Element(sol.W)
	pk := p.key.PK
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
		return nil, fmt.Errorf("zkp: prove %s: witness does not match the key", p.key.Name)
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

	proof := &groth16bn254.Proof{}
	proof.Ar.FromJacobian(&ar)
	proof.Bs.FromJacobian(&bs2)
	proof.Krs.FromJacobian(&krs)
	tm.Finish = time.Since(finish)
	return proof, nil
}

// MSMInputs are the scalars of one proof's multi-scalar multiplications,
// as gnark's prover and this one use them: A and B are the wires whose key
// points (pk.G1.A, pk.G1.B and pk.G2.B) are not at infinity, K the private
// wires (pk.G1.K) and H the coefficients of h (pk.G1.Z).
type MSMInputs struct {
	A, B, K, H []fr.Element
}

// MSMInputs solves a full witness and returns its MSM scalars; for
// benchmarks that time the MSMs alone.
func (p *Prover) MSMInputs(w witness.Witness) (*MSMInputs, error) {
	solved, err := p.key.CCS.Solve(w)
	if err != nil {
		return nil, err
	}
	sol := solved.(*cs.R1CSSolution)
	pk := p.key.PK
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
func (p *Prover) RunMSMs(in *MSMInputs) Timings {
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
func (p *Prover) wireScalars(wires []fr.Element, r, s fr.Element) (sa, sb []fr.Element) {
	pk := p.key.PK
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
func (p *Prover) kzScalars(wires, h []fr.Element, kr fr.Element) []fr.Element {
	pk := p.key.PK
	skz := make([]fr.Element, 0, len(pk.G1.K)+len(pk.G1.Z)+1)
	skz = append(skz, wires[p.nbPublic:]...)
	skz = append(skz, h[:len(pk.G1.Z)]...)
	return append(skz, kr)
}

type sampleScalars struct{ a, b, kz []fr.Element }

// sampleScalars solves the sample witness and returns the scalars its MSMs
// would take (with a random h, r and s).
func (p *Prover) sampleScalars(sample witness.Witness) (sampleScalars, error) {
	solved, err := p.key.CCS.Solve(sample)
	if err != nil {
		return sampleScalars{}, fmt.Errorf("zkp: prover sample witness: %w", err)
	}
	wires := []fr.Element(solved.(*cs.R1CSSolution).W)
	var r, s, kr fr.Element
	r.SetRandom()
	s.SetRandom()
	kr.SetRandom()
	h := make([]fr.Element, len(p.key.PK.G1.Z))
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

package zkp

import (
	"math/big"
	"runtime"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// Fixed-base multi-scalar multiplication.
//
// A proving key's points never change, so the prover precomputes, for each
// point P_i and each c-bit window j, the multiple 2^{c·j}·P_i. An MSM
// Σ s_i·P_i then needs no doublings and no per-window bucket reduction: with
// s_i = Σ_j d_{ij}·2^{c·j} in signed digits d_{ij} ∈ [−2^{c−1}, 2^{c−1}], it
// is Σ_{d} d·(Σ_{d_{ij} = ±d} ±2^{c·j}·P_i), one bucket pass over every
// non-zero digit and a single running-sum reduction over 2^{c−1} buckets.
// Scalars that are 0 cost nothing and scalars below 2^{c−1} (the bits of a
// witness) one addition. Bucket additions are affine and batched (one field
// inversion for a whole batch, Montgomery's trick), about 6 multiplications
// each where a mixed Jacobian addition costs 11. Workers split the buckets,
// not the points, so the reduction is not repeated.

// chooseWindow returns the window that minimises the estimated cost of an
// MSM with scalars shaped like sample: one batched affine addition per
// non-zero digit, and per bucket the reduction's two Jacobian additions,
// about four times as dear.
func chooseWindow(sample []fr.Element) int {
	best, bestCost := 4, -1
	for c := 4; c <= 16; c++ {
		d := make([]int32, windows(c))
		cost := 4 << c >> 1 // 4·2^{c−1}
		for i := range sample {
			recode(&sample[i], c, d)
			for _, x := range d {
				if x != 0 {
					cost++
				}
			}
		}
		if bestCost < 0 || cost < bestCost {
			best, bestCost = c, cost
		}
	}
	return best
}

// windows is the number of c-bit signed windows of a scalar below r < 2^254:
// c·m ≥ 255 leaves room for the final carry.
func windows(c int) int { return 254/c + 1 }

// recode writes the signed c-bit digits of s (least significant first) into
// d and returns how many are needed (0 for s = 0).
func recode(s *fr.Element, c int, d []int32) int {
	if s.IsZero() {
		return 0
	}
	w := s.Bits()
	half := int64(1) << (c - 1)
	mask := uint64(1)<<c - 1
	var carry int64
	last := 0
	for j := range d {
		bit := j * c
		var v uint64
		if k := bit / 64; k < 4 {
			sh := uint(bit % 64)
			v = w[k] >> sh
			if sh+uint(c) > 64 && k+1 < 4 {
				v |= w[k+1] << (64 - sh)
			}
		}
		digit := int64(v&mask) + carry
		carry = 0
		if digit > half {
			digit -= 1 << c
			carry = 1
		}
		d[j] = int32(digit)
		if digit != 0 {
			last = j + 1
		}
	}
	return last
}

// digits recodes all scalars: d[i·m + j] is scalar i's digit j.
func digits(scalars []fr.Element, c, m int, workers int) []int32 {
	d := make([]int32, len(scalars)*m)
	parallel(len(scalars), min(workers, max(1, len(scalars)/256)), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			recode(&scalars[i], c, d[i*m:(i+1)*m])
		}
	})
	return d
}

// tableShape is what a table of windowed multiples, in G1 or G2, knows of
// its vector: window width c, m windows per scalar, n points, and which of
// them are at infinity.
type tableShape struct {
	c, m     int
	n        int
	infinity []int // the i with P_i at infinity: their digits are dropped
}

func newTableShape(n, c int, atInfinity func(i int) bool) tableShape {
	t := tableShape{c: c, m: windows(c), n: n}
	for i := 0; i < n; i++ {
		if atInfinity(i) {
			t.infinity = append(t.infinity, i)
		}
	}
	return t
}

// digits recodes the scalars for the table, with no digit for a point at
// infinity.
func (t *tableShape) digits(scalars []fr.Element, workers int) []int32 {
	d := digits(scalars, t.c, t.m, workers)
	for _, i := range t.infinity {
		clear(d[i*t.m : (i+1)*t.m])
	}
	return d
}

// jacobian is a Jacobian point type of either group, as a pointer.
type jacobian[J any] interface {
	*J
	AddAssign(*J) *J
}

// tableMSM returns Σ scalars[i]·P_i for a table whose bucket pass over
// buckets [lo, hi) is accumulate.
func tableMSM[J any, PJ jacobian[J]](t *tableShape, scalars []fr.Element, workers int, accumulate func(d []int32, lo, hi int) J) J {
	if len(scalars) != t.n {
		panic("zkp: msm: scalars do not match the table")
	}
	d := t.digits(scalars, workers)
	nb := 1 << (t.c - 1)
	workers = max(1, min(workers, nb/64))
	parts := make([]J, workers)
	parallel(nb, workers, func(w, lo, hi int) {
		parts[w] = accumulate(d, lo, hi)
	})
	for w := 1; w < workers; w++ {
		PJ(&parts[0]).AddAssign(&parts[w])
	}
	return parts[0]
}

// g1Table holds the windowed multiples of a vector of G1 points.
type g1Table struct {
	tableShape
	points []bn254.G1Affine // points[i·m + j] = 2^{c·j}·P_i
}

func newG1Table(P []bn254.G1Affine, c int) *g1Table {
	t := &g1Table{tableShape: newTableShape(len(P), c, func(i int) bool { return P[i].IsInfinity() })}
	t.points = make([]bn254.G1Affine, len(P)*t.m)
	parallel(len(P), max(1, min(runtime.GOMAXPROCS(0), len(P)/64)), func(_, lo, hi int) {
		jac := make([]bn254.G1Jac, hi-lo)
		for i := range jac {
			jac[i].FromAffine(&P[lo+i])
		}
		for j := 0; j < t.m; j++ {
			aff := bn254.BatchJacobianToAffineG1(jac)
			for i := range aff {
				t.points[(lo+i)*t.m+j] = aff[i]
			}
			if j == t.m-1 {
				break
			}
			for i := range jac {
				if !jac[i].Z.IsZero() {
					for range c {
						jac[i].DoubleAssign()
					}
				}
			}
		}
	})
	return t
}

// msm returns Σ scalars[i]·P_i.
func (t *g1Table) msm(scalars []fr.Element, workers int) bn254.G1Jac {
	return tableMSM(&t.tableShape, scalars, workers, t.accumulate)
}

// batchSize bounds the affine additions that share one inversion.
const batchSize = 256

// batchDivisor sets the batch for n buckets to n/batchDivisor: a batch
// holds distinct buckets only, and the more of them it takes, the more
// additions conflict and wait.
var batchDivisor = 5

func batchLimit(buckets int) int { return max(16, min(batchSize, buckets/batchDivisor)) }

// accumulate returns Σ_{k ∈ [lo, hi)} (k+1)·B_k, where bucket B_k sums the
// table points whose digit is ±(k+1).
func (t *g1Table) accumulate(d []int32, lo, hi int) bn254.G1Jac {
	a := g1Acc{buckets: make([]bn254.G1Affine, hi-lo), inBatch: make([]bool, hi-lo), limit: batchLimit(hi - lo)}
	var p bn254.G1Affine
	for idx, digit := range d {
		if digit == 0 {
			continue
		}
		k := int(abs32(digit)) - 1
		if k < lo || k >= hi {
			continue
		}
		p = t.points[idx]
		if digit < 0 {
			p.Neg(&p)
		}
		a.push(k-lo, &p)
	}
	for a.n > 0 || len(a.queue) > 0 {
		a.flush()
		a.drain()
	}

	// Σ (k − lo + 1)·B_k, then lo·Σ B_k on top.
	total, sum := reduceG1(a.buckets, a.side)
	if lo > 0 && !sum.Z.IsZero() {
		sum.ScalarMultiplication(&sum, big.NewInt(int64(lo)))
		total.AddAssign(&sum)
	}
	return total
}

// reduceG1 returns Σ (k+1)·B_k and Σ B_k over the buckets (affine, plus
// the Jacobian side buckets if any). The running sums are cut into
// segments that advance together, so that each step's additions are
// independent and share one inversion: about half the cost of the usual
// two Jacobian additions per bucket.
func reduceG1(buckets []bn254.G1Affine, side []bn254.G1Jac) (total, sum bn254.G1Jac) {
	var b addBatchG1
	if side != nil {
		var ks []int
		var js []bn254.G1Jac
		for k := range side {
			if !side[k].Z.IsZero() {
				ks, js = append(ks, k), append(js, side[k])
			}
		}
		aff := bn254.BatchJacobianToAffineG1(js)
		for i, k := range ks {
			b.add(&buckets[k], &aff[i])
		}
		b.flush()
	}
	L := len(buckets)
	if L < reduceBatchedFrom {
		// Short: two Jacobian additions per bucket cost less than the
		// batches' inversions and the segments' tail.
		var running bn254.G1Jac
		for k := L - 1; k >= 0; k-- {
			running.AddMixed(&buckets[k])
			total.AddAssign(&running)
		}
		return total, running
	}
	S := min(L/8, reduceSegments)
	M := (L + S - 1) / S
	R := make([]bn254.G1Affine, S)
	T := make([]bn254.G1Affine, S)
	for j := M - 1; j >= 0; j-- {
		for s := range S {
			if k := s*M + j; k < L {
				b.add(&R[s], &buckets[k])
			}
		}
		b.flush()
		for s := range S {
			b.add(&T[s], &R[s])
		}
		b.flush()
	}
	// Σ_s T_s + M·Σ_s s·R_s, and Σ_s R_s.
	var w bn254.G1Jac
	for s := S - 1; s >= 0; s-- {
		sum.AddMixed(&R[s])
		if s > 0 {
			w.AddAssign(&sum)
		}
		total.AddMixed(&T[s])
	}
	if M&(M-1) == 0 {
		for m := M; m > 1; m >>= 1 {
			w.DoubleAssign()
		}
	} else {
		w.ScalarMultiplication(&w, big.NewInt(int64(M)))
	}
	total.AddAssign(&w)
	return total, sum
}

// reduceSegments is the number of running sums a reduction advances
// together; below reduceBatchedFrom buckets, the plain Jacobian reduction
// is cheaper (measured: 0.7× at 512 buckets, 1.4× at 1024, 1.6× at 2048).
const (
	reduceSegments    = 128
	reduceBatchedFrom = 1024
)

// addBatchG1 performs independent affine additions dst += src with one
// inversion per flush. Each dst may appear once per flush.
type addBatchG1 struct {
	dst      []*bn254.G1Affine
	src      []*bn254.G1Affine
	den, tmp []fp.Element
}

func (b *addBatchG1) add(dst, src *bn254.G1Affine) {
	switch {
	case src.IsInfinity():
	case dst.IsInfinity():
		*dst = *src
	case dst.X.Equal(&src.X):
		if dst.Y.Equal(&src.Y) {
			var j bn254.G1Jac
			j.FromAffine(dst)
			j.DoubleAssign()
			dst.FromJacobian(&j)
		} else {
			*dst = bn254.G1Affine{}
		}
	default:
		b.dst, b.src = append(b.dst, dst), append(b.src, src)
	}
}

func (b *addBatchG1) flush() {
	n := len(b.dst)
	if n == 0 {
		return
	}
	if cap(b.den) < n {
		b.den, b.tmp = make([]fp.Element, n), make([]fp.Element, n)
	}
	den := b.den[:n]
	for i := range den {
		den[i].Sub(&b.src[i].X, &b.dst[i].X)
	}
	batchInvertAny(den, b.tmp[:n])
	var lambda, t fp.Element
	var q bn254.G1Affine
	for i := range den {
		d, p := b.dst[i], b.src[i]
		lambda.Sub(&p.Y, &d.Y)
		lambda.Mul(&lambda, &den[i])
		q.X.Square(&lambda)
		q.X.Sub(&q.X, &d.X)
		q.X.Sub(&q.X, &p.X)
		t.Sub(&d.X, &q.X)
		q.Y.Mul(&lambda, &t)
		q.Y.Sub(&q.Y, &d.Y)
		*d = q
	}
	b.dst, b.src = b.dst[:0], b.src[:0]
}

// batchInvertAny inverts every element of a (all non-zero), of any length,
// with prefix as scratch space of the same length.
func batchInvertAny(a, prefix []fp.Element) {
	if len(a) == 0 {
		return
	}
	acc := a[0]
	prefix[0].SetOne()
	for i := 1; i < len(a); i++ {
		prefix[i] = acc
		acc.Mul(&acc, &a[i])
	}
	acc.Inverse(&acc)
	for i := len(a) - 1; i > 0; i-- {
		var inv fp.Element
		inv.Mul(&acc, &prefix[i])
		acc.Mul(&acc, &a[i])
		a[i] = inv
	}
	a[0] = acc
}

// g1Acc accumulates points into affine buckets by batches of independent
// additions. (0, 0) is the empty bucket.
type g1Acc struct {
	buckets []bn254.G1Affine
	inBatch []bool        // bucket has an addition pending in the batch
	side    []bn254.G1Jac // Jacobian overflow buckets, for heavy conflicts
	R       [batchSize]int
	P       [batchSize]bn254.G1Affine
	den     [batchSize]fp.Element
	n       int
	limit   int                      // additions per batch, ≤ batchSize
	queue   []queued[bn254.G1Affine] // additions to buckets already in the batch
}

func (a *g1Acc) push(k int, p *bn254.G1Affine) {
	if a.inBatch[k] {
		a.queue = append(a.queue, queued[bn254.G1Affine]{k, *p})
		if len(a.queue) >= a.limit {
			a.spill()
		}
		return
	}
	a.schedule(k, p)
	if a.n == a.limit {
		a.flush()
		a.drain()
	}
}

// schedule adds p to bucket k, now if the bucket is empty or the addition
// is a doubling or a cancellation, else in the batch. Bucket k must not be
// in the batch and the batch must have room.
func (a *g1Acc) schedule(k int, p *bn254.G1Affine) {
	b := &a.buckets[k]
	if b.IsInfinity() {
		*b = *p
		return
	}
	if b.X.Equal(&p.X) {
		if b.Y.Equal(&p.Y) {
			var j bn254.G1Jac
			j.FromAffine(b)
			j.DoubleAssign()
			b.FromJacobian(&j)
		} else {
			*b = bn254.G1Affine{}
		}
		return
	}
	a.inBatch[k] = true
	a.R[a.n] = k
	a.P[a.n] = *p
	a.n++
}

// flush performs the batch: λ = (y_P − y_B)/(x_P − x_B), one inversion.
func (a *g1Acc) flush() {
	n := a.n
	for k := 0; k < n; k++ {
		a.den[k].Sub(&a.P[k].X, &a.buckets[a.R[k]].X)
	}
	batchInvert(a.den[:n])
	var lambda, t fp.Element
	var q bn254.G1Affine
	for k := 0; k < n; k++ {
		b := &a.buckets[a.R[k]]
		p := &a.P[k]
		lambda.Sub(&p.Y, &b.Y)
		lambda.Mul(&lambda, &a.den[k])
		q.X.Square(&lambda)
		q.X.Sub(&q.X, &b.X)
		q.X.Sub(&q.X, &p.X)
		t.Sub(&b.X, &q.X)
		q.Y.Mul(&lambda, &t)
		q.Y.Sub(&q.Y, &b.Y)
		*b = q
		a.inBatch[a.R[k]] = false
	}
	a.n = 0
}

// drain moves queued additions into the batch where their bucket is free.
func (a *g1Acc) drain() {
	rest := a.queue[:0]
	for i := range a.queue {
		q := a.queue[i]
		if a.inBatch[q.bucket] {
			rest = append(rest, q)
			continue
		}
		a.schedule(q.bucket, &q.point)
		if a.n == a.limit {
			a.flush()
		}
	}
	a.queue = rest
}

// spill adds the queue into the Jacobian side buckets: many additions to
// few buckets (the witness's many 1s all land in bucket 0) cannot be
// batched.
func (a *g1Acc) spill() {
	if a.side == nil {
		a.side = make([]bn254.G1Jac, len(a.buckets))
	}
	for i := range a.queue {
		a.side[a.queue[i].bucket].AddMixed(&a.queue[i].point)
	}
	a.queue = a.queue[:0]
}

type queued[P any] struct {
	bucket int
	point  P
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// batchInvert replaces each element of a (all non-zero, len ≤ batchSize) by
// its inverse.
func batchInvert(a []fp.Element) {
	if len(a) == 0 {
		return
	}
	var prefix [batchSize]fp.Element
	acc := a[0]
	prefix[0].SetOne()
	for i := 1; i < len(a); i++ {
		prefix[i] = acc
		acc.Mul(&acc, &a[i])
	}
	acc.Inverse(&acc)
	for i := len(a) - 1; i > 0; i-- {
		var inv fp.Element
		inv.Mul(&acc, &prefix[i])
		acc.Mul(&acc, &a[i])
		a[i] = inv
	}
	a[0] = acc
}

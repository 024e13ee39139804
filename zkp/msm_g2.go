package zkp

import (
	"math/big"
	"runtime"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// The G2 twin of msm.go's G1 code, for the B vector of the proving key:
// the same algorithm over bn254.E2 coordinates.

// g2Table holds the windowed multiples of a vector of G2 points.
type g2Table struct {
	tableShape
	points []bn254.G2Affine // points[i·m + j] = 2^{c·j}·P_i
}

func newG2Table(P []bn254.G2Affine, c int) *g2Table {
	t := &g2Table{tableShape: newTableShape(len(P), c, func(i int) bool { return P[i].IsInfinity() })}
	t.points = make([]bn254.G2Affine, len(P)*t.m)
	parallel(len(P), max(1, min(runtime.GOMAXPROCS(0), len(P)/64)), func(_, lo, hi int) {
		jac := make([]bn254.G2Jac, hi-lo)
		for i := range jac {
			jac[i].FromAffine(&P[lo+i])
		}
		for j := 0; j < t.m; j++ {
			aff := batchJacobianToAffineG2(jac)
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
func (t *g2Table) msm(scalars []fr.Element, workers int) bn254.G2Jac {
	return tableMSM(&t.tableShape, scalars, workers, t.accumulate)
}

// accumulate returns Σ_{k ∈ [lo, hi)} (k+1)·B_k, where bucket B_k sums the
// table points whose digit is ±(k+1).
func (t *g2Table) accumulate(d []int32, lo, hi int) bn254.G2Jac {
	a := g2Acc{buckets: make([]bn254.G2Affine, hi-lo), inBatch: make([]bool, hi-lo), limit: batchLimit(hi - lo)}
	var p bn254.G2Affine
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
	total, sum := reduceG2(a.buckets, a.side)
	if lo > 0 && !sum.Z.IsZero() {
		sum.ScalarMultiplication(&sum, big.NewInt(int64(lo)))
		total.AddAssign(&sum)
	}
	return total
}

// reduceG2 is reduceG1 in G2.
func reduceG2(buckets []bn254.G2Affine, side []bn254.G2Jac) (total, sum bn254.G2Jac) {
	var b addBatchG2
	if side != nil {
		var ks []int
		var js []bn254.G2Jac
		for k := range side {
			if !side[k].Z.IsZero() {
				ks, js = append(ks, k), append(js, side[k])
			}
		}
		aff := batchJacobianToAffineG2(js)
		for i, k := range ks {
			b.add(&buckets[k], &aff[i])
		}
		b.flush()
	}
	L := len(buckets)
	if L < reduceBatchedFrom {
		// Short: two Jacobian additions per bucket cost less than the
		// batches' inversions and the segments' tail.
		var running bn254.G2Jac
		for k := L - 1; k >= 0; k-- {
			running.AddMixed(&buckets[k])
			total.AddAssign(&running)
		}
		return total, running
	}
	S := min(L/8, reduceSegments)
	M := (L + S - 1) / S
	R := make([]bn254.G2Affine, S)
	T := make([]bn254.G2Affine, S)
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
	var w bn254.G2Jac
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

// addBatchG2 performs independent affine additions dst += src with one
// inversion per flush. Each dst may appear once per flush.
type addBatchG2 struct {
	dst      []*bn254.G2Affine
	src      []*bn254.G2Affine
	den, tmp []bn254.E2
}

func (b *addBatchG2) add(dst, src *bn254.G2Affine) {
	switch {
	case src.IsInfinity():
	case dst.IsInfinity():
		*dst = *src
	case dst.X.Equal(&src.X):
		if dst.Y.Equal(&src.Y) {
			var j bn254.G2Jac
			j.FromAffine(dst)
			j.DoubleAssign()
			dst.FromJacobian(&j)
		} else {
			*dst = bn254.G2Affine{}
		}
	default:
		b.dst, b.src = append(b.dst, dst), append(b.src, src)
	}
}

func (b *addBatchG2) flush() {
	n := len(b.dst)
	if n == 0 {
		return
	}
	if cap(b.den) < n {
		b.den, b.tmp = make([]bn254.E2, n), make([]bn254.E2, n)
	}
	den := b.den[:n]
	for i := range den {
		den[i].Sub(&b.src[i].X, &b.dst[i].X)
	}
	batchInvertAnyE2(den, b.tmp[:n])
	var lambda, t bn254.E2
	var q bn254.G2Affine
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

// batchInvertAnyE2 inverts every element of a (all non-zero), of any length,
// with prefix as scratch space of the same length.
func batchInvertAnyE2(a, prefix []bn254.E2) {
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
		var inv bn254.E2
		inv.Mul(&acc, &prefix[i])
		acc.Mul(&acc, &a[i])
		a[i] = inv
	}
	a[0] = acc
}

// g2Acc accumulates points into affine buckets by batches of independent
// additions. (0, 0) is the empty bucket.
type g2Acc struct {
	buckets []bn254.G2Affine
	inBatch []bool        // bucket has an addition pending in the batch
	side    []bn254.G2Jac // Jacobian overflow buckets, for heavy conflicts
	R       [batchSize]int
	P       [batchSize]bn254.G2Affine
	den     [batchSize]bn254.E2
	n       int
	limit   int                      // additions per batch, ≤ batchSize
	queue   []queued[bn254.G2Affine] // additions to buckets already in the batch
}

func (a *g2Acc) push(k int, p *bn254.G2Affine) {
	if a.inBatch[k] {
		a.queue = append(a.queue, queued[bn254.G2Affine]{k, *p})
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
func (a *g2Acc) schedule(k int, p *bn254.G2Affine) {
	b := &a.buckets[k]
	if b.IsInfinity() {
		*b = *p
		return
	}
	if b.X.Equal(&p.X) {
		if b.Y.Equal(&p.Y) {
			var j bn254.G2Jac
			j.FromAffine(b)
			j.DoubleAssign()
			b.FromJacobian(&j)
		} else {
			*b = bn254.G2Affine{}
		}
		return
	}
	a.inBatch[k] = true
	a.R[a.n] = k
	a.P[a.n] = *p
	a.n++
}

// flush performs the batch: λ = (y_P − y_B)/(x_P − x_B), one inversion.
func (a *g2Acc) flush() {
	n := a.n
	for k := 0; k < n; k++ {
		a.den[k].Sub(&a.P[k].X, &a.buckets[a.R[k]].X)
	}
	batchInvertE2(a.den[:n])
	var lambda, t bn254.E2
	var q bn254.G2Affine
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
func (a *g2Acc) drain() {
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
// few buckets (see g1Acc.spill) cannot be
// batched.
func (a *g2Acc) spill() {
	if a.side == nil {
		a.side = make([]bn254.G2Jac, len(a.buckets))
	}
	for i := range a.queue {
		a.side[a.queue[i].bucket].AddMixed(&a.queue[i].point)
	}
	a.queue = a.queue[:0]
}

// batchInvertE2 replaces each element of a (all non-zero, len ≤ batchSize) by
// its inverse.
func batchInvertE2(a []bn254.E2) {
	if len(a) == 0 {
		return
	}
	var prefix [batchSize]bn254.E2
	acc := a[0]
	prefix[0].SetOne()
	for i := 1; i < len(a); i++ {
		prefix[i] = acc
		acc.Mul(&acc, &a[i])
	}
	acc.Inverse(&acc)
	for i := len(a) - 1; i > 0; i-- {
		var inv bn254.E2
		inv.Mul(&acc, &prefix[i])
		acc.Mul(&acc, &a[i])
		a[i] = inv
	}
	a[0] = acc
}

// batchJacobianToAffineG2 converts with one inversion.
func batchJacobianToAffineG2(points []bn254.G2Jac) []bn254.G2Affine {
	out := make([]bn254.G2Affine, len(points))
	zInv := make([]bn254.E2, len(points))
	var acc bn254.E2
	acc.SetOne()
	for i := range points {
		if points[i].Z.IsZero() {
			continue
		}
		zInv[i] = acc
		acc.Mul(&acc, &points[i].Z)
	}
	acc.Inverse(&acc)
	for i := len(points) - 1; i >= 0; i-- {
		if points[i].Z.IsZero() {
			continue
		}
		var inv, inv2 bn254.E2
		inv.Mul(&acc, &zInv[i])
		acc.Mul(&acc, &points[i].Z)
		inv2.Square(&inv)
		out[i].X.Mul(&points[i].X, &inv2)
		out[i].Y.Mul(&points[i].Y, &inv2)
		out[i].Y.Mul(&out[i].Y, &inv)
	}
	return out
}

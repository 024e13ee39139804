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
	c, m   int
	n      int
	points []bn254.G2Affine // points[i·m + j] = 2^{c·j}·P_i
}

func newG2Table(P []bn254.G2Affine, c int) *g2Table {
	t := &g2Table{c: c, m: windows(c), n: len(P)}
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
	if len(scalars) != t.n {
		panic("zkp: msm: scalars do not match the table")
	}
	d := digits(scalars, t.c, t.m, workers)
	nb := 1 << (t.c - 1)
	workers = max(1, min(workers, nb/64))
	parts := make([]bn254.G2Jac, workers)
	parallel(nb, workers, func(w, lo, hi int) {
		parts[w] = t.accumulate(d, lo, hi)
	})
	for w := 1; w < workers; w++ {
		parts[0].AddAssign(&parts[w])
	}
	return parts[0]
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
		if p.IsInfinity() {
			continue
		}
		if digit < 0 {
			p.Neg(&p)
		}
		a.push(k-lo, &p)
	}
	for a.n > 0 || len(a.queue) > 0 {
		a.flush()
		a.drain()
	}

	// Σ (k − lo + 1)·B_k by running sums, then lo·Σ B_k on top.
	var running, total bn254.G2Jac
	for k := len(a.buckets) - 1; k >= 0; k-- {
		running.AddMixed(&a.buckets[k])
		if a.side != nil && !a.side[k].Z.IsZero() {
			running.AddAssign(&a.side[k])
		}
		total.AddAssign(&running)
	}
	if lo > 0 && !running.Z.IsZero() {
		running.ScalarMultiplication(&running, big.NewInt(int64(lo)))
		total.AddAssign(&running)
	}
	return total
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

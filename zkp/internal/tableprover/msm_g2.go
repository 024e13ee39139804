package tableprover

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// G2's arithmetic for the generic table code of msm.go, for the B vector
// of the proving key.

// g2 implements group for G2.
type g2 struct{}

type g2Table = table[bn254.G2Affine, bn254.G2Jac, bn254.E2, g2]

func newG2Table(P []bn254.G2Affine, c int) *g2Table {
	return newTable[bn254.G2Affine, bn254.G2Jac, bn254.E2, g2](P, c)
}

func reduceG2(buckets []bn254.G2Affine, side []bn254.G2Jac) (total, sum bn254.G2Jac) {
	return reduce[bn254.G2Affine, bn254.G2Jac, bn254.E2, g2](buckets, side)
}

func (g2) isInfinity(p *bn254.G2Affine) bool            { return p.IsInfinity() }
func (g2) neg(p *bn254.G2Affine)                        { p.Y.Neg(&p.Y) }
func (g2) fromAffine(j *bn254.G2Jac, p *bn254.G2Affine) { j.FromAffine(p) }
func (g2) toAffine(js []bn254.G2Jac) []bn254.G2Affine   { return batchJacobianToAffineG2(js) }
func (g2) isZero(j *bn254.G2Jac) bool                   { return j.Z.IsZero() }
func (g2) add(j, q *bn254.G2Jac)                        { j.AddAssign(q) }
func (g2) addMixed(j *bn254.G2Jac, p *bn254.G2Affine)   { j.AddMixed(p) }
func (g2) scalarMul(j *bn254.G2Jac, k int64)            { j.ScalarMultiplication(j, big.NewInt(k)) }
func (g2) doubleTimes(j *bn254.G2Jac, n int) {
	for range n {
		j.DoubleAssign()
	}
}

func (g2) addNow(b, p *bn254.G2Affine) bool {
	switch {
	case b.IsInfinity():
		*b = *p
	case b.X.Equal(&p.X):
		if b.Y.Equal(&p.Y) {
			var j bn254.G2Jac
			j.FromAffine(b)
			j.DoubleAssign()
			b.FromJacobian(&j)
		} else {
			*b = bn254.G2Affine{}
		}
	default:
		return false
	}
	return true
}

// addBuckets: λ = (y_P − y_B)/(x_P − x_B), one inversion for the batch.
func (g2) addBuckets(buckets []bn254.G2Affine, R []int, P []bn254.G2Affine, den []bn254.E2) {
	var skip [batchSize]bool
	for k := range R {
		b, p := &buckets[R[k]], &P[k]
		if b.IsInfinity() || b.X.Equal(&p.X) {
			g2{}.addNow(b, p)
			skip[k] = true
			den[k].SetOne()
			continue
		}
		den[k].Sub(&p.X, &b.X)
	}
	batchInvertE2(den)
	var lambda, t bn254.E2
	var q bn254.G2Affine
	for k := range R {
		if skip[k] {
			continue
		}
		b, p := &buckets[R[k]], &P[k]
		lambda.Sub(&p.Y, &b.Y)
		lambda.Mul(&lambda, &den[k])
		q.X.Square(&lambda)
		q.X.Sub(&q.X, &b.X)
		q.X.Sub(&q.X, &p.X)
		t.Sub(&b.X, &q.X)
		q.Y.Mul(&lambda, &t)
		q.Y.Sub(&q.Y, &b.Y)
		*b = q
	}
}

func (g2) addPairs(dst, src []*bn254.G2Affine, den, tmp []bn254.E2) {
	for i := range den {
		den[i].Sub(&src[i].X, &dst[i].X)
	}
	batchInvertAnyE2(den, tmp)
	for i := range den {
		g2AddAffine(dst[i], src[i], &den[i])
	}
}

// g2AddAffine sets b = b + p given inv = 1/(x_p − x_b).
func g2AddAffine(b, p *bn254.G2Affine, inv *bn254.E2) {
	var lambda, t bn254.E2
	var q bn254.G2Affine
	lambda.Sub(&p.Y, &b.Y)
	lambda.Mul(&lambda, inv)
	q.X.Square(&lambda)
	q.X.Sub(&q.X, &b.X)
	q.X.Sub(&q.X, &p.X)
	t.Sub(&b.X, &q.X)
	q.Y.Mul(&lambda, &t)
	q.Y.Sub(&q.Y, &b.Y)
	*b = q
}

// batchInvertE2 replaces each element of a (all non-zero, len ≤ batchSize) by
// its inverse.
func batchInvertE2(a []bn254.E2) {
	var prefix [batchSize]bn254.E2
	batchInvertAnyE2(a, prefix[:len(a)])
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

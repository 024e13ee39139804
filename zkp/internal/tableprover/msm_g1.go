package tableprover

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
)

// G1's arithmetic for the generic table code of msm.go.

// g1 implements group for G1.
type g1 struct{}

type g1Table = table[bn254.G1Affine, bn254.G1Jac, fp.Element, g1]

func newG1Table(P []bn254.G1Affine, c int) *g1Table {
	return newTable[bn254.G1Affine, bn254.G1Jac, fp.Element, g1](P, c)
}

func reduceG1(buckets []bn254.G1Affine, side []bn254.G1Jac) (total, sum bn254.G1Jac) {
	return reduce[bn254.G1Affine, bn254.G1Jac, fp.Element, g1](buckets, side)
}

func (g1) isInfinity(p *bn254.G1Affine) bool            { return p.IsInfinity() }
func (g1) neg(p *bn254.G1Affine)                        { p.Y.Neg(&p.Y) }
func (g1) fromAffine(j *bn254.G1Jac, p *bn254.G1Affine) { j.FromAffine(p) }
func (g1) toAffine(js []bn254.G1Jac) []bn254.G1Affine   { return bn254.BatchJacobianToAffineG1(js) }
func (g1) isZero(j *bn254.G1Jac) bool                   { return j.Z.IsZero() }
func (g1) add(j, q *bn254.G1Jac)                        { j.AddAssign(q) }
func (g1) addMixed(j *bn254.G1Jac, p *bn254.G1Affine)   { j.AddMixed(p) }
func (g1) scalarMul(j *bn254.G1Jac, k int64)            { j.ScalarMultiplication(j, big.NewInt(k)) }
func (g1) doubleTimes(j *bn254.G1Jac, n int) {
	for range n {
		j.DoubleAssign()
	}
}

func (g1) addNow(b, p *bn254.G1Affine) bool {
	switch {
	case b.IsInfinity():
		*b = *p
	case b.X.Equal(&p.X):
		if b.Y.Equal(&p.Y) {
			var j bn254.G1Jac
			j.FromAffine(b)
			j.DoubleAssign()
			b.FromJacobian(&j)
		} else {
			*b = bn254.G1Affine{}
		}
	default:
		return false
	}
	return true
}

// addBuckets: λ = (y_P − y_B)/(x_P − x_B), one inversion for the batch.
func (g1) addBuckets(buckets []bn254.G1Affine, R []int, P []bn254.G1Affine, den []fp.Element) {
	var skip [batchSize]bool
	for k := range R {
		b, p := &buckets[R[k]], &P[k]
		if b.IsInfinity() || b.X.Equal(&p.X) {
			g1{}.addNow(b, p)
			skip[k] = true
			den[k].SetOne()
			continue
		}
		den[k].Sub(&p.X, &b.X)
	}
	batchInvert(den)
	var lambda, t fp.Element
	var q bn254.G1Affine
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

func (g1) addPairs(dst, src []*bn254.G1Affine, den, tmp []fp.Element) {
	for i := range den {
		den[i].Sub(&src[i].X, &dst[i].X)
	}
	batchInvertAny(den, tmp)
	for i := range den {
		g1AddAffine(dst[i], src[i], &den[i])
	}
}

// g1AddAffine sets b = b + p given inv = 1/(x_p − x_b).
func g1AddAffine(b, p *bn254.G1Affine, inv *fp.Element) {
	var lambda, t fp.Element
	var q bn254.G1Affine
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

// batchInvert replaces each element of a (all non-zero, len ≤ batchSize) by
// its inverse.
func batchInvert(a []fp.Element) {
	var prefix [batchSize]fp.Element
	batchInvertAny(a, prefix[:len(a)])
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

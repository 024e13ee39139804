package tableprover

import (
	"math/bits"
	"runtime"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/sable-settlement/sable/zkp/internal/parallel"
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
//
// The algorithm is written once, generic over the group (table, bucketAcc,
// reduce); the coordinate arithmetic is each group's own (msm_g1.go,
// msm_g2.go). A method of a type parameter is an indirect call that the
// compiler does not inline, so the bucket pass calls the group once per
// batch of additions (the kernel also takes doublings and cancellations),
// and otherwise only to negate a point. Measured against the two
// hand-written copies this replaced (transfer key and witness, one worker,
// 201 rounds interleaved in one process, median of the paired ratios of
// wall time): A (G1) +0.5–0.8%, KZ (G1) −0.4–+0.2%, B (G2) 0–+0.4%, within
// the noise. A first version that tested every addition through the group
// cost 2–3% on G1.

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
	parallel.Ranges(len(scalars), min(workers, max(1, len(scalars)/256)), func(_, lo, hi int) {
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

// group is the arithmetic of G1 or G2 that the generic code needs: A is
// the group's affine point, J its Jacobian point, F the field of its
// coordinates. Implemented by the zero-size g1 and g2.
type group[A, J, F any] interface {
	isInfinity(p *A) bool
	neg(p *A)
	fromAffine(j *J, p *A)
	toAffine(js []J) []A // one inversion for all
	isZero(j *J) bool    // j is the point at infinity
	doubleTimes(j *J, n int)
	add(j, q *J)
	addMixed(j *J, p *A)
	scalarMul(j *J, k int64)
	// addNow performs b += p (p not at infinity) at once if b is empty or
	// the addition is a doubling or a cancellation, and says so; otherwise
	// the addition belongs in a batch.
	addNow(b, p *A) bool
	// addBuckets performs buckets[R[i]] += P[i] for distinct R[i], with one
	// inversion for those that are neither a first point (an empty bucket),
	// a doubling nor a cancellation; den is scratch.
	addBuckets(buckets []A, R []int, P []A, den []F)
	// addPairs performs *dst[i] += *src[i] for distinct dst[i] (addNow
	// already excluded), with one inversion; den and tmp are scratch.
	addPairs(dst, src []*A, den, tmp []F)
}

// table holds the windowed multiples of a vector of points.
type table[A, J, F any, G group[A, J, F]] struct {
	tableShape
	points []A // points[i·m + j] = 2^{c·j}·P_i
}

func newTable[A, J, F any, G group[A, J, F]](P []A, c int) *table[A, J, F, G] {
	var g G
	t := &table[A, J, F, G]{tableShape: newTableShape(len(P), c, func(i int) bool { return g.isInfinity(&P[i]) })}
	t.points = make([]A, len(P)*t.m)
	parallel.Ranges(len(P), max(1, min(runtime.GOMAXPROCS(0), len(P)/64)), func(_, lo, hi int) {
		jac := make([]J, hi-lo)
		for i := range jac {
			g.fromAffine(&jac[i], &P[lo+i])
		}
		for j := 0; j < t.m; j++ {
			aff := g.toAffine(jac)
			for i := range aff {
				t.points[(lo+i)*t.m+j] = aff[i]
			}
			if j == t.m-1 {
				break
			}
			for i := range jac {
				if !g.isZero(&jac[i]) {
					g.doubleTimes(&jac[i], c)
				}
			}
		}
	})
	return t
}

// msm returns Σ scalars[i]·P_i.
func (t *table[A, J, F, G]) msm(scalars []fr.Element, workers int) J {
	if len(scalars) != t.n {
		panic("zkp: msm: scalars do not match the table")
	}
	d := t.digits(scalars, workers)
	nb := 1 << (t.c - 1)
	workers = max(1, min(workers, nb/64))
	parts := make([]J, workers)
	parallel.Ranges(nb, workers, func(w, lo, hi int) {
		parts[w] = t.accumulate(d, lo, hi)
	})
	var g G
	for w := 1; w < workers; w++ {
		g.add(&parts[0], &parts[w])
	}
	return parts[0]
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
func (t *table[A, J, F, G]) accumulate(d []int32, lo, hi int) J {
	var g G
	a := bucketAcc[A, J, F, G]{buckets: make([]A, hi-lo), filled: make([]bool, hi-lo), inBatch: make([]bool, hi-lo), limit: batchLimit(hi - lo)}
	var p A
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
			g.neg(&p)
		}
		a.push(k-lo, &p)
	}
	for a.n > 0 || len(a.queue) > 0 {
		a.flush()
		a.drain()
	}

	// Σ (k − lo + 1)·B_k, then lo·Σ B_k on top.
	total, sum := reduce[A, J, F, G](a.buckets, a.side)
	if lo > 0 && !g.isZero(&sum) {
		g.scalarMul(&sum, int64(lo))
		g.add(&total, &sum)
	}
	return total
}

// reduce returns Σ (k+1)·B_k and Σ B_k over the buckets (affine, plus the
// Jacobian side buckets if any). The running sums are cut into segments
// that advance together, so that each step's additions are independent and
// share one inversion: about half the cost of the usual two Jacobian
// additions per bucket.
func reduce[A, J, F any, G group[A, J, F]](buckets []A, side []J) (total, sum J) {
	var g G
	var b pairBatch[A, J, F, G]
	if side != nil {
		var ks []int
		var js []J
		for k := range side {
			if !g.isZero(&side[k]) {
				ks, js = append(ks, k), append(js, side[k])
			}
		}
		aff := g.toAffine(js)
		for i, k := range ks {
			b.add(&buckets[k], &aff[i])
		}
		b.flush()
	}
	L := len(buckets)
	if L < reduceBatchedFrom {
		// Short: two Jacobian additions per bucket cost less than the
		// batches' inversions and the segments' tail.
		var running J
		for k := L - 1; k >= 0; k-- {
			g.addMixed(&running, &buckets[k])
			g.add(&total, &running)
		}
		return total, running
	}
	S := min(L/8, reduceSegments)
	M := (L + S - 1) / S
	R := make([]A, S)
	T := make([]A, S)
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
	var w J
	for s := S - 1; s >= 0; s-- {
		g.addMixed(&sum, &R[s])
		if s > 0 {
			g.add(&w, &sum)
		}
		g.addMixed(&total, &T[s])
	}
	if M&(M-1) == 0 {
		g.doubleTimes(&w, bits.Len(uint(M))-1)
	} else {
		g.scalarMul(&w, int64(M))
	}
	g.add(&total, &w)
	return total, sum
}

// reduceSegments is the number of running sums a reduction advances
// together; below reduceBatchedFrom buckets, the plain Jacobian reduction
// is cheaper (measured: 0.7× at 512 buckets, 1.4× at 1024, 1.6× at 2048).
const (
	reduceSegments    = 128
	reduceBatchedFrom = 1024
)

// pairBatch performs independent affine additions dst += src with one
// inversion per flush. Each dst may appear once per flush.
type pairBatch[A, J, F any, G group[A, J, F]] struct {
	dst, src []*A
	den, tmp []F
}

func (b *pairBatch[A, J, F, G]) add(dst, src *A) {
	var g G
	if !g.isInfinity(src) && !g.addNow(dst, src) {
		b.dst, b.src = append(b.dst, dst), append(b.src, src)
	}
}

func (b *pairBatch[A, J, F, G]) flush() {
	n := len(b.dst)
	if n == 0 {
		return
	}
	if cap(b.den) < n {
		b.den, b.tmp = make([]F, n), make([]F, n)
	}
	var g G
	g.addPairs(b.dst, b.src, b.den[:n], b.tmp[:n])
	b.dst, b.src = b.dst[:0], b.src[:0]
}

// bucketAcc accumulates points into affine buckets by batches of
// independent additions. The zero point is the empty bucket.
type bucketAcc[A, J, F any, G group[A, J, F]] struct {
	buckets []A
	filled  []bool // bucket has had a point (it may have cancelled out since)
	inBatch []bool // bucket has an addition pending in the batch
	side    []J    // Jacobian overflow buckets, for heavy conflicts
	R       [batchSize]int
	P       [batchSize]A
	den     [batchSize]F
	n       int
	limit   int         // additions per batch, ≤ batchSize
	queue   []queued[A] // additions to buckets already in the batch
}

func (a *bucketAcc[A, J, F, G]) push(k int, p *A) {
	if a.inBatch[k] {
		a.queue = append(a.queue, queued[A]{k, *p})
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

// schedule adds p to bucket k, now if it is the bucket's first point, else
// in the batch (whose kernel also takes doublings and cancellations, so
// that no test on coordinates costs a call through the group). Bucket k
// must not be in the batch and the batch must have room.
func (a *bucketAcc[A, J, F, G]) schedule(k int, p *A) {
	if !a.filled[k] {
		a.buckets[k] = *p
		a.filled[k] = true
		return
	}
	a.inBatch[k] = true
	a.R[a.n] = k
	a.P[a.n] = *p
	a.n++
}

// flush performs the batch.
func (a *bucketAcc[A, J, F, G]) flush() {
	var g G
	n := a.n
	g.addBuckets(a.buckets, a.R[:n], a.P[:n], a.den[:n])
	for _, k := range a.R[:n] {
		a.inBatch[k] = false
	}
	a.n = 0
}

// drain moves queued additions into the batch where their bucket is free.
func (a *bucketAcc[A, J, F, G]) drain() {
	w := 0
	for i := range a.queue {
		q := &a.queue[i]
		if a.inBatch[q.bucket] {
			if w != i {
				a.queue[w] = *q
			}
			w++
			continue
		}
		a.schedule(q.bucket, &q.point)
		if a.n == a.limit {
			a.flush()
		}
	}
	a.queue = a.queue[:w]
}

// spill adds the queue into the Jacobian side buckets: many additions to
// few buckets (the witness's many 1s all land in bucket 0) cannot be
// batched.
func (a *bucketAcc[A, J, F, G]) spill() {
	var g G
	if a.side == nil {
		a.side = make([]J, len(a.buckets))
	}
	for i := range a.queue {
		g.addMixed(&a.side[a.queue[i].bucket], &a.queue[i].point)
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

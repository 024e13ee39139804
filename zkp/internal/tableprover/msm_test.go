package tableprover

import (
	"fmt"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// msmInputs returns n points and scalars mixing the witness's shapes: 0, 1,
// small values, full-width values, r − 1, with repeated and opposite points
// (so that buckets meet doublings and cancellations).
func msmInputs(n int) ([]bn254.G1Affine, []bn254.G2Affine, []fr.Element) {
	_, _, g1, g2 := bn254.Generators()
	P := make([]bn254.G1Affine, n)
	Q := make([]bn254.G2Affine, n)
	s := make([]fr.Element, n)
	for i := range P {
		var k fr.Element
		k.SetRandom()
		b := k.BigInt(new(big.Int))
		P[i].ScalarMultiplication(&g1, b)
		Q[i].ScalarMultiplication(&g2, b)
		switch i % 7 {
		case 0:
		case 1, 2:
			s[i].SetOne()
		case 3:
			s[i].SetUint64(uint64(i) * 0x9e3779b97f4a7c15)
		case 4:
			s[i].SetOne()
			s[i].Neg(&s[i])
		default:
			s[i].SetRandom()
		}
	}
	for i := 10; i+1 < n; i += 50 {
		P[i+1] = P[i] // same point, same scalar: a doubling in a bucket
		Q[i+1] = Q[i]
		s[i+1] = s[i]
	}
	for i := 20; i+1 < n; i += 50 {
		P[i+1].Neg(&P[i]) // opposite points, same scalar: a cancellation
		Q[i+1].Neg(&Q[i])
		s[i+1] = s[i]
	}
	if n > 3 {
		P[3] = bn254.G1Affine{} // a point at infinity
		Q[3] = bn254.G2Affine{}
	}
	return P, Q, s
}

func TestFixedBaseMSM(t *testing.T) {
	for _, n := range []int{1, 2, 7, 100, 700} {
		P, Q, s := msmInputs(n)
		var want1 bn254.G1Jac
		var want2 bn254.G2Jac
		if _, err := want1.MultiExp(P, s, ecc.MultiExpConfig{}); err != nil {
			t.Fatal(err)
		}
		if _, err := want2.MultiExp(Q, s, ecc.MultiExpConfig{}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []int{4, 7, chooseWindow(s)} {
			for _, workers := range []int{1, 2, 3} {
				got1 := newG1Table(P, c).msm(s, workers)
				if !got1.Equal(&want1) {
					t.Fatalf("G1: n=%d c=%d workers=%d: wrong sum", n, c, workers)
				}
				got2 := newG2Table(Q, c).msm(s, workers)
				if !got2.Equal(&want2) {
					t.Fatalf("G2: n=%d c=%d workers=%d: wrong sum", n, c, workers)
				}
			}
		}
	}
}

func TestRecode(t *testing.T) {
	for _, c := range []int{4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 16} {
		m := windows(c)
		d := make([]int32, m)
		for i := 0; i < 200; i++ {
			var s fr.Element
			switch i {
			case 0:
				s.SetOne()
				s.Neg(&s) // r − 1
			case 1:
				s.SetUint64(1<<uint(c-1) + 1)
			default:
				s.SetRandom()
			}
			recode(&s, c, d)
			sum := new(big.Int)
			for j := m - 1; j >= 0; j-- {
				sum.Lsh(sum, uint(c))
				sum.Add(sum, big.NewInt(int64(d[j])))
				if d[j] > 1<<(c-1) || d[j] < -(1<<(c-1)) {
					t.Fatalf("digit %d out of range for c=%d", d[j], c)
				}
			}
			if sum.Cmp(s.BigInt(new(big.Int))) != 0 {
				t.Fatalf("c=%d: digits of %s recombine to %s", c, s.String(), sum)
			}
		}
	}
}

// The batched reductions against two Jacobian additions per bucket, with
// empty buckets (runs of them make a running total meet its running sum: a
// doubling), opposite buckets and side buckets.
func TestReduce(t *testing.T) {
	const L = 1024
	P, Q, _ := msmInputs(L)
	for i := 0; i < L; i += 7 {
		P[i], Q[i] = bn254.G1Affine{}, bn254.G2Affine{}
	}
	for i := 100; i < 140; i++ {
		P[i], Q[i] = bn254.G1Affine{}, bn254.G2Affine{}
	}
	P[500].Neg(&P[501])
	Q[500].Neg(&Q[501])
	side1 := make([]bn254.G1Jac, L)
	side2 := make([]bn254.G2Jac, L)
	for _, k := range []int{0, 7, 120, 501, 1023} {
		side1[k].FromAffine(&P[(k+3)%L])
		side2[k].FromAffine(&Q[(k+3)%L])
	}
	side1[8].FromAffine(&P[8]) // side equal to its bucket: a doubling in the fold
	side2[8].FromAffine(&Q[8])

	var want1, run1 bn254.G1Jac
	var want2, run2 bn254.G2Jac
	for k := L - 1; k >= 0; k-- {
		run1.AddMixed(&P[k])
		run1.AddAssign(&side1[k])
		want1.AddAssign(&run1)
		run2.AddMixed(&Q[k])
		run2.AddAssign(&side2[k])
		want2.AddAssign(&run2)
	}
	got1, sum1 := reduceG1(append([]bn254.G1Affine(nil), P...), side1)
	if !got1.Equal(&want1) || !sum1.Equal(&run1) {
		t.Fatal("G1: batched reduction differs")
	}
	got2, sum2 := reduceG2(append([]bn254.G2Affine(nil), Q...), side2)
	if !got2.Equal(&want2) || !sum2.Equal(&run2) {
		t.Fatal("G2: batched reduction differs")
	}
}

// BenchmarkTableMSM times each table's MSM of a transfer proof on the real
// key and a real witness's scalars, on one worker (the bucket pass alone)
// and on all cores.
func BenchmarkTableMSM(b *testing.B) {
	f := fixtureFor(b, "transfer")
	p := f.prover
	in, err := p.MSMInputs(f.witness(b, 3))
	if err != nil {
		b.Fatal(err)
	}
	var r, s, kr, one fr.Element
	r.SetRandom()
	s.SetRandom()
	kr.SetRandom()
	one.SetOne()
	sa := append(append([]fr.Element(nil), in.A...), one, r)
	sb := append(append([]fr.Element(nil), in.B...), one, s)
	skz := append(append(append([]fr.Element(nil), in.K...), in.H...), kr)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("G1-A/w%d", workers), func(b *testing.B) {
			for range b.N {
				p.a.msm(sa, workers)
			}
		})
		b.Run(fmt.Sprintf("G1-KZ/w%d", workers), func(b *testing.B) {
			for range b.N {
				p.kz.msm(skz, workers)
			}
		})
		b.Run(fmt.Sprintf("G2-B/w%d", workers), func(b *testing.B) {
			for range b.N {
				p.b2.msm(sb, workers)
			}
		})
	}
}

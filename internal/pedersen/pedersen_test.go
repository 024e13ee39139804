package pedersen

import (
	"math/big"
	"testing"
)

func TestBasesInSubgroup(t *testing.T) {
	for name, p := range map[string]func() (ok bool){
		"G": func() bool { g := G(); return inSubgroup(g.X.String(), g.Y.String()) },
		"H": func() bool { h := H(); return inSubgroup(h.X.String(), h.Y.String()) },
	} {
		if !p() {
			t.Errorf("%s is not a non-identity point of the prime-order subgroup", name)
		}
	}
	g, h := G(), H()
	if g.Equal(&h) {
		t.Fatal("H equals G")
	}
}

func inSubgroup(xs, ys string) bool {
	g := G()
	var p = g
	p.X.SetString(xs)
	p.Y.SetString(ys)
	if !p.IsOnCurve() || p.IsZero() {
		return false
	}
	var q = p
	q.ScalarMultiplication(&p, Order())
	return q.IsZero()
}

func TestCommitHomomorphic(t *testing.T) {
	a := Commit(big.NewInt(5), big.NewInt(7))
	b := Commit(big.NewInt(11), big.NewInt(13))
	var sum = a
	sum.Add(&a, &b)
	want := Commit(big.NewInt(16), big.NewInt(20))
	if !sum.Equal(&want) {
		t.Fatal("Com(5,7)+Com(11,13) != Com(16,20)")
	}
}

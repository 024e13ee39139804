package fixedbase

import (
	"errors"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	tedwards "github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
	"github.com/consensys/gnark/frontend"
)

// The Montgomery curve M: B·v² = u³ + A·u² + u, birationally equivalent to
// the twisted Edwards curve a·x² + y² = 1 + d·x²·y² by
//
//	u = (1 + y)/(1 − y), v = u/x        (Edwards → Montgomery)
//	x = u/v,             y = (u − 1)/(u + 1)
//
// with A = 2(a + d)/(a − d) and B = 4/(a − d). The maps are defined, and
// inverse to each other, on every point of odd order but the identity
// (x ≠ 0 and y ≠ 1 there, v ≠ 0 and u ≠ −1 on the Montgomery side).

// montParams holds A and B, as field elements and as integers.
type montParams struct {
	a, b       fr.Element
	aInt, bInt *big.Int
}

var mont = sync.OnceValue(func() montParams {
	p := tedwards.GetEdwardsCurve()
	var m montParams
	var inv fr.Element
	inv.Sub(&p.A, &p.D)
	inv.Inverse(&inv) // 1/(a − d)
	m.a.Add(&p.A, &p.D)
	m.a.Double(&m.a)
	m.a.Mul(&m.a, &inv)
	m.b.SetUint64(4)
	m.b.Mul(&m.b, &inv)
	m.aInt, m.bInt = m.a.BigInt(new(big.Int)), m.b.BigInt(new(big.Int))
	return m
})

// toMontgomery maps an Edwards point of odd order other than the identity.
func toMontgomery(p tedwards.PointAffine) (u, v fr.Element) {
	var one, num, den fr.Element
	one.SetOne()
	num.Add(&one, &p.Y)
	den.Sub(&one, &p.Y)
	u.Div(&num, &den)
	v.Div(&u, &p.X)
	return u, v
}

// errExceptional is returned by the addition hint when u1 = u2: the points
// are equal or opposite, which the window layout makes unreachable (see the
// package doc).
var errExceptional = errors.New("fixedbase: incomplete addition of points with equal u")

// montAdd is the hint behind addIncomplete: in = (u1, v1, u2, v2),
// out = (λ, u3, v3) for P3 = P1 + P2 on M.
func montAdd(_ *big.Int, in, out []*big.Int) error {
	var u1, v1, u2, v2, lambda, du, u3, v3 fr.Element
	u1.SetBigInt(in[0])
	v1.SetBigInt(in[1])
	u2.SetBigInt(in[2])
	v2.SetBigInt(in[3])
	du.Sub(&u2, &u1)
	if du.IsZero() {
		return errExceptional
	}
	lambda.Sub(&v2, &v1)
	lambda.Div(&lambda, &du)
	m := mont()
	u3.Square(&lambda)
	u3.Mul(&u3, &m.b)
	u3.Sub(&u3, &m.a)
	u3.Sub(&u3, &u1)
	u3.Sub(&u3, &u2)
	v3.Sub(&u1, &u3)
	v3.Mul(&v3, &lambda)
	v3.Sub(&v3, &v1)
	lambda.BigInt(out[0])
	u3.BigInt(out[1])
	v3.BigInt(out[2])
	return nil
}

// addIncomplete returns p + q on M in 3 constraints and 3 wires:
//
//	λ·(u2 − u1) = v2 − v1
//	λ·(B·λ)     = u3 + A + u1 + u2
//	λ·(u1 − u3) = v3 + v1
//
// For points of M with u1 ≠ u2, λ is the chord's slope and (u3, v3) = p + q,
// each fixed by one constraint. With u1 = u2 the first constraint says
// nothing when v1 = v2 (λ, hence the result, would be free) and cannot hold
// when v1 = −v2 ≠ 0: callers must make both unreachable (see the package
// doc), and do.
func addIncomplete(api frontend.API, p, q Point) Point {
	out, err := api.Compiler().NewHint(montAdd, 3, p.X, p.Y, q.X, q.Y)
	if err != nil {
		panic(err)
	}
	lambda, u3, v3 := out[0], out[1], out[2]
	m := mont()
	assertMul(api, lambda, api.Sub(q.X, p.X), api.Sub(q.Y, p.Y))
	assertMul(api, lambda, api.Mul(lambda, m.bInt), api.Add(u3, m.aInt, p.X, q.X))
	assertMul(api, lambda, api.Sub(p.X, u3), api.Add(v3, p.Y))
	return Point{X: u3, Y: v3}
}

// toEdwards maps a point of M of odd order, not the identity, to the
// Edwards curve (2 constraints): x·v = u, y·(u + 1) = u − 1. Both
// denominators are non-zero on such points, so x and y are unique.
func toEdwards(api frontend.API, p Point) Point {
	return Point{
		X: api.DivUnchecked(p.X, p.Y),
		Y: api.DivUnchecked(api.Sub(p.X, 1), api.Add(p.X, 1)),
	}
}

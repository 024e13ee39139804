// Package pedersen holds the two fixed bases of Sable's Pedersen commitments
// on the BN254 twisted Edwards curve, and the native commitment arithmetic
// that both the circuits (as constant tables) and zkp (as values) rely on.
//
// # Bases
//
// G is the curve's standard base point (gnark-crypto's
// bn254/twistededwards base, a generator of the prime-order subgroup).
// H is derived by try-and-increment from the domain string HDomain, so that
// nobody knows log_G H:
//
//	for ctr = 0, 1, 2, …:
//	    y  = SHA-256(HDomain ‖ 0x00 ‖ uint32be(ctr)) as a big-endian integer mod p
//	    x² = (1 − y²) / (a − d·y²); skip ctr if the denominator is 0 or x² is not a square
//	    x  = the square root that is not lexicographically largest
//	    H  = 8·(x, y); skip ctr if H is the identity
//
// Multiplying by the cofactor 8 lands H in the prime-order subgroup.
package pedersen

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"
)

// HDomain is the domain-separation string from which H is derived. Changing
// it changes every commitment: it is versioned and pinned by golden vectors.
const HDomain = "sable/pedersen/H/v1"

var (
	once   sync.Once
	params twistededwards.CurveParams
	baseH  twistededwards.PointAffine
)

func initBases() {
	params = twistededwards.GetEdwardsCurve()
	baseH = hashToCurve(HDomain)
}

// Params returns the curve parameters (a, d, cofactor, subgroup order ℓ, G).
func Params() twistededwards.CurveParams {
	once.Do(initBases)
	return params
}

// G returns the value base.
func G() twistededwards.PointAffine {
	once.Do(initBases)
	return params.Base
}

// H returns the blinding base.
func H() twistededwards.PointAffine {
	once.Do(initBases)
	return baseH
}

// Order returns ℓ, the order of the prime-order subgroup.
func Order() *big.Int {
	once.Do(initBases)
	return new(big.Int).Set(&params.Order)
}

// Identity returns the neutral element (0, 1).
func Identity() twistededwards.PointAffine {
	var p twistededwards.PointAffine
	p.Y.SetOne()
	return p
}

// Commit returns v·G + r·H. It does not reduce or range-check v and r; the
// caller decides which scalars are allowed.
func Commit(v, r *big.Int) twistededwards.PointAffine {
	g, h := G(), H()
	var vg, rh, c twistededwards.PointAffine
	vg.ScalarMultiplication(&g, v)
	rh.ScalarMultiplication(&h, r)
	c.Add(&vg, &rh)
	return c
}

func hashToCurve(domain string) twistededwards.PointAffine {
	var one fr.Element
	one.SetOne()
	for ctr := uint32(0); ; ctr++ {
		h := sha256.New()
		h.Write([]byte(domain))
		h.Write([]byte{0})
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], ctr)
		h.Write(c[:])
		var y fr.Element
		y.SetBigInt(new(big.Int).SetBytes(h.Sum(nil)))

		var y2, num, den, x fr.Element
		y2.Square(&y)
		num.Sub(&one, &y2)
		den.Mul(&y2, &params.D)
		den.Sub(&params.A, &den)
		if den.IsZero() {
			continue
		}
		x.Div(&num, &den)
		if x.Legendre() != 1 {
			continue
		}
		x.Sqrt(&x)
		if x.LexicographicallyLargest() {
			x.Neg(&x)
		}
		p := twistededwards.NewPointAffine(x, y)
		var q twistededwards.PointAffine
		q.ScalarMultiplication(&p, big.NewInt(8))
		if q.IsZero() {
			continue
		}
		return q
	}
}

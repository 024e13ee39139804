package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/sable-settlement/sable/zkp"
)

// Shape is what a transcript records of one circuit: enough to refuse a
// transcript made for another circuit, and the sizes its files must have.
type Shape struct {
	Name        string `json:"name"`
	Constraints int    `json:"constraints"`
	// Domain is the circuit's FFT domain, the powers of τ its phase 2
	// takes from phase 1.
	Domain uint64 `json:"domain"`
	// Private is the number of wires that are not public inputs: the
	// points of the proving key's K, which phase 2 divides by δ.
	Private int `json:"private"`
	// R1CS is the SHA-256 of a canonical rendering of the constraint
	// system (r1csHash).
	R1CS string `json:"r1cs"`
}

// circuit is a Shape with its compiled constraint system.
type circuit struct {
	Shape
	c    zkp.Circuit
	r1cs *cs.R1CS
}

// localCircuits compiles every circuit of zkp's registry, in its order.
func localCircuits() ([]circuit, error) {
	var out []circuit
	for _, c := range zkp.Circuits() {
		ccs, err := c.Compile()
		if err != nil {
			return nil, fmt.Errorf("ceremony: %w", err)
		}
		r, ok := ccs.(*cs.R1CS)
		if !ok {
			return nil, fmt.Errorf("ceremony: the %s circuit is not a BN254 R1CS", c)
		}
		if n := len(r.CommitmentInfo.(constraint.Groth16Commitments)); n != 0 {
			return nil, fmt.Errorf("ceremony: the %s circuit uses %d BSB22 commitments, which no exported verifier checks", c, n)
		}
		internal, secret, _ := r.GetNbVariables()
		sum := r1csHash(r)
		out = append(out, circuit{c: c, r1cs: r, Shape: Shape{
			Name:        string(c),
			Constraints: r.GetNbConstraints(),
			Domain:      fft.NewDomain(uint64(r.GetNbConstraints()), fft.WithoutPrecompute()).Cardinality,
			Private:     internal + secret,
			R1CS:        hex.EncodeToString(sum[:]),
		}})
	}
	return out, nil
}

// maxDomain is phase 1's size: the largest circuit's domain. A smaller
// circuit takes the first powers of τ.
func maxDomain(cs []circuit) uint64 {
	var n uint64
	for _, c := range cs {
		n = max(n, c.Domain)
	}
	return n
}

// r1csHash hashes a canonical rendering of r, independent of gnark's
// file format: "sable/ceremony/r1cs/v1" ‖ the variable counts ‖ every
// constraint's L, R and O as (wire, coefficient) terms.
func r1csHash(r *cs.R1CS) [32]byte {
	h := sha256.New()
	h.Write([]byte("sable/ceremony/r1cs/v1"))
	u64 := func(v uint64) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	internal, secret, public := r.GetNbVariables()
	for _, v := range []int{internal, secret, public, r.GetNbConstraints()} {
		u64(uint64(v))
	}
	side := func(l constraint.LinearExpression) {
		u64(uint64(len(l)))
		for _, t := range l {
			u64(uint64(t.WireID()))
			c := r.Coefficients[t.CoeffID()].Bytes()
			h.Write(c[:])
		}
	}
	it := r.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		side(c.L)
		side(c.R)
		side(c.O)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

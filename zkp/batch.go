package zkp

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/sable-settlement/sable/zkp/internal/parallel"
)

// BatchCoefficientBits is the width of the random-linear-combination
// coefficients of BatchVerify.
const BatchCoefficientBits = 128

// ErrBatchSize reports a batch whose statements and proofs do not pair up.
var ErrBatchSize = errors.New("zkp: batch has different numbers of statements and proofs")

// BatchVerify checks n proofs of vk's circuit at once: it returns nil if
// every proof verifies for its statement, and an error wrapping
// ErrInvalidProof if (with overwhelming probability) at least one does not.
// It does not say which one; verify one by one to find out. An empty batch
// verifies.
//
// Each Groth16 proof j satisfies e(A_j, B_j) = e(α, β)·e(IC_j, γ)·e(C_j, δ),
// IC_j = K_0 + Σ_i x_{j,i}·K_i. BatchVerify checks one random linear
// combination of the n equations,
//
//	Π_j e(ρ_j·A_j, B_j) · e(−(Σ_j ρ_j)·α, β) · e(−Σ_j ρ_j·IC_j, γ) · e(−Σ_j ρ_j·C_j, δ) = 1,
//
// with n + 3 Miller loops sharing one final exponentiation, where a single
// verification costs three Miller loops and a final exponentiation per proof.
// Σ_j ρ_j·IC_j is computed as one multi-exponentiation of the key's K_i by
// the scalars Σ_j ρ_j·x_{j,i}, so public inputs cost field multiplications
// only.
//
// # Coefficients and soundness
//
// The ρ_j are derived deterministically (Fiat–Shamir), because a ledger must
// reach the same verdict on every node without a shared random source:
//
//	seed = SHA-256("sable/zkp/batch-verify/v1" ‖ vk hash ‖ n ‖ for each j: public inputs ‖ proof)
//	ρ_j  = the first 16 bytes, big-endian, of SHA-256(seed ‖ uint32be(j))
//
// (every part length-prefixed). Write E_j ∈ G_T for the quotient of the two
// sides of proof j's equation: proof j verifies iff E_j = 1. G_T has prime
// order r, so E_j = g^{e_j} for a generator g, and the batch equation is
// Σ_j ρ_j·e_j ≡ 0 (mod r). Suppose some e_k ≠ 0. The seed hashes everything
// that determines the E_j (the key, all statements and all proofs, in order),
// so a prover must fix the batch before learning any ρ_j; modelling SHA-256
// as a random oracle, ρ_k is uniform on [0, 2^128) given the other
// coefficients. At most one residue of ρ_k mod r solves the equation, and the
// 2^128 candidates are distinct mod r (2^128 < r), so a batch containing an
// invalid proof passes with probability at most 2^−128, and an adversary who
// tries q batches (q hash evaluations) succeeds with probability at most
// q·2^−128. Lifting a proof onto another statement — for instance swapping
// the public inputs of two valid proofs — is just such an invalid proof.
//
// The argument needs every point in its prime-order group. Proof points are
// checked on their curve and in their subgroup when a Proof is decoded
// (DecodeProof) and Proof has no other constructor outside this package, so
// BatchVerify does not repeat the checks; public inputs are field elements
// by construction.
func BatchVerify(vk *VerifyingKey, pubs []Public, proofs []*Proof) error {
	if len(pubs) != len(proofs) {
		return fmt.Errorf("%w: %d statements, %d proofs", ErrBatchSize, len(pubs), len(proofs))
	}
	n := len(pubs)
	if n == 0 {
		return nil
	}
	for j := range pubs {
		if pubs[j].Circuit != vk.circuit {
			return ErrWrongCircuit
		}
		if err := pubs[j].checkShape(); err != nil {
			return fmt.Errorf("statement %d: %w", j, err)
		}
		if proofs[j] == nil {
			return fmt.Errorf("%w: proof %d is missing", ErrInvalidProof, j)
		}
	}
	g := vk.vk
	if len(g.G1.K) != vk.circuit.PublicInputs()+1 || len(g.CommitmentKeys) != 0 {
		return fmt.Errorf("zkp: the verifying key does not fit the %s circuit", vk.circuit)
	}
	vectors := make([]fr.Vector, n)
	for j := range pubs {
		if vectors[j] = pubs[j].Vector(); len(vectors[j]) != len(g.G1.K)-1 {
			return fmt.Errorf("%w: statement %d has %d public inputs, the key %d", ErrInvalidProof, j, len(vectors[j]), len(g.G1.K)-1)
		}
	}
	rho := batchCoefficients(vk, vectors, proofs)

	// Σρ_j and Σ_j ρ_j·x_{j,i}: the scalars of K_0 and K_i.
	icScalars := make([]fr.Element, len(g.G1.K))
	var t fr.Element
	for j := range rho {
		icScalars[0].Add(&icScalars[0], &rho[j])
		for i := range vectors[j] {
			t.Mul(&rho[j], &vectors[j][i])
			icScalars[i+1].Add(&icScalars[i+1], &t)
		}
	}

	// The G1 side of the n + 3 pairs: ρ_j·A_j for each proof, then
	// −(Σρ)·α, −ΣρIC and −ΣρC.
	P := make([]bn254.G1Affine, n+3)
	Q := make([]bn254.G2Affine, n+3)
	cs := make([]bn254.G1Affine, n)
	for j := range proofs {
		Q[j] = proofs[j].p.Bs
		cs[j] = proofs[j].p.Krs
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	var msmErr [2]error
	wg.Add(1)
	go func() {
		defer wg.Done()
		var acc bn254.G1Jac
		if _, msmErr[0] = acc.MultiExp(g.G1.K, icScalars, ecc.MultiExpConfig{NbTasks: 1}); msmErr[0] != nil {
			return
		}
		acc.Neg(&acc)
		P[n+1].FromJacobian(&acc)
		if _, msmErr[1] = acc.MultiExp(cs, rho, ecc.MultiExpConfig{NbTasks: 1}); msmErr[1] != nil {
			return
		}
		acc.Neg(&acc)
		P[n+2].FromJacobian(&acc)
		var s big.Int
		icScalars[0].BigInt(&s)
		P[n].ScalarMultiplication(&g.G1.Alpha, &s)
		P[n].Neg(&P[n])
	}()
	parallel.Ranges(n, workers, func(_, lo, hi int) {
		jac := make([]bn254.G1Jac, hi-lo)
		var s big.Int
		for j := lo; j < hi; j++ {
			rho[j].BigInt(&s)
			jac[j-lo].FromAffine(&proofs[j].p.Ar)
			jac[j-lo].ScalarMultiplication(&jac[j-lo], &s)
		}
		copy(P[lo:hi], bn254.BatchJacobianToAffineG1(jac))
	})
	wg.Wait()
	if err := errors.Join(msmErr[:]...); err != nil {
		return fmt.Errorf("zkp: batch verify: %w", err)
	}
	Q[n], Q[n+1], Q[n+2] = g.G2.Beta, g.G2.Gamma, g.G2.Delta

	// One multi-Miller loop, split across the cores, one final
	// exponentiation.
	chunks := min(runtime.GOMAXPROCS(0), len(P))
	partial := make([]bn254.GT, chunks)
	errs := make([]error, chunks)
	parallel.Ranges(len(P), chunks, func(k, lo, hi int) {
		partial[k], errs[k] = millerLoop(P[lo:hi], Q[lo:hi])
	})
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("zkp: batch verify: %w", err)
	}
	for k := 1; k < chunks; k++ {
		partial[0].Mul(&partial[0], &partial[k])
	}
	if r := bn254.FinalExponentiation(&partial[0]); !r.IsOne() {
		return fmt.Errorf("%w: the batch of %d %s proofs fails its pairing check", ErrInvalidProof, n, vk.circuit)
	}
	return nil
}

// millerLoop is bn254.MillerLoop with the neutral element for pairs that
// are all at infinity.
func millerLoop(P []bn254.G1Affine, Q []bn254.G2Affine) (bn254.GT, error) {
	for i := range P {
		if !P[i].IsInfinity() && !Q[i].IsInfinity() {
			return bn254.MillerLoop(P, Q)
		}
	}
	var one bn254.GT
	one.SetOne()
	return one, nil
}

// batchCoefficients derives the ρ_j of BatchVerify.
func batchCoefficients(vk *VerifyingKey, vectors []fr.Vector, proofs []*Proof) []fr.Element {
	h := sha256.New()
	writeFramed(h, []byte("sable/zkp/batch-verify/v1"))
	writeFramed(h, vk.hash[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(proofs)))
	h.Write(n[:])
	for j := range proofs {
		binary.BigEndian.PutUint64(n[:], uint64(len(vectors[j])))
		h.Write(n[:])
		for i := range vectors[j] {
			b := vectors[j][i].Bytes()
			h.Write(b[:])
		}
		b := proofs[j].Bytes()
		writeFramed(h, b[:])
	}
	var seed [32]byte
	h.Sum(seed[:0])

	rho := make([]fr.Element, len(proofs))
	var buf [36]byte
	copy(buf[:32], seed[:])
	for j := range rho {
		binary.BigEndian.PutUint32(buf[32:], uint32(j))
		d := sha256.Sum256(buf[:])
		rho[j].SetBytes(d[:BatchCoefficientBits/8])
	}
	return rho
}

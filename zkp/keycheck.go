package zkp

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// ErrBadKeyPair is a proving key that fails its check against its
// verifying key (CheckKeyPair): proofs made with it could reveal the
// witness, or would not verify.
var ErrBadKeyPair = errors.New("zkp: proving key fails its check against the verifying key")

// CheckKeyPair checks, before pk makes a proof, that every proof it can
// make and that verifies under vk reveals nothing beyond its statement.
//
// The argument: a Groth16 proof is A = α + Σ wᵢ·Aᵢ + r·δ in G1, B = β +
// Σ wᵢ·Bᵢ + s·δ in G2, with fresh random r and s, and C is then the one
// point of G1 that satisfies vk's equation, e(C, δ_vk) being fixed by A, B
// and the public inputs. So if pk's δ is not the identity in either group,
// all of pk's points lie on their curves (A and B are then uniform, whatever
// the other points are), vk's δ is a non-identity point of G2's prime-order
// subgroup (e(·, δ_vk) is then injective), and the prover releases only
// proofs that verify under vk, a released proof is distributed as a
// simulated one. The crafted pair of a key-swap attack (pk with α = δ = 0
// and B = 0, vk with β = γ = δ = ∞, each proof's A then amt·G1) fails
// several checks here.
//
// The checks, each failure its own message wrapping ErrBadKeyPair:
//   - pk's α, β, δ (in each group it holds them) and vk's α, β, γ, δ are
//     not the identity and lie in their prime-order subgroups;
//   - pk's α₁, β₂ and δ₂ are vk's;
//   - pk's β, and its δ, are one scalar in both groups:
//     e(β₁, g₂) = e(g₁, β₂) and e(δ₁, g₂) = e(g₁, δ₂);
//   - pk's shape is the circuit's: FFT domain, the wires whose A and B
//     points are the identity, the lengths of A, B, K and Z, no BSB22
//     commitment; vk's K has one point per public input and the constant;
//   - every point of pk's vectors is on its curve (pk is read unchecked).
//
// What it cannot check is that A, B, K and Z come from the setup that made
// vk (gnark's keys hold no powers of τ to check them by). A key that
// fails that makes proofs that do not verify, which the prover refuses;
// but a key can be crafted to fail only for some witnesses (one shifted K
// point fails the proofs whose wire is not zero), so a failed proof tells
// whoever sees it one bit. A failing fresh proof means keys to replace.
//
// It costs two pairing checks and a pass over pk's points: about 2.7 ms
// for the transfer keys and 1.9 ms for mint's on two cores
// (BenchmarkCheckKeyPair), against 50–90 ms for a transfer proof.
func CheckKeyPair(pk *ProvingKey, vk *VerifyingKey) error {
	if pk.circuit != vk.circuit {
		return fmt.Errorf("%w: a %s proving key with a %s verifying key", ErrBadKeyPair, pk.circuit, vk.circuit)
	}
	checks := []func(*groth16bn254.ProvingKey, *groth16bn254.VerifyingKey) error{
		checkFixedPoints, checkShared, checkPairings,
	}
	for _, check := range checks {
		if err := check(pk.pk, vk.vk); err != nil {
			return fmt.Errorf("%w: %w", ErrBadKeyPair, err)
		}
	}
	if err := checkShape(pk.pk, vk.vk, pk.circuit); err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyPair, err)
	}
	if err := checkVectors(pk.pk); err != nil {
		return fmt.Errorf("%w: %w", ErrBadKeyPair, err)
	}
	return nil
}

// checkFixedPoints checks that the keys' fixed points are proper: not the
// identity, on their curve, in the prime-order subgroup.
func checkFixedPoints(pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) error {
	g1 := []struct {
		name string
		p    *bn254.G1Affine
	}{
		{"proving key's α (G1)", &pk.G1.Alpha}, {"proving key's β (G1)", &pk.G1.Beta},
		{"proving key's δ (G1)", &pk.G1.Delta}, {"verifying key's α (G1)", &vk.G1.Alpha},
	}
	for _, q := range g1 {
		if err := properG1(q.name, q.p); err != nil {
			return err
		}
	}
	g2 := []struct {
		name string
		p    *bn254.G2Affine
	}{
		{"proving key's β (G2)", &pk.G2.Beta}, {"proving key's δ (G2)", &pk.G2.Delta},
		{"verifying key's β (G2)", &vk.G2.Beta}, {"verifying key's γ (G2)", &vk.G2.Gamma},
		{"verifying key's δ (G2)", &vk.G2.Delta},
	}
	for _, q := range g2 {
		if err := properG2(q.name, q.p); err != nil {
			return err
		}
	}
	return nil
}

func properG1(name string, p *bn254.G1Affine) error {
	if p.IsInfinity() {
		return fmt.Errorf("%s is the identity", name)
	}
	if !p.IsInSubGroup() { // G1 has cofactor 1: on the curve is enough
		return fmt.Errorf("%s is not on the curve", name)
	}
	return nil
}

func properG2(name string, p *bn254.G2Affine) error {
	if p.IsInfinity() {
		return fmt.Errorf("%s is the identity", name)
	}
	if !p.IsInSubGroup() {
		return fmt.Errorf("%s is not in the prime-order subgroup", name)
	}
	return nil
}

// checkShared checks that the points both keys hold are the same.
func checkShared(pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) error {
	switch {
	case !pk.G1.Alpha.Equal(&vk.G1.Alpha):
		return errors.New("α differs between the keys")
	case !pk.G2.Beta.Equal(&vk.G2.Beta):
		return errors.New("β differs between the keys")
	case !pk.G2.Delta.Equal(&vk.G2.Delta):
		return errors.New("δ differs between the keys")
	}
	return nil
}

// checkPairings checks that pk's β and δ are each one scalar in both
// groups: e(x₁, g₂) · e(−g₁, x₂) = 1.
func checkPairings(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) error {
	_, _, g1, g2 := bn254.Generators()
	var negG1 bn254.G1Affine
	negG1.Neg(&g1)
	for _, x := range []struct {
		name string
		p1   bn254.G1Affine
		p2   bn254.G2Affine
	}{{"β", pk.G1.Beta, pk.G2.Beta}, {"δ", pk.G1.Delta, pk.G2.Delta}} {
		ok, err := bn254.PairingCheck([]bn254.G1Affine{x.p1, negG1}, []bn254.G2Affine{g2, x.p2})
		if err != nil {
			return fmt.Errorf("pairing check of %s: %w", x.name, err)
		}
		if !ok {
			return fmt.Errorf("the proving key's %s differs between G1 and G2", x.name)
		}
	}
	return nil
}

// checkShape checks the keys' sizes and pk's FFT domain and identity
// pattern against circuit c's R1CS.
func checkShape(pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey, c Circuit) error {
	ccs, err := c.Compile()
	if err != nil {
		return err
	}
	r1cs, ok := ccs.(*cs.R1CS)
	if !ok {
		return fmt.Errorf("the %s circuit is not an R1CS", c)
	}
	if len(vk.G1.K) != c.PublicInputs()+1 || len(vk.CommitmentKeys) != 0 || len(pk.CommitmentKeys) != 0 {
		return fmt.Errorf("the keys do not fit the %s circuit's public inputs", c)
	}
	if err := checkDomain(&pk.Domain, uint64(r1cs.GetNbConstraints())); err != nil {
		return err
	}
	usedA, usedB := usedWires(r1cs)
	nA, err := checkIdentities("A", pk.InfinityA, pk.NbInfinityA, usedA)
	if err != nil {
		return err
	}
	nB, err := checkIdentities("B", pk.InfinityB, pk.NbInfinityB, usedB)
	if err != nil {
		return err
	}
	nPublic := r1cs.GetNbPublicVariables()
	want := []struct {
		name      string
		got, want int
	}{
		{"A (G1)", len(pk.G1.A), nA}, {"B (G1)", len(pk.G1.B), nB}, {"B (G2)", len(pk.G2.B), nB},
		{"K", len(pk.G1.K), len(usedA) - nPublic}, {"Z", len(pk.G1.Z), int(pk.Domain.Cardinality) - 1},
	}
	for _, w := range want {
		if w.got != w.want {
			return fmt.Errorf("the proving key's %s has %d points, the %s circuit wants %d", w.name, w.got, c, w.want)
		}
	}
	return nil
}

// checkDomain checks that d is the FFT domain a setup for n constraints
// uses.
func checkDomain(d *fft.Domain, n uint64) error {
	w := fft.NewDomain(n, fft.WithoutPrecompute()) // the fields compared only
	if d.Cardinality != w.Cardinality || d.CardinalityInv != w.CardinalityInv || d.Generator != w.Generator ||
		d.GeneratorInv != w.GeneratorInv || d.FrMultiplicativeGen != w.FrMultiplicativeGen ||
		d.FrMultiplicativeGenInv != w.FrMultiplicativeGenInv {
		return fmt.Errorf("the proving key's FFT domain (size %d) is not the circuit's (size %d)", d.Cardinality, w.Cardinality)
	}
	return nil
}

// usedWires says which wires appear in the left (A) and right (B) sides
// of r's constraints: a setup gives the others the identity.
func usedWires(r *cs.R1CS) (usedA, usedB []bool) {
	n := r.GetNbInternalVariables() + r.GetNbPublicVariables() + r.GetNbSecretVariables()
	usedA, usedB = make([]bool, n), make([]bool, n)
	mark := func(used []bool, l constraint.LinearExpression) {
		for _, t := range l {
			if t.CoeffID() != constraint.CoeffIdZero {
				used[t.WireID()] = true
			}
		}
	}
	it := r.GetR1CIterator()
	for c := it.Next(); c != nil; c = it.Next() {
		mark(usedA, c.L)
		mark(usedB, c.R)
	}
	return usedA, usedB
}

// checkIdentities checks pk's flags of the wires whose side-name point
// is the identity against the circuit's, and returns how many points the
// side holds.
func checkIdentities(side string, infinity []bool, nbInfinity uint64, used []bool) (int, error) {
	if len(infinity) != len(used) {
		return 0, fmt.Errorf("the proving key has %d wires, the circuit %d", len(infinity), len(used))
	}
	n := 0
	for i := range used {
		if infinity[i] == used[i] {
			return 0, fmt.Errorf("the proving key's %s point of wire %d is wrongly %s", side, i, identityWord(infinity[i]))
		}
		if used[i] {
			n++
		}
	}
	if nbInfinity != uint64(len(used)-n) {
		return 0, fmt.Errorf("the proving key counts %d identities in %s, its flags %d", nbInfinity, side, len(used)-n)
	}
	return n, nil
}

func identityWord(infinity bool) string {
	if infinity {
		return "the identity"
	}
	return "present"
}

// checkVectors checks that every point of pk's vectors lies on its curve,
// so that a proof's arithmetic stays in the curves' groups, and that A and
// B hold no identity their wires' flags deny. G1 is its whole curve, so its
// points are then in the group; G2's B points are not checked against the
// subgroup (25–40 ms for transfer's): a component outside it would only
// put the proof's B outside the subgroup, which its check refuses.
func checkVectors(pk *groth16bn254.ProvingKey) error {
	for _, v := range []struct {
		name    string
		ps      []bn254.G1Affine
		present bool // the wires' flags say these are not the identity
	}{{"A", pk.G1.A, true}, {"B (G1)", pk.G1.B, true}, {"K", pk.G1.K, false}, {"Z", pk.G1.Z, false}} {
		for i := range v.ps {
			if !v.ps[i].IsOnCurve() {
				return fmt.Errorf("the proving key's %s point %d is not on the curve", v.name, i)
			}
			if v.present && v.ps[i].IsInfinity() {
				return fmt.Errorf("the proving key's %s point %d is the identity, its wire's flag says not", v.name, i)
			}
		}
	}
	for i := range pk.G2.B {
		if !pk.G2.B[i].IsOnCurve() {
			return fmt.Errorf("the proving key's B (G2) point %d is not on the curve", i)
		}
		if pk.G2.B[i].IsInfinity() {
			return fmt.Errorf("the proving key's B (G2) point %d is the identity, its wire's flag says not", i)
		}
	}
	return nil
}

// ErrVKNotPinned is a verifying key whose hash is not the one pinned for
// its circuit (PinVerifyingKeys, Prover.Pin).
var ErrVKNotPinned = errors.New("zkp: verifying key is not the pinned one")

// checkPin checks that vk, read from path, hashes to want.
func checkPin(path string, vk *VerifyingKey, want [32]byte) error {
	if got := vk.Hash(); got != want {
		return fmt.Errorf("%w: %s hashes to %x, the pin is %x; the directory holds another setup's keys: install the %s keys whose hash is pinned",
			ErrVKNotPinned, path, got, want, vk.circuit)
	}
	return nil
}

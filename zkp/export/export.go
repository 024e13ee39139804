// Package export writes Sable's Groth16 verifying keys and proofs for
// verifiers that share no code with Sable: snarkjs's JSON ([SnarkJS]) and a
// Solidity verifier contract ([Solidity], [SolidityCalldata]). It refuses
// keys and proofs that use gnark's BSB22 commitment extension, which
// neither verifier checks ([ErrCommitments]).
package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/solidity"
)

// ErrCommitments is returned when a verifying key or a proof uses gnark's
// BSB22 commitment extension, which the exported verifiers cannot check.
var ErrCommitments = errors.New("zkp: export: Groth16 commitment extension (BSB22) is not supported by snarkjs or the Solidity verifier")

// SolidityPragma is the pragma of the exported contract. It uses
// assembly ("memory-safe") (Solidity 0.8.13) and custom errors (0.8.4).
const SolidityPragma = "^0.8.13"

type snarkJSVK struct {
	Protocol    string          `json:"protocol"`
	Curve       string          `json:"curve"`
	NPublic     int             `json:"nPublic"`
	Alpha1      [3]string       `json:"vk_alpha_1"`
	Beta2       [3][2]string    `json:"vk_beta_2"`
	Gamma2      [3][2]string    `json:"vk_gamma_2"`
	Delta2      [3][2]string    `json:"vk_delta_2"`
	AlphaBeta12 [2][3][2]string `json:"vk_alphabeta_12"`
	IC          [][3]string     `json:"IC"`
}

type snarkJSProof struct {
	A        [3]string    `json:"pi_a"`
	B        [3][2]string `json:"pi_b"`
	C        [3]string    `json:"pi_c"`
	Protocol string       `json:"protocol"`
	Curve    string       `json:"curve"`
}

// SnarkJS renders a verifying key, a proof and its public inputs in snarkjs's Groth16 JSON formats
// (vk.json / proof.json / public.json for `snarkjs groth16 verify vk.json public.json proof.json`).
// public is the public witness without the leading constant 1, in circuit order.
//
// Field elements are decimal strings. Points are projective triples with z = 1:
// G1 as [x, y, "1"], G2 as [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]] where an
// Fp2 element is c0 + c1·u (gnark's A0, A1); the point at infinity is written
// as snarkjs writes it (z = 0). IC is gnark's vk.G1.K: IC[0] is the constant
// term, IC[i] multiplies public input i. vk_alphabeta_12 is e(α, β) in the
// same Fp12 tower as snarkjs (c0 + c1·w over Fp6 = Fp2[v]); snarkjs's
// verifier does not read it.
//
// Keys and proofs using gnark's BSB22 commitment extension are refused with
// [ErrCommitments]: snarkjs has no notion of it.
func SnarkJS(vk *groth16bn254.VerifyingKey, proof *groth16bn254.Proof, public []fr.Element) (vkJSON, proofJSON, publicJSON []byte, err error) {
	if err := checkExportVK(vk); err != nil {
		return nil, nil, nil, err
	}
	if err := checkExportProof(proof); err != nil {
		return nil, nil, nil, err
	}
	if n := len(vk.G1.K) - 1; len(public) != n {
		return nil, nil, nil, fmt.Errorf("zkp: export snarkjs: %d public inputs, the verifying key has %d", len(public), n)
	}

	// e(α, β): snarkjs's verifier recomputes what it needs, but its own
	// exported keys carry this value, so ours do too.
	ab, err := bn254.Pair([]bn254.G1Affine{vk.G1.Alpha}, []bn254.G2Affine{vk.G2.Beta})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("zkp: export snarkjs: e(alpha, beta): %w", err)
	}
	v := snarkJSVK{
		Protocol: "groth16",
		Curve:    "bn128",
		NPublic:  len(public),
		Alpha1:   jsG1(&vk.G1.Alpha),
		Beta2:    jsG2(&vk.G2.Beta),
		Gamma2:   jsG2(&vk.G2.Gamma),
		Delta2:   jsG2(&vk.G2.Delta),
		AlphaBeta12: [2][3][2]string{
			{jsE2(&ab.C0.B0.A0, &ab.C0.B0.A1), jsE2(&ab.C0.B1.A0, &ab.C0.B1.A1), jsE2(&ab.C0.B2.A0, &ab.C0.B2.A1)},
			{jsE2(&ab.C1.B0.A0, &ab.C1.B0.A1), jsE2(&ab.C1.B1.A0, &ab.C1.B1.A1), jsE2(&ab.C1.B2.A0, &ab.C1.B2.A1)},
		},
		IC: make([][3]string, len(vk.G1.K)),
	}
	for i := range vk.G1.K {
		v.IC[i] = jsG1(&vk.G1.K[i])
	}
	p := snarkJSProof{
		A:        jsG1(&proof.Ar),
		B:        jsG2(&proof.Bs),
		C:        jsG1(&proof.Krs),
		Protocol: "groth16",
		Curve:    "bn128",
	}
	pub := make([]string, len(public))
	for i := range public {
		pub[i] = frDecimal(&public[i])
	}

	if vkJSON, err = marshalExport(v); err != nil {
		return nil, nil, nil, err
	}
	if proofJSON, err = marshalExport(p); err != nil {
		return nil, nil, nil, err
	}
	if publicJSON, err = marshalExport(pub); err != nil {
		return nil, nil, nil, err
	}
	return vkJSON, proofJSON, publicJSON, nil
}

// Solidity writes a Solidity verifier contract for vk: gnark's template,
// a contract named Verifier with pragma [SolidityPragma]. It is driven by
//
//	function verifyProof(bytes calldata proof, uint256[N] calldata input) public view
//
// which returns nothing when the proof holds and reverts otherwise, with
// ProofInvalid() (also for points off the curve), PublicInputNotInField() when
// an input is not below the scalar field modulus r, or a require message
// when proof is not 256 bytes. N is the number of public inputs, in circuit
// order without the constant 1. proof holds the points in EIP-197 order, each
// coordinate a 32-byte big-endian word (note B's Fp2 coefficients, c1 first):
//
//	A.x | A.y | B.x.c1 | B.x.c0 | B.y.c1 | B.y.c0 | C.x | C.y
//
// [SolidityCalldata] builds both arguments. The contract also has
// compressProof(bytes) and verifyCompressedProof(uint256[4], uint256[N]) for
// 128-byte compressed proofs; Sable's tests drive verifyProof only.
//
// Keys using gnark's BSB22 commitment extension are refused with
// [ErrCommitments], as are keys without public inputs (the contract
// would not compile).
func Solidity(vk *groth16bn254.VerifyingKey, w io.Writer) error {
	if err := checkExportVK(vk); err != nil {
		return err
	}
	if len(vk.G1.K) < 2 {
		// The contract's input type would be uint256[0], which Solidity rejects.
		return errors.New("zkp: export solidity: the verifying key has no public inputs")
	}
	// gnark's exporter swaps fields of the key while it renders, and needs
	// -γ, -δ, which only Precompute fills in: work on a copy.
	c := *vk
	if err := c.Precompute(); err != nil {
		return fmt.Errorf("zkp: export solidity: %w", err)
	}
	if err := c.ExportSolidity(w, solidity.WithPragmaVersion(SolidityPragma)); err != nil {
		return fmt.Errorf("zkp: export solidity: %w", err)
	}
	return nil
}

// SolidityCalldata returns the two arguments of the exported contract's
// verifyProof(bytes proof, uint256[N] input) (see [Solidity]): the
// 256-byte proof, which is gnark's Proof.MarshalSolidity, and the public
// inputs as integers below the scalar field modulus.
func SolidityCalldata(proof *groth16bn254.Proof, public []fr.Element) (proofBytes []byte, input []*big.Int, err error) {
	if err := checkExportProof(proof); err != nil {
		return nil, nil, err
	}
	proofBytes = proof.MarshalSolidity()
	if len(proofBytes) != 8*fp.Bytes {
		return nil, nil, fmt.Errorf("zkp: export solidity: proof encodes to %d bytes, want %d", len(proofBytes), 8*fp.Bytes)
	}
	input = make([]*big.Int, len(public))
	for i := range public {
		input[i] = public[i].BigInt(new(big.Int))
	}
	return proofBytes, input, nil
}

func checkExportVK(vk *groth16bn254.VerifyingKey) error {
	if vk == nil {
		return errors.New("zkp: export: nil verifying key")
	}
	if len(vk.CommitmentKeys) > 0 || len(vk.PublicAndCommitmentCommitted) > 0 {
		return fmt.Errorf("%w (verifying key has %d commitment keys)", ErrCommitments, len(vk.CommitmentKeys))
	}
	if len(vk.G1.K) == 0 {
		return errors.New("zkp: export: verifying key has no IC points")
	}
	return nil
}

func checkExportProof(proof *groth16bn254.Proof) error {
	if proof == nil {
		return errors.New("zkp: export: nil proof")
	}
	if len(proof.Commitments) > 0 {
		return fmt.Errorf("%w (proof has %d commitments)", ErrCommitments, len(proof.Commitments))
	}
	return nil
}

func marshalExport(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("zkp: export snarkjs: %w", err)
	}
	return append(b, '\n'), nil
}

// fpDecimal and frDecimal go through big.Int: the elements' own String
// prints small negatives ("-1") for values close to the modulus.
func fpDecimal(x *fp.Element) string { return x.BigInt(new(big.Int)).String() }

func frDecimal(x *fr.Element) string { return x.BigInt(new(big.Int)).String() }

func jsE2(a0, a1 *fp.Element) [2]string { return [2]string{fpDecimal(a0), fpDecimal(a1)} }

func jsG1(p *bn254.G1Affine) [3]string {
	if p.IsInfinity() {
		return [3]string{"0", "1", "0"}
	}
	return [3]string{fpDecimal(&p.X), fpDecimal(&p.Y), "1"}
}

func jsG2(p *bn254.G2Affine) [3][2]string {
	if p.IsInfinity() {
		return [3][2]string{{"0", "0"}, {"1", "0"}, {"0", "0"}}
	}
	return [3][2]string{jsE2(&p.X.A0, &p.X.A1), jsE2(&p.Y.A0, &p.Y.A1), {"1", "0"}}
}

package zkp

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
)

// The gnark engine: gnark's Groth16 prover, straight from a proving key.
// It needs nothing beyond the key, so it is the cheapest way to make one
// proof; it is also the reference the table engine is tested against and
// the baseline of bench/.

// ProveTransfer proves that Com(Amount, AmountBlinding) commits to an amount
// in [1, 2^64) that Balance covers, with gnark's prover. If vk is not nil
// the proof is verified before it is returned, so a corrupted proving key
// cannot produce a bad proof silently.
func (k *ProvingKey) ProveTransfer(in TransferInput, vk *VerifyingKey) (Public, *Proof, error) {
	if k.circuit != Transfer {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := transferStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := k.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveMint proves that Com(Amount, AmountBlinding) commits to an amount in
// [1, 2^64), with gnark's prover.
func (k *ProvingKey) ProveMint(in MintInput, vk *VerifyingKey) (Public, *Proof, error) {
	if k.circuit != Mint {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := mintStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := k.prove(assignment, pub, vk)
	return pub, proof, err
}

func (k *ProvingKey) prove(assignment frontend.Circuit, pub Public, vk *VerifyingKey) (*Proof, error) {
	ccs, err := k.circuit.Compile()
	if err != nil {
		return nil, err
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("zkp: witness: %w", err)
	}
	p, err := groth16bn254.Prove(ccs.(*cs.R1CS), k.pk, w)
	if err != nil {
		return nil, fmt.Errorf("zkp: prove %s: %w", k.circuit, err)
	}
	proof := &Proof{p: *p}
	if err := selfCheck(vk, pub, proof); err != nil {
		return nil, err
	}
	return proof, nil
}

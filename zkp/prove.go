package zkp

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/mint"
	"github.com/sable-settlement/sable/circuits/transfer"
)

// Errors returned for prover inputs outside the statement.
var (
	ErrZeroAmount          = errors.New("zkp: amount is zero")
	ErrInsufficientBalance = errors.New("zkp: balance is smaller than the amount")
	ErrBlindingRange       = errors.New("zkp: blinding out of range")
	ErrInvalidProof        = errors.New("zkp: proof does not verify")
	ErrWrongCircuit        = errors.New("zkp: key and statement are for different circuits")
)

// Public is a proof's statement: what a verifier sees.
type Public struct {
	Circuit   Circuit
	Available Commitment // transfer only: the payer's available balance, C_avail
	Amount    Commitment // C_amt
	Context   Context
}

// TransferInput is a payer's secret: the opening of its available balance
// and of the amount it pays.
type TransferInput struct {
	Balance         uint64
	BalanceBlinding *big.Int // below ℓ
	Amount          uint64   // ≥ 1
	AmountBlinding  *big.Int // below 2^128
	Context         Context
}

// MintInput is an issuer's secret: the opening of the amount it mints.
type MintInput struct {
	Amount         uint64
	AmountBlinding *big.Int
	Context        Context
}

// ProveTransfer proves that Com(Amount, AmountBlinding) commits to an amount
// in [1, 2^64) that Balance covers. The proof is verified before it is
// returned, so a corrupted proving key cannot produce a bad proof silently.
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
// [1, 2^64).
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

func checkAmount(amount uint64, blinding *big.Int) error {
	if amount == 0 {
		return ErrZeroAmount
	}
	if blinding == nil || blinding.Sign() < 0 || blinding.BitLen() > AmountBlindingBits {
		return fmt.Errorf("%w: amount blinding must be in [0, 2^%d)", ErrBlindingRange, AmountBlindingBits)
	}
	return nil
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
	if vk != nil {
		if err := vk.Verify(pub, proof); err != nil {
			return nil, fmt.Errorf("zkp: fresh proof does not verify: is the proving key from the same setup as the verifying key? %w", err)
		}
	}
	return proof, nil
}

// Verify checks proof against the statement pub. It returns nil or an error
// wrapping ErrInvalidProof or ErrWrongCircuit.
func (k *VerifyingKey) Verify(pub Public, proof *Proof) error {
	if pub.Circuit != k.circuit {
		return ErrWrongCircuit
	}
	if err := groth16bn254.Verify(&proof.p, k.vk, pub.Vector()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return nil
}

// Vector returns the public inputs in the circuit's order, as field elements
// (the order of public.json in exports).
func (p Public) Vector() fr.Vector {
	var v fr.Vector
	if p.Circuit == Transfer {
		x, y := p.Available.Coordinates()
		v = append(v, x, y)
	}
	x, y := p.Amount.Coordinates()
	return append(v, x, y, p.Context.element())
}

func point(c Commitment) twistededwards.Point {
	x, y := c.Coordinates()
	return twistededwards.Point{X: x, Y: y}
}

func transferAssignment(pub Public) *transfer.Circuit {
	return &transfer.Circuit{Available: point(pub.Available), Amount: point(pub.Amount), Context: pub.Context.element()}
}

func mintAssignment(pub Public) *mint.Circuit {
	return &mint.Circuit{Amount: point(pub.Amount), Context: pub.Context.element()}
}

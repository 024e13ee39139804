package zkp

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/native/twistededwards"

	"github.com/sable-settlement/sable/circuits/mint"
	"github.com/sable-settlement/sable/circuits/transfer"
	"github.com/sable-settlement/sable/internal/pedersen"
)

// What a proof states, what a prover needs to state it, and how a verifier
// checks it. Both proving engines (gnarkprove.go, tableprover.go) build
// their witness with transferStatement and mintStatement, so they check the
// same inputs and state the same thing.

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
	Available Commitment // transfer and batch: the payer's available balance, C_avail
	Amount    Commitment // C_amt; for fx, leg A's amount C_A; unused for batch
	AmountB   Commitment // fx only: leg B's amount C_B
	Rate      uint64     // fx only: R, at scale FXScale
	// Amounts is batch only: the 1 to BatchSize real amounts C_amt_i, in
	// slot order. The statement fills the other slots with the identity
	// (Vector); a real amount is never the identity.
	Amounts []Commitment
	Context Context
}

// TransferInput is a payer's secret: the opening of its available balance
// and of the amount it pays.
type TransferInput struct {
	Balance         uint64
	BalanceBlinding *big.Int // below ℓ
	Amount          uint64   // ≥ 1
	AmountBlinding  *big.Int // below ℓ
	Context         Context
}

// MintInput is an issuer's secret: the opening of the amount it mints.
type MintInput struct {
	Amount         uint64
	AmountBlinding *big.Int // below ℓ
	Context        Context
}

// Verify checks proof against the statement pub. It returns nil or an error
// wrapping ErrInvalidProof or ErrWrongCircuit.
func (k *VerifyingKey) Verify(pub Public, proof *Proof) error {
	if pub.Circuit != k.circuit {
		return ErrWrongCircuit
	}
	if err := pub.checkShape(); err != nil {
		return err
	}
	if err := groth16bn254.Verify(&proof.p, k.vk, pub.Vector()); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidProof, err)
	}
	return nil
}

// selfCheck verifies a fresh proof when vk is not nil: a proving key from
// another setup, or a damaged one, must not produce a bad proof silently.
// The error wraps ErrInvalidProof.
func selfCheck(vk *VerifyingKey, pub Public, proof *Proof) error {
	if vk == nil {
		return nil
	}
	if err := vk.Verify(pub, proof); err != nil {
		return fmt.Errorf("zkp: fresh proof does not verify: is the proving key from the same setup as the verifying key? %w", err)
	}
	return nil
}

// Vector returns the public inputs in the circuit's order, as field elements
// (the order of public.json in exports). A batch statement's amounts fill
// BatchSize slots, the identity in those past len(Amounts).
func (p Public) Vector() fr.Vector {
	var v fr.Vector
	if p.Circuit == Transfer || p.Circuit == Batch {
		x, y := p.Available.Coordinates()
		v = append(v, x, y)
	}
	if p.Circuit == Batch {
		return append(batchAmounts(v, p.Amounts), p.Context.element())
	}
	x, y := p.Amount.Coordinates()
	v = append(v, x, y)
	if p.Circuit == FX {
		var r fr.Element
		r.SetUint64(p.Rate)
		xb, yb := p.AmountB.Coordinates()
		v = append(v, xb, yb, r)
	}
	return append(v, p.Context.element())
}

// transferStatement checks a transfer's secret and returns its statement
// and full assignment, for both engines.
func transferStatement(in TransferInput) (Public, frontend.Circuit, error) {
	if err := checkAmount(in.Amount, in.AmountBlinding); err != nil {
		return Public{}, nil, err
	}
	if err := checkBlinding("balance", in.BalanceBlinding); err != nil {
		return Public{}, nil, err
	}
	if in.Balance < in.Amount {
		return Public{}, nil, ErrInsufficientBalance
	}
	pub := Public{
		Circuit:   Transfer,
		Available: Commit(in.Balance, in.BalanceBlinding),
		Amount:    Commit(in.Amount, in.AmountBlinding),
		Context:   in.Context,
	}
	assignment := transferAssignment(pub)
	assignment.Value = in.Amount
	assignment.Blinding = in.AmountBlinding
	assignment.Remainder = in.Balance - in.Amount
	assignment.RemainderBlinding = remainderBlinding(in)
	return pub, assignment, nil
}

// mintStatement is transferStatement for a mint.
func mintStatement(in MintInput) (Public, frontend.Circuit, error) {
	if err := checkAmount(in.Amount, in.AmountBlinding); err != nil {
		return Public{}, nil, err
	}
	pub := Public{Circuit: Mint, Amount: Commit(in.Amount, in.AmountBlinding), Context: in.Context}
	assignment := mintAssignment(pub)
	assignment.Value = in.Amount
	assignment.Blinding = in.AmountBlinding
	return pub, assignment, nil
}

func checkAmount(amount uint64, blinding *big.Int) error {
	if amount == 0 {
		return ErrZeroAmount
	}
	return checkBlinding("amount", blinding)
}

// checkBlinding checks that a blinding is a scalar in [0, ℓ): the circuits
// admit any scalar below 2^252 > ℓ, and Sable makes and accepts the
// reduced ones only.
func checkBlinding(what string, r *big.Int) error {
	if r == nil || r.Sign() < 0 || r.Cmp(Order()) >= 0 {
		return fmt.Errorf("%w: %s blinding must be in [0, ℓ)", ErrBlindingRange, what)
	}
	return nil
}

// remainderBlinding is r_rem = r_bal − r_amt mod ℓ.
func remainderBlinding(in TransferInput) *big.Int {
	r := new(big.Int).Sub(in.BalanceBlinding, in.AmountBlinding)
	return r.Mod(r, pedersen.Order())
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

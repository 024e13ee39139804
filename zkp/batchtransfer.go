package zkp

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/sable-settlement/sable/circuits/batch"
	"github.com/sable-settlement/sable/internal/pedersen"
)

// BatchSize is the number of payment slots of one batch proof: a batch
// statement proves 1 to BatchSize amounts in one currency against one
// available balance (circuits/batch).
const BatchSize = batch.Size

// Errors of batch statements.
var (
	// ErrBatchCount reports a batch of no amounts or more than BatchSize,
	// or whose amounts and blindings do not pair up.
	ErrBatchCount = fmt.Errorf("zkp: a batch proves 1 to %d amounts, each with its blinding", BatchSize)
	// ErrPaddingAmount reports a batch statement with the identity among
	// its real amounts: the circuit reads the identity as a padding slot,
	// so it would stand for a payment of 0.
	ErrPaddingAmount = errors.New("zkp: a batch amount is the identity, which only padding slots hold")
)

// BatchInput is a payer's secret for a batch: the opening of its available
// balance and of each amount it pays, in slot order.
type BatchInput struct {
	Balance         uint64
	BalanceBlinding *big.Int   // below ℓ
	Amounts         []uint64   // 1 to BatchSize amounts, each ≥ 1; their total ≤ Balance
	AmountBlindings []*big.Int // one per amount, each below ℓ
	Context         Context
}

// batchStatement checks a batch's secret and returns its statement and
// full assignment, for both engines: the checks of transferStatement for
// every amount, and the balance against the total.
func batchStatement(in BatchInput) (Public, *batch.Circuit, error) {
	n := len(in.Amounts)
	if n == 0 || n > BatchSize || len(in.AmountBlindings) != n {
		return Public{}, nil, fmt.Errorf("%w: %d amounts, %d blindings", ErrBatchCount, n, len(in.AmountBlindings))
	}
	if err := checkBlinding("balance", in.BalanceBlinding); err != nil {
		return Public{}, nil, err
	}
	var total, carry uint64
	rem := new(big.Int).Set(in.BalanceBlinding)
	pub := Public{Circuit: Batch, Available: Commit(in.Balance, in.BalanceBlinding), Amounts: make([]Commitment, n), Context: in.Context}
	for i, a := range in.Amounts {
		if err := checkAmount(a, in.AmountBlindings[i]); err != nil {
			return Public{}, nil, fmt.Errorf("%w (payment %d of the batch)", err, i)
		}
		var c uint64
		total, c = bits.Add64(total, a, 0)
		carry += c
		rem.Sub(rem, in.AmountBlindings[i])
		pub.Amounts[i] = Commit(a, in.AmountBlindings[i])
	}
	if carry != 0 || in.Balance < total {
		return Public{}, nil, ErrInsufficientBalance
	}
	assignment := batchAssignment(pub)
	for i := range BatchSize {
		assignment.Values[i], assignment.Blindings[i] = 0, 0
		if i < n {
			assignment.Values[i], assignment.Blindings[i] = in.Amounts[i], in.AmountBlindings[i]
		}
	}
	assignment.Remainder = in.Balance - total
	assignment.RemainderBlinding = rem.Mod(rem, pedersen.Order())
	return pub, assignment, nil
}

// batchAssignment is the public part of a batch's assignment.
func batchAssignment(pub Public) *batch.Circuit {
	c := &batch.Circuit{Available: point(pub.Available), Context: pub.Context.element()}
	id := ZeroCommitment()
	for i := range BatchSize {
		c.Amounts[i] = point(id)
		if i < len(pub.Amounts) {
			c.Amounts[i] = point(pub.Amounts[i])
		}
	}
	return c
}

// batchAmounts appends the BatchSize amount slots of a batch statement to
// v: the amounts' coordinates, then the identity's (0, 1) for each
// padding slot.
func batchAmounts(v fr.Vector, amounts []Commitment) fr.Vector {
	for _, a := range amounts {
		x, y := a.Coordinates()
		v = append(v, x, y)
	}
	var zero, one fr.Element
	one.SetOne()
	for range BatchSize - len(amounts) {
		v = append(v, zero, one)
	}
	return v
}

// checkShape refuses a statement that is not one of its circuit's: for a
// batch, 0 or more than BatchSize amounts, or the identity among them
// (ErrPaddingAmount); for any other circuit, amounts at all. The errors
// wrap ErrInvalidProof.
func (p Public) checkShape() error {
	if p.Circuit != Batch {
		if len(p.Amounts) != 0 {
			return fmt.Errorf("%w: a %s statement has no batch amounts", ErrInvalidProof, p.Circuit)
		}
		return nil
	}
	if n := len(p.Amounts); n == 0 || n > BatchSize {
		return fmt.Errorf("%w: %w: %d amounts", ErrInvalidProof, ErrBatchCount, n)
	}
	id := ZeroCommitment()
	for i := range p.Amounts {
		if p.Amounts[i].Equal(id) {
			return fmt.Errorf("%w: %w (amount %d)", ErrInvalidProof, ErrPaddingAmount, i)
		}
	}
	return nil
}

// ProveBatch proves that Com(Amounts[i], AmountBlindings[i]) commit to
// amounts in [1, 2^64) whose total Balance covers, in one proof, with
// gnark's prover. If vk is not nil the proof is verified before it is
// returned.
func (k *ProvingKey) ProveBatch(in BatchInput, vk *VerifyingKey) (Public, *Proof, error) {
	if k.circuit != Batch {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := batchStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := k.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveBatch is ProvingKey.ProveBatch on the table engine.
func (p *TableProver) ProveBatch(in BatchInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != Batch {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := batchStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveBatch proves a batch (see ProvingKey.ProveBatch) and verifies the
// proof before returning it.
func (p *Prover) ProveBatch(in BatchInput) (Public, *Proof, error) {
	return p.prove(Batch,
		func(t *TableProver, vk *VerifyingKey) (Public, *Proof, error) { return t.ProveBatch(in, vk) },
		func(k *ProvingKey, vk *VerifyingKey) (Public, *Proof, error) { return k.ProveBatch(in, vk) })
}

package zkp

import (
	"errors"
	"math/big"
	"math/bits"

	"github.com/sable-settlement/sable/circuits/fx"
)

// FXScale is the fixed-point scale of FX rates: a rate R stands for
// R / FXScale minor units of currency B per minor unit of currency A
// (circuits/fx).
const FXScale = fx.Scale

// ErrFXAmount is returned for a swap whose leg B would round to zero or
// reach 2^64.
var ErrFXAmount = errors.New("zkp: fx: leg B's amount is out of range at this rate")

// FXInput is a swap's secret: the openings of both legs' amounts, and the
// public rate. Leg B's amount is not an input: it is ⌊A·Rate/FXScale⌋.
type FXInput struct {
	AmountA   uint64   // ≥ 1
	BlindingA *big.Int // below ℓ
	BlindingB *big.Int // below ℓ
	Rate      uint64
	Context   Context
}

// FXAmount is leg B's amount for a at rate: ⌊a·rate / FXScale⌋, and
// ErrFXAmount if that is 0 or does not fit 64 bits.
func FXAmount(a, rate uint64) (uint64, error) {
	hi, lo := bits.Mul64(a, rate)
	if hi >= FXScale {
		return 0, ErrFXAmount
	}
	b, _ := bits.Div64(hi, lo, FXScale)
	if b == 0 {
		return 0, ErrFXAmount
	}
	return b, nil
}

// fxStatement checks a swap's secret and returns its statement and full
// assignment, for both engines.
func fxStatement(in FXInput) (Public, *fx.Circuit, error) {
	if err := checkAmount(in.AmountA, in.BlindingA); err != nil {
		return Public{}, nil, err
	}
	if err := checkBlinding("leg B's amount", in.BlindingB); err != nil {
		return Public{}, nil, err
	}
	b, err := FXAmount(in.AmountA, in.Rate)
	if err != nil {
		return Public{}, nil, err
	}
	hi, lo := bits.Mul64(in.AmountA, in.Rate)
	_, rho := bits.Div64(hi, lo, FXScale)
	pub := Public{
		Circuit: FX,
		Amount:  Commit(in.AmountA, in.BlindingA),
		AmountB: Commit(b, in.BlindingB),
		Rate:    in.Rate,
		Context: in.Context,
	}
	a := fxAssignment(pub)
	a.ValueA, a.BlindingA = in.AmountA, in.BlindingA
	a.ValueB, a.BlindingB = b, in.BlindingB
	a.Remainder = rho
	return pub, a, nil
}

func fxAssignment(pub Public) *fx.Circuit {
	return &fx.Circuit{AmountA: point(pub.Amount), AmountB: point(pub.AmountB), Rate: pub.Rate, Context: pub.Context.element()}
}

// ProveFX proves that Com(AmountA, BlindingA) and Com(b, BlindingB) commit
// to amounts in [1, 2^64) with b = ⌊AmountA·Rate/FXScale⌋, with gnark's
// prover; the proof is verified with vk before it is returned if vk is not
// nil.
func (k *ProvingKey) ProveFX(in FXInput, vk *VerifyingKey) (Public, *Proof, error) {
	if k.circuit != FX {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := fxStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := k.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveFX is ProvingKey.ProveFX on the table engine.
func (p *TableProver) ProveFX(in FXInput, vk *VerifyingKey) (Public, *Proof, error) {
	if p.key.circuit != FX {
		return Public{}, nil, ErrWrongCircuit
	}
	pub, assignment, err := fxStatement(in)
	if err != nil {
		return Public{}, nil, err
	}
	proof, err := p.prove(assignment, pub, vk)
	return pub, proof, err
}

// ProveFX proves a swap's rate relation (see ProvingKey.ProveFX) and
// verifies the proof before returning it.
func (p *Prover) ProveFX(in FXInput) (Public, *Proof, error) {
	return p.prove(FX,
		func(t *TableProver, vk *VerifyingKey) (Public, *Proof, error) { return t.ProveFX(in, vk) },
		func(k *ProvingKey, vk *VerifyingKey) (Public, *Proof, error) { return k.ProveFX(in, vk) })
}

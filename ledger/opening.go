package ledger

import (
	"errors"
	"math/big"

	"github.com/sable-settlement/sable/zkp"
)

// Opening is a commitment's secret: its value and blinding.
type Opening struct {
	Value    uint64
	Blinding *big.Int
}

// ZeroOpening opens the zero commitment.
func ZeroOpening() Opening { return Opening{Blinding: new(big.Int)} }

// Commitment returns Com(value, blinding).
func (o Opening) Commitment() zkp.Commitment { return zkp.Commit(o.Value, o.Blinding) }

// Plus and minus combine openings; blindings wrap modulo ℓ like the points.
func (o Opening) Plus(p Opening) (Opening, error) {
	if o.Value+p.Value < o.Value {
		return o, errors.New("ledger: balance overflows 2^64 minor units")
	}
	b := new(big.Int).Add(o.Blinding, p.Blinding)
	return Opening{o.Value + p.Value, b.Mod(b, zkp.Order())}, nil
}

func (o Opening) Minus(p Opening) (Opening, error) {
	if o.Value < p.Value {
		return o, errors.New("ledger: balance would go negative")
	}
	b := new(big.Int).Sub(o.Blinding, p.Blinding)
	return Opening{o.Value - p.Value, b.Mod(b, zkp.Order())}, nil
}

package party

import (
	"context"
	"errors"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
)

// keyEpoch returns the regulators' key epoch in force, read from the node
// once per Sender (ledger/rotate.go): its HE key seals the flows, its
// number binds the signatures, and a shared key means no audit memo. A
// chain without an HE key is at epoch 0 with no key. A rotation committed
// after the read makes the Sender's next transactions stale
// (ledger.CodeStaleEpoch); the next command reads the epoch again.
func (s *Sender) keyEpoch(ctx context.Context) (*ledger.EpochInfo, error) {
	if s.epoch == nil {
		info, err := s.C.Epoch(ctx)
		if errors.Is(err, client.ErrNotFound) {
			info, err = ledger.EpochInfo{}, nil
		}
		if err != nil {
			return nil, err
		}
		s.epoch = &info
	}
	return s.epoch, nil
}

// signingDomain is the chain id the Sender's transactions are signed for:
// the chain's, bound to the key epoch in force.
func (s *Sender) signingDomain(ctx context.Context) (string, error) {
	ep, err := s.keyEpoch(ctx)
	if err != nil {
		return "", err
	}
	return ledger.EpochDomain(s.W.id.Config.ChainID, ep.Epoch), nil
}

// Rotate submits a key rotation (the regulator only): the next epoch's
// key and the books switched to it.
func (s *Sender) Rotate(ctx context.Context, r *ledger.Rotation) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindRotation, Sender: s.W.id.Config.ID, Nonce: nonce, Body: r}
	return s.submit(ctx, tx, &inflight{Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()})
}

// ForgetEpoch drops the key epoch read from the node, and the flow
// sealer made from its key, so that the next transaction reads them again:
// after a rotation this Sender sent or saw committed. A caller that set
// Flows itself sets it again.
func (s *Sender) ForgetEpoch() {
	s.epoch, s.Flows, s.flowsChecked = nil, nil, false
}

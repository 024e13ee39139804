package receipt

import (
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/ledger"
)

// ErrCannotOpen reports a payment whose opening the party cannot read: it
// is neither its sender (with a self-memo) nor its receiver.
var ErrCannotOpen = errors.New("receipt: the payment's opening is not sealed to this party")

// Open reads payment j's opening from its transaction with the party's
// memo key: the payer's self-memo (SelfMemoAAD) or the receiver's memo
// (MemoAAD, BulkMemoAAD for a bulk payment), and checks that it opens the
// payment's amount commitment.
func Open(tx *ledger.Tx, j int, chainID, me string, memoKey [32]byte) (ledger.Opening, error) {
	p, err := paymentOf(tx, j)
	if err != nil {
		return ledger.Opening{}, err
	}
	self, memo := memos(tx, j)
	var aad []byte
	var sealed []byte
	switch me {
	case tx.Sender:
		sealed, aad = self, ledger.SelfMemoAAD(chainID, me, p.Currency, tx.Nonce, j)
	case p.To:
		sealed, aad = memo, ledger.MemoAAD(chainID, tx.Sender, me, p.Currency, tx.Nonce)
		if tx.Kind == ledger.KindBatchTransfer {
			aad = ledger.BulkMemoAAD(chainID, tx.Sender, me, p.Currency, tx.Nonce, j)
		}
	default:
		return ledger.Opening{}, fmt.Errorf("%w: %s is neither the sender (%s) nor the receiver (%s)", ErrCannotOpen, me, tx.Sender, p.To)
	}
	if len(sealed) == 0 {
		return ledger.Opening{}, fmt.Errorf("%w: the transaction carries no memo for %s", ErrCannotOpen, me)
	}
	o, err := ledger.OpenMemo(memoKey, sealed, aad)
	if err != nil {
		return ledger.Opening{}, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	if !o.Commitment().Equal(p.Amount) {
		return ledger.Opening{}, fmt.Errorf("%w: the memo opens to another amount than the payment's commitment", ErrCannotOpen)
	}
	return o, nil
}

// memos returns payment j's self-memo and receiver's memo.
func memos(tx *ledger.Tx, j int) (self, memo []byte) {
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return b.SelfMemo, b.Memo
	case *ledger.Mint:
		return b.SelfMemo, b.Memo
	case *ledger.BatchTransfer:
		return b.Payments[j].SelfMemo, b.Payments[j].Memo
	}
	return nil, nil
}

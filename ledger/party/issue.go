package party

// The issuer's side: minting and burning, the only transactions that change
// a currency's supply.

import (
	"context"
	"fmt"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// mint proves that amt is a valid amount to issue, bound to ctx.
func mint(p *zkp.Prover, amt ledger.Opening, ctx zkp.Context) ([zkp.ProofSize]byte, error) {
	_, proof, err := p.ProveMint(zkp.MintInput{Amount: amt.Value, AmountBlinding: amt.Blinding, Context: ctx})
	if err != nil {
		return [zkp.ProofSize]byte{}, err
	}
	return proof.Bytes(), nil
}

// Mint creates amount in c and pays it into a bank's pending balance. Only
// the currency's issuer can.
func (s *Sender) Mint(ctx context.Context, to string, c ledger.Currency, amount uint64) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	p, recv, nonce, err := s.prepare(ctx, zkp.Mint, to)
	if err != nil {
		return ledger.TxID{}, err
	}
	amt := ledger.Opening{Value: amount}
	if amt.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return ledger.TxID{}, err
	}
	body := &ledger.Mint{To: to, Currency: c, Amount: amt.Commitment()}
	if body.Memo, err = ledger.SealOpening([32]byte(recv.MemoKey), amt, ledger.MemoAAD(me.ChainID, me.ID, to, c, nonce)); err != nil {
		return ledger.TxID{}, err
	}
	if body.Flow, err = s.sealFlow(ctx, amount, amt.Blinding); err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindMint, Sender: me.ID, Nonce: nonce, Body: body}
	if body.Proof, err = mint(p, amt, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	return s.submit(ctx, tx, &inflight{Currency: c, Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()})
}

// Burn destroys amount from the issuer's own available balance in c.
func (s *Sender) Burn(ctx context.Context, c ledger.Currency, amount uint64) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	avail, err := s.W.Projected(c)
	if err != nil {
		return ledger.TxID{}, err
	}
	if avail.Value < amount {
		return ledger.TxID{}, fmt.Errorf("%w: %s %s available, %s to burn", ErrInsufficient, c, ledger.FormatAmount(c, avail.Value), ledger.FormatAmount(c, amount))
	}
	p, err := s.prover(ctx, zkp.Transfer)
	if err != nil {
		return ledger.TxID{}, err
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	amt := ledger.Opening{Value: amount}
	if amt.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return ledger.TxID{}, err
	}
	body := &ledger.Burn{Currency: c, Available: avail.Commitment(), Amount: amt.Commitment()}
	if body.Flow, err = s.sealFlow(ctx, amount, amt.Blinding); err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindBurn, Sender: me.ID, Nonce: nonce, Body: body}
	if body.Proof, err = spend(p, avail, amt, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	return s.submit(ctx, tx, &inflight{Currency: c, Debit: amt, Credit: ledger.ZeroOpening()})
}

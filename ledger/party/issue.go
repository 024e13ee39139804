package party

// The issuer's side: minting and burning, the only transactions that change
// a currency's supply.

import (
	"context"
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Mint creates amount in c and pays it into a bank's pending balance. Only
// the currency's issuer can, and only within the supply cap: the proof
// spends amount from the headroom cap − supply, whose opening follows from
// the supply's, which the issuer's wallet holds.
func (s *Sender) Mint(ctx context.Context, to string, c ledger.Currency, amount uint64) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	supply, headroom, err := s.headroom(c, amount)
	if err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	p, recv, nonce, err := s.prepare(ctx, zkp.Transfer, to)
	if err != nil {
		return ledger.TxID{}, err
	}
	amt := ledger.Opening{Value: amount}
	if amt.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return ledger.TxID{}, err
	}
	body := &ledger.Mint{To: to, Currency: c, Supply: supply.Commitment(), Amount: amt.Commitment()}
	if body.Memo, err = ledger.SealOpening([32]byte(recv.MemoKey), amt, ledger.MemoAAD(me.ChainID, me.ID, to, c, nonce)); err != nil {
		return ledger.TxID{}, err
	}
	if body.SelfMemo, err = s.selfMemo(c, nonce, 0, amt); err != nil {
		return ledger.TxID{}, err
	}
	if body.Flow, err = s.sealBook(ctx, c, []ledger.Opening{amt}, func(map[string]string, int) ([]string, error) { return ledger.MintKeys(c, to), nil }); err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindMint, Sender: me.ID, Nonce: nonce, Body: body}
	if body.Proof, err = spend(p, headroom, amt, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	// Credit is what the mint issues: it moves the supply, not the
	// issuer's balance (inflight.accountDelta).
	return s.submit(ctx, tx, &inflight{Currency: c, Debit: ledger.ZeroOpening(), Credit: amt})
}

// ErrSupplyCap is a mint that would take a supply past ledger.SupplyCap.
var ErrSupplyCap = errors.New("ledger: mint would take the supply past its cap")

// headroom returns the supply the next mint of c is proved against (after
// in-flight mints and burns) and the opening of its headroom, refusing an
// amount the headroom cannot cover.
func (s *Sender) headroom(c ledger.Currency, amount uint64) (supply, headroom ledger.Opening, err error) {
	if supply, err = s.W.ProjectedSupply(c); err != nil {
		return supply, headroom, err
	}
	if supply.Value > ledger.SupplyCap {
		return supply, headroom, fmt.Errorf("ledger: wallet: the %s supply's opening is above the cap: the wallet is corrupt", c)
	}
	if headroom, err = ledger.HeadroomOpening(supply); err != nil {
		return supply, headroom, err
	}
	if amount > headroom.Value {
		return supply, headroom, fmt.Errorf("%w: minting %s %s would pass the cap of %s (%s can still be minted)", ErrSupplyCap,
			c, ledger.FormatAmount(c, amount), ledger.FormatAmount(c, ledger.SupplyCap), ledger.FormatAmount(c, headroom.Value))
	}
	return supply, headroom, nil
}

// Burn destroys amount from the issuer's own available balance in c.
func (s *Sender) Burn(ctx context.Context, c ledger.Currency, amount uint64) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	avail, err := s.available(c, amount, "to burn")
	if err != nil {
		return ledger.TxID{}, err
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
	if body.SelfMemo, err = s.selfMemo(c, nonce, 0, amt); err != nil {
		return ledger.TxID{}, err
	}
	if body.Flow, err = s.sealBook(ctx, c, []ledger.Opening{amt}, func(map[string]string, int) ([]string, error) { return ledger.BurnKeys(c, me.ID), nil }); err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindBurn, Sender: me.ID, Nonce: nonce, Body: body}
	if body.Proof, err = spend(p, avail, amt, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	return s.submit(ctx, tx, &inflight{Currency: c, Debit: amt, Credit: ledger.ZeroOpening()})
}

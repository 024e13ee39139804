package state

// The issuer's transactions: mint and burn, the only ones that change a
// currency's supply.

import (
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

func (e *executor) mint(v view, tx *ledger.Tx, sender *Party, b *ledger.Mint, st *TxStatus) *ledger.Rejection {
	if rej := e.checkIssuer(v, sender, b.Currency); rej != nil {
		return rej
	}
	_, to, rej := e.receiver(v, sender, b.To, b.Currency)
	if rej != nil {
		return rej
	}
	if rej := checkMemos(b.Memo, nil); rej != nil {
		return rej
	}
	flow, rej := e.flows.decode(b.Flow)
	if rej != nil {
		return rej
	}
	pub := zkp.Public{Circuit: zkp.Mint, Amount: b.Amount, Context: tx.Context(e.chainID)}
	if rej := e.verifier.check(pub, b.Proof); rej != nil {
		return rej
	}
	supply, err := v.supply(b.Currency)
	if err != nil {
		return internal(err)
	}
	v.putSupply(b.Currency, supply.Add(b.Amount))
	if rej := e.credit(v, tx, b.To, to, b.Currency, b.Amount, b.Memo, st); rej != nil {
		return rej
	}
	return e.record(v, tx, st, flow, b.Amount, ledger.AggIn(b.Currency, b.To), ledger.AggCurrency(b.Currency, "minted"))
}

func (e *executor) burn(v view, tx *ledger.Tx, sender *Party, b *ledger.Burn, st *TxStatus) *ledger.Rejection {
	if rej := e.checkIssuer(v, sender, b.Currency); rej != nil {
		return rej
	}
	flow, rej := e.flows.decode(b.Flow)
	if rej != nil {
		return rej
	}
	acct, rej := e.debit(v, tx, sender.ID, b.Currency, b.Available, b.Amount, b.Proof)
	if rej != nil {
		return rej
	}
	supply, err := v.supply(b.Currency)
	if err != nil {
		return internal(err)
	}
	v.putSupply(b.Currency, supply.Sub(b.Amount))
	v.putAccount(b.Currency, sender.ID, acct)
	st.Currency = b.Currency
	return e.record(v, tx, st, flow, b.Amount, ledger.AggOut(b.Currency, sender.ID), ledger.AggCurrency(b.Currency, "burned"))
}

func (e *executor) checkIssuer(v view, sender *Party, c ledger.Currency) *ledger.Rejection {
	issuer, err := v.issuer(c)
	if err != nil {
		return internal(err)
	}
	if issuer != sender.ID {
		return ledger.Reject(ledger.CodeUnauthorized, "%s is not the issuer of %s", sender.ID, c)
	}
	return nil
}

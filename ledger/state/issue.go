package state

// The issuer's transactions: mint and burn, the only ones that change a
// currency's supply.

import (
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// mint issues money. Its proof spends the amount from the currency's
// headroom (ledger.Headroom), so no mint can take the supply past
// ledger.SupplyCap: a mint over the cap has no proof, and is rejected with
// CodeBadProof at CheckTx and in a block alike.
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
	if rej := checkSelfMemo(b.SelfMemo); rej != nil {
		return rej
	}
	flow, rej := e.flows.decode(b.Flow, 1)
	if rej != nil {
		return rej
	}
	supply, err := v.supply(b.Currency)
	if err != nil {
		return internal(err)
	}
	if !supply.Equal(b.Supply) {
		return ledger.Reject(ledger.CodeStaleSupply, "mint was proved against a %s supply that has since changed; sync the issuer's wallet and mint again", b.Currency)
	}
	if rej := e.verifier.check(mintStatement(tx, b, e.chainID), b.Proof); rej != nil {
		return rej
	}
	v.putSupply(b.Currency, supply.Add(b.Amount))
	if rej := e.credit(v, tx, b.To, to, b.Currency, b.Amount, b.Memo, st); rej != nil {
		return rej
	}
	return e.record(v, st, b.Currency, flow, b.Amount, ledger.MintKeys(b.Currency, b.To))
}

func (e *executor) burn(v view, tx *ledger.Tx, sender *Party, b *ledger.Burn, st *TxStatus) *ledger.Rejection {
	if rej := e.checkIssuer(v, sender, b.Currency); rej != nil {
		return rej
	}
	if rej := checkSelfMemo(b.SelfMemo); rej != nil {
		return rej
	}
	flow, rej := e.flows.decode(b.Flow, 1)
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
	return e.record(v, st, b.Currency, flow, b.Amount, ledger.BurnKeys(b.Currency, sender.ID))
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

// mintStatement is what a mint's proof shows: a transfer of Amount out of
// the headroom of the supply the mint names. The executor checks that this
// supply is the current one; the statement itself needs only the bytes.
func mintStatement(tx *ledger.Tx, b *ledger.Mint, chainID string) zkp.Public {
	return zkp.Public{Circuit: zkp.Transfer, Available: ledger.Headroom(b.Supply), Amount: b.Amount, Context: tx.Context(chainID)}
}

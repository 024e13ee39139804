package ledger

import (
	"crypto/ed25519"
	"errors"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/zkp"
)

// executor validates transactions against a state view and applies them.
// The same code runs in CheckTx (pre-validation), PrepareProposal,
// ProcessProposal and FinalizeBlock (submit), so the four cannot disagree.
type executor struct {
	chainID  string
	verifier *verifier
	flows    *flowBook // nil: the chain has no regulator HE key
}

// decode maps decoding errors to their codes.
func decode(raw []byte) (*Tx, *Rejection) {
	tx, err := DecodeTx(raw)
	switch {
	case err == nil:
		return tx, nil
	case errors.Is(err, ErrTxTooLarge):
		return nil, Reject(CodeTooLarge, "%v", err)
	case errors.Is(err, ErrTxVersion):
		return nil, Reject(CodeVersion, "%v", err)
	case errors.Is(err, ErrTxKind):
		return nil, Reject(CodeUnknownKind, "%v", err)
	case errors.Is(err, ErrTxPoint):
		return nil, Reject(CodeBadPoint, "%v", err)
	case errors.Is(err, ErrTxProofFormat):
		return nil, Reject(CodeBadProofFormat, "%v", err)
	}
	return nil, Reject(CodeEncoding, "%v", err)
}

// apply validates tx against the state seen through o and, only if every
// check passes, writes its effects into o. A rejected transaction leaves o
// untouched: effects go to a child overlay merged at the end.
func (e *executor) apply(o *overlay, tx *Tx, height int64, index uint32) *Rejection {
	c := o.child()
	v := view{c}
	// The id hashes the whole encoding (up to a megabyte): computed once.
	st := &TxStatus{Height: height, Index: index, Kind: tx.Kind, Sender: tx.Sender, id: tx.ID()}
	sender, rej := e.authenticate(v, tx, st.id)
	if rej != nil {
		return rej
	}
	if rej := e.applyBody(v, tx, sender, st); rej != nil {
		return rej
	}
	sender.Nonce++
	v.putParty(sender)
	c.set(statusKey(st.id), st.encode())
	c.merge()
	return nil
}

// authenticate checks sender, signature, duplicate and nonce, in that order.
func (e *executor) authenticate(v view, tx *Tx, id TxID) (*Party, *Rejection) {
	sender, err := v.party(tx.Sender)
	if err != nil {
		return nil, internal(err)
	}
	if sender == nil {
		return nil, Reject(CodeUnknownSender, "sender %q is not registered", tx.Sender)
	}
	if !ed25519.Verify(sender.SignKey[:], tx.SigningBytes(e.chainID), tx.Sig[:]) {
		return nil, Reject(CodeBadSignature, "signature does not verify with %s's key on chain %q", tx.Sender, e.chainID)
	}
	if st, err := v.status(id); err != nil {
		return nil, internal(err)
	} else if st != nil {
		return nil, Reject(CodeDuplicateTx, "transaction %s is already committed at height %d", id, st.Height)
	}
	if tx.Nonce != sender.Nonce {
		return nil, Reject(CodeBadNonce, "nonce %d, but %s's next nonce is %d", tx.Nonce, tx.Sender, sender.Nonce)
	}
	return sender, nil
}

func (e *executor) applyBody(v view, tx *Tx, sender *Party, st *TxStatus) *Rejection {
	switch b := tx.Body.(type) {
	case *RegisterBank:
		return e.registerBank(v, sender, b, st)
	case *RegisterAccount:
		return e.registerAccount(v, sender, b, st)
	case *RegisterBeneficiary:
		return e.registerBeneficiary(v, sender, b, st)
	case *Mint:
		return e.mint(v, tx, sender, b, st)
	case *Burn:
		return e.burn(v, tx, sender, b, st)
	case *Transfer:
		return e.transfer(v, tx, sender, b, st)
	case *BulkTransfer:
		return e.bulkTransfer(v, tx, sender, b, st)
	case *ApplyPending:
		return e.applyPending(v, sender, b, st)
	case *EpochClose:
		return e.epochClose(v, sender, b, st)
	}
	return Reject(CodeUnknownKind, "unknown transaction kind %d", tx.Kind)
}

func (e *executor) registerBank(v view, sender *Party, b *RegisterBank, st *TxStatus) *Rejection {
	if sender.Role != RoleRegulator {
		return Reject(CodeUnauthorized, "only the regulator registers banks")
	}
	if p, err := v.party(b.ID); err != nil {
		return internal(err)
	} else if p != nil {
		return Reject(CodeAlreadyExists, "party %q is already registered", b.ID)
	}
	v.putParty(&Party{ID: b.ID, Role: RoleBank, Country: b.Country, SignKey: b.SignKey, MemoKey: b.MemoKey})
	st.To = b.ID
	return nil
}

func (e *executor) registerAccount(v view, sender *Party, b *RegisterAccount, st *TxStatus) *Rejection {
	if sender.Role != RoleBank {
		return Reject(CodeUnauthorized, "only banks open accounts")
	}
	if a, err := v.account(b.Currency, sender.ID); err != nil {
		return internal(err)
	} else if a != nil {
		return Reject(CodeAlreadyExists, "%s already has a %s account", sender.ID, b.Currency)
	}
	v.putAccount(b.Currency, sender.ID, &Account{Available: zkp.ZeroCommitment(), Pending: zkp.ZeroCommitment()})
	st.Currency = b.Currency
	return nil
}

func (e *executor) registerBeneficiary(v view, sender *Party, b *RegisterBeneficiary, st *TxStatus) *Rejection {
	if a, err := v.account(b.Currency, sender.ID); err != nil {
		return internal(err)
	} else if a == nil {
		return Reject(CodeUnknownAccount, "%s has no %s account; register it first", sender.ID, b.Currency)
	}
	if old, err := v.beneficiary(b.Token); err != nil {
		return internal(err)
	} else if old != nil {
		return Reject(CodeAlreadyExists, "beneficiary token is already registered")
	}
	v.o.set(beneficiaryKey(b.Token), (&Beneficiary{Owner: sender.ID, Currency: b.Currency, Class: b.Class}).encode())
	st.Currency = b.Currency
	return nil
}

func (e *executor) mint(v view, tx *Tx, sender *Party, b *Mint, st *TxStatus) *Rejection {
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
	return e.record(v, tx, st, flow, b.Amount, AggIn(b.Currency, b.To), AggCurrency(b.Currency, "minted"))
}

// record adds a flow to its aggregates; the last step of a transaction.
func (e *executor) record(v view, tx *Tx, st *TxStatus, flow *he.Ciphertext, amount zkp.Commitment, keys ...string) *Rejection {
	if err := e.flows.record(v, keys, flow, amount, st.Height, st.Index, st.id); err != nil {
		return internal(err)
	}
	return nil
}

func (e *executor) burn(v view, tx *Tx, sender *Party, b *Burn, st *TxStatus) *Rejection {
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
	return e.record(v, tx, st, flow, b.Amount, AggOut(b.Currency, sender.ID), AggCurrency(b.Currency, "burned"))
}

func (e *executor) transfer(v view, tx *Tx, sender *Party, b *Transfer, st *TxStatus) *Rejection {
	if b.To == sender.ID {
		return Reject(CodeSelfTransfer, "%s cannot pay itself", sender.ID)
	}
	recv, to, rej := e.receiver(v, sender, b.To, b.Currency)
	if rej != nil {
		return rej
	}
	if rej := e.checkBeneficiary(v, b.Beneficiary, b.To, b.Currency); rej != nil {
		return rej
	}
	if rej := checkMemos(b.Memo, b.AuditMemo); rej != nil {
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
	v.putAccount(b.Currency, sender.ID, acct)
	if rej := e.credit(v, tx, b.To, to, b.Currency, b.Amount, b.Memo, st); rej != nil {
		return rej
	}
	return e.record(v, tx, st, flow, b.Amount, AggOut(b.Currency, sender.ID), AggIn(b.Currency, b.To),
		AggCorridor(b.Currency, sender.Country, recv.Country), AggCurrency(b.Currency, "transfers"))
}

// bulkTransfer pays each of a bulk transfer's payments into the receiver's
// pending balance, each on its own (as a transfer would), and records the
// single flow ciphertext once into the aggregates with the sum of the
// amounts: every aggregate it enters receives all of its payments.
func (e *executor) bulkTransfer(v view, tx *Tx, sender *Party, b *BulkTransfer, st *TxStatus) *Rejection {
	if b.To == sender.ID {
		return Reject(CodeSelfTransfer, "%s cannot pay itself", sender.ID)
	}
	recv, to, rej := e.receiver(v, sender, b.To, b.Currency)
	if rej != nil {
		return rej
	}
	for j := range b.Payments {
		p := &b.Payments[j]
		if rej := e.checkBeneficiary(v, p.Beneficiary, b.To, b.Currency); rej != nil {
			return Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		if rej := checkMemos(p.Memo, p.AuditMemo); rej != nil {
			return Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
	}
	flow, rej := e.flows.decode(b.Flow)
	if rej != nil {
		return rej
	}
	acct, err := v.account(b.Currency, sender.ID)
	if err != nil {
		return internal(err)
	}
	if acct == nil {
		return Reject(CodeUnknownAccount, "%s has no %s account", sender.ID, b.Currency)
	}
	if !acct.Available.Equal(b.Available) {
		return Reject(CodeStaleBalance, "proof was made against an available %s balance that has since changed; sync the wallet and prove again", b.Currency)
	}
	total := zkp.ZeroCommitment()
	contexts := tx.PaymentContexts(e.chainID)
	for j := range b.Payments {
		p := &b.Payments[j]
		pub := zkp.Public{Circuit: zkp.Transfer, Available: acct.Available, Amount: p.Amount, Context: contexts[j]}
		if rej := e.verifier.check(pub, p.Proof); rej != nil {
			return Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		acct.Available = acct.Available.Sub(p.Amount)
		total = total.Add(p.Amount)
	}
	v.putAccount(b.Currency, sender.ID, acct)
	txid := st.id
	for j := range b.Payments {
		p := &b.Payments[j]
		id := PaymentID(txid, j)
		to.Pending = to.Pending.Add(p.Amount)
		in := &Incoming{TxID: id, Kind: tx.Kind, Sender: tx.Sender, Nonce: tx.Nonce, Currency: b.Currency,
			Amount: p.Amount, Memo: p.Memo, Height: st.Height, Payment: uint32(j)}
		v.o.set(incomingPaymentKey(b.To, st.Height, st.Index, j), in.encode())
		amt := p.Amount.Bytes()
		v.o.set(unappliedKey(b.To, b.Currency, id), amt[:])
		ps := &TxStatus{Height: st.Height, Index: st.Index, Kind: tx.Kind, Sender: tx.Sender, To: b.To, Currency: b.Currency}
		v.o.set(statusKey(id), ps.encode())
	}
	v.putAccount(b.Currency, b.To, to)
	st.To, st.Currency = b.To, b.Currency
	return e.record(v, tx, st, flow, total, AggOut(b.Currency, sender.ID), AggIn(b.Currency, b.To),
		AggCorridor(b.Currency, sender.Country, recv.Country), AggCurrency(b.Currency, "transfers"))
}

// debit checks a transfer proof against the payer's current available
// balance and returns the account with the amount taken out.
func (e *executor) debit(v view, tx *Tx, payer string, c Currency, avail, amount zkp.Commitment, proof [zkp.ProofSize]byte) (*Account, *Rejection) {
	acct, err := v.account(c, payer)
	if err != nil {
		return nil, internal(err)
	}
	if acct == nil {
		return nil, Reject(CodeUnknownAccount, "%s has no %s account", payer, c)
	}
	if !acct.Available.Equal(avail) {
		return nil, Reject(CodeStaleBalance, "proof was made against an available %s balance that has since changed; sync the wallet and prove again", c)
	}
	pub := zkp.Public{Circuit: zkp.Transfer, Available: avail, Amount: amount, Context: tx.Context(e.chainID)}
	if rej := e.verifier.check(pub, proof); rej != nil {
		return nil, rej
	}
	acct.Available = acct.Available.Sub(amount)
	return acct, nil
}

// credit adds amount to the receiver's pending balance and indexes the
// payment for the receiver's wallet.
func (e *executor) credit(v view, tx *Tx, id string, to *Account, c Currency, amount zkp.Commitment, memo []byte, st *TxStatus) *Rejection {
	to.Pending = to.Pending.Add(amount)
	v.putAccount(c, id, to)
	txid := st.id
	in := &Incoming{TxID: txid, Kind: tx.Kind, Sender: tx.Sender, Nonce: tx.Nonce, Currency: c, Amount: amount, Memo: memo, Height: st.Height}
	v.o.set(incomingKey(id, st.Height, st.Index), in.encode())
	amt := amount.Bytes()
	v.o.set(unappliedKey(id, c, txid), amt[:])
	st.To, st.Currency = id, c
	return nil
}

func (e *executor) applyPending(v view, sender *Party, b *ApplyPending, st *TxStatus) *Rejection {
	acct, err := v.account(b.Currency, sender.ID)
	if err != nil {
		return internal(err)
	}
	if acct == nil {
		return Reject(CodeUnknownAccount, "%s has no %s account", sender.ID, b.Currency)
	}
	for _, id := range b.Payments {
		key := unappliedKey(sender.ID, b.Currency, id)
		raw, err := v.o.get(key)
		if err != nil {
			return internal(err)
		}
		if raw == nil {
			return Reject(CodeUnknownPayment, "payment %s is not pending in %s's %s account", id, sender.ID, b.Currency)
		}
		amount, err := zkp.DecodeCommitment(raw)
		if err != nil {
			return internal(stateErr("unapplied", err))
		}
		acct.Available = acct.Available.Add(amount)
		acct.Pending = acct.Pending.Sub(amount)
		s, err := v.status(id)
		if err != nil || s == nil {
			return internal(errors.New("ledger: pending payment without a status"))
		}
		s.Applied = st.Height
		v.o.set(statusKey(id), s.encode())
		v.o.del(key)
	}
	v.putAccount(b.Currency, sender.ID, acct)
	st.Currency = b.Currency
	return nil
}

func (e *executor) checkIssuer(v view, sender *Party, c Currency) *Rejection {
	issuer, err := v.issuer(c)
	if err != nil {
		return internal(err)
	}
	if issuer != sender.ID {
		return Reject(CodeUnauthorized, "%s is not the issuer of %s", sender.ID, c)
	}
	return nil
}

func (e *executor) receiver(v view, sender *Party, id string, c Currency) (*Party, *Account, *Rejection) {
	p, err := v.party(id)
	if err != nil {
		return nil, nil, internal(err)
	}
	if p == nil || p.Role == RoleRegulator {
		return nil, nil, Reject(CodeUnknownReceiver, "receiver %q is not a registered bank or issuer", id)
	}
	a, err := v.account(c, id)
	if err != nil {
		return nil, nil, internal(err)
	}
	if a == nil {
		return nil, nil, Reject(CodeUnknownAccount, "receiver %s has no %s account", id, c)
	}
	return p, a, nil
}

func (e *executor) checkBeneficiary(v view, token [32]byte, to string, c Currency) *Rejection {
	if token == ([32]byte{}) {
		return nil // bank to bank
	}
	ben, err := v.beneficiary(token)
	if err != nil {
		return internal(err)
	}
	if ben == nil || ben.Owner != to || ben.Currency != c {
		return Reject(CodeUnknownBeneficiary, "beneficiary token is not registered by %s for %s", to, c)
	}
	return nil
}

func checkMemos(memo, audit []byte) *Rejection {
	if len(memo) != MemoSize {
		return Reject(CodeBadMemo, "memo is %d bytes, want %d", len(memo), MemoSize)
	}
	if len(audit) != 0 && len(audit) != MemoSize {
		return Reject(CodeBadMemo, "audit memo is %d bytes, want 0 or %d", len(audit), MemoSize)
	}
	return nil
}

func internal(err error) *Rejection { return Reject(CodeInternal, "%v", err) }

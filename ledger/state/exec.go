package state

import (
	"errors"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// executor validates transactions against a state view and applies them.
// The same code runs in CheckTx (pre-validation), PrepareProposal,
// ProcessProposal and FinalizeBlock (submit), so the four cannot disagree.
type executor struct {
	chainID  string
	verifier *verifier
	flows    *flowBook         // nil: the chain has no regulator HE key
	epoch0   *ledger.EpochInfo // the genesis key's epoch, read once (rotate.go)
}

// decode maps decoding errors to their codes.
func decode(raw []byte) (*ledger.Tx, *ledger.Rejection) {
	tx, err := ledger.DecodeTx(raw)
	switch {
	case err == nil:
		return tx, nil
	case errors.Is(err, ledger.ErrTxTooLarge):
		return nil, ledger.Reject(ledger.CodeTooLarge, "%v", err)
	case errors.Is(err, ledger.ErrTxVersion):
		return nil, ledger.Reject(ledger.CodeVersion, "%v", err)
	case errors.Is(err, ledger.ErrTxKind):
		return nil, ledger.Reject(ledger.CodeUnknownKind, "%v", err)
	case errors.Is(err, ledger.ErrTxPoint):
		return nil, ledger.Reject(ledger.CodeBadPoint, "%v", err)
	case errors.Is(err, ledger.ErrTxProofFormat):
		return nil, ledger.Reject(ledger.CodeBadProofFormat, "%v", err)
	}
	return nil, ledger.Reject(ledger.CodeEncoding, "%v", err)
}

// apply validates tx against the state seen through o and, only if every
// check passes, writes its effects into o. A rejected transaction leaves o
// untouched: effects go to a child overlay merged at the end.
func (e *executor) apply(o *overlay, tx *ledger.Tx, height int64, index uint32) *ledger.Rejection {
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
func (e *executor) authenticate(v view, tx *ledger.Tx, id ledger.TxID) (*Party, *ledger.Rejection) {
	sender, err := v.party(tx.Sender)
	if err != nil {
		return nil, internal(err)
	}
	if sender == nil {
		return nil, ledger.Reject(ledger.CodeUnknownSender, "sender %q is not registered", tx.Sender)
	}
	if rej := e.verifyEpochSig(v, sender, tx); rej != nil {
		return nil, rej
	}
	if st, err := v.status(id); err != nil {
		return nil, internal(err)
	} else if st != nil {
		return nil, ledger.Reject(ledger.CodeDuplicateTx, "transaction %s is already committed at height %d", id, st.Height)
	}
	if rej := e.replayedFill(v, tx); rej != nil {
		return nil, rej
	}
	if tx.Nonce != sender.Nonce {
		return nil, ledger.Reject(ledger.CodeBadNonce, "nonce %d, but %s's next nonce is %d", tx.Nonce, tx.Sender, sender.Nonce)
	}
	return sender, nil
}

func (e *executor) applyBody(v view, tx *ledger.Tx, sender *Party, st *TxStatus) *ledger.Rejection {
	switch b := tx.Body.(type) {
	case *ledger.RegisterBank:
		return e.registerBank(v, sender, b, st)
	case *ledger.RegisterAccount:
		return e.registerAccount(v, sender, b, st)
	case *ledger.RegisterBeneficiary:
		return e.registerBeneficiary(v, sender, b, st)
	case *ledger.Mint:
		return e.mint(v, tx, sender, b, st)
	case *ledger.Burn:
		return e.burn(v, tx, sender, b, st)
	case *ledger.Transfer:
		return e.transfer(v, tx, sender, b, st)
	case *ledger.BulkTransfer:
		return e.bulkTransfer(v, tx, sender, b, st)
	case *ledger.ApplyPending:
		return e.applyPending(v, sender, b, st)
	case *ledger.EpochClose:
		return e.epochClose(v, sender, b, st)
	case *ledger.Quote:
		return e.quote(v, tx, sender, b, st)
	case *ledger.Swap:
		return e.swap(v, tx, sender, b, st)
	}
	return ledger.Reject(ledger.CodeUnknownKind, "unknown transaction kind %d", tx.Kind)
}

func (e *executor) registerBank(v view, sender *Party, b *ledger.RegisterBank, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleRegulator {
		return ledger.Reject(ledger.CodeUnauthorized, "only the regulator registers banks")
	}
	if p, err := v.party(b.ID); err != nil {
		return internal(err)
	} else if p != nil {
		return ledger.Reject(ledger.CodeAlreadyExists, "party %q is already registered", b.ID)
	}
	v.putParty(&Party{ID: b.ID, Role: ledger.RoleBank, Country: b.Country, SignKey: b.SignKey, MemoKey: b.MemoKey})
	st.To = b.ID
	return nil
}

func (e *executor) registerAccount(v view, sender *Party, b *ledger.RegisterAccount, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleBank {
		return ledger.Reject(ledger.CodeUnauthorized, "only banks open accounts")
	}
	if a, err := v.account(b.Currency, sender.ID); err != nil {
		return internal(err)
	} else if a != nil {
		return ledger.Reject(ledger.CodeAlreadyExists, "%s already has a %s account", sender.ID, b.Currency)
	}
	v.putAccount(b.Currency, sender.ID, &Account{Available: zkp.ZeroCommitment(), Pending: zkp.ZeroCommitment()})
	st.Currency = b.Currency
	return nil
}

func (e *executor) registerBeneficiary(v view, sender *Party, b *ledger.RegisterBeneficiary, st *TxStatus) *ledger.Rejection {
	if a, err := v.account(b.Currency, sender.ID); err != nil {
		return internal(err)
	} else if a == nil {
		return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account; register it first", sender.ID, b.Currency)
	}
	if old, err := v.beneficiary(b.Token); err != nil {
		return internal(err)
	} else if old != nil {
		return ledger.Reject(ledger.CodeAlreadyExists, "beneficiary token is already registered")
	}
	v.o.set(beneficiaryKey(b.Token), (&Beneficiary{Owner: sender.ID, Currency: b.Currency, Class: b.Class}).encode())
	st.Currency = b.Currency
	return nil
}

// record adds a flow to its aggregates; the last step of a transaction.
func (e *executor) record(v view, tx *ledger.Tx, st *TxStatus, flow *he.Ciphertext, amount zkp.Commitment, keys ...string) *ledger.Rejection {
	return e.flows.record(v, keys, flow, amount, st.Height, st.Index, st.id)
}

func (e *executor) transfer(v view, tx *ledger.Tx, sender *Party, b *ledger.Transfer, st *TxStatus) *ledger.Rejection {
	if b.To == sender.ID {
		return ledger.Reject(ledger.CodeSelfTransfer, "%s cannot pay itself", sender.ID)
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
	if rej := checkSelfMemo(b.SelfMemo); rej != nil {
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
	return e.record(v, tx, st, flow, b.Amount, ledger.AggOut(b.Currency, sender.ID), ledger.AggIn(b.Currency, b.To),
		ledger.AggCorridor(b.Currency, sender.Country, recv.Country), ledger.AggCurrency(b.Currency, "transfers"))
}

// bulkTransfer pays each of a bulk transfer's payments into the receiver's
// pending balance, each on its own (as a transfer would), and records the
// single flow ciphertext once into the aggregates with the sum of the
// amounts: every aggregate it enters receives all of its payments.
func (e *executor) bulkTransfer(v view, tx *ledger.Tx, sender *Party, b *ledger.BulkTransfer, st *TxStatus) *ledger.Rejection {
	if b.To == sender.ID {
		return ledger.Reject(ledger.CodeSelfTransfer, "%s cannot pay itself", sender.ID)
	}
	recv, to, rej := e.receiver(v, sender, b.To, b.Currency)
	if rej != nil {
		return rej
	}
	for j := range b.Payments {
		p := &b.Payments[j]
		if rej := e.checkBeneficiary(v, p.Beneficiary, b.To, b.Currency); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		if rej := checkMemos(p.Memo, p.AuditMemo); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		if rej := checkSelfMemo(p.SelfMemo); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
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
		return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", sender.ID, b.Currency)
	}
	if !acct.Available.Equal(b.Available) {
		return ledger.Reject(ledger.CodeStaleBalance, "proof was made against an available %s balance that has since changed; sync the wallet and prove again", b.Currency)
	}
	total := zkp.ZeroCommitment()
	contexts := tx.PaymentContexts(e.chainID)
	for j := range b.Payments {
		p := &b.Payments[j]
		pub := zkp.Public{Circuit: zkp.Transfer, Available: acct.Available, Amount: p.Amount, Context: contexts[j]}
		if rej := e.verifier.check(pub, p.Proof); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		acct.Available = acct.Available.Sub(p.Amount)
		total = total.Add(p.Amount)
	}
	v.putAccount(b.Currency, sender.ID, acct)
	txid := st.id
	for j := range b.Payments {
		p := &b.Payments[j]
		id := ledger.PaymentID(txid, j)
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
	return e.record(v, tx, st, flow, total, ledger.AggOut(b.Currency, sender.ID), ledger.AggIn(b.Currency, b.To),
		ledger.AggCorridor(b.Currency, sender.Country, recv.Country), ledger.AggCurrency(b.Currency, "transfers"))
}

// debit checks a transfer proof against the payer's current available
// balance and returns the account with the amount taken out.
func (e *executor) debit(v view, tx *ledger.Tx, payer string, c ledger.Currency, avail, amount zkp.Commitment, proof [zkp.ProofSize]byte) (*Account, *ledger.Rejection) {
	acct, err := v.account(c, payer)
	if err != nil {
		return nil, internal(err)
	}
	if acct == nil {
		return nil, ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", payer, c)
	}
	if !acct.Available.Equal(avail) {
		return nil, ledger.Reject(ledger.CodeStaleBalance, "proof was made against an available %s balance that has since changed; sync the wallet and prove again", c)
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
func (e *executor) credit(v view, tx *ledger.Tx, id string, to *Account, c ledger.Currency, amount zkp.Commitment, memo []byte, st *TxStatus) *ledger.Rejection {
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

func (e *executor) applyPending(v view, sender *Party, b *ledger.ApplyPending, st *TxStatus) *ledger.Rejection {
	acct, err := v.account(b.Currency, sender.ID)
	if err != nil {
		return internal(err)
	}
	if acct == nil {
		return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", sender.ID, b.Currency)
	}
	for _, id := range b.Payments {
		key := unappliedKey(sender.ID, b.Currency, id)
		raw, err := v.o.get(key)
		if err != nil {
			return internal(err)
		}
		if raw == nil {
			return ledger.Reject(ledger.CodeUnknownPayment, "payment %s is not pending in %s's %s account", id, sender.ID, b.Currency)
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

func (e *executor) receiver(v view, sender *Party, id string, c ledger.Currency) (*Party, *Account, *ledger.Rejection) {
	p, err := v.party(id)
	if err != nil {
		return nil, nil, internal(err)
	}
	if p == nil || p.Role == ledger.RoleRegulator {
		return nil, nil, ledger.Reject(ledger.CodeUnknownReceiver, "receiver %q is not a registered bank or issuer", id)
	}
	a, err := v.account(c, id)
	if err != nil {
		return nil, nil, internal(err)
	}
	if a == nil {
		return nil, nil, ledger.Reject(ledger.CodeUnknownAccount, "receiver %s has no %s account", id, c)
	}
	return p, a, nil
}

func (e *executor) checkBeneficiary(v view, token [32]byte, to string, c ledger.Currency) *ledger.Rejection {
	if token == ([32]byte{}) {
		return nil // bank to bank
	}
	ben, err := v.beneficiary(token)
	if err != nil {
		return internal(err)
	}
	if ben == nil || ben.Owner != to || ben.Currency != c {
		return ledger.Reject(ledger.CodeUnknownBeneficiary, "beneficiary token is not registered by %s for %s", to, c)
	}
	return nil
}

func checkMemos(memo, audit []byte) *ledger.Rejection {
	if len(memo) != ledger.MemoSize {
		return ledger.Reject(ledger.CodeBadMemo, "memo is %d bytes, want %d", len(memo), ledger.MemoSize)
	}
	if len(audit) != 0 && len(audit) != ledger.MemoSize {
		return ledger.Reject(ledger.CodeBadMemo, "audit memo is %d bytes, want 0 or %d", len(audit), ledger.MemoSize)
	}
	return nil
}

// checkSelfMemo checks a self-memo's size: it is the sender's own record,
// sealed to its own key, so its content is the sender's affair alone.
func checkSelfMemo(self []byte) *ledger.Rejection {
	if len(self) != 0 && len(self) != ledger.MemoSize {
		return ledger.Reject(ledger.CodeBadMemo, "self-memo is %d bytes, want 0 or %d", len(self), ledger.MemoSize)
	}
	return nil
}

func internal(err error) *ledger.Rejection { return ledger.Reject(ledger.CodeInternal, "%v", err) }

package state

import (
	"errors"
	"sort"

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

// decode maps decoding errors to their codes. It returns the proofs as
// decoding checked them too (ledger.DecodeTxProofs), for the verifier.
func decode(raw []byte) (*ledger.Tx, []ledger.DecodedProof, *ledger.Rejection) {
	tx, proofs, err := ledger.DecodeTxProofs(raw)
	switch {
	case err == nil:
		return tx, proofs, nil
	case errors.Is(err, ledger.ErrTxTooLarge):
		return nil, nil, ledger.Reject(ledger.CodeTooLarge, "%v", err)
	case errors.Is(err, ledger.ErrTxVersion):
		return nil, nil, ledger.Reject(ledger.CodeVersion, "%v", err)
	case errors.Is(err, ledger.ErrTxKind):
		return nil, nil, ledger.Reject(ledger.CodeUnknownKind, "%v", err)
	case errors.Is(err, ledger.ErrTxPoint):
		return nil, nil, ledger.Reject(ledger.CodeBadPoint, "%v", err)
	case errors.Is(err, ledger.ErrTxProofFormat):
		return nil, nil, ledger.Reject(ledger.CodeBadProofFormat, "%v", err)
	case errors.Is(err, ledger.ErrTxBatchProofs):
		return nil, nil, ledger.Reject(ledger.CodeBatchProofs, "%v", err)
	}
	return nil, nil, ledger.Reject(ledger.CodeEncoding, "%v", err)
}

// apply validates tx against the state seen through o and, only if every
// check passes, writes its effects into o. A rejected transaction leaves o
// untouched: effects go to a child overlay merged at the end.
func (e *executor) apply(o *overlay, tx *ledger.Tx, height int64, index uint32) *ledger.Rejection {
	c := o.child()
	v := view{c}
	// The id hashes the whole encoding (up to a megabyte): computed once.
	st := &TxStatus{Height: height, Index: index, Kind: tx.Kind, Sender: tx.Sender, id: e.verifier.id(tx)}
	sender, rej := e.authenticate(v, tx, st.id)
	if rej != nil {
		return rej
	}
	if rej := e.checkAuditMemo(v, tx); rej != nil {
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
	case *ledger.BatchTransfer:
		return e.batchTransfer(v, tx, sender, b, st)
	case *ledger.ApplyPending:
		return e.applyPending(v, sender, b, st)
	case *ledger.EpochClose:
		return e.epochClose(v, sender, b, st)
	case *ledger.Rotation:
		return e.rotate(v, sender, b, st)
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
	if rej := e.flows.admit(v, b.Currency, sender); rej != nil {
		return rej
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

// transferFlow is one payment's flow as a transfer books it: out of the
// payer's account, into the receiver's, its corridor and its currency's
// transfers.
type transferFlow struct {
	c        ledger.Currency
	flow     *he.Ciphertext
	amount   zkp.Commitment
	from, to *Party
	fx       string // a swap leg's FX aggregate (ledger.SwapKeys), or ""
}

// recordTransfers books single payments' flows (a swap's legs), every
// book checked before any is written.
func (e *executor) recordTransfers(v view, st *TxStatus, ts ...transferFlow) *ledger.Rejection {
	var fs []bookFlow
	for _, t := range ts {
		if t.flow != nil {
			keys := ledger.TransferKeys(t.c, t.from.ID, t.from.Country, t.to.ID, t.to.Country)
			if t.fx != "" {
				keys = append(keys, t.fx)
			}
			fs = append(fs, bookFlow{currency: t.c, ct: t.flow, amounts: []zkp.Commitment{t.amount}, keys: [][]string{keys}})
		}
	}
	return e.flows.record(v, fs, st.Height, st.Index, st.id)
}

// record adds a single payment's flow to its book, into the groups of
// keys; the last step of a transaction.
func (e *executor) record(v view, st *TxStatus, c ledger.Currency, flow *he.Ciphertext, amount zkp.Commitment, keys []string) *ledger.Rejection {
	if flow == nil {
		return nil
	}
	return e.flows.record(v, []bookFlow{{currency: c, ct: flow, amounts: []zkp.Commitment{amount}, keys: [][]string{keys}}}, st.Height, st.Index, st.id)
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
	flow, rej := e.flows.decode(b.Flow, 1)
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
	return e.record(v, st, b.Currency, flow, b.Amount, ledger.TransferKeys(b.Currency, sender.ID, sender.Country, b.To, recv.Country))
}

// batchTransfer pays each of a batch's payments into its receiver's
// pending balance, each on its own (as a transfer would, under its
// PaymentID), debits the sender once per currency, and records each
// currency's flow once into its book, with each payment's aggregates.
// Every check comes before any write, and every chunk's proof verifies
// before any amount enters the state: one bad payment or proof rejects
// the batch.
func (e *executor) batchTransfer(v view, tx *ledger.Tx, sender *Party, b *ledger.BatchTransfer, st *TxStatus) *ledger.Rejection {
	if e.verifier.keys[zkp.Batch] == nil {
		return ledger.Reject(ledger.CodeNoBatch, "this chain pins no batch verifying key: it predates batch proofs; send single transfers")
	}
	type recvInfo struct {
		party *Party
		acct  *Account
	}
	recvs := map[string]*recvInfo{} // by receiver/currency
	perCur := map[ledger.Currency]int{}
	identity := zkp.ZeroCommitment()
	for j := range b.Payments {
		p := &b.Payments[j]
		if p.To == sender.ID {
			return ledger.Reject(ledger.CodeSelfTransfer, "payment %d: %s cannot pay itself", j, sender.ID)
		}
		if p.Amount.Equal(identity) {
			return ledger.Reject(ledger.CodeIdentityAmount, "payment %d: its amount is the identity commitment, which pays nothing and which a batch proof reads as padding; pay at least one minor unit with a random blinding", j)
		}
		if b.Book(p.Currency) == nil {
			return ledger.Reject(ledger.CodeBatchFlows, "payment %d is in %s, for which the batch has no book entry (available balance and flow); add one", j, p.Currency)
		}
		perCur[p.Currency]++
		rk := p.To + "/" + p.Currency.String()
		if recvs[rk] == nil {
			party, acct, rej := e.receiver(v, sender, p.To, p.Currency)
			if rej != nil {
				return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
			}
			recvs[rk] = &recvInfo{party, acct}
		}
		if rej := e.checkBeneficiary(v, p.Beneficiary, p.To, p.Currency); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		if rej := checkMemos(p.Memo, p.AuditMemo); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
		if rej := checkSelfMemo(p.SelfMemo); rej != nil {
			return ledger.Reject(rej.Code, "payment %d: %s", j, rej.Msg)
		}
	}
	flows := make([]bookFlow, 0, len(b.Books))
	accts := map[ledger.Currency]*Account{}
	for _, k := range b.Books {
		if perCur[k.Currency] == 0 {
			return ledger.Reject(ledger.CodeBatchFlows, "the batch has a %s book entry but no payment in %s; drop it", k.Currency, k.Currency)
		}
		if want := ledger.BatchChunks(perCur[k.Currency]); len(k.Proofs) != want { // DecodeTx refuses it first; kept for any other caller
			return ledger.Reject(ledger.CodeBatchProofs, "the %s book carries %d proofs for %d payments, want %d", k.Currency, len(k.Proofs), perCur[k.Currency], want)
		}
		flow, rej := e.flows.decode(k.Flow, perCur[k.Currency])
		if rej != nil {
			return ledger.Reject(rej.Code, "%s flow: %s", k.Currency, rej.Msg)
		}
		if flow != nil {
			flows = append(flows, bookFlow{currency: k.Currency, ct: flow})
		}
		acct, err := v.account(k.Currency, sender.ID)
		if err != nil {
			return internal(err)
		}
		if acct == nil {
			return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", sender.ID, k.Currency)
		}
		if !acct.Available.Equal(k.Available) {
			return ledger.Reject(ledger.CodeStaleBalance, "proof was made against an available %s balance that has since changed; sync the wallet and prove again", k.Currency)
		}
		accts[k.Currency] = acct
	}
	// Each book's Available is now its account's: the chunks' statements,
	// built from the transaction alone (as the block's pre-pass built
	// them), are the ones this state requires.
	for _, ch := range e.chunks(tx) {
		if rej := e.verifier.check(ch.pub, ch.raw); rej != nil {
			return ledger.Reject(rej.Code, "%s chunk %d (payments %d to %d): %s", ch.currency, ch.chunk, ch.first, ch.last, rej.Msg)
		}
	}
	settleBatch(b, accts, func(p *ledger.BatchPayment) *Account { return recvs[p.To+"/"+p.Currency.String()].acct })
	for i := range flows {
		fl := &flows[i]
		for j := range b.Payments {
			p := &b.Payments[j]
			if p.Currency != fl.currency {
				continue
			}
			fl.amounts = append(fl.amounts, p.Amount)
			fl.keys = append(fl.keys, ledger.TransferKeys(p.Currency, sender.ID, sender.Country, p.To, recvs[p.To+"/"+p.Currency.String()].party.Country))
		}
	}
	if rej := e.flows.record(v, flows, st.Height, st.Index, st.id); rej != nil {
		return rej
	}
	for _, k := range b.Books {
		v.putAccount(k.Currency, sender.ID, accts[k.Currency])
	}
	txid := st.id
	for j := range b.Payments {
		p := &b.Payments[j]
		id := ledger.PaymentID(txid, j)
		in := &Incoming{TxID: id, Kind: tx.Kind, Sender: tx.Sender, Nonce: tx.Nonce, Currency: p.Currency,
			Amount: p.Amount, Memo: p.Memo, Height: st.Height, Payment: uint32(j)}
		v.o.set(incomingPaymentKey(p.To, st.Height, st.Index, j), in.encode())
		amt := p.Amount.Bytes()
		v.o.set(unappliedKey(p.To, p.Currency, id), amt[:])
		ps := &TxStatus{Height: st.Height, Index: st.Index, Kind: tx.Kind, Sender: tx.Sender, To: p.To, Currency: p.Currency}
		v.o.set(statusKey(id), ps.encode())
	}
	for _, rk := range sortedRecvKeys(recvs) {
		r := recvs[rk]
		c, _ := ledger.ParseCurrency(rk[len(rk)-3:])
		v.putAccount(c, r.party.ID, r.acct)
	}
	// The batch's status names its currency and receiver when it has one
	// of each; each payment's own status always does.
	if len(b.Books) == 1 {
		st.Currency = b.Books[0].Currency
	}
	st.To = b.Payments[0].To
	for _, p := range b.Payments {
		if p.To != st.To {
			st.To = ""
			break
		}
	}
	return nil
}

// settleBatch takes each payment of b out of its currency's sender
// account (accts) and into its receiver's pending balance (recv), in
// accumulators read back with one inversion for the whole batch: the same
// points as a Sub and an Add per payment, each of which would invert.
func settleBatch(b *ledger.BatchTransfer, accts map[ledger.Currency]*Account, recv func(*ledger.BatchPayment) *Account) {
	var accs []*zkp.Accumulator
	var dsts []*zkp.Commitment
	debit := map[ledger.Currency]*zkp.Accumulator{}
	credit := map[*Account]*zkp.Accumulator{}
	for _, k := range b.Books { // in book order, so the slices' order is the transaction's
		a := &zkp.Accumulator{}
		a.Add(accts[k.Currency].Available)
		debit[k.Currency] = a
		accs, dsts = append(accs, a), append(dsts, &accts[k.Currency].Available)
	}
	for j := range b.Payments {
		p := &b.Payments[j]
		debit[p.Currency].Sub(p.Amount)
		to := recv(p)
		a := credit[to]
		if a == nil {
			a = &zkp.Accumulator{}
			a.Add(to.Pending)
			credit[to] = a
			accs, dsts = append(accs, a), append(dsts, &to.Pending)
		}
		a.Add(p.Amount)
	}
	for i, sum := range zkp.Sums(accs) {
		*dsts[i] = sum
	}
}

// sortedRecvKeys lists a batch's receiver accounts in key order, so that
// their writes do not follow the map's.
func sortedRecvKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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

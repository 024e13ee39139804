package ledger

import (
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/zkp"
)

// RegisterBank admits a bank. Only the regulator may send it.
type RegisterBank struct {
	ID      string
	Country [2]byte  // ISO 3166 alpha-2, upper case
	SignKey [32]byte // Ed25519
	MemoKey [32]byte // X25519, for openings sealed to the bank
}

// RegisterAccount opens the sender bank's account in a currency, with
// available and pending both Com(0, 0).
type RegisterAccount struct {
	Currency Currency
}

// Beneficiary classes.
const (
	ClassCorporate uint8 = 1
	ClassConsumer  uint8 = 2
	ClassVirtual   uint8 = 3
)

// RegisterBeneficiary publishes an opaque token that names one of the sender
// bank's customer accounts in a currency. Payers quote it; only the bank can
// map it to the customer.
type RegisterBeneficiary struct {
	Token    [32]byte
	Currency Currency
	Class    uint8
}

// Mint creates money: Amount lands in the receiver's pending balance and in
// the currency's supply. Only the currency's issuer may send it; Proof is a
// mint proof that Amount commits to a value in [1, 2^64).
type Mint struct {
	To       string
	Currency Currency
	Amount   zkp.Commitment
	Proof    [zkp.ProofSize]byte
	Memo     []byte // the opening, sealed to the receiver
	Flow     []byte // HE ciphertext of the flow, for the regulator
}

// Burn destroys money from the issuer's own available balance; Proof is a
// transfer proof against that balance.
type Burn struct {
	Currency  Currency
	Available zkp.Commitment // the balance the proof was made against
	Amount    zkp.Commitment
	Proof     [zkp.ProofSize]byte
	Flow      []byte
}

// Transfer pays Amount from the sender's available balance into the
// receiver's pending balance.
type Transfer struct {
	To          string
	Currency    Currency
	Beneficiary [32]byte       // a registered token of the receiver, or zero: bank to bank
	Available   zkp.Commitment // the sender's available balance the proof was made against
	Amount      zkp.Commitment
	Proof       [zkp.ProofSize]byte
	Memo        []byte // the opening, sealed to the receiver
	AuditMemo   []byte // optional: the opening sealed to the regulator
	Flow        []byte // HE ciphertext of the flow, for the regulator
}

// BulkTransfer pays several payments from the sender's available balance
// into one receiver's pending balance in one currency, with a single flow
// ciphertext: payment j's flow sits in slot group j. Payment j's proof is a
// transfer proof against Available − Σ_{i<j} Amount_i, bound to
// tx.PaymentContexts(chainID)[j]. Each payment is pending, and applied, on
// its own, under PaymentID(txid, j).
type BulkTransfer struct {
	To        string
	Currency  Currency
	Available zkp.Commitment // the sender's available balance before the first payment
	Payments  []BulkPayment  // 1 to MaxBulkPayments
	Flow      []byte         // HE ciphertext of every payment's flow, payment j in group j
}

// BulkPayment is one payment of a bulk transfer.
type BulkPayment struct {
	Beneficiary [32]byte // a registered token of the receiver, or zero: bank to bank
	Amount      zkp.Commitment
	Proof       [zkp.ProofSize]byte
	Memo        []byte // the opening, sealed to the receiver
	AuditMemo   []byte // optional: the opening sealed to the regulator
}

// MaxBulkPayments bounds the payments of one bulk transfer (and is below
// the HE parameters' slot groups).
const MaxBulkPayments = 64

// ApplyPending moves the named payments from the sender's pending balance
// into its available one. The wallet names only payments whose openings it
// holds, so a payer who sends a memo that does not open cannot block the
// receiver's other funds.
type ApplyPending struct {
	Currency Currency
	Payments []TxID // distinct, each pending in this account
}

// MaxApplyPayments bounds the payments one apply-pending moves.
const MaxApplyPayments = 1024

func (*RegisterBank) kind() Kind        { return KindRegisterBank }
func (*RegisterAccount) kind() Kind     { return KindRegisterAccount }
func (*RegisterBeneficiary) kind() Kind { return KindRegisterBeneficiary }
func (*Mint) kind() Kind                { return KindMint }
func (*Burn) kind() Kind                { return KindBurn }
func (*Transfer) kind() Kind            { return KindTransfer }
func (*ApplyPending) kind() Kind        { return KindApplyPending }
func (*BulkTransfer) kind() Kind        { return KindBulkTransfer }

func (b *RegisterBank) encode(w *writer) {
	w.str(b.ID)
	w.fixed(b.Country[:])
	w.fixed(b.SignKey[:])
	w.fixed(b.MemoKey[:])
}

func (b *RegisterBank) decode(r *reader) {
	b.ID = r.id()
	r.fixed(b.Country[:])
	r.fixed(b.SignKey[:])
	r.fixed(b.MemoKey[:])
	if r.err == nil && !(isUpper(b.Country[0]) && isUpper(b.Country[1])) {
		r.err = errCountry
	}
}

func (b *RegisterAccount) encode(w *writer) { w.fixed(b.Currency[:]) }
func (b *RegisterAccount) decode(r *reader) { b.Currency = r.currency() }

func (b *RegisterBeneficiary) encode(w *writer) {
	w.fixed(b.Token[:])
	w.fixed(b.Currency[:])
	w.u8(b.Class)
}

func (b *RegisterBeneficiary) decode(r *reader) {
	r.fixed(b.Token[:])
	b.Currency = r.currency()
	b.Class = r.u8()
	if r.err == nil && (b.Class < ClassCorporate || b.Class > ClassVirtual) {
		r.err = errClass
	}
}

func (b *Mint) encode(w *writer) {
	w.str(b.To)
	w.fixed(b.Currency[:])
	w.commitment(b.Amount)
	w.fixed(b.Proof[:])
	w.blob(b.Memo)
	w.blob(b.Flow)
}

func (b *Mint) decode(r *reader) {
	b.To = r.id()
	b.Currency = r.currency()
	b.Amount = r.commitment()
	r.proof(&b.Proof)
	b.Memo = r.blob(MaxMemoSize)
	b.Flow = r.blob(MaxFlowSize)
}

func (b *Burn) encode(w *writer) {
	w.fixed(b.Currency[:])
	w.commitment(b.Available)
	w.commitment(b.Amount)
	w.fixed(b.Proof[:])
	w.blob(b.Flow)
}

func (b *Burn) decode(r *reader) {
	b.Currency = r.currency()
	b.Available = r.commitment()
	b.Amount = r.commitment()
	r.proof(&b.Proof)
	b.Flow = r.blob(MaxFlowSize)
}

func (b *Transfer) encode(w *writer) {
	w.str(b.To)
	w.fixed(b.Currency[:])
	w.fixed(b.Beneficiary[:])
	w.commitment(b.Available)
	w.commitment(b.Amount)
	w.fixed(b.Proof[:])
	w.blob(b.Memo)
	w.blob(b.AuditMemo)
	w.blob(b.Flow)
}

func (b *Transfer) decode(r *reader) {
	b.To = r.id()
	b.Currency = r.currency()
	r.fixed(b.Beneficiary[:])
	b.Available = r.commitment()
	b.Amount = r.commitment()
	r.proof(&b.Proof)
	b.Memo = r.blob(MaxMemoSize)
	b.AuditMemo = r.blob(MaxMemoSize)
	b.Flow = r.blob(MaxFlowSize)
}

func (b *BulkTransfer) encode(w *writer) {
	w.str(b.To)
	w.fixed(b.Currency[:])
	w.commitment(b.Available)
	w.u8(uint8(len(b.Payments)))
	for i := range b.Payments {
		p := &b.Payments[i]
		w.fixed(p.Beneficiary[:])
		w.commitment(p.Amount)
		w.fixed(p.Proof[:])
		w.blob(p.Memo)
		w.blob(p.AuditMemo)
	}
	w.blob(b.Flow)
}

func (b *BulkTransfer) decode(r *reader) {
	b.To = r.id()
	b.Currency = r.currency()
	b.Available = r.commitment()
	n := int(r.u8())
	if r.err == nil && (n == 0 || n > MaxBulkPayments) {
		r.err = fmt.Errorf("bulk transfer carries %d payments, want 1 to %d", n, MaxBulkPayments)
		return
	}
	for i := 0; i < n && r.err == nil; i++ {
		var p BulkPayment
		r.fixed(p.Beneficiary[:])
		p.Amount = r.commitment()
		r.proof(&p.Proof)
		p.Memo = r.blob(MaxMemoSize)
		p.AuditMemo = r.blob(MaxMemoSize)
		b.Payments = append(b.Payments, p)
	}
	b.Flow = r.blob(MaxFlowSize)
}

func (b *ApplyPending) encode(w *writer) {
	w.fixed(b.Currency[:])
	w.u64(uint64(len(b.Payments)))
	for _, id := range b.Payments {
		w.fixed(id[:])
	}
}

func (b *ApplyPending) decode(r *reader) {
	b.Currency = r.currency()
	n := r.u64()
	if r.err == nil && (n == 0 || n > MaxApplyPayments) {
		r.err = fmt.Errorf("apply-pending names %d payments, want 1 to %d", n, MaxApplyPayments)
		return
	}
	seen := map[TxID]bool{}
	for i := uint64(0); i < n && r.err == nil; i++ {
		var id TxID
		r.fixed(id[:])
		if seen[id] {
			r.err = errors.New("apply-pending names a payment twice")
		}
		seen[id] = true
		b.Payments = append(b.Payments, id)
	}
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

package ledger

import (
	"errors"
	"fmt"

	"github.com/sable-settlement/sable/ledger/internal/codec"
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
// the currency's supply. Only the currency's issuer may send it. Proof is a
// transfer proof that spends Amount from Headroom(Supply): the amount is in
// [1, 2^64) and the new supply stays within SupplyCap.
type Mint struct {
	To       string
	Currency Currency
	Supply   zkp.Commitment // the currency's supply the proof was made against
	Amount   zkp.Commitment
	Proof    [zkp.ProofSize]byte
	Memo     []byte // the opening, sealed to the receiver
	SelfMemo []byte // optional: the opening sealed to the issuer itself (SelfMemoAAD), its record of what it minted
	Flow     []byte // HE ciphertext of the flow, for the regulator
}

// Burn destroys money from the issuer's own available balance; Proof is a
// transfer proof against that balance.
type Burn struct {
	Currency  Currency
	Available zkp.Commitment // the balance the proof was made against
	Amount    zkp.Commitment
	Proof     [zkp.ProofSize]byte
	SelfMemo  []byte // optional: the amount's opening sealed to the issuer itself (SelfMemoAAD), for wallet recovery
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
	SelfMemo    []byte // optional: the opening sealed to the sender itself (SelfMemoAAD), for wallet recovery
	Flow        []byte // HE ciphertext of the flow, for the regulator
}

// BatchTransfer carries many payments from one bank, to any receivers and
// in any currencies. Each payment is pending, and applied, on its own,
// under PaymentID(txid, j). The proofs are per currency, not per payment:
// a currency's payments, in payment order, are cut into chunks of up to
// zkp.BatchSize ([BatchTransfer.Chunks]), and chunk k is proved by its
// book's Proofs[k], a batch proof (zkp.Batch) that its amounts are each in
// [1, 2^64) and that the available balance it starts from covers them all:
// Available of the book less the amounts of the currency's earlier chunks,
// bound to tx.ChunkContexts(chainID)[book][k]. Each currency paid has one
// book entry: the available balance the proofs start from, the chunks'
// proofs, and one flow ciphertext holding, in the slot group of every
// aggregate its payments enter, their sum, at a load of their number
// (ledger.FlowSums). A single payment is a batch of one.
type BatchTransfer struct {
	Books    []BatchBook    // one per currency paid, in increasing currency order
	Payments []BatchPayment // 1 to MaxBatchPayments
}

// BatchBook is a batch's part in one currency.
type BatchBook struct {
	Currency  Currency
	Available zkp.Commitment        // the sender's available balance before the batch
	Proofs    [][zkp.ProofSize]byte // one batch proof per chunk of the currency's payments: BatchChunks of their number
	Flow      []byte                // HE ciphertext of the currency's payments, in their groups
}

// BatchPayment is one payment of a batch. Its amount is proved by its
// chunk's proof in its currency's book.
type BatchPayment struct {
	To          string
	Currency    Currency
	Beneficiary [32]byte // a registered token of the receiver, or zero: bank to bank
	Amount      zkp.Commitment
	Memo        []byte // the opening, sealed to the receiver (BulkMemoAAD with j)
	AuditMemo   []byte // optional: the opening sealed to the regulator
	SelfMemo    []byte // optional: the opening sealed to the sender itself (SelfMemoAAD with j), for wallet recovery
}

// MaxBatchPayments bounds the payments of one batch; MaxBatchBooks the
// currencies it pays in; MaxBatchChunks the proofs of one book.
const (
	MaxBatchPayments = 256
	MaxBatchBooks    = 8
	MaxBatchChunks   = (MaxBatchPayments + zkp.BatchSize - 1) / zkp.BatchSize
)

// BatchChunks is how many batch proofs cover n payments in one currency:
// one per zkp.BatchSize of them, the last possibly short.
func BatchChunks(n int) int { return (n + zkp.BatchSize - 1) / zkp.BatchSize }

// Book returns the batch's book entry for c, or nil.
func (b *BatchTransfer) Book(c Currency) *BatchBook {
	for i := range b.Books {
		if b.Books[i].Currency == c {
			return &b.Books[i]
		}
	}
	return nil
}

// Chunks returns, for each book, the indices of its currency's payments in
// payment order, cut into chunks of up to zkp.BatchSize: chunk k of book i
// is what Books[i].Proofs[k] proves.
func (b *BatchTransfer) Chunks() [][][]int {
	out := make([][][]int, len(b.Books))
	for i, k := range b.Books {
		var chunk []int
		for j := range b.Payments {
			if b.Payments[j].Currency != k.Currency {
				continue
			}
			if chunk = append(chunk, j); len(chunk) == zkp.BatchSize {
				out[i], chunk = append(out[i], chunk), nil
			}
		}
		if len(chunk) > 0 {
			out[i] = append(out[i], chunk)
		}
	}
	return out
}

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
func (*BatchTransfer) kind() Kind       { return KindBatchTransfer }

func (b *RegisterBank) encode(w *codec.Writer) {
	w.Str(b.ID)
	w.Fixed(b.Country[:])
	w.Fixed(b.SignKey[:])
	w.Fixed(b.MemoKey[:])
}

func (b *RegisterBank) decode(r *codec.Reader) {
	b.ID = readID(r)
	r.Fixed(b.Country[:])
	r.Fixed(b.SignKey[:])
	r.Fixed(b.MemoKey[:])
	if r.Err() == nil && !(isUpper(b.Country[0]) && isUpper(b.Country[1])) {
		r.Fail(errCountry)
	}
}

func (b *RegisterAccount) encode(w *codec.Writer) { w.Fixed(b.Currency[:]) }
func (b *RegisterAccount) decode(r *codec.Reader) { b.Currency = readCurrency(r) }

func (b *RegisterBeneficiary) encode(w *codec.Writer) {
	w.Fixed(b.Token[:])
	w.Fixed(b.Currency[:])
	w.U8(b.Class)
}

func (b *RegisterBeneficiary) decode(r *codec.Reader) {
	r.Fixed(b.Token[:])
	b.Currency = readCurrency(r)
	b.Class = r.U8()
	if r.Err() == nil && (b.Class < ClassCorporate || b.Class > ClassVirtual) {
		r.Fail(errClass)
	}
}

func (b *Mint) encode(w *codec.Writer) {
	w.Str(b.To)
	w.Fixed(b.Currency[:])
	w.Commitment(b.Supply)
	w.Commitment(b.Amount)
	w.Fixed(b.Proof[:])
	w.Blob(b.Memo)
	w.Blob(b.SelfMemo)
	w.Blob(b.Flow)
}

func (b *Mint) decode(r *codec.Reader) {
	b.To = readID(r)
	b.Currency = readCurrency(r)
	b.Supply = r.Commitment()
	b.Amount = r.Commitment()
	readProof(r, &b.Proof)
	b.Memo = r.Blob(MaxMemoSize)
	b.SelfMemo = r.Blob(MaxMemoSize)
	b.Flow = r.Blob(MaxFlowSize)
}

func (b *Burn) encode(w *codec.Writer) {
	w.Fixed(b.Currency[:])
	w.Commitment(b.Available)
	w.Commitment(b.Amount)
	w.Fixed(b.Proof[:])
	w.Blob(b.SelfMemo)
	w.Blob(b.Flow)
}

func (b *Burn) decode(r *codec.Reader) {
	b.Currency = readCurrency(r)
	b.Available = r.Commitment()
	b.Amount = r.Commitment()
	readProof(r, &b.Proof)
	b.SelfMemo = r.Blob(MaxMemoSize)
	b.Flow = r.Blob(MaxFlowSize)
}

func (b *Transfer) encode(w *codec.Writer) {
	w.Str(b.To)
	w.Fixed(b.Currency[:])
	w.Fixed(b.Beneficiary[:])
	w.Commitment(b.Available)
	w.Commitment(b.Amount)
	w.Fixed(b.Proof[:])
	w.Blob(b.Memo)
	w.Blob(b.AuditMemo)
	w.Blob(b.SelfMemo)
	w.Blob(b.Flow)
}

func (b *Transfer) decode(r *codec.Reader) {
	b.To = readID(r)
	b.Currency = readCurrency(r)
	r.Fixed(b.Beneficiary[:])
	b.Available = r.Commitment()
	b.Amount = r.Commitment()
	readProof(r, &b.Proof)
	b.Memo = r.Blob(MaxMemoSize)
	b.AuditMemo = r.Blob(MaxMemoSize)
	b.SelfMemo = r.Blob(MaxMemoSize)
	b.Flow = r.Blob(MaxFlowSize)
}

func (b *BatchTransfer) encode(w *codec.Writer) {
	w.U8(uint8(len(b.Books)))
	for _, k := range b.Books {
		w.Fixed(k.Currency[:])
		w.Commitment(k.Available)
		w.U8(uint8(len(k.Proofs)))
		for _, p := range k.Proofs {
			w.Fixed(p[:])
		}
		w.Blob(k.Flow)
	}
	w.U64(uint64(len(b.Payments)))
	for i := range b.Payments {
		p := &b.Payments[i]
		w.Str(p.To)
		w.Fixed(p.Currency[:])
		w.Fixed(p.Beneficiary[:])
		w.Commitment(p.Amount)
		w.Blob(p.Memo)
		w.Blob(p.AuditMemo)
		w.Blob(p.SelfMemo)
	}
}

// decode reads a batch; its books must be in increasing currency order
// (one encoding per batch), and each must carry one proof per chunk of its
// currency's payments (ErrTxBatchProofs). Which currencies its payments
// use is the executor's to check (CodeBatchFlows).
func (b *BatchTransfer) decode(r *codec.Reader) {
	nb := int(r.U8())
	if r.Err() == nil && (nb == 0 || nb > MaxBatchBooks) {
		r.Fail(fmt.Errorf("batch pays in %d currencies, want 1 to %d", nb, MaxBatchBooks))
		return
	}
	for i := 0; i < nb && r.Err() == nil; i++ {
		k := BatchBook{Currency: readCurrency(r), Available: r.Commitment()}
		if np := int(r.U8()); r.Err() == nil && np > MaxBatchChunks {
			r.Fail(fmt.Errorf("%w: the %s book carries %d proofs, at most %d", ErrTxBatchProofs, k.Currency, np, MaxBatchChunks))
		} else {
			k.Proofs = make([][zkp.ProofSize]byte, np)
			for n := 0; n < np && r.Err() == nil; n++ {
				readProof(r, &k.Proofs[n])
			}
		}
		k.Flow = r.Blob(MaxFlowSize)
		if r.Err() == nil && i > 0 && string(k.Currency[:]) <= string(b.Books[i-1].Currency[:]) {
			r.Fail(errors.New("batch books are not in increasing currency order"))
		}
		b.Books = append(b.Books, k)
	}
	n := r.U64()
	if r.Err() == nil && (n == 0 || n > MaxBatchPayments) {
		r.Fail(fmt.Errorf("batch carries %d payments, want 1 to %d", n, MaxBatchPayments))
		return
	}
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		var p BatchPayment
		p.To = readID(r)
		p.Currency = readCurrency(r)
		r.Fixed(p.Beneficiary[:])
		// Proof-bound: the chunk's batch proof shows the amount to be
		// amt·G + r·H, which puts it in the prime-order subgroup, so the
		// subgroup check is left to the proof. Sound only because the
		// executor verifies every chunk proof before any amount enters
		// the state (ledger/state batchTransfer); until then an amount is
		// only compared.
		p.Amount = r.ProvenCommitment()
		p.Memo = r.Blob(MaxMemoSize)
		p.AuditMemo = r.Blob(MaxMemoSize)
		p.SelfMemo = r.Blob(MaxMemoSize)
		b.Payments = append(b.Payments, p)
	}
	if r.Err() == nil {
		b.checkProofCounts(r)
	}
}

// checkProofCounts fails r unless every book carries BatchChunks of its
// currency's payments in proofs (none for a currency without payments,
// which the executor refuses on its own: CodeBatchFlows).
func (b *BatchTransfer) checkProofCounts(r *codec.Reader) {
	for _, k := range b.Books {
		n := 0
		for j := range b.Payments {
			if b.Payments[j].Currency == k.Currency {
				n++
			}
		}
		if want := BatchChunks(n); len(k.Proofs) != want {
			r.Fail(fmt.Errorf("%w: the %s book carries %d proofs for %d payments, want %d (one per %d payments, in payment order)",
				ErrTxBatchProofs, k.Currency, len(k.Proofs), n, want, zkp.BatchSize))
			return
		}
	}
}

func (b *ApplyPending) encode(w *codec.Writer) {
	w.Fixed(b.Currency[:])
	w.U64(uint64(len(b.Payments)))
	for _, id := range b.Payments {
		w.Fixed(id[:])
	}
}

func (b *ApplyPending) decode(r *codec.Reader) {
	b.Currency = readCurrency(r)
	n := r.U64()
	if r.Err() == nil && (n == 0 || n > MaxApplyPayments) {
		r.Fail(fmt.Errorf("apply-pending names %d payments, want 1 to %d", n, MaxApplyPayments))
		return
	}
	seen := map[TxID]bool{}
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		var id TxID
		r.Fixed(id[:])
		if seen[id] {
			r.Fail(errors.New("apply-pending names a payment twice"))
		}
		seen[id] = true
		b.Payments = append(b.Payments, id)
	}
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// EpochClose replaces currencies' books by the regulator's re-encryptions
// of their decrypted, checked and normalised group sums, so that limbs
// never overflow. The commitment sums stay; the bisection index of every
// aggregate of the book restarts.
type EpochClose struct {
	Aggregates []ClosedAggregate
}

// ClosedAggregate is one replaced book. Key is BookKey(c). Sum is the sum
// of the commitments of every payment in the book (each counted once), as
// the regulator read it: a close whose Sum is no longer the book's (a flow
// entered meanwhile) is refused, so no flow is ever dropped from the
// ciphertext while kept in the sums.
type ClosedAggregate struct {
	Key        string
	Sum        zkp.Commitment
	Ciphertext []byte
}

// MaxClosePerTx bounds the books one epoch close replaces.
const MaxClosePerTx = 8

func (*EpochClose) kind() Kind { return KindEpochClose }

func (b *EpochClose) encode(w *codec.Writer) {
	w.U8(uint8(len(b.Aggregates)))
	for _, a := range b.Aggregates {
		w.Str(a.Key)
		w.Commitment(a.Sum)
		w.Blob(a.Ciphertext)
	}
}

func (b *EpochClose) decode(r *codec.Reader) {
	n := int(r.U8())
	if r.Err() == nil && (n == 0 || n > MaxClosePerTx) {
		r.Fail(fmt.Errorf("epoch close names %d aggregates, want 1 to %d", n, MaxClosePerTx))
		return
	}
	seen := map[string]bool{}
	for i := 0; i < n && r.Err() == nil; i++ {
		a := ClosedAggregate{Key: r.Str(64), Sum: r.Commitment(), Ciphertext: r.Blob(MaxFlowSize)}
		if _, ok := ParseBookKey(a.Key); r.Err() == nil && (!ok || seen[a.Key]) {
			r.Fail(fmt.Errorf("epoch close: book key %q is not valid or repeated", a.Key))
		}
		seen[a.Key] = true
		b.Aggregates = append(b.Aggregates, a)
	}
}

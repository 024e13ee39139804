package party

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/zkp"
)

// spend proves that amt can be paid out of avail, bound to ctx.
func spend(p *zkp.Prover, avail, amt ledger.Opening, ctx zkp.Context) ([zkp.ProofSize]byte, error) {
	in := zkp.TransferInput{Balance: avail.Value, BalanceBlinding: avail.Blinding, Amount: amt.Value, AmountBlinding: amt.Blinding, Context: ctx}
	start := time.Now()
	_, proof, err := p.ProveTransfer(in)
	observeProof(start, err)
	if err != nil {
		return [zkp.ProofSize]byte{}, err
	}
	return proof.Bytes(), nil
}

// proveChunks fills in a batch transfer's proofs: chunk k of each book
// (ledger.BatchTransfer.Chunks) is proved with the batch circuit against
// its currency's available opening avail[c] less the amounts of c's
// earlier chunks, bound to its chunk context; amts are the payments'
// openings. The books' proof slices are already of their final length,
// which the contexts bind. Chunks are proved chunkProvers at a time.
func proveChunks(p *zkp.Prover, tx *ledger.Tx, chainID string, avail map[ledger.Currency]ledger.Opening, amts []ledger.Opening) error {
	b := tx.Body.(*ledger.BatchTransfer)
	jobs, err := chunkJobs(b, tx.ChunkContexts(chainID), avail, amts)
	if err != nil {
		return err
	}
	errs := make([]error, len(jobs))
	next := make(chan int, len(jobs))
	for i := range jobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(chunkProvers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				j := jobs[i]
				start := time.Now()
				_, proof, err := p.ProveBatch(j.in)
				observeProof(start, err)
				if err != nil {
					errs[i] = fmt.Errorf("ledger: %s chunk %d: %w", b.Books[j.book].Currency, j.chunk, err)
					continue
				}
				b.Books[j.book].Proofs[j.chunk] = proof.Bytes()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err // the first chunk's that failed, whichever finished first
		}
	}
	return nil
}

// chunkProvers is how many chunk proofs a wallet makes at once. gnark's
// prover spreads one proof over the cores, but not evenly: two at a time
// took 0.78 to 0.87 of the wall time of one after another on the 2-core
// machine (BenchmarkBatchConcurrency in zkp). More was not measured.
const chunkProvers = 2

// chunkJob is one chunk proof to make: book, chunk index and its input.
type chunkJob struct {
	book, chunk int
	in          zkp.BatchInput
}

// chunkJobs lays out every chunk's proof input, each against what the
// currency's earlier chunks leave of its balance.
func chunkJobs(b *ledger.BatchTransfer, contexts [][]zkp.Context, avail map[ledger.Currency]ledger.Opening, amts []ledger.Opening) ([]chunkJob, error) {
	var jobs []chunkJob
	for i, chunks := range b.Chunks() {
		left := avail[b.Books[i].Currency]
		for n, idx := range chunks {
			in := zkp.BatchInput{Balance: left.Value, BalanceBlinding: left.Blinding, Context: contexts[i][n]}
			for _, j := range idx {
				in.Amounts = append(in.Amounts, amts[j].Value)
				in.AmountBlindings = append(in.AmountBlindings, amts[j].Blinding)
				var err error
				if left, err = left.Minus(amts[j]); err != nil {
					return nil, fmt.Errorf("ledger: %s chunk %d: the balance does not cover its payments", b.Books[i].Currency, n)
				}
			}
			jobs = append(jobs, chunkJob{book: i, chunk: n, in: in})
		}
	}
	return jobs, nil
}

// FlowSealer encrypts flows for the regulator (HE): a transaction's
// payments in one currency as the group sums of its book (SealBook, at a
// load of its number of payments), or one opening balance in group
// ledger.FlowGroup (SealFlow, for a genesis).
type FlowSealer interface {
	SealFlow(amount uint64, blinding *big.Int) ([]byte, error)
	SealBook(sums map[int]he.GroupSum, payments uint64) ([]byte, error)
}

// HESealer encrypts flows to the regulator's HE public key, switched down
// to the aggregation level by he.
type HESealer struct{ enc *he.Encryptor }

// NewHESealer returns a sealer for the regulator's key.
func NewHESealer(pk *he.PublicKey) *HESealer { return &HESealer{enc: he.NewEncryptor(pk)} }

// SealFlow encrypts one flow in group ledger.FlowGroup and returns its
// encoding.
func (h *HESealer) SealFlow(amount uint64, blinding *big.Int) ([]byte, error) {
	ct, err := h.enc.Encrypt(map[int]he.Flow{ledger.FlowGroup: {Amount: amount, Blinding: blinding}})
	if err != nil {
		return nil, fmt.Errorf("ledger: encrypt flow: %w", err)
	}
	return ct.MarshalBinary()
}

// SealBook encrypts the group sums of payments payments at a load of
// payments.
func (h *HESealer) SealBook(sums map[int]he.GroupSum, payments uint64) ([]byte, error) {
	ct, err := h.enc.EncryptBatch(sums, payments)
	if err != nil {
		return nil, fmt.Errorf("ledger: encrypt flows: %w", err)
	}
	return ct.MarshalBinary()
}

// flowSealer returns the sealer, set up from the chain's genesis HE key
// (read once); nil when the chain has none.
func (s *Sender) flowSealer(ctx context.Context) (FlowSealer, error) {
	if s.Flows == nil && !s.flowsChecked {
		ep, err := s.keyEpoch(ctx)
		if err != nil {
			return nil, err
		}
		s.flowsChecked = true
		if len(ep.PublicKey) > 0 {
			pk, err := ep.Key()
			if err != nil {
				return nil, err
			}
			s.Flows = NewHESealer(pk)
		}
	}
	return s.Flows, nil
}

// sealBook encrypts a transaction's payments in currency c into the
// groups of their aggregates in c's book (keys gives each payment's
// aggregates from the countries of the layout's parties), if the chain
// has an HE key, and returns nil otherwise.
func (s *Sender) sealBook(ctx context.Context, c ledger.Currency, amts []ledger.Opening, keys func(countries map[string]string, j int) ([]string, error)) ([]byte, error) {
	f, err := s.flowSealer(ctx)
	if err != nil || f == nil {
		return nil, err
	}
	info, err := s.C.Layout(ctx, c)
	if err != nil {
		return nil, err
	}
	l, err := ledger.LayoutOf(c, info.Keys)
	if err != nil {
		return nil, err
	}
	entries := make([]ledger.FlowEntry, len(amts))
	for j, a := range amts {
		ks, err := keys(info.Countries, j)
		if err != nil {
			return nil, err
		}
		entries[j] = ledger.FlowEntry{Amount: a, Keys: ks}
	}
	sums, err := ledger.FlowSums(l, entries)
	if err != nil {
		return nil, err
	}
	return f.SealBook(sums, uint64(len(amts)))
}

// sealTransfer seals one payment from → to in c into c's book.
func (s *Sender) sealTransfer(ctx context.Context, c ledger.Currency, from, to string, amt ledger.Opening) ([]byte, error) {
	return s.sealBook(ctx, c, []ledger.Opening{amt}, transferKeys(c, from, func(int) string { return to }))
}

// country returns a party's country as the layout's countries give it.
func country(countries map[string]string, id string) ([2]byte, error) {
	cc := countries[id]
	if len(cc) != 2 {
		return [2]byte{}, fmt.Errorf("ledger: %s has no account in the book's layout; sync and try again", id)
	}
	return [2]byte{cc[0], cc[1]}, nil
}

// transferKeys returns the aggregates of payments from me to tos[j].
func transferKeys(c ledger.Currency, me string, tos func(j int) string) func(map[string]string, int) ([]string, error) {
	return func(countries map[string]string, j int) ([]string, error) {
		sc, err := country(countries, me)
		if err != nil {
			return nil, err
		}
		rc, err := country(countries, tos(j))
		if err != nil {
			return nil, err
		}
		return ledger.TransferKeys(c, me, sc, tos(j), rc), nil
	}
}

// Sender builds, proves, signs and submits a party's transactions.
type Sender struct {
	W            *Wallet
	C            *client.Client
	P            *zkp.Prover // zkp's one proving path; pinned to the genesis keys before its first proof
	Flows        FlowSealer  // default: from the chain's genesis HE key
	flowsChecked bool
	epoch        *ledger.EpochInfo // the key epoch in force, read once (rotate.go)
	keysPinned   bool
	gen          *ledger.Genesis

	NoAudit bool // leave out the memo to the regulator

	// Sent counts the bytes of the transactions this sender has broadcast
	// and the nodes accepted (a Sender is used by one goroutine at a time).
	Sent int64

	// Reconciled is what the last command found of the transactions in
	// flight before it: folded as committed, or dropped with why.
	Reconciled SyncReport
}

// begin reconciles the transactions in flight with the node before a
// command reads the projected balance or chooses a nonce (see
// Wallet.reconcile): the nonce then follows transactions the node holds,
// and the balance no longer counts one that will not commit.
func (s *Sender) begin(ctx context.Context) error {
	s.Reconciled = SyncReport{}
	return s.W.reconcile(ctx, s.C, &s.Reconciled, false)
}

// Reconcile settles the transactions in flight with the node, as every
// command does first, and returns what it found.
func (s *Sender) Reconcile(ctx context.Context) (SyncReport, error) {
	err := s.begin(ctx)
	explain(&err)
	return s.Reconciled, err
}

// MaybeSentError is a broadcast that failed in a way that leaves open
// whether the node took the transaction: it stays in flight, may yet
// commit, and must be tracked (by TxID), never paid again.
type MaybeSentError struct {
	Err   error
	Kind  ledger.Kind
	TxID  ledger.TxID
	Nonce uint64
}

func (e *MaybeSentError) Error() string {
	return fmt.Sprintf("%v; %s %s (nonce %d) may have reached the node: it stays in flight, and the next command (or 'sable wallet sync') sends it again or drops it; do not pay it again",
		e.Err, e.Kind, e.TxID, e.Nonce)
}

func (e *MaybeSentError) Unwrap() error { return e.Err }

// UnrecordedError is a transaction the node accepted whose record the
// wallet could not then update (a full disk): it was sent, its record from
// before the broadcast keeps it in flight, and it commits at most once.
// Transfer and the like return it with the transaction's ID.
type UnrecordedError struct {
	Err   error
	Kind  ledger.Kind
	TxID  ledger.TxID
	Nonce uint64
}

func (e *UnrecordedError) Error() string {
	return fmt.Sprintf("%s %s (nonce %d) was sent, but %v; it stays in flight: once there is space, 'sable wallet sync' folds it in when it commits; do not pay it again",
		e.Kind, e.TxID, e.Nonce, e.Err)
}

func (e *UnrecordedError) Unwrap() error { return e.Err }

// explain says, of a command that failed for want of a node, that it sent
// nothing.
func explain(err *error) {
	var ms *MaybeSentError
	if *err != nil && errors.Is(*err, client.ErrUnreachable) && !errors.As(*err, &ms) {
		*err = fmt.Errorf("%w; nothing was sent", *err)
	}
}

// ErrInsufficient is a payment larger than the projected available balance.
var ErrInsufficient = errors.New("ledger: insufficient available balance")

// available returns the projected available balance in c, refusing an
// amount it does not cover; what says what the amount is for.
func (s *Sender) available(c ledger.Currency, amount uint64, what string) (ledger.Opening, error) {
	avail, err := s.W.Projected(c)
	if err != nil {
		return avail, err
	}
	if avail.Value < amount {
		return avail, fmt.Errorf("%w: %s %s available, %s %s", ErrInsufficient, c,
			ledger.FormatAmount(c, avail.Value), ledger.FormatAmount(c, amount), what)
	}
	return avail, nil
}

// nextNonce is the ledger's nonce, or one past the last in-flight one.
func (s *Sender) nextNonce(ctx context.Context) (uint64, error) {
	p, err := s.C.Party(ctx, s.W.id.Config.ID)
	if err != nil {
		return 0, err
	}
	n := p.Nonce
	fs, err := s.W.inflights()
	if err != nil {
		return 0, err
	}
	for _, f := range fs {
		if f.Nonce >= n {
			n = f.Nonce + 1
		}
	}
	return n, nil
}

// prepare readies a payment to receiver to: the circuit's checked prover,
// the receiver's registration and the next nonce, in that order, so that a
// key that does not match genesis fails before anything is asked of the node.
func (s *Sender) prepare(ctx context.Context, c zkp.Circuit, to string) (*zkp.Prover, ledger.PartyInfo, uint64, error) {
	p, err := s.prover(ctx, c)
	if err != nil {
		return nil, ledger.PartyInfo{}, 0, err
	}
	recv, err := s.C.Party(ctx, to)
	if err != nil {
		return nil, ledger.PartyInfo{}, 0, fmt.Errorf("ledger: receiver %q: %w", to, err)
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return nil, ledger.PartyInfo{}, 0, err
	}
	return p, recv, nonce, nil
}

// TransferRequest is a payment to make.
type TransferRequest struct {
	To          string
	Currency    ledger.Currency
	Amount      uint64
	Beneficiary [32]byte
}

// Transfer pays another bank. The proof is made against the available
// balance that the sender's in-flight transactions leave, so payments can
// be pipelined without waiting for each commit.
func (s *Sender) Transfer(ctx context.Context, req TransferRequest) (_ ledger.TxID, err error) {
	if req.Amount == 0 {
		return ledger.TxID{}, errors.New("ledger: amount is zero")
	}
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	avail, err := s.available(req.Currency, req.Amount, "requested")
	if err != nil {
		return ledger.TxID{}, err
	}
	p, to, nonce, err := s.prepare(ctx, zkp.Transfer, req.To)
	if err != nil {
		return ledger.TxID{}, err
	}
	amt := ledger.Opening{Value: req.Amount}
	if amt.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return ledger.TxID{}, err
	}
	body := &ledger.Transfer{To: req.To, Currency: req.Currency, Beneficiary: req.Beneficiary,
		Available: avail.Commitment(), Amount: amt.Commitment()}
	aad := ledger.MemoAAD(me.ChainID, me.ID, req.To, req.Currency, nonce)
	if body.Memo, err = ledger.SealOpening([32]byte(to.MemoKey), amt, aad); err != nil {
		return ledger.TxID{}, err
	}
	if body.AuditMemo, err = s.auditMemo(ctx, amt, aad); err != nil {
		return ledger.TxID{}, err
	}
	if body.SelfMemo, err = s.selfMemo(req.Currency, nonce, 0, amt); err != nil {
		return ledger.TxID{}, err
	}
	if body.Flow, err = s.sealTransfer(ctx, req.Currency, me.ID, req.To, amt); err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindTransfer, Sender: me.ID, Nonce: nonce, Body: body}
	if body.Proof, err = spend(p, avail, amt, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	return s.submit(ctx, tx, &inflight{Currency: req.Currency, Debit: amt, Credit: ledger.ZeroOpening()})
}

// selfMemo seals payment j's amount opening to the sender's own memo key:
// its record on the ledger, from which Recover rebuilds the wallet.
func (s *Sender) selfMemo(c ledger.Currency, nonce uint64, j int, amt ledger.Opening) ([]byte, error) {
	id := s.W.id
	return sealSelf(id.MemoPub, amt, ledger.SelfMemoAAD(id.Config.ChainID, id.Config.ID, c, nonce, j))
}

// sealSelf seals a self-memo; tests replace it to send a foreign one.
var sealSelf = ledger.SealOpening

// BulkTransfer pays amounts, each its own payment, to one bank in one
// currency in a single batch.
func (s *Sender) BulkTransfer(ctx context.Context, to string, c ledger.Currency, amounts []uint64) (ledger.TxID, error) {
	return s.BulkTransferTo(ctx, to, c, amounts, nil)
}

// BulkTransferTo is BulkTransfer with payment j to the receiver's
// registered beneficiary token bens[j] (zero: bank to bank); bens is nil
// or one token per amount.
func (s *Sender) BulkTransferTo(ctx context.Context, to string, c ledger.Currency, amounts []uint64, bens [][32]byte) (ledger.TxID, error) {
	if bens != nil && len(bens) != len(amounts) {
		return ledger.TxID{}, fmt.Errorf("ledger: %d beneficiaries for %d payments", len(bens), len(amounts))
	}
	reqs := make([]TransferRequest, len(amounts))
	for j, a := range amounts {
		reqs[j] = TransferRequest{To: to, Currency: c, Amount: a}
		if bens != nil {
			reqs[j].Beneficiary = bens[j]
		}
	}
	return s.Batch(ctx, reqs)
}

// Batch pays reqs, each its own payment (to any receiver, in any
// currency), in one batch transaction: one flow ciphertext and one
// available balance per currency, and one batch proof per chunk of up to
// zkp.BatchSize of a currency's payments, each chunk proved against its
// currency's projected available balance less the batch's earlier chunks
// in that currency.
func (s *Sender) Batch(ctx context.Context, reqs []TransferRequest) (_ ledger.TxID, err error) {
	if len(reqs) == 0 || len(reqs) > ledger.MaxBatchPayments {
		return ledger.TxID{}, fmt.Errorf("ledger: a batch carries 1 to %d payments, not %d", ledger.MaxBatchPayments, len(reqs))
	}
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	sums := map[ledger.Currency]uint64{}
	for j, r := range reqs {
		if r.Amount == 0 {
			return ledger.TxID{}, fmt.Errorf("ledger: payment %d: amount is zero", j)
		}
		if r.To == me.ID {
			return ledger.TxID{}, fmt.Errorf("ledger: payment %d: %s cannot pay itself", j, me.ID)
		}
		if sums[r.Currency]+r.Amount < sums[r.Currency] {
			return ledger.TxID{}, fmt.Errorf("ledger: the batch's %s total overflows 2^64 minor units", r.Currency)
		}
		sums[r.Currency] += r.Amount
	}
	curs := make([]ledger.Currency, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	sort.Slice(curs, func(i, j int) bool { return string(curs[i][:]) < string(curs[j][:]) })
	if len(curs) > ledger.MaxBatchBooks {
		return ledger.TxID{}, fmt.Errorf("ledger: a batch pays in at most %d currencies, not %d", ledger.MaxBatchBooks, len(curs))
	}
	avail := map[ledger.Currency]ledger.Opening{}
	body := &ledger.BatchTransfer{Payments: make([]ledger.BatchPayment, len(reqs))}
	for _, c := range curs {
		if avail[c], err = s.available(c, sums[c], "in the batch"); err != nil {
			return ledger.TxID{}, err
		}
		n := 0
		for _, r := range reqs {
			if r.Currency == c {
				n++
			}
		}
		// the proofs' number is bound by their contexts: set before they are made
		body.Books = append(body.Books, ledger.BatchBook{Currency: c, Available: avail[c].Commitment(),
			Proofs: make([][zkp.ProofSize]byte, ledger.BatchChunks(n))})
	}
	p, err := s.prover(ctx, zkp.Batch)
	if err != nil {
		return ledger.TxID{}, err
	}
	memoKeys := map[string][32]byte{}
	for _, r := range reqs {
		if _, ok := memoKeys[r.To]; !ok {
			recv, err := s.C.Party(ctx, r.To)
			if err != nil {
				return ledger.TxID{}, fmt.Errorf("ledger: receiver %q: %w", r.To, err)
			}
			memoKeys[r.To] = [32]byte(recv.MemoKey)
		}
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	amts := make([]ledger.Opening, len(reqs))
	debits := map[ledger.Currency]ledger.Opening{}
	for j, r := range reqs {
		amt := ledger.Opening{Value: r.Amount}
		if amt.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
			return ledger.TxID{}, err
		}
		amts[j] = amt
		d, ok := debits[r.Currency]
		if !ok {
			d = ledger.ZeroOpening()
		}
		if debits[r.Currency], err = d.Plus(amt); err != nil {
			return ledger.TxID{}, err
		}
		pay := &body.Payments[j]
		pay.To, pay.Currency, pay.Beneficiary, pay.Amount = r.To, r.Currency, r.Beneficiary, amt.Commitment()
		aad := ledger.BulkMemoAAD(me.ChainID, me.ID, r.To, r.Currency, nonce, j)
		if pay.Memo, err = ledger.SealOpening(memoKeys[r.To], amt, aad); err != nil {
			return ledger.TxID{}, err
		}
		if pay.AuditMemo, err = s.auditMemo(ctx, amt, aad); err != nil {
			return ledger.TxID{}, err
		}
		if pay.SelfMemo, err = s.selfMemo(r.Currency, nonce, j, amt); err != nil {
			return ledger.TxID{}, err
		}
	}
	for i, c := range curs {
		var idx []int
		var ca []ledger.Opening
		for j, r := range reqs {
			if r.Currency == c {
				idx, ca = append(idx, j), append(ca, amts[j])
			}
		}
		if body.Books[i].Flow, err = s.sealBook(ctx, c, ca, transferKeys(c, me.ID, func(k int) string { return reqs[idx[k]].To })); err != nil {
			return ledger.TxID{}, err
		}
	}
	tx := &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: me.ID, Nonce: nonce, Body: body}
	if err := proveChunks(p, tx, me.ChainID, avail, amts); err != nil {
		return ledger.TxID{}, err
	}
	f := &inflight{Currency: curs[0], Debit: debits[curs[0]], Credit: ledger.ZeroOpening()}
	for _, c := range curs[1:] {
		f.More = append(f.More, debitIn{Currency: c, Debit: debits[c]})
	}
	return s.submit(ctx, tx, f)
}

func (s *Sender) auditMemo(ctx context.Context, o ledger.Opening, aad []byte) ([]byte, error) {
	if s.NoAudit {
		return nil, nil
	}
	if ep, err := s.keyEpoch(ctx); err != nil {
		return nil, err
	} else if ep.Shared() {
		return nil, nil // no single party may read a payment: ledger.CodeAuditMemo
	}
	g, err := s.genesis(ctx)
	if err != nil {
		return nil, err
	}
	key, err := g.Regulator().MemoPublicKey()
	if err != nil {
		return nil, err
	}
	return ledger.SealOpening(key, o, aad)
}

// genesis fetches the chain's genesis once: it does not change, and with
// HE flows it runs to megabytes.
func (s *Sender) genesis(ctx context.Context) (*ledger.Genesis, error) {
	if s.gen == nil {
		g, err := s.C.Genesis(ctx)
		if err != nil {
			return nil, err
		}
		s.gen = g
	}
	return s.gen, nil
}

// prover returns the prover with the verifying-key hashes of the chain's
// genesis pinned, and circuit c's keys read and checked (zkp.CheckKeyPair):
// keys swapped under the party are refused before a transaction is built,
// let alone a proof made or anything broadcast. It needs the node only
// once, so a wallet stays usable offline for what makes no proof.
func (s *Sender) prover(ctx context.Context, c zkp.Circuit) (*zkp.Prover, error) {
	if !s.keysPinned {
		g, err := s.genesis(ctx)
		if err != nil {
			return nil, err
		}
		pins, err := genesisPins(g)
		if err != nil {
			return nil, err
		}
		if err := s.P.Pin(pins); err != nil {
			return nil, fmt.Errorf("ledger: the chain's genesis pins other keys: %w", err)
		}
		s.keysPinned = true
	}
	if _, _, err := s.P.Keys(c); err != nil {
		if errors.Is(err, zkp.ErrVKNotPinned) {
			return nil, fmt.Errorf("ledger: the chain's genesis pins another %s key: %w", c, err)
		}
		return nil, err
	}
	return s.P, nil
}

// genesisPins returns the verifying-key hashes the genesis pins.
func genesisPins(g *ledger.Genesis) (map[zkp.Circuit][32]byte, error) {
	pins := map[zkp.Circuit][32]byte{}
	for _, k := range []struct {
		c zkp.Circuit
		h string
	}{{zkp.Transfer, g.VKHashes.Transfer}, {zkp.Mint, g.VKHashes.Mint}, {zkp.FX, g.VKHashes.FX}, {zkp.Batch, g.VKHashes.Batch}} {
		if (k.c == zkp.FX || k.c == zkp.Batch) && k.h == "" {
			continue // a chain from before swaps, or before batch proofs
		}
		b, err := hex.DecodeString(k.h)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("ledger: genesis vk_hashes.%s is not 32 bytes of hex", k.c)
		}
		pins[k.c] = [32]byte(b)
	}
	return pins, nil
}

// submit records the transaction as in flight (synced), with its signed
// bytes, before it leaves, so that a crash cannot lose track of it, then
// broadcasts it. Refused by the node, or provably never taken (connection
// refused, node catching up), it is forgotten and the error says so; a
// failure that leaves open whether the node took it keeps it in flight, for
// the next command to send again or drop. A nonce gap means the node lost
// earlier in-flight transactions (a restart empties its mempool): they are
// sent again, in order, and then this one.
func (s *Sender) submit(ctx context.Context, tx *ledger.Tx, f *inflight) (ledger.TxID, error) {
	domain, derr := s.signingDomain(ctx)
	if derr != nil {
		return ledger.TxID{}, derr
	}
	tx.Sign(domain, s.W.id.Sign)
	raw := tx.Encode()
	f.Nonce, f.TxID, f.Kind, f.Created, f.Raw, f.Sent = tx.Nonce, sha256.Sum256(raw), tx.Kind, time.Now().Unix(), raw, false
	if err := s.W.putInflight(f); err != nil {
		// A record whose write failed may still reach the disk (a failed
		// fsync of bytes the kernel then writes): the next command would
		// find it in flight and send it. The bank learns the ID to look for
		// before it pays again.
		return ledger.TxID{}, fmt.Errorf("%w; nothing was sent: %s %s (nonce %d) was not broadcast, but if its record reached the disk all the same the next command sends it, once; check 'sable status %s' before paying again",
			err, f.Kind, f.TxID, f.Nonce, f.TxID)
	}
	err := s.C.BroadcastRaw(ctx, raw)
	var rej *ledger.Rejection
	if errors.As(err, &rej) && rej.Code == ledger.CodeBadNonce && s.inflightBefore(f.Nonce) {
		err = s.resend(ctx, f, rej)
	}
	switch {
	case err == nil:
		s.Sent += int64(len(raw))
		if !f.Sent {
			f.Sent = true
			// Failing, the synced record stays unmarked: the next command
			// sends the same bytes again, harmlessly.
			if err := s.W.putInflight(f); err != nil {
				return f.TxID, &UnrecordedError{Err: err, Kind: f.Kind, TxID: f.TxID, Nonce: f.Nonce}
			}
		}
		return f.TxID, nil
	case errors.As(err, &rej), client.NotSent(err):
		if derr := s.W.forget(f); derr != nil {
			// its record stays: the next command sends it again and drops it when refused
			return ledger.TxID{}, fmt.Errorf("%w; nothing was sent, but %w", err, derr)
		}
		return ledger.TxID{}, err
	}
	return ledger.TxID{}, &MaybeSentError{Err: err, Kind: f.Kind, TxID: f.TxID, Nonce: f.Nonce}
}

// inflightBefore reports whether a transaction before nonce n is in flight.
func (s *Sender) inflightBefore(n uint64) bool {
	fs, err := s.W.inflights()
	return err == nil && len(fs) > 0 && fs[0].Nonce < n
}

// resend sends the transactions in flight again, in nonce order, f last,
// after f met a nonce gap; nil when the node then holds f.
func (s *Sender) resend(ctx context.Context, f *inflight, gap *ledger.Rejection) error {
	if err := s.W.reconcile(ctx, s.C, &s.Reconciled, true); err != nil {
		return err
	}
	g, err := s.W.inflightAt(f.Nonce)
	if err != nil {
		return err
	}
	if g != nil && g.TxID == f.TxID && g.Sent {
		f.Sent = true
		return nil
	}
	if len(s.Reconciled.Dropped) > 0 {
		return fmt.Errorf("%w (dropped from flight: %s)", gap, strings.Join(s.Reconciled.Dropped, "; "))
	}
	return gap
}

// ApplyPending moves every received payment in c that the wallet can open
// into the available balance.
func (s *Sender) ApplyPending(ctx context.Context, c ledger.Currency) (_ ledger.TxID, _ int, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, 0, err
	}
	ps, err := s.W.Received(c)
	if err != nil {
		return ledger.TxID{}, 0, err
	}
	fs, err := s.W.inflights()
	if err != nil {
		return ledger.TxID{}, 0, err
	}
	busy := map[ledger.TxID]bool{}
	for _, f := range fs {
		for _, id := range f.Applies {
			busy[id] = true
		}
	}
	body := &ledger.ApplyPending{Currency: c}
	credit := ledger.ZeroOpening()
	for _, p := range ps {
		if busy[p.TxID] || len(body.Payments) == ledger.MaxApplyPayments {
			continue
		}
		body.Payments = append(body.Payments, p.TxID)
		if credit, err = credit.Plus(p.Opening); err != nil {
			return ledger.TxID{}, 0, err
		}
	}
	if len(body.Payments) == 0 {
		return ledger.TxID{}, 0, nil
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, 0, err
	}
	tx := &ledger.Tx{Kind: ledger.KindApplyPending, Sender: s.W.id.Config.ID, Nonce: nonce, Body: body}
	id, err := s.submit(ctx, tx, &inflight{Currency: c, Debit: ledger.ZeroOpening(), Credit: credit, Applies: body.Payments})
	return id, len(body.Payments), err
}

// RegisterBeneficiary publishes a fresh random token for one of the bank's
// customer accounts in c and returns it; payers quote it in transfers.
func (s *Sender) RegisterBeneficiary(ctx context.Context, c ledger.Currency, class uint8) (_ [32]byte, _ ledger.TxID, err error) {
	defer explain(&err)
	var token [32]byte
	if err := s.begin(ctx); err != nil {
		return token, ledger.TxID{}, err
	}
	if _, err := rand.Read(token[:]); err != nil {
		return token, ledger.TxID{}, fmt.Errorf("ledger: beneficiary token: %w", err)
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return token, ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindRegisterBeneficiary, Sender: s.W.id.Config.ID, Nonce: nonce,
		Body: &ledger.RegisterBeneficiary{Token: token, Currency: c, Class: class}}
	id, err := s.submit(ctx, tx, &inflight{Currency: c, Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()})
	return token, id, err
}

// EpochClose submits replacements for aggregates (the regulator only).
func (s *Sender) EpochClose(ctx context.Context, aggs []ledger.ClosedAggregate) (_ ledger.TxID, err error) {
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	tx := &ledger.Tx{Kind: ledger.KindEpochClose, Sender: s.W.id.Config.ID, Nonce: nonce, Body: &ledger.EpochClose{Aggregates: aggs}}
	return s.submit(ctx, tx, &inflight{Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()})
}

package state

// FX: quotes and atomic swaps (ledger/fx.go). A quote is kept at
// fxq/<quote id> with its remaining band, a commitment to Max − Σ fills,
// and indexed by expiry at fxx/<valid-until><quote id>; a filled swap
// request's id at fxr/<fill id>, so no request is filled twice. A swap
// applies both legs in the transaction's overlay: any check that fails
// leaves nothing behind (executor.apply).
//
// Expired quotes leave state: each block first prunes the quotes whose
// window ended more than quotePruneGrace blocks before it (pruneQuotes).
// Fill records stay: a replay of a fill is refused by its fxr record
// (CodeFillReplayed) before its quote is looked up, pruned or not.

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// quoteState is a published quote and what is left of it.
type quoteState struct {
	Provider   string
	Sell, Buy  ledger.Currency
	Rate       uint64
	Min, Max   uint64
	ValidUntil int64
	Height     int64          // published at
	Band       zkp.Commitment // Max·G − Σ fills' C_B
	Fills      uint64
}

func quoteKey(id ledger.TxID) []byte    { return append([]byte("fxq/"), id[:]...) }
func fillKey(id [32]byte) []byte        { return append([]byte("fxr/"), id[:]...) }
func quotePrefix() []byte               { return []byte("fxq/") }
func (q *quoteState) live(h int64) bool { return h <= q.ValidUntil }

// quoteExpiryKey indexes a quote by the last height it can be filled at,
// big-endian, so the index is in expiry order, then by id.
func quoteExpiryKey(validUntil int64, id ledger.TxID) []byte {
	return append(binary.BigEndian.AppendUint64(quoteExpiryPrefix(), uint64(validUntil)), id[:]...)
}
func quoteExpiryPrefix() []byte { return []byte("fxx/") }

// quoteExpiryMark is an index entry's value: the key says it all, and an
// empty value would read back as no value.
var quoteExpiryMark = []byte{1}

// quotePruneGrace is how many blocks an expired quote stays in state
// after its window: long enough that a swap sent just too late is refused
// as expired (CodeQuoteExpired) and the quote still answers /fx/quote,
// short enough that state holds only the live quotes and the last 64
// blocks' expired ones (about 20 s at the testnet's 300 ms blocks). A quote valid until height v is pruned at the start of
// block v + quotePruneGrace + 1. Part of the state transition: every
// validator of a chain uses the same.
const quotePruneGrace = 64

// quotePruneLimit bounds the quotes one block prunes, so that a burst of
// quotes expiring together cannot stall a block: the rest are pruned by
// the next blocks, oldest first. Part of the state transition, like the
// grace; a variable only so that tests can lower it.
var quotePruneLimit = 1024

// pruneQuotes deletes, in the block's overlay before its transactions,
// the quotes that expired more than quotePruneGrace blocks before height
// and their index entries: at most quotePruneLimit, in index order
// (valid-until, then id), so every validator deletes the same ones. It
// reads only the index entries it deletes (overlay.scanRange), whatever
// the number of live quotes.
//
// Pruning changes no transaction's outcome, so PrepareProposal and
// ProcessProposal need not run it: a swap naming a quote past its window
// is refused whether the quote is still in state (CodeQuoteExpired) or
// pruned (CodeQuoteUnknown), and nothing else reads a quote.
func pruneQuotes(o *overlay, height int64) (int, error) {
	below := height - quotePruneGrace // prune valid-until < below
	if below <= 1 {
		return 0, nil // no quote is valid until a height below 1 (ledger.Quote.Check)
	}
	pre := quoteExpiryPrefix()
	hi := binary.BigEndian.AppendUint64(pre, uint64(below))
	entries, err := o.scanRange(pre, hi, quotePruneLimit)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		var id ledger.TxID
		if len(e.Key) != len(pre)+8+len(id) {
			return 0, stateErr("quote expiry index", fmt.Errorf("key of %d bytes", len(e.Key)))
		}
		copy(id[:], e.Key[len(pre)+8:])
		o.del(quoteKey(id))
		o.del([]byte(e.Key))
	}
	return len(entries), nil
}

func (q *quoteState) encode() []byte {
	w := &codec.Writer{}
	w.Str(q.Provider)
	w.Fixed(q.Sell[:])
	w.Fixed(q.Buy[:])
	w.U64(q.Rate)
	w.U64(q.Min)
	w.U64(q.Max)
	w.U64(uint64(q.ValidUntil))
	w.U64(uint64(q.Height))
	w.Commitment(q.Band)
	w.U64(q.Fills)
	return w.B
}

func decodeQuote(b []byte) (*quoteState, error) {
	r := codec.NewReader(b)
	q := &quoteState{Provider: r.Str(ledger.MaxIDLen)}
	r.Fixed(q.Sell[:])
	r.Fixed(q.Buy[:])
	q.Rate, q.Min, q.Max = r.U64(), r.U64(), r.U64()
	q.ValidUntil, q.Height = int64(r.U64()), int64(r.U64())
	q.Band = r.StoredCommitment()
	q.Fills = r.U64()
	if err := r.Done(); err != nil {
		return nil, stateErr("quote", err)
	}
	return q, nil
}

func (v view) quote(id ledger.TxID) (*quoteState, error) {
	raw, err := v.o.get(quoteKey(id))
	if err != nil || raw == nil {
		return nil, err
	}
	return decodeQuote(raw)
}

// quote publishes a provider's quote once its liquidity proof verifies:
// a transfer of Com(Max, 0) out of the provider's available B.
func (e *executor) quote(v view, tx *ledger.Tx, sender *Party, b *ledger.Quote, st *TxStatus) *ledger.Rejection {
	if sender.Role != ledger.RoleBank {
		return ledger.Reject(ledger.CodeUnauthorized, "only banks publish FX quotes")
	}
	if err := b.Check(); err != nil {
		return ledger.Reject(ledger.CodeBadQuote, "%v", err)
	}
	if b.ValidUntil < st.Height || b.ValidUntil-st.Height > ledger.MaxQuoteValidBlocks {
		return ledger.Reject(ledger.CodeBadQuote, "quote valid until height %d, but this block is %d and a quote lives at most %d blocks", b.ValidUntil, st.Height, ledger.MaxQuoteValidBlocks)
	}
	if a, err := v.account(b.Sell, sender.ID); err != nil {
		return internal(err)
	} else if a == nil {
		return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account to receive leg A into; register it first", sender.ID, b.Sell)
	}
	acct, err := v.account(b.Buy, sender.ID)
	if err != nil {
		return internal(err)
	}
	if acct == nil {
		return ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", sender.ID, b.Buy)
	}
	if !acct.Available.Equal(b.Available) {
		return ledger.Reject(ledger.CodeStaleBalance, "the liquidity proof was made against an available %s balance that has since changed; sync the wallet and quote again", b.Buy)
	}
	if rej := e.verifier.check(fxProofs(tx, e.chainID)[0].pub, b.Proof); rej != nil {
		return ledger.Reject(ledger.CodeLegUnaffordable, "the liquidity proof does not verify: the %s balance does not cover the quote's max, or the proof is not for this quote", b.Buy)
	}
	if rej := e.flows.admitFX(v, b.Sell, b.Buy, sender.ID); rej != nil {
		return rej
	}
	q := &quoteState{Provider: sender.ID, Sell: b.Sell, Buy: b.Buy, Rate: b.Rate, Min: b.Min, Max: b.Max,
		ValidUntil: b.ValidUntil, Height: st.Height, Band: b.MaxCommitment()}
	v.o.set(quoteKey(st.id), q.encode())
	v.o.set(quoteExpiryKey(q.ValidUntil, st.id), quoteExpiryMark)
	st.Currency = b.Buy
	return nil
}

// admitFX gives a quote's provider its FX groups, both books checked
// before either is written: fxin in the sold-to-it currency's book (what
// it buys), fxout in the other's (what it pays). Allocated at the quote,
// in block order, so every swap's sender finds them in /layout.
func (f *flowBook) admitFX(v view, sell, buy ledger.Currency, provider string) *ledger.Rejection {
	if f == nil {
		return nil
	}
	want := []struct {
		c ledger.Currency
		k string
	}{{sell, ledger.AggFXIn(sell, buy, provider)}, {buy, ledger.AggFXOut(buy, sell, provider)}}
	var changed []*ledger.Layout
	for _, w := range want {
		l, err := v.layout(w.c)
		if err != nil {
			return internal(err)
		}
		added, err := l.AdmitFX(w.k, f.params.Groups())
		if err != nil {
			return ledger.Reject(ledger.CodeLayoutFull, "%v; the network needs a larger ring or a second book page before it takes this quote", err)
		}
		if added {
			changed = append(changed, l)
		}
	}
	for _, l := range changed {
		v.putLayout(l)
	}
	return nil
}

// replayedFill rejects a swap whose request was filled already. It runs
// before the nonce check, so a replay gets its own code.
func (e *executor) replayedFill(v view, tx *ledger.Tx) *ledger.Rejection {
	if tx.Kind != ledger.KindSwap {
		return nil
	}
	raw, err := v.o.get(fillKey(tx.FillID(e.chainID)))
	if err != nil {
		return internal(err)
	}
	if raw != nil {
		return ledger.Reject(ledger.CodeFillReplayed, "this swap request was filled already; make a new request")
	}
	return nil
}

// swap applies both legs of one cross-currency payment, or neither.
func (e *executor) swap(v view, tx *ledger.Tx, payer *Party, b *ledger.Swap, st *TxStatus) *ledger.Rejection {
	if e.verifier.keys[zkp.FX] == nil {
		return ledger.Reject(ledger.CodeNoFX, "this chain pins no fx verifying key: it predates swaps")
	}
	q, err := v.quote(b.Quote)
	if err != nil {
		return internal(err)
	}
	if q == nil {
		return ledger.Reject(ledger.CodeQuoteUnknown, "no quote %s in state: it was never published, or it expired and was pruned; list the live ones with 'sable fx quotes'", b.Quote)
	}
	if !q.live(st.Height) {
		return ledger.Reject(ledger.CodeQuoteExpired, "quote %s expired at height %d (this block is %d); ask for a live quote", b.Quote, q.ValidUntil, st.Height)
	}
	if b.Provider != q.Provider || b.Sell != q.Sell || b.Buy != q.Buy {
		return ledger.Reject(ledger.CodeQuoteUnknown, "quote %s is %s's for %s/%s, not %s's for %s/%s", b.Quote, q.Provider, q.Sell, q.Buy, b.Provider, b.Sell, b.Buy)
	}
	if payer.ID == q.Provider || b.To == q.Provider {
		return ledger.Reject(ledger.CodeSelfTransfer, "%s cannot take its own quote, nor pay itself leg B", q.Provider)
	}
	provider, err := v.party(q.Provider)
	if err != nil || provider == nil {
		return internal(stateErr("quote provider", err))
	}
	if b.Rate != q.Rate {
		return ledger.Reject(ledger.CodeFXRate, "the swap names rate %s, quote %s's is %s", ledger.FormatRate(q.Sell, q.Buy, b.Rate), b.Quote, ledger.FormatRate(q.Sell, q.Buy, q.Rate))
	}
	msg, err := tx.ProviderSigningBytes(e.chainID)
	if err != nil || !ed25519.Verify(provider.SignKey[:], msg, b.ProviderSig[:]) {
		return ledger.Reject(ledger.CodeProviderSig, "%s's signature does not verify over this swap on chain %q", q.Provider, e.chainID)
	}
	recv, to, rej := e.receiver(v, payer, b.To, q.Buy)
	if rej != nil {
		return rej
	}
	if rej := e.checkBeneficiary(v, b.Beneficiary, b.To, q.Buy); rej != nil {
		return rej
	}
	flowA, flowB, rej := e.checkSwapMemos(b)
	if rej != nil {
		return rej
	}
	st4 := swapStatements(tx, b, e.chainID)

	// Leg A: the payer's available A.
	acctA, rej := e.swapDebit(v, payer.ID, q.Sell, st4[0], b.ProofA)
	if rej != nil {
		return rej
	}
	v.putAccount(q.Sell, payer.ID, acctA)
	// The rate relation between the legs.
	if rej := e.verifier.check(st4[1].pub, b.ProofFX); rej != nil {
		return ledger.Reject(ledger.CodeFXRate, "the fx proof does not verify: leg B is not ⌊leg A × %s⌋ at quote %s's rate, or the proof is not for this swap", ledger.FormatRate(q.Sell, q.Buy, q.Rate), b.Quote)
	}
	// Leg B: the provider's available B, and the quote's band.
	acctB, rej := e.swapDebit(v, q.Provider, q.Buy, st4[2], b.ProofB)
	if rej != nil {
		return rej
	}
	v.putAccount(q.Buy, q.Provider, acctB)
	if !q.Band.Equal(b.Band) {
		return ledger.Reject(ledger.CodeStaleBand, "the band proof was made against a band of quote %s that another fill has changed since; fill again", b.Quote)
	}
	if rej := e.verifier.check(st4[3].pub, b.ProofBand); rej != nil {
		return ledger.Reject(ledger.CodeFillPastBand, "the band proof does not verify: the fill is larger than what is left of quote %s's band", b.Quote)
	}
	q.Band = q.Band.Sub(b.AmountB)
	q.Fills++
	v.o.set(quoteKey(b.Quote), q.encode())
	v.o.set(fillKey(tx.FillID(e.chainID)), st.id[:])

	// Credits: leg A to the provider's pending A, leg B to To's pending B.
	prov, err := v.account(q.Sell, q.Provider)
	if err != nil || prov == nil {
		return internal(stateErr("provider's account", err))
	}
	e.creditLeg(v, tx, st, 0, q.Provider, prov, q.Sell, b.AmountA, b.MemoA)
	e.creditLeg(v, tx, st, 1, b.To, to, q.Buy, b.AmountB, b.MemoB)
	st.To, st.Currency = b.To, q.Sell

	// One flow per leg, into the groups a transfer's flow enters and the
	// provider's FX group in that book (ledger.SwapKeys), both legs' books
	// checked before either is written.
	return e.recordTransfers(v, st,
		transferFlow{q.Sell, flowA, b.AmountA, payer, provider, ledger.AggFXIn(q.Sell, q.Buy, q.Provider)},
		transferFlow{q.Buy, flowB, b.AmountB, provider, recv, ledger.AggFXOut(q.Buy, q.Sell, q.Provider)})
}

// swapStatements are a swap's four statements and proofs, from the
// transaction alone (so a block's swaps are batch-verified with its other
// proofs): leg A, the rate relation, leg B and the band. The executor
// checks the commitments named against the state, and the rate against
// the quote's.
func swapStatements(tx *ledger.Tx, b *ledger.Swap, chainID string) [4]batchItem {
	ctx := tx.Context(chainID)
	return [4]batchItem{
		{pub: zkp.Public{Circuit: zkp.Transfer, Available: b.Available, Amount: b.AmountA, Context: ctx}, raw: b.ProofA},
		{pub: zkp.Public{Circuit: zkp.FX, Amount: b.AmountA, AmountB: b.AmountB, Rate: b.Rate, Context: ctx}, raw: b.ProofFX},
		{pub: zkp.Public{Circuit: zkp.Transfer, Available: b.ProviderAvailable, Amount: b.AmountB, Context: ctx}, raw: b.ProofB},
		{pub: zkp.Public{Circuit: zkp.Transfer, Available: b.Band, Amount: b.AmountB, Context: ctx}, raw: b.ProofBand},
	}
}

// fxProofs returns an FX transaction's statements and proofs for the
// batch verifier, or nil for another kind.
func fxProofs(tx *ledger.Tx, chainID string) []batchItem {
	switch b := tx.Body.(type) {
	case *ledger.Swap:
		st := swapStatements(tx, b, chainID)
		return st[:]
	case *ledger.Quote:
		return []batchItem{{pub: zkp.Public{Circuit: zkp.Transfer, Available: b.Available, Amount: b.MaxCommitment(), Context: tx.Context(chainID)}, raw: b.Proof}}
	}
	return nil
}

// checkSwapMemos checks both legs' memos and decodes their flows.
func (e *executor) checkSwapMemos(b *ledger.Swap) (*he.Ciphertext, *he.Ciphertext, *ledger.Rejection) {
	if rej := checkMemos(b.MemoA, b.AuditMemoA); rej != nil {
		return nil, nil, ledger.Reject(rej.Code, "leg A: %s", rej.Msg)
	}
	if rej := checkMemos(b.MemoB, b.AuditMemoB); rej != nil {
		return nil, nil, ledger.Reject(rej.Code, "leg B: %s", rej.Msg)
	}
	if rej := checkMemos(b.ProviderMemoB, nil); rej != nil {
		return nil, nil, ledger.Reject(rej.Code, "leg B's provider memo: %s", rej.Msg)
	}
	if rej := checkSelfMemo(b.SelfMemoA); rej != nil {
		return nil, nil, rej
	}
	flowA, rej := e.flows.decode(b.FlowA, 1)
	if rej != nil {
		return nil, nil, ledger.Reject(rej.Code, "leg A: %s", rej.Msg)
	}
	flowB, rej := e.flows.decode(b.FlowB, 1)
	if rej != nil {
		return nil, nil, ledger.Reject(rej.Code, "leg B: %s", rej.Msg)
	}
	return flowA, flowB, nil
}

// swapDebit checks one leg's transfer proof against its payer's current
// available balance and returns the account with the amount taken out.
func (e *executor) swapDebit(v view, payer string, c ledger.Currency, leg batchItem, proof [zkp.ProofSize]byte) (*Account, *ledger.Rejection) {
	acct, err := v.account(c, payer)
	if err != nil {
		return nil, internal(err)
	}
	if acct == nil {
		return nil, ledger.Reject(ledger.CodeUnknownAccount, "%s has no %s account", payer, c)
	}
	if !acct.Available.Equal(leg.pub.Available) {
		return nil, ledger.Reject(ledger.CodeStaleBalance, "%s's %s leg was proved against an available balance that has since changed; sync the wallet and prove again", payer, c)
	}
	if rej := e.verifier.check(leg.pub, proof); rej != nil {
		return nil, ledger.Reject(ledger.CodeLegUnaffordable, "%s's %s leg proof does not verify: its available balance does not cover the leg, or the proof is not for this swap", payer, c)
	}
	acct.Available = acct.Available.Sub(leg.pub.Amount)
	return acct, nil
}

// creditLeg adds leg j's amount to the receiver's pending balance under
// the payment id ledger.PaymentID(txid, j), as a bulk transfer's payment:
// its own incoming entry, unapplied index and status, so the receiver
// applies it alone. Its memo opens with MemoAAD(payer, receiver, c, nonce).
func (e *executor) creditLeg(v view, tx *ledger.Tx, st *TxStatus, j int, id string, acct *Account, c ledger.Currency, amount zkp.Commitment, memo []byte) {
	pid := ledger.PaymentID(st.id, j)
	acct.Pending = acct.Pending.Add(amount)
	v.putAccount(c, id, acct)
	in := &Incoming{TxID: pid, Kind: tx.Kind, Sender: tx.Sender, Nonce: tx.Nonce, Currency: c, Amount: amount, Memo: memo, Height: st.Height, Payment: uint32(j)}
	v.o.set(incomingPaymentKey(id, st.Height, st.Index, j), in.encode())
	amt := amount.Bytes()
	v.o.set(unappliedKey(id, c, pid), amt[:])
	ps := &TxStatus{Height: st.Height, Index: st.Index, Kind: tx.Kind, Sender: tx.Sender, To: id, Currency: c}
	v.o.set(statusKey(pid), ps.encode())
}

// queryQuotes lists the quotes a swap in block h can fill (h: the block
// after the last committed one), ordered by pair, then by
// rate (best for the payer first), then by id.
func queryQuotes(v view, h int64) (any, uint32, string) {
	entries, err := v.o.scan(quotePrefix())
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	out := []ledger.QuoteInfo{}
	for _, e := range entries {
		q, err := decodeQuote(e.Value)
		if err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
		if !q.live(h) {
			continue
		}
		var id ledger.TxID
		copy(id[:], e.Key[len(quotePrefix()):])
		out = append(out, q.info(id, h))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Pair != out[j].Pair {
			return out[i].Pair < out[j].Pair
		}
		if out[i].Rate != out[j].Rate {
			return out[i].Rate > out[j].Rate
		}
		return out[i].ID < out[j].ID
	})
	return out, 0, ""
}

// queryQuote answers one quote by id, live or expired until it is pruned.
func queryQuote(v view, h int64, data string) (any, uint32, string) {
	id, err := ledger.ParseTxID(data)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	q, err := v.quote(id)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	if q == nil {
		return nil, ledger.QueryCodeNotFound, "no quote " + data + " in state: never published, or expired and pruned"
	}
	return q.info(id, h), 0, ""
}

func (q *quoteState) info(id ledger.TxID, h int64) ledger.QuoteInfo {
	return ledger.QuoteInfo{ID: id.String(), Provider: q.Provider, Pair: q.Sell.String() + "/" + q.Buy.String(),
		Rate: q.Rate, RateText: ledger.FormatRate(q.Sell, q.Buy, q.Rate), Min: q.Min, Max: q.Max,
		ValidUntil: q.ValidUntil, Height: q.Height, Band: q.Band.String(), Fills: q.Fills, Live: q.live(h)}
}

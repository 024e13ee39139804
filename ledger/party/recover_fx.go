package party

// Recovery of an FX provider's side (the rest is recover.go). A swap is
// its payer's transaction, so the provider's own transactions (the tx
// index) hold only its quotes. Its fills are found through leg A, which
// the ledger credits to the provider as an incoming payment (kind fx-swap,
// payment 0, id ledger.PaymentID(swap id, 0)): that payment's status gives
// the swap's place in its block, and the block the swap itself. The swap's
// ProviderMemoB, sealed to the provider under ledger.SwapProviderAAD (and
// opened and checked by the provider before it signed the fill), opens
// leg B, which
//
//   - left the provider's available balance in B;
//   - left its quote's band: the ledger starts a band at Com(Max, 0) and
//     subtracts each fill's C_B, so the band's opening is
//     (Max − Σ b, −Σ r_B) over the quote's fills.
//
// Leg A is an incoming payment like any other (recover.go). Leg B debits
// are folded after the own transactions: they only take from the balance,
// so no prefix of the own transactions can look overdrawn without them.
// The band of each quote the ledger lists as live must match the ledger's
// band commitment; those bands are written to the wallet (fx/band/<quote
// id>), so the provider's next fill is proved against them. The wallet has
// no fill in flight after a recovery (the provider's in-flight fills are
// its payers' transactions, which the mempool wait does not see: one that
// commits later makes the wallet's check fail at sync, as for a transfer).

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
)

// quoteBand is one of the provider's own committed quotes as recovery
// rebuilds it: the currency of its band and the band's opening.
type quoteBand struct {
	cur  ledger.Currency
	band ledger.Opening
}

// addQuote records an own committed quote, whose band opens at (Max, 0).
func (r *rebuild) addQuote(tx *ledger.Tx, b *ledger.Quote) {
	r.quotes[tx.ID()] = &quoteBand{cur: b.Buy, band: ledger.Opening{Value: b.Max, Blinding: new(big.Int)}}
}

// readLiveQuotes reads the band commitment of each of the party's live
// quotes.
func readLiveQuotes(ctx context.Context, id *Identity, c *client.Client) (map[ledger.TxID]string, error) {
	qs, err := c.Quotes(ctx)
	if err != nil {
		return nil, err
	}
	out := map[ledger.TxID]string{}
	for _, q := range qs {
		if q.Provider != id.Config.ID {
			continue
		}
		qid, err := ledger.ParseTxID(q.ID)
		if err != nil {
			return nil, err
		}
		out[qid] = q.Band
	}
	return out, nil
}

// readFills folds leg B of every swap that filled one of the party's
// quotes, found through leg A's incoming payments.
func (r *rebuild) readFills(ctx context.Context, c *client.Client) error {
	var blk swapBlock // the block last read: one block may hold several fills
	for _, p := range r.sortedPayments() {
		if p.info.Kind != ledger.KindSwap.String() || p.info.Payment != 0 {
			continue // not a swap, or its leg B (this party as receiver)
		}
		tx, err := blk.locate(ctx, c, p.id)
		if err != nil {
			return fmt.Errorf("%w: the swap that paid leg A %s: %w", ErrRecover, p.id, err)
		}
		if err := r.foldFill(tx); err != nil {
			return fmt.Errorf("%w: %s %s (payer %s, nonce %d, height %d): %w", ErrRecover, tx.Kind, tx.ID(), tx.Sender, tx.Nonce, p.info.Height, err)
		}
	}
	return nil
}

// swapBlock finds a swap by the id of its leg A payment: the payment's
// status gives the swap's height and index, the block the swap. It keeps
// the transactions of the last block read.
type swapBlock struct {
	height int64
	txs    [][]byte
}

func (s *swapBlock) locate(ctx context.Context, c *client.Client, legA ledger.TxID) (*ledger.Tx, error) {
	st, err := c.Status(ctx, legA)
	if err != nil {
		return nil, err
	}
	if s.txs == nil || s.height != st.Height {
		b, err := c.Block(ctx, st.Height)
		if err != nil {
			return nil, fmt.Errorf("the node has no block %d (pruned?): %w", st.Height, err)
		}
		s.height, s.txs = st.Height, make([][]byte, len(b.Data.Txs))
		for i, raw := range b.Data.Txs {
			s.txs[i] = raw
		}
	}
	if int(st.Index) >= len(s.txs) {
		return nil, fmt.Errorf("block %d has %d transactions, none at index %d", st.Height, len(s.txs), st.Index)
	}
	tx, err := ledger.DecodeTx(s.txs[st.Index])
	if err != nil {
		return nil, fmt.Errorf("the transaction at height %d index %d does not decode: %w", st.Height, st.Index, err)
	}
	if ledger.PaymentID(tx.ID(), 0) != legA {
		return nil, fmt.Errorf("the transaction at height %d index %d is not the swap that paid it", st.Height, st.Index)
	}
	return tx, nil
}

// foldFill takes a committed swap's leg B, opened from its provider memo,
// from the party's available balance and from its quote's band; a swap
// that is not a fill of one of the party's own quotes, or whose provider
// memo does not open to leg B, moves nothing and fails.
func (r *rebuild) foldFill(tx *ledger.Tx) error {
	b, ok := tx.Body.(*ledger.Swap)
	if !ok || b.Provider != r.id.Config.ID {
		return fmt.Errorf("it is not a swap %s provided", r.id.Config.ID)
	}
	q := r.quotes[b.Quote]
	if q == nil || q.cur != b.Buy {
		return fmt.Errorf("it fills quote %s, which is none of %s's committed quotes in %s", b.Quote, r.id.Config.ID, b.Buy)
	}
	o, err := OpenProviderMemo(r.id, tx)
	if err != nil {
		return err
	}
	band, err := q.band.Minus(o)
	if err != nil {
		return fmt.Errorf("it fills past its quote's rebuilt band: %w", err)
	}
	base, ok := r.base[b.Buy]
	if !ok {
		base = ledger.ZeroOpening()
	}
	if base, err = base.Minus(o); err != nil {
		return fmt.Errorf("its leg B is more than the rebuilt available balance: %w", err)
	}
	q.band, r.base[b.Buy] = band, base
	r.fills++
	return nil
}

// OpenProviderMemo opens a swap's leg B from the memo its payer sealed to
// the provider id (ledger.SwapProviderAAD), and checks it against leg B's
// amount commitment: the provider's one record of what it paid.
func OpenProviderMemo(id *Identity, tx *ledger.Tx) (ledger.Opening, error) {
	b, ok := tx.Body.(*ledger.Swap)
	if !ok {
		return ledger.Opening{}, errors.New("it is not a swap")
	}
	if len(b.ProviderMemoB) == 0 {
		return ledger.Opening{}, errors.New("it carries no provider memo of leg B")
	}
	aad := ledger.SwapProviderAAD(id.Config.ChainID, tx.Sender, id.Config.ID, b.Buy, tx.Nonce)
	o, err := ledger.OpenMemo(id.MemoKey, b.ProviderMemoB, aad)
	if err != nil {
		return o, errors.New("its provider memo of leg B does not open with this home's memo key")
	}
	if !o.Commitment().Equal(b.AmountB) {
		return o, errors.New("its provider memo opens but does not match leg B's amount commitment")
	}
	return o, nil
}

// checkBands compares the rebuilt band of each of the party's live quotes
// with the ledger's, and keeps them to write.
func (r *rebuild) checkBands(live map[ledger.TxID]string) error {
	ids := make([]ledger.TxID, 0, len(live))
	for id := range live {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	r.bands = map[ledger.TxID]ledger.Opening{}
	for _, id := range ids {
		q := r.quotes[id]
		switch {
		case q == nil:
			return fmt.Errorf("%w: the ledger lists quote %s of %s as live, but its transactions hold no such quote", ErrRecover, id, r.id.Config.ID)
		case q.band.Commitment().String() != live[id]:
			return fmt.Errorf("%w: the rebuilt band of quote %s does not match the ledger's band commitment; nothing was written", ErrRecover, id)
		}
		r.bands[id] = q.band
	}
	return nil
}

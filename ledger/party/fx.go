package party

// FX: a provider's quotes and fills, a payer's swap requests.
//
// A swap is one transaction, the payer's (its nonce, its signature), that
// carries both legs. It is made in three steps, each by the party that
// holds the secrets it needs:
//
//  1. RequestSwap (payer): leg A's proof against the payer's available A,
//     the fx proof (leg B = ⌊leg A × rate⌋), both legs' memos and flows,
//     and the payer's signature over the request;
//  2. FillSwap (provider): checks the request against its own quote (the
//     memos open to amounts at the quote's rate, within its band), proves
//     leg B against its available B and the band, signs the same request;
//  3. SubmitSwap (payer): checks that the filled swap is its request and
//     submits it as its own transaction, tracked in flight like a transfer.
//
// Swap runs the three in one process, for a caller holding both homes.
// Between the steps the swap travels as bytes (cmd/sable writes them to
// files). A request stays valid until the payer sends another transaction
// (its nonce and available balance are taken) or the quote expires.
//
// The provider's wallet records each fill (fx/fill/<txid>) and each
// quote's band opening (fx/band/<quote id>): SettleFills folds a committed
// fill into its balance and band, and forgets one that can no longer
// commit (rejected, its quote expired, or its payer's nonce taken). Fills in
// flight are taken out of the available B the next fill is proved
// against, but not out of what the provider's own transfers see: a
// transfer sent while a fill is in flight goes stale when the fill
// commits (code 14), and is made again after a sync.

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// QuoteRequest is a quote to publish: sell Buy for Sell (the payer pays
// Sell, receives Buy) at Rate (ledger.ParseRate), filling Min to Max minor
// units of Buy per swap and in all, for ValidBlocks blocks.
type QuoteRequest struct {
	Sell, Buy   ledger.Currency
	Rate        uint64
	Min, Max    uint64
	ValidBlocks int64
}

// Quote publishes a quote with its liquidity proof: that the projected
// available balance in Buy covers Max. It returns the quote's id (its
// transaction's id).
func (s *Sender) Quote(ctx context.Context, req QuoteRequest) (_ ledger.TxID, err error) {
	if req.ValidBlocks < 1 || req.ValidBlocks > ledger.MaxQuoteValidBlocks {
		return ledger.TxID{}, fmt.Errorf("ledger: a quote is valid for 1 to %d blocks, not %d", ledger.MaxQuoteValidBlocks, req.ValidBlocks)
	}
	defer explain(&err)
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	if err := s.SettleFills(ctx); err != nil {
		return ledger.TxID{}, err
	}
	avail, err := s.fillable(req.Buy, req.Max, "quoted as the max")
	if err != nil {
		return ledger.TxID{}, err
	}
	p, err := s.prover(ctx, zkp.Transfer)
	if err != nil {
		return ledger.TxID{}, err
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	h, _, err := s.C.Height(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	me := s.W.id.Config
	body := &ledger.Quote{Sell: req.Sell, Buy: req.Buy, Rate: req.Rate, Min: req.Min, Max: req.Max,
		ValidUntil: h + req.ValidBlocks, Available: avail.Commitment()}
	if err := body.Check(); err != nil {
		return ledger.TxID{}, fmt.Errorf("ledger: %w", err)
	}
	tx := &ledger.Tx{Kind: ledger.KindQuote, Sender: me.ID, Nonce: nonce, Body: body}
	band := ledger.Opening{Value: req.Max, Blinding: new(big.Int)}
	if body.Proof, err = spend(p, avail, band, tx.Context(me.ChainID)); err != nil {
		return ledger.TxID{}, err
	}
	domain, err := s.signingDomain(ctx) // the key epoch in force (rotate.go)
	if err != nil {
		return ledger.TxID{}, err
	}
	tx.Sign(domain, s.W.id.Sign)
	id := tx.ID()
	// The band's opening is booked before the quote leaves: a quote that
	// never commits leaves an unused record, a quote that commits without
	// it could never be filled.
	if err := s.W.putBand(id, band); err != nil {
		return ledger.TxID{}, err
	}
	return s.submit(ctx, tx, &inflight{Currency: req.Buy, Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()})
}

// SwapRequest is a swap to make: Amount minor units of the quote's first
// currency A paid to the provider, for ⌊Amount × rate⌋ minor units of B
// delivered to To (the payer itself when empty), bank to bank or to a
// registered beneficiary token of To.
type SwapRequest struct {
	Quote       ledger.QuoteInfo // a live quote (client.Quotes)
	Amount      uint64
	To          string
	Beneficiary [32]byte
}

// Delivered is leg B's amount for req, or an error if it is 0, past 2^64,
// or outside the quote's [min, max].
func (req SwapRequest) Delivered() (uint64, error) {
	b, err := zkp.FXAmount(req.Amount, req.Quote.Rate)
	if err != nil {
		return 0, fmt.Errorf("ledger: %s %s at %s: %w", req.Quote.SellCurrency(), ledger.FormatAmount(req.Quote.SellCurrency(), req.Amount), req.Quote.RateText, err)
	}
	if b < req.Quote.Min || b > req.Quote.Max {
		buy := req.Quote.BuyCurrency()
		return 0, fmt.Errorf("ledger: %s %s is outside quote %s's fills of %s to %s", buy, ledger.FormatAmount(buy, b), req.Quote.ID,
			ledger.FormatAmount(buy, req.Quote.Min), ledger.FormatAmount(buy, req.Quote.Max))
	}
	return b, nil
}

// RequestSwap makes the payer's half of a swap (step 1): nothing is sent
// or recorded; the request goes to the provider as bytes.
func (s *Sender) RequestSwap(ctx context.Context, req SwapRequest) (_ *ledger.Tx, err error) {
	defer explain(&err)
	sell, buy := req.Quote.SellCurrency(), req.Quote.BuyCurrency()
	quoteID, err := ledger.ParseTxID(req.Quote.ID)
	if err != nil {
		return nil, err
	}
	b, err := req.Delivered()
	if err != nil {
		return nil, err
	}
	me := s.W.id.Config
	if req.To == "" {
		req.To = me.ID
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	availA, err := s.available(sell, req.Amount, "to swap")
	if err != nil {
		return nil, err
	}
	p, err := s.prover(ctx, zkp.FX)
	if err != nil {
		return nil, err
	}
	if _, err := s.prover(ctx, zkp.Transfer); err != nil {
		return nil, err
	}
	provider, err := s.C.Party(ctx, req.Quote.Provider)
	if err != nil {
		return nil, fmt.Errorf("ledger: provider %q: %w", req.Quote.Provider, err)
	}
	to, err := s.C.Party(ctx, req.To)
	if err != nil {
		return nil, fmt.Errorf("ledger: receiver %q: %w", req.To, err)
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return nil, err
	}
	a := ledger.Opening{Value: req.Amount}
	bo := ledger.Opening{Value: b}
	if a.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return nil, err
	}
	if bo.Blinding, err = zkp.RandomAmountBlinding(); err != nil {
		return nil, err
	}
	body := &ledger.Swap{Quote: quoteID, Provider: req.Quote.Provider, Sell: sell, Buy: buy, Rate: req.Quote.Rate, To: req.To, Beneficiary: req.Beneficiary,
		Available: availA.Commitment(), AmountA: a.Commitment(), AmountB: bo.Commitment(),
		ProviderAvailable: zkp.ZeroCommitment(), Band: zkp.ZeroCommitment()}
	aadA := ledger.MemoAAD(me.ChainID, me.ID, req.Quote.Provider, sell, nonce)
	aadB := ledger.MemoAAD(me.ChainID, me.ID, req.To, buy, nonce)
	if body.MemoA, err = ledger.SealOpening([32]byte(provider.MemoKey), a, aadA); err != nil {
		return nil, err
	}
	if body.AuditMemoA, err = s.auditMemo(ctx, a, aadA); err != nil {
		return nil, err
	}
	if body.SelfMemoA, err = s.selfMemo(sell, nonce, 0, a); err != nil {
		return nil, err
	}
	if body.MemoB, err = ledger.SealOpening([32]byte(to.MemoKey), bo, aadB); err != nil {
		return nil, err
	}
	if body.AuditMemoB, err = s.auditMemo(ctx, bo, aadB); err != nil {
		return nil, err
	}
	provAAD := ledger.SwapProviderAAD(me.ChainID, me.ID, req.Quote.Provider, buy, nonce)
	if body.ProviderMemoB, err = ledger.SealOpening([32]byte(provider.MemoKey), bo, provAAD); err != nil {
		return nil, err
	}
	if body.FlowA, err = s.sealLeg(ctx, sell, buy, me.ID, req.Quote.Provider, req.Quote.Provider, a); err != nil {
		return nil, err
	}
	if body.FlowB, err = s.sealLeg(ctx, buy, sell, req.Quote.Provider, req.To, req.Quote.Provider, bo); err != nil {
		return nil, err
	}
	tx := &ledger.Tx{Kind: ledger.KindSwap, Sender: me.ID, Nonce: nonce, Body: body}
	ctxt := tx.Context(me.ChainID)
	if body.ProofA, err = spend(p, availA, a, ctxt); err != nil {
		return nil, err
	}
	start := time.Now()
	_, proof, err := p.ProveFX(zkp.FXInput{AmountA: a.Value, BlindingA: a.Blinding, BlindingB: bo.Blinding, Rate: req.Quote.Rate, Context: ctxt})
	observeProof(start, err)
	if err != nil {
		return nil, err
	}
	body.ProofFX = proof.Bytes()
	body.ProofB, body.ProofBand = body.ProofA, body.ProofA // placeholders that decode, replaced by the fill
	domain, err := s.signingDomain(ctx)
	if err != nil {
		return nil, err
	}
	tx.Sign(domain, s.W.id.Sign)
	return tx, nil
}

// ErrNotOurs is a swap that is not for this party: another provider's, or
// (at submit) another payer's request.
var ErrNotOurs = errors.New("ledger: the swap is not this party's")

// FillSwap is the provider's step 2: it checks the payer's request against
// the provider's quote (live, its own; the payer's signature; memos that
// open to the amount commitments; leg B = ⌊leg A × rate⌋ within the
// quote's min and max and the band left), proves leg B and the band, signs,
// and records the fill. tx is filled in place.
func (s *Sender) FillSwap(ctx context.Context, tx *ledger.Tx) (err error) {
	defer explain(&err)
	body, ok := tx.Body.(*ledger.Swap)
	me := s.W.id.Config
	if !ok || body.Provider != me.ID {
		return fmt.Errorf("%w: it names provider %q", ErrNotOurs, providerOf(body))
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	if err := s.SettleFills(ctx); err != nil {
		return err
	}
	q, err := s.C.Quote(ctx, body.Quote)
	if err != nil {
		return fmt.Errorf("ledger: quote %s: %w", body.Quote, err)
	}
	if !q.Live || q.Provider != me.ID {
		return fmt.Errorf("ledger: quote %s is not a live quote of %s (valid until height %d)", body.Quote, me.ID, q.ValidUntil)
	}
	_, b, err := s.openRequest(ctx, tx, q)
	if err != nil {
		return err
	}
	band, err := s.W.projectedBand(body.Quote)
	if err != nil {
		return err
	}
	if band.Value < b.Value {
		return fmt.Errorf("ledger: %s %s past quote %s's band (%s left)", q.BuyCurrency(), ledger.FormatAmount(q.BuyCurrency(), b.Value), body.Quote,
			ledger.FormatAmount(q.BuyCurrency(), band.Value))
	}
	availB, err := s.fillable(q.BuyCurrency(), b.Value, "to fill")
	if err != nil {
		return err
	}
	p, err := s.prover(ctx, zkp.Transfer)
	if err != nil {
		return err
	}
	ctxt := tx.Context(me.ChainID)
	proofB, err := spend(p, availB, b, ctxt)
	if err != nil {
		return err
	}
	proofBand, err := spend(p, band, b, ctxt)
	if err != nil {
		return err
	}
	body.ProviderAvailable, body.Band, body.ProofB, body.ProofBand = availB.Commitment(), band.Commitment(), proofB, proofBand
	if err := tx.SignProvider(me.ChainID, s.W.id.Sign); err != nil {
		return err
	}
	return s.W.putFill(&fill{TxID: tx.ID(), Quote: body.Quote, Currency: q.BuyCurrency(), Amount: b, Created: time.Now().Unix(), Payer: tx.Sender, Nonce: tx.Nonce})
}

func providerOf(b *ledger.Swap) string {
	if b == nil {
		return ""
	}
	return b.Provider
}

// openRequest checks a request's payer signature and opens both legs'
// amounts from the memos sealed to the provider, checking them against the
// commitments and the quote's rate and size band.
func (s *Sender) openRequest(ctx context.Context, tx *ledger.Tx, q ledger.QuoteInfo) (a, b ledger.Opening, err error) {
	body := tx.Body.(*ledger.Swap)
	me := s.W.id
	payer, err := s.C.Party(ctx, tx.Sender)
	if err != nil {
		return a, b, fmt.Errorf("ledger: payer %q: %w", tx.Sender, err)
	}
	domain, err := s.signingDomain(ctx)
	if err != nil {
		return a, b, err
	}
	if !ed25519.Verify(payer.SignKey, tx.SigningBytes(domain), tx.Sig[:]) {
		return a, b, fmt.Errorf("ledger: the request is not signed by its payer %s", tx.Sender)
	}
	sell, buy := q.SellCurrency(), q.BuyCurrency()
	if a, err = ledger.OpenMemo(me.MemoKey, body.MemoA, ledger.MemoAAD(me.Config.ChainID, tx.Sender, me.Config.ID, sell, tx.Nonce)); err != nil || !a.Commitment().Equal(body.AmountA) {
		return a, b, fmt.Errorf("ledger: leg A's memo does not open to its amount")
	}
	if b, err = OpenProviderMemo(me, tx); err != nil || body.Buy != buy {
		return a, b, fmt.Errorf("ledger: leg B's provider memo does not open to its amount")
	}
	want, err := (SwapRequest{Quote: q, Amount: a.Value}).Delivered()
	if err != nil {
		return a, b, err
	}
	if b.Value != want {
		return a, b, fmt.Errorf("ledger: leg B is %s %s, but %s %s at %s is %s", buy, ledger.FormatAmount(buy, b.Value), sell,
			ledger.FormatAmount(sell, a.Value), q.RateText, ledger.FormatAmount(buy, want))
	}
	return a, b, nil
}

// SubmitSwap is the payer's step 3: the filled swap must be the payer's own
// request (its signature still holds, so the provider changed nothing it
// signed), made against the balance and nonce the wallet still projects;
// it is then submitted and tracked in flight as the payer's transaction.
func (s *Sender) SubmitSwap(ctx context.Context, tx *ledger.Tx) (_ ledger.TxID, err error) {
	defer explain(&err)
	me := s.W.id
	domain, err := s.signingDomain(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	body, ok := tx.Body.(*ledger.Swap)
	if !ok || tx.Sender != me.Config.ID || !ed25519.Verify(me.Sign.Public().(ed25519.PublicKey), tx.SigningBytes(domain), tx.Sig[:]) {
		return ledger.TxID{}, fmt.Errorf("%w: it is not a swap this payer requested", ErrNotOurs)
	}
	sell := body.Sell
	a, err := ledger.OpenMemo(me.MemoKey, body.SelfMemoA, ledger.SelfMemoAAD(me.Config.ChainID, me.Config.ID, sell, tx.Nonce, 0))
	if err != nil || !a.Commitment().Equal(body.AmountA) {
		return ledger.TxID{}, errors.New("ledger: the swap's self-memo does not open to leg A")
	}
	if err := s.begin(ctx); err != nil {
		return ledger.TxID{}, err
	}
	avail, err := s.W.Projected(sell)
	if err != nil {
		return ledger.TxID{}, err
	}
	nonce, err := s.nextNonce(ctx)
	if err != nil {
		return ledger.TxID{}, err
	}
	if nonce != tx.Nonce || !avail.Commitment().Equal(body.Available) {
		return ledger.TxID{}, fmt.Errorf("ledger: the request is stale: the payer has sent another transaction since (nonce %d, request %d); request again", nonce, tx.Nonce)
	}
	return s.submit(ctx, tx, &inflight{Currency: sell, Debit: a, Credit: ledger.ZeroOpening()})
}

// SwapResult is a swap submitted by Swap.
type SwapResult struct {
	TxID      ledger.TxID
	Paid      uint64 // leg A, minor units of the quote's A
	Delivered uint64 // leg B, minor units of B
}

// Swap performs one swap in this process, for a caller that holds both
// the payer's and the provider's homes (the router's tests, the demo):
// request, fill and submit. The swap is submitted, not waited for.
func Swap(ctx context.Context, payer, provider *Sender, req SwapRequest) (SwapResult, error) {
	b, err := req.Delivered()
	if err != nil {
		return SwapResult{}, err
	}
	tx, err := payer.RequestSwap(ctx, req)
	if err != nil {
		return SwapResult{}, err
	}
	if err := provider.FillSwap(ctx, tx); err != nil {
		return SwapResult{}, err
	}
	id, err := payer.SubmitSwap(ctx, tx)
	if err != nil {
		return SwapResult{}, err
	}
	return SwapResult{TxID: id, Paid: req.Amount, Delivered: b}, nil
}

// fill is a swap the provider filled that it has not yet seen settle.
type fill struct {
	TxID     ledger.TxID
	Quote    ledger.TxID
	Currency ledger.Currency
	Amount   ledger.Opening // leg B
	Created  int64
	Payer    string // the swap's sender, and its nonce: once another transaction
	Nonce    uint64 // of the payer holds it, the swap can no longer commit
}

func fillKey(id ledger.TxID) []byte { return append([]byte("fx/fill/"), id[:]...) }
func bandKey(id ledger.TxID) []byte { return append([]byte("fx/band/"), id[:]...) }

func (f *fill) encode() []byte {
	w := &codec.Writer{}
	w.Fixed(f.TxID[:])
	w.Fixed(f.Quote[:])
	w.Fixed(f.Currency[:])
	encodeOpening(w, f.Amount)
	w.U64(uint64(f.Created))
	w.Str(f.Payer)
	w.U64(f.Nonce)
	return w.B
}

func decodeFill(raw []byte) (*fill, error) {
	r := codec.NewReader(raw)
	f := &fill{}
	r.Fixed(f.TxID[:])
	r.Fixed(f.Quote[:])
	r.Fixed(f.Currency[:])
	f.Amount = decodeOpening(r)
	f.Created = int64(r.U64())
	f.Payer = r.Str(ledger.MaxIDLen)
	f.Nonce = r.U64()
	return f, corrupt("wallet fill", r.Done())
}

func (w *Wallet) putFill(f *fill) error {
	return w.write(func(b *pebble.Batch) error { return b.Set(fillKey(f.TxID), f.encode(), nil) })
}

func (w *Wallet) fills() ([]*fill, error) {
	entries, err := w.scan([]byte("fx/fill/"))
	if err != nil {
		return nil, err
	}
	out := make([]*fill, 0, len(entries))
	for _, e := range entries {
		f, err := decodeFill(e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (w *Wallet) putBand(id ledger.TxID, o ledger.Opening) error {
	return w.write(func(b *pebble.Batch) error {
		wr := &codec.Writer{}
		encodeOpening(wr, o)
		return b.Set(bandKey(id), wr.B, nil)
	})
}

// band returns the opening of a quote's band as of the fills settled.
func (w *Wallet) band(id ledger.TxID) (ledger.Opening, error) {
	raw, err := w.get(bandKey(id))
	if err != nil {
		return ledger.Opening{}, err
	}
	if raw == nil {
		return ledger.Opening{}, fmt.Errorf("ledger: the wallet has no band of quote %s: it is not this provider's quote, or was quoted from another wallet", id)
	}
	r := codec.NewReader(raw)
	o := decodeOpening(r)
	return o, corrupt("wallet band", r.Done())
}

// projectedBand is a quote's band less the fills in flight against it.
func (w *Wallet) projectedBand(id ledger.TxID) (ledger.Opening, error) {
	o, err := w.band(id)
	if err != nil {
		return o, err
	}
	fs, err := w.fills()
	if err != nil {
		return o, err
	}
	for _, f := range fs {
		if f.Quote == id {
			if o, err = o.Minus(f.Amount); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// fillable is the projected available balance in c less the fills in
// flight, refusing an amount it does not cover.
func (s *Sender) fillable(c ledger.Currency, amount uint64, what string) (ledger.Opening, error) {
	avail, err := s.W.Projected(c)
	if err != nil {
		return avail, err
	}
	fs, err := s.W.fills()
	if err != nil {
		return avail, err
	}
	for _, f := range fs {
		if f.Currency == c {
			if avail, err = avail.Minus(f.Amount); err != nil {
				return avail, err
			}
		}
	}
	if avail.Value < amount {
		return avail, fmt.Errorf("%w: %s %s available after the fills in flight, %s %s", ErrInsufficient, c,
			ledger.FormatAmount(c, avail.Value), ledger.FormatAmount(c, amount), what)
	}
	return avail, nil
}

// SettleFills folds each fill the ledger committed into the provider's
// balance and the quote's band, and forgets each one that will not commit:
// rejected, or whose quote has expired, or whose payer's nonce another
// transaction took (a request the payer never submitted). Any other fill
// stays in flight.
func (s *Sender) SettleFills(ctx context.Context) error { return s.W.SettleFills(ctx, s.C) }

// SettleFills is Sender.SettleFills for a wallet; Sync runs it.
func (w *Wallet) SettleFills(ctx context.Context, c *client.Client) error {
	fs, err := w.fills()
	if err != nil || len(fs) == 0 {
		return err
	}
	for _, f := range fs {
		// The quote and the payer's nonce are read before the status: a
		// swap that commits in between shows as committed.
		q, known, err := quoteForFill(ctx, c, f.Quote)
		if err != nil {
			return err
		}
		if !known {
			continue // a node behind the quote: settle the fill on a later sync
		}
		payer, err := c.Party(ctx, f.Payer)
		if err != nil {
			return err
		}
		o, err := c.Settled(ctx, f.TxID)
		if err != nil {
			return err
		}
		switch {
		case o.State == "committed":
			err = w.foldFill(f)
		case o.State == "rejected" || !q.Live || payer.Nonce > f.Nonce:
			err = w.write(func(b *pebble.Batch) error { return b.Delete(fillKey(f.TxID), nil) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// quoteForFill reads a fill's quote. A quote the node no longer holds
// expired and was pruned (the zero QuoteInfo: not live) if the node holds
// the quote's own transaction; if not, the node is behind the quote
// (known false), and the fill, which may still commit, is kept.
func quoteForFill(ctx context.Context, c *client.Client, id ledger.TxID) (q ledger.QuoteInfo, known bool, err error) {
	q, err = c.Quote(ctx, id)
	if !errors.Is(err, client.ErrNotFound) {
		return q, err == nil, err
	}
	if _, err := c.Status(ctx, id); err != nil {
		if errors.Is(err, client.ErrNotFound) {
			return q, false, nil
		}
		return q, false, err
	}
	return ledger.QuoteInfo{}, true, nil
}

// foldFill takes a committed fill out of the base balance and the band, in
// one batch with forgetting it.
func (w *Wallet) foldFill(f *fill) error {
	base, err := w.Base(f.Currency)
	if err != nil {
		return err
	}
	band, err := w.band(f.Quote)
	if err != nil {
		return err
	}
	if base, err = base.Minus(f.Amount); err != nil {
		return err
	}
	if band, err = band.Minus(f.Amount); err != nil {
		return err
	}
	return w.write(func(b *pebble.Batch) error {
		wr := &codec.Writer{}
		encodeOpening(wr, base)
		if err := b.Set(baseKey(f.Currency), wr.B, nil); err != nil {
			return err
		}
		wb := &codec.Writer{}
		encodeOpening(wb, band)
		if err := b.Set(bandKey(f.Quote), wb.B, nil); err != nil {
			return err
		}
		return b.Delete(fillKey(f.TxID), nil)
	})
}

// sealLeg seals one swap leg from → to in c into c's book: a transfer's
// groups and the provider's FX group against other (ledger.SwapKeys).
func (s *Sender) sealLeg(ctx context.Context, c, other ledger.Currency, from, to, provider string, amt ledger.Opening) ([]byte, error) {
	return s.sealBook(ctx, c, []ledger.Opening{amt}, func(countries map[string]string, _ int) ([]string, error) {
		sc, err := country(countries, from)
		if err != nil {
			return nil, err
		}
		rc, err := country(countries, to)
		if err != nil {
			return nil, err
		}
		return ledger.SwapKeys(c, other, from, sc, to, rc, provider), nil
	})
}

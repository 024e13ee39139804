package monitor

import (
	"context"
	"sort"
	"time"

	"github.com/sable-settlement/sable/ledger"
)

// QuoteReader lists the ledger's FX quotes (/fx/quotes);
// *ledger/client.Client is one.
type QuoteReader interface {
	Quotes(ctx context.Context) ([]ledger.QuoteInfo, error)
}

// FX is what the ledger makes public about FX at one block: the quotes
// /fx/quotes lists, by their public terms, and the swaps filled against
// them per pair. A quote's band (what is left of it) and a swap's leg
// amounts are hidden by the ledger, and nothing here is derived from them.
// The ledger lists live quotes only and prunes an expired one from state
// 64 blocks after its window, so fills against quotes no longer listed
// are not counted.
type FX struct {
	Read   bool     `json:"read"`            // the quotes were read at this height
	Error  string   `json:"error,omitempty"` // why they could not be
	Quotes []Quote  `json:"quotes"`          // ledger order: by pair, best rate first
	Pairs  []FXPair `json:"pairs"`           // by pair
}

// Quote is one quote's public terms. Min and Max are in major units of
// the currency the payer receives (Currency, the pair's second).
type Quote struct {
	ID         string `json:"id"`
	Provider   string `json:"provider"`
	Pair       string `json:"pair"`
	Rate       string `json:"rate"` // major units of the second currency per unit of the first
	Min        string `json:"min"`
	Max        string `json:"max"`
	Currency   string `json:"currency"`
	ValidUntil int64  `json:"valid_until"`
	// BlocksLeft is how many blocks after the snapshot's height can still
	// fill it: a quote is fillable up to and including its valid-until
	// height. Live is the ledger's flag (a swap in the next block can fill
	// it) and false once BlocksLeft is 0: a node older than that flag's
	// meaning still calls a quote live at its valid-until height, which no
	// later block can fill.
	BlocksLeft int64  `json:"blocks_left"`
	Live       bool   `json:"live"`
	Fills      uint64 `json:"fills"`
}

// FXPair counts, for one pair, the quotes listed and the swaps committed
// against them (the sum of their fills).
type FXPair struct {
	Pair   string `json:"pair"`
	Quotes int    `json:"quotes"`
	Swaps  uint64 `json:"swaps"`
}

// fxTimeout bounds the quotes query, like the height query's.
const fxTimeout = 10 * time.Second

// readFX reads the quotes at height h. A failed read is reported in the
// panel rather than failing the snapshot: the audit's figures stand
// without it.
func (s *Server) readFX(ctx context.Context, h int64) FX {
	qctx, cancel := context.WithTimeout(ctx, fxTimeout)
	defer cancel()
	list, err := s.cfg.Node.Quotes(qctx)
	if err != nil {
		return FX{Error: err.Error(), Quotes: []Quote{}, Pairs: []FXPair{}}
	}
	return fxPanel(list, h)
}

// fxPanel keeps the public terms of list, as read at height h.
func fxPanel(list []ledger.QuoteInfo, h int64) FX {
	fx := FX{Read: true, Quotes: []Quote{}, Pairs: []FXPair{}}
	pairs := map[string]*FXPair{}
	for _, q := range list {
		buy := q.BuyCurrency()
		left := max(0, q.ValidUntil-h)
		fx.Quotes = append(fx.Quotes, Quote{ID: q.ID, Provider: q.Provider, Pair: q.Pair, Rate: q.RateText,
			Min: ledger.FormatAmount(buy, q.Min), Max: ledger.FormatAmount(buy, q.Max), Currency: buy.String(),
			ValidUntil: q.ValidUntil, BlocksLeft: left, Live: q.Live && left > 0, Fills: q.Fills})
		p := pairs[q.Pair]
		if p == nil {
			p = &FXPair{Pair: q.Pair}
			pairs[q.Pair] = p
		}
		p.Quotes++
		p.Swaps += q.Fills
	}
	for _, p := range pairs {
		fx.Pairs = append(fx.Pairs, *p)
	}
	sort.Slice(fx.Pairs, func(i, j int) bool { return fx.Pairs[i].Pair < fx.Pairs[j].Pair })
	return fx
}

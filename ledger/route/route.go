package route

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/sable-settlement/sable/ledger"
)

// The reasons a payment has no route; Plan's errors wrap one of them.
var (
	ErrNoQuote      = errors.New("no live quote")
	ErrBandTooSmall = errors.New("the quotes' bands cannot fill the amount")
	ErrBalanceShort = errors.New("balance short")
	ErrCostTooHigh  = errors.New("cost above the maximum")
)

// Quote is one live FX quote as the planner needs it.
type Quote struct {
	ID       string // the quote's id on the ledger; orders equal quotes
	Provider string // the bank that delivers To
	From, To ledger.Currency
	// Rate is minor units of To per minor unit of From, at scale 10^Scale:
	// paying a delivers ⌊a·Rate / 10^Scale⌋.
	Rate  uint64
	Scale uint8
	// Min and Max bound one fill, in minor units of To; Remaining is what
	// the band has left after earlier fills.
	Min, Max, Remaining uint64
	// Expiry is the last height at which a swap against the quote is
	// accepted.
	Expiry int64
	// Proven is true when the provider's liquidity proof for Max was
	// accepted by the ledger; unproven quotes are never used.
	Proven bool
}

// Request is what the payer wants and what it has.
type Request struct {
	// Balances are the payer's available balances, in minor units.
	Balances map[ledger.Currency]uint64
	// Deliver and Amount: the currency and minor units the beneficiary
	// must receive, at least.
	Deliver ledger.Currency
	Amount  uint64
	// From lists the currencies the payer allows spending, in order of
	// preference; empty means every currency with a positive balance, the
	// target first, then in ledger.Currencies order.
	From []ledger.Currency
	// Quotes are the live quotes, in any order.
	Quotes []Quote
	// Height is the ledger's last committed height.
	Height int64
	// MaxCostBps, when not nil, refuses a route that costs more basis points.
	MaxCostBps *int64
	// Payer and Beneficiary are the banks' ids, when known: the payer's own
	// quotes are never used, the beneficiary's only on a hop that delivers
	// back to the payer (the ledger takes no swap with oneself).
	Payer, Beneficiary string
}

// Kind names the shape of a route.
type Kind string

const (
	Direct Kind = "direct"  // a transfer from a balance in the target currency
	FX     Kind = "fx"      // one swap through one quote
	Split  Kind = "split"   // one hop through several quotes
	TwoHop Kind = "two-hop" // From → Via to the payer, then Via → target
)

// Leg is one swap: Pay minor units of Quote.From to the quote's provider,
// who delivers Receive = ⌊Pay·Rate / 10^Scale⌋ minor units of Quote.To.
type Leg struct {
	Quote   Quote
	Pay     uint64
	Receive uint64
}

// Hop is one currency conversion, one leg per quote it uses.
type Hop struct {
	From, To ledger.Currency
	Legs     []Leg
	Pay      uint64 // Σ legs' Pay, minor units of From
	Receive  uint64 // Σ legs' Receive, minor units of To
	ToPayer  bool   // delivers back to the payer (the first of two hops)
}

// Route is a plan to deliver Amount of Deliver by spending Spend of Source.
type Route struct {
	Kind      Kind
	Source    ledger.Currency
	Via       ledger.Currency // the intermediate currency of a two-hop route
	Deliver   ledger.Currency
	Amount    uint64 // asked
	Delivered uint64 // ≥ Amount
	Spend     uint64 // ≤ the source balance
	Hops      []Hop  // none for a direct route
	// Reference is P, minor units of Deliver per minor unit of Source;
	// nil for a direct route.
	Reference *big.Rat
	// Cost is 1 − Amount/(Spend·P), exactly; CostBps is it in basis
	// points, rounded up.
	Cost    *big.Rat
	CostBps int64

	pref int // the source's place in the payer's order of preference
}

// Transactions is how many transactions the route submits.
func (r *Route) Transactions() int {
	if r.Kind == Direct {
		return 1
	}
	n := 0
	for _, h := range r.Hops {
		n += len(h.Legs)
	}
	return n
}

// Plan returns the cheapest feasible route for req (see the package doc for
// what cheapest means), or an error wrapping ErrNoQuote, ErrBandTooSmall,
// ErrBalanceShort or ErrCostTooHigh that says why there is none.
func Plan(req Request) (*Route, error) {
	if !req.Deliver.Known() {
		return nil, fmt.Errorf("route: unknown currency %q to deliver", req.Deliver.String())
	}
	if req.Amount == 0 {
		return nil, errors.New("route: the amount to deliver is zero")
	}
	sources := req.sources()
	if len(sources) == 0 {
		return nil, fmt.Errorf("route: %w: the wallet holds no available balance to pay %s from", ErrBalanceShort, req.Deliver)
	}
	m := newMarket(req.Quotes, req.Height, req.Payer, req.Beneficiary)
	var (
		best     *Route
		cheapest *Route // the cheapest route, affordable or not
		paths    []string
	)
	for i, src := range sources {
		if src == req.Deliver {
			d := directRoute(req, i)
			if req.Balances[src] >= req.Amount {
				return d, nil
			}
			cheapest = pickCheaper(cheapest, d)
			continue
		}
		for _, r := range m.routes(src, req.Deliver, req.Amount, &paths) {
			r.pref = i
			cheapest = pickCheaper(cheapest, r)
			if r.Spend <= req.Balances[src] {
				best = pickCheaper(best, r)
			}
		}
	}
	switch {
	case best != nil:
		if req.MaxCostBps != nil && best.CostBps > *req.MaxCostBps {
			return nil, fmt.Errorf("route: %w: the cheapest route (%s) costs %d bps, above the maximum of %d bps",
				ErrCostTooHigh, best.Summary(), best.CostBps, *req.MaxCostBps)
		}
		return best, nil
	case cheapest != nil:
		return nil, fmt.Errorf("route: %w: the cheapest route (%s) spends %s %s, the wallet holds %s %s available",
			ErrBalanceShort, cheapest.Summary(), cheapest.Source, ledger.FormatAmount(cheapest.Source, cheapest.Spend),
			cheapest.Source, ledger.FormatAmount(cheapest.Source, req.Balances[cheapest.Source]))
	case len(paths) > 0:
		return nil, fmt.Errorf("route: %w: no combination of quotes delivers %s %s within their bands (%s)",
			ErrBandTooSmall, req.Deliver, ledger.FormatAmount(req.Deliver, req.Amount), strings.Join(paths, "; "))
	default:
		names := make([]string, len(sources))
		for i, s := range sources {
			names[i] = s.String()
		}
		return nil, fmt.Errorf("route: %w delivers %s from %s in one or two hops at height %d",
			ErrNoQuote, req.Deliver, strings.Join(names, ", "), req.Height)
	}
}

// sources returns the allowed source currencies in order of preference,
// without repeats.
func (req *Request) sources() []ledger.Currency {
	var out []ledger.Currency
	seen := map[ledger.Currency]bool{}
	add := func(c ledger.Currency) {
		if c.Known() && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(req.From) > 0 {
		for _, c := range req.From {
			add(c)
		}
		return out
	}
	if req.Balances[req.Deliver] > 0 {
		add(req.Deliver)
	}
	for _, k := range ledger.Currencies {
		if req.Balances[k.Code] > 0 {
			add(k.Code)
		}
	}
	return out
}

func directRoute(req Request, pref int) *Route {
	return &Route{
		Kind: Direct, Source: req.Deliver, Deliver: req.Deliver,
		Amount: req.Amount, Delivered: req.Amount, Spend: req.Amount,
		Cost: new(big.Rat), CostBps: 0, pref: pref,
	}
}

// pickCheaper returns the better of cur (nil for none yet) and r.
func pickCheaper(cur, r *Route) *Route {
	if cur == nil || rank(r, cur) < 0 {
		return r
	}
	return cur
}

var kindOrder = map[Kind]int{Direct: 0, FX: 1, Split: 2, TwoHop: 3}

// rank compares two routes, negative when a is the better: a direct route
// first, then lower cost, fewer transactions, earlier source, kind, the
// intermediate currency, the quotes' ids.
func rank(a, b *Route) int {
	if (a.Kind == Direct) != (b.Kind == Direct) {
		if a.Kind == Direct {
			return -1
		}
		return 1
	}
	if c := a.Cost.Cmp(b.Cost); c != 0 {
		return c
	}
	if a.Transactions() != b.Transactions() {
		return a.Transactions() - b.Transactions()
	}
	if a.pref != b.pref {
		return a.pref - b.pref
	}
	if kindOrder[a.Kind] != kindOrder[b.Kind] {
		return kindOrder[a.Kind] - kindOrder[b.Kind]
	}
	if a.Via != b.Via {
		return strings.Compare(a.Via.String(), b.Via.String())
	}
	return strings.Compare(a.quoteIDs(), b.quoteIDs())
}

func (r *Route) quoteIDs() string {
	var ids []string
	for _, h := range r.Hops {
		for _, l := range h.Legs {
			ids = append(ids, l.Quote.ID)
		}
	}
	return strings.Join(ids, "\x00")
}

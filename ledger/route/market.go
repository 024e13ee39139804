package route

import (
	"fmt"
	"math/big"

	"github.com/sable-settlement/sable/ledger"
)

type pair struct{ from, to ledger.Currency }

// market holds the usable quotes of each pair, best first.
type market struct {
	books map[pair][]*Quote
	// payer's own quotes are in no book (the ledger refuses a swap with
	// oneself); beneficiary's quotes are usable only on a hop back to the
	// payer (the ledger refuses a provider paying leg B to itself).
	payer, beneficiary string
}

func newMarket(qs []Quote, height int64, payer, beneficiary string) *market {
	m := &market{books: map[pair][]*Quote{}, payer: payer, beneficiary: beneficiary}
	for i := range qs {
		q := qs[i]
		if usable(&q, height) && (payer == "" || q.Provider != payer) {
			p := pair{q.From, q.To}
			m.books[p] = append(m.books[p], &q)
		}
	}
	for p, b := range m.books { // each book is sorted on its own: order-free
		m.books[p] = sortBook(b)
	}
	return m
}

// usable reports whether q can fill a leg in a block after height: live,
// proven, well formed and with room left in its band.
func usable(q *Quote, height int64) bool {
	return q.Proven && q.Expiry > height && q.Rate > 0 && q.Scale <= 19 &&
		q.From != q.To && q.From.Known() && q.To.Known() && q.capacity() >= q.minFill()
}

// finalBook is the book of a hop that pays the beneficiary: without the
// beneficiary's own quotes.
func (m *market) finalBook(a, b ledger.Currency) []*Quote {
	book := m.books[pair{a, b}]
	if m.beneficiary == "" {
		return book
	}
	var out []*Quote
	for _, q := range book {
		if q.Provider != m.beneficiary {
			out = append(out, q)
		}
	}
	return out
}

// rate is q's rate as an exact rational, minor units of To per minor unit
// of From.
func rate(q *Quote) *big.Rat {
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(q.Rate), new(big.Int).SetUint64(pow10(q.Scale)))
}

// best is the best rate quoted from a to b, nil if none.
func (m *market) best(a, b ledger.Currency) *big.Rat {
	if book := m.books[pair{a, b}]; len(book) > 0 {
		return rate(book[0])
	}
	return nil
}

// mid is the fair rate from a to b: the mid of the best rates both ways
// when the pair is quoted both ways, the one side's best rate otherwise.
func (m *market) mid(a, b ledger.Currency) *big.Rat {
	ab, ba := m.best(a, b), m.best(b, a)
	switch {
	case ab != nil && ba != nil:
		r := new(big.Rat).Add(ab, new(big.Rat).Inv(ba))
		return r.Quo(r, big.NewRat(2, 1))
	case ab != nil:
		return ab
	case ba != nil:
		return new(big.Rat).Inv(ba)
	}
	return nil
}

// reference is P from x to t: the best of the pair's fair rate and every
// cross through a third currency; nil when no quotes join them.
func (m *market) reference(x, t ledger.Currency) *big.Rat {
	ref := m.mid(x, t)
	for _, k := range ledger.Currencies {
		y := k.Code
		if y == x || y == t {
			continue
		}
		a, b := m.mid(x, y), m.mid(y, t)
		if a == nil || b == nil {
			continue
		}
		if c := new(big.Rat).Mul(a, b); ref == nil || c.Cmp(ref) > 0 {
			ref = c
		}
	}
	return ref
}

// routes returns the best one-hop route and the best two-hop route through
// each intermediate currency from src to dst, those that exist. Each pair
// of books tried is described in *paths (with what its bands can deliver),
// for an error that says why no route fits.
func (m *market) routes(src, dst ledger.Currency, amount uint64, paths *[]string) []*Route {
	ref := m.reference(src, dst)
	var out []*Route
	if book := m.finalBook(src, dst); len(book) > 0 {
		*paths = append(*paths, fmt.Sprintf("%s→%s can deliver %s", src, dst, held(dst, capacityOf(book))))
		if f, ok := bestFill(book, amount); ok {
			out = append(out, newRoute(src, ledger.Currency{}, dst, amount, ref, f))
		}
	}
	for _, k := range ledger.Currencies {
		via := k.Code
		if via == src || via == dst {
			continue
		}
		first, second := m.books[pair{src, via}], m.finalBook(via, dst)
		if len(first) == 0 || len(second) == 0 {
			continue
		}
		*paths = append(*paths, fmt.Sprintf("%s→%s→%s can deliver %s, of which %s→%s %s",
			src, via, dst, held(dst, capacityOf(second)), src, via, held(via, capacityOf(first))))
		if f1, f2, ok := bestTwoHop(first, second, amount); ok {
			out = append(out, newRoute(src, via, dst, amount, ref, f1, f2))
		}
	}
	return out
}

func held(c ledger.Currency, v uint64) string {
	return fmt.Sprintf("at most %s %s", c, ledger.FormatAmount(c, v))
}

// bestTwoHop returns the cheapest pair of fills that delivers amount
// through second, paying for it with what first delivers. What the source
// must pay for n of the intermediate currency never falls as n grows (a
// fill that delivers n+1 delivers n), so the cheapest pair is the fill of
// second that needs the least of the intermediate currency, bought by the
// best fill of first: one search per hop, not one per pair of fills.
func bestTwoHop(first, second []*Quote, amount uint64) (f1, f2 fill, found bool) {
	if f2, found = bestFill(second, amount); !found {
		return f1, f2, false
	}
	f1, found = bestFill(first, f2.pay)
	return f1, f2, found
}

// newRoute assembles a route from its hops' fills and prices it against ref.
func newRoute(src, via, dst ledger.Currency, amount uint64, ref *big.Rat, fills ...fill) *Route {
	r := &Route{Source: src, Via: via, Deliver: dst, Amount: amount, Reference: ref}
	for i, f := range fills {
		h := Hop{From: f.quotes[0].From, To: f.quotes[0].To, Legs: f.legs(),
			Pay: f.pay, Receive: f.receive, ToPayer: i < len(fills)-1}
		r.Hops = append(r.Hops, h)
	}
	r.Spend = r.Hops[0].Pay
	r.Delivered = r.Hops[len(r.Hops)-1].Receive
	switch {
	case len(r.Hops) == 2:
		r.Kind = TwoHop
	case len(r.Hops[0].Legs) > 1:
		r.Kind = Split
	default:
		r.Kind = FX
	}
	r.Cost, r.CostBps = cost(amount, r.Spend, ref)
	return r
}

// cost is 1 − amount/(spend·ref), and it in basis points rounded up.
func cost(amount, spend uint64, ref *big.Rat) (*big.Rat, int64) {
	value := new(big.Rat).Mul(new(big.Rat).SetInt(new(big.Int).SetUint64(spend)), ref)
	c := new(big.Rat).SetInt(new(big.Int).SetUint64(amount))
	c.Quo(c, value)
	c.Sub(big.NewRat(1, 1), c)
	bps := new(big.Rat).Mul(c, big.NewRat(10000, 1))
	q, rem := new(big.Int).DivMod(bps.Num(), bps.Denom(), new(big.Int)) // floor: Denom > 0
	if rem.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return c, q.Int64()
}

package route

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// checkRoute returns what is unsound in r as a plan for req, or "": it
// delivers less than asked, spends more than the balance or than allowed,
// uses a quote that is expired, unproven or outside its band, or a leg's
// amounts break the swap's rounding (recomputed here with big integers).
func checkRoute(req Request, r *Route) string {
	if r.Deliver != req.Deliver || r.Amount != req.Amount {
		return "delivers another currency or amount than asked"
	}
	if r.Delivered < req.Amount {
		return fmt.Sprintf("delivers %d < %d asked", r.Delivered, req.Amount)
	}
	if r.Spend > req.Balances[r.Source] {
		return fmt.Sprintf("spends %d > balance %d", r.Spend, req.Balances[r.Source])
	}
	if len(req.From) > 0 && !slices.Contains(req.From, r.Source) {
		return "spends a currency not allowed"
	}
	if req.MaxCostBps != nil && r.CostBps > *req.MaxCostBps {
		return "costs more than allowed"
	}
	if r.Kind == Direct {
		if r.Source != req.Deliver || r.Spend != req.Amount || r.Delivered != req.Amount || len(r.Hops) != 0 {
			return "a direct route that is not a plain transfer of the amount"
		}
		return ""
	}
	if len(r.Hops) == 0 || len(r.Hops) > 2 || r.Hops[0].From != r.Source || r.Hops[len(r.Hops)-1].To != req.Deliver {
		return "hops do not lead from the source to the target"
	}
	if r.Spend != r.Hops[0].Pay || r.Delivered != r.Hops[len(r.Hops)-1].Receive {
		return "spend or delivered is not the hops'"
	}
	for i, h := range r.Hops {
		if h.ToPayer != (i < len(r.Hops)-1) {
			return "only the last hop pays the beneficiary"
		}
		if i > 0 && (h.From != r.Hops[i-1].To || h.Pay > r.Hops[i-1].Receive) {
			return fmt.Sprintf("hop %d spends more than hop %d delivers", i+1, i)
		}
		if len(h.Legs) == 0 {
			return "a hop without legs"
		}
		var pay, recv uint64
		seen := map[string]bool{}
		for _, l := range h.Legs {
			q := l.Quote
			if seen[q.ID] {
				return "a quote used twice in one hop"
			}
			seen[q.ID] = true
			if q.From != h.From || q.To != h.To || !q.Proven || q.Expiry <= req.Height {
				return fmt.Sprintf("leg through %s: wrong pair, unproven or expired", q.ID)
			}
			want := new(big.Int).Mul(new(big.Int).SetUint64(l.Pay), new(big.Int).SetUint64(q.Rate))
			want.Quo(want, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(q.Scale)), nil))
			if !want.IsUint64() || want.Uint64() != l.Receive {
				return fmt.Sprintf("leg through %s: receive %d is not ⌊%d·%d/10^%d⌋ = %s", q.ID, l.Receive, l.Pay, q.Rate, q.Scale, want)
			}
			if l.Pay == 0 || l.Receive < max(q.Min, 1) || l.Receive > min(q.Max, q.Remaining) {
				return fmt.Sprintf("leg through %s: receive %d outside the band [%d, %d]", q.ID, l.Receive, q.Min, min(q.Max, q.Remaining))
			}
			pay += l.Pay
			recv += l.Receive
		}
		if pay != h.Pay || recv != h.Receive {
			return "a hop's totals are not its legs'"
		}
	}
	return ""
}

// TestPlanProperty plays many random markets: every route planned delivers
// at least the amount, spends no more than the balance, and keeps every
// leg in its band with the swap's rounding; and where one quote alone could
// fill the payment within the balance, a route is found.
func TestPlanProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 3))
	curs := []ledger.Currency{{'U', 'S', 'D'}, {'S', 'G', 'D'}, {'T', 'H', 'B'}, {'J', 'P', 'Y'}}
	found := map[Kind]int{}
	for n := 0; n < 3000; n++ {
		req := Request{Balances: map[ledger.Currency]uint64{}, Height: 50}
		for _, c := range curs {
			if rng.IntN(3) > 0 {
				req.Balances[c] = rng.Uint64N(1_000_000)
			}
		}
		req.Deliver = curs[rng.IntN(len(curs))]
		req.Amount = 1 + rng.Uint64N(200_000)
		for i := 0; i < 1+rng.IntN(8); i++ {
			a, b := curs[rng.IntN(len(curs))], curs[rng.IntN(len(curs))]
			if a == b {
				continue
			}
			q := Quote{ID: fmt.Sprintf("q%d", i), Provider: "p", From: a, To: b, Proven: rng.IntN(8) > 0,
				Rate: 1 + rng.Uint64N(30_000), Scale: uint8(rng.IntN(5)),
				Min: rng.Uint64N(2_000), Max: 1 + rng.Uint64N(300_000), Expiry: 45 + int64(rng.IntN(20))}
			q.Remaining = q.Max - rng.Uint64N(q.Max)
			req.Quotes = append(req.Quotes, q)
		}
		if rng.IntN(4) == 0 {
			bps := int64(rng.IntN(500))
			req.MaxCostBps = &bps
		}
		r, err := Plan(req)
		if err != nil {
			if !errors.Is(err, ErrNoQuote) && !errors.Is(err, ErrBandTooSmall) && !errors.Is(err, ErrBalanceShort) && !errors.Is(err, ErrCostTooHigh) {
				t.Fatalf("case %d: an error without a reason: %v", n, err)
			}
			if single := oneQuoteFills(req); single != "" && req.MaxCostBps == nil {
				t.Fatalf("case %d: no route (%v), yet quote %s alone fills it", n, err, single)
			}
			continue
		}
		if msg := checkRoute(req, r); msg != "" {
			t.Fatalf("case %d: %s\n%s", n, msg, r)
		}
		found[r.Kind]++
	}
	for _, k := range []Kind{Direct, FX, Split, TwoHop} {
		if found[k] == 0 {
			t.Errorf("no %s route in the random markets: the property is not exercised", k)
		}
	}
	t.Logf("routes by kind: %v", found)
}

// oneQuoteFills returns the id of a usable quote from an allowed currency
// that alone delivers the amount within its band and the payer's balance,
// found by brute force over what to pay; "" if none.
func oneQuoteFills(req Request) string {
	for _, q := range req.Quotes {
		if q.To != req.Deliver || !usable(&q, req.Height) || req.Balances[q.From] == 0 {
			continue
		}
		a, ok := q.payFor(max(req.Amount, q.minFill()))
		if !ok || a > req.Balances[q.From] {
			continue
		}
		for ; a <= req.Balances[q.From] && a < 1<<40; a++ {
			b, ok := q.Convert(a)
			if !ok || b > q.capacity() {
				break
			}
			if b >= req.Amount && b >= q.minFill() {
				return q.ID
			}
		}
	}
	return ""
}

// TestFillIsCheapest compares the planner's one-hop fill with a brute
// force over every pair of payments through two quotes, on small markets:
// the planner finds a fill exactly when one exists, and no pair of legs
// within the bands delivers the amount for less, but for the one minor unit
// per extra leg that the floors' fractions may cost.
func TestFillIsCheapest(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	usd, sgd := ledger.Currency{'U', 'S', 'D'}, ledger.Currency{'S', 'G', 'D'}
	slack := 0
	for n := 0; n < 500; n++ {
		var book []*Quote
		for i := 0; i < 2; i++ {
			q := &Quote{ID: fmt.Sprintf("q%d", i), From: usd, To: sgd, Proven: true, Expiry: 9,
				Rate: 5_000 + rng.Uint64N(20_000), Scale: 4, Min: rng.Uint64N(40), Max: 1 + rng.Uint64N(120)}
			q.Remaining = q.Max
			book = append(book, q)
		}
		book = sortBook(book)
		need := 1 + rng.Uint64N(200)
		f, ok := bestFill(book, need)
		best := uint64(0)
		for a0 := uint64(0); a0 <= 400; a0++ {
			for a1 := uint64(0); a1 <= 400; a1++ {
				var got, pay uint64
				fits := a0+a1 > 0
				for i, a := range []uint64{a0, a1} {
					if a == 0 {
						continue
					}
					b, _ := book[i].Convert(a)
					fits = fits && b >= book[i].minFill() && b <= book[i].capacity()
					got += b
					pay += a
				}
				if fits && got >= need && (best == 0 || pay < best) {
					best = pay
				}
			}
		}
		if ok != (best > 0) {
			t.Fatalf("case %d: planner found a fill: %v, brute force: %v (need %d, %+v %+v)", n, ok, best > 0, need, *book[0], *book[1])
		}
		// Each leg after the first may waste one minor unit to the floors'
		// fractions (see the package doc), never more.
		if ok && (f.pay < best || f.pay > best+uint64(f.n-1)) {
			t.Fatalf("case %d: planner pays %d, brute force %d (need %d, %+v %+v)", n, f.pay, best, need, *book[0], *book[1])
		}
		if ok && f.pay != best {
			slack++
		}
	}
	t.Logf("fills one minor unit above the optimum: %d of 500", slack)
}

// TestPlanIgnoresQuoteOrder: the same market listed in another order gives
// the same route.
func TestPlanIgnoresQuoteOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	usd, sgd, thb := ledger.Currency{'U', 'S', 'D'}, ledger.Currency{'S', 'G', 'D'}, ledger.Currency{'T', 'H', 'B'}
	quotes := []Quote{
		{ID: "a", From: thb, To: sgd, Rate: 380, Scale: 4, Max: 5_000, Expiry: 9, Proven: true},
		{ID: "b", From: thb, To: sgd, Rate: 380, Scale: 4, Max: 5_000, Expiry: 9, Proven: true},
		{ID: "c", From: thb, To: usd, Rate: 285, Scale: 4, Max: 50_000, Expiry: 9, Proven: true},
		{ID: "d", From: usd, To: sgd, Rate: 13402, Scale: 4, Max: 50_000, Expiry: 9, Proven: true},
		{ID: "e", From: usd, To: sgd, Rate: 13399, Scale: 4, Max: 50_000, Expiry: 9, Proven: true},
	}
	for i := range quotes {
		quotes[i].Remaining = quotes[i].Max
		quotes[i].Provider = "bank-" + quotes[i].ID
	}
	req := Request{Balances: map[ledger.Currency]uint64{thb: 10_000_000, usd: 100}, Deliver: sgd, Amount: 8_000, Quotes: quotes, Height: 1}
	first, err := Plan(req)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 50; n++ {
		shuffled := slices.Clone(quotes)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		req.Quotes = shuffled
		r, err := Plan(req)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != first.String() {
			t.Fatalf("order changed the route:\n%s\nvs\n%s", r, first)
		}
	}
}

func TestPayForAndPayAtMost(t *testing.T) {
	// USD cents to JPY at 1.5012 yen per cent: one cent buys more than a yen.
	q := &Quote{Rate: 15012, Scale: 4}
	for n := uint64(1); n < 5000; n++ {
		a, _ := q.payFor(n)
		b, _ := q.Convert(a)
		pb, _ := q.Convert(a - 1)
		if b < n || (a > 1 && pb >= n) {
			t.Fatalf("payFor(%d) = %d delivers %d; one less delivers %d", n, a, b, pb)
		}
		m := q.payAtMost(n)
		mb, _ := q.Convert(m)
		nb, _ := q.Convert(m + 1)
		if mb > n || nb <= n {
			t.Fatalf("payAtMost(%d) = %d delivers %d; one more delivers %d", n, m, mb, nb)
		}
	}
	// Saturation at the top of uint64.
	if got := (&Quote{Rate: 1, Scale: 0}).payAtMost(^uint64(0)); got != ^uint64(0) {
		t.Fatalf("payAtMost saturates to %d", got)
	}
	if _, ok := (&Quote{Rate: 3, Scale: 0}).Convert(^uint64(0)); ok {
		t.Fatal("an overflowing conversion is reported as fitting")
	}
}

// BenchmarkPlan plans on a full book: ten quotes on each of the twelve
// ordered pairs among four currencies, small bands (so splits and two-hop
// crossings are tried through every subset) and a minimum on every quote.
func BenchmarkPlan(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	curs := []ledger.Currency{{'U', 'S', 'D'}, {'S', 'G', 'D'}, {'T', 'H', 'B'}, {'H', 'K', 'D'}}
	req := Request{Balances: map[ledger.Currency]uint64{}, Deliver: curs[3], Amount: 5_000_000, From: curs[:3], Height: 1}
	for _, c := range curs {
		req.Balances[c] = 1 << 50
	}
	for _, a := range curs {
		for _, t := range curs {
			if a == t {
				continue
			}
			for i := 0; i < maxQuotesPerPair; i++ {
				q := Quote{ID: fmt.Sprintf("%s%s%d", a, t, i), Provider: "p", From: a, To: t, Proven: true, Expiry: 9,
					Rate: 50_000_000 + rng.Uint64N(100_000_000), Scale: 8, Min: 1000 + rng.Uint64N(100_000), Max: 1_000_000 + rng.Uint64N(2_000_000)}
				q.Remaining = q.Max
				req.Quotes = append(req.Quotes, q)
			}
		}
	}
	if _, err := Plan(req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		Plan(req)
	}
}

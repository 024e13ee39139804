package route

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sable-settlement/sable/ledger"
)

// FormatRate writes a quote's rate as a decimal with Scale digits after
// the point: minor units of To per minor unit of From.
func FormatRate(rate uint64, scale uint8) string {
	s := strconv.FormatUint(rate, 10)
	if scale == 0 {
		return s
	}
	if n := int(scale) + 1 - len(s); n > 0 {
		s = strings.Repeat("0", n) + s
	}
	return s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
}

// Summary names the route in one line: its kind, path and providers.
func (r *Route) Summary() string {
	if r.Kind == Direct {
		return fmt.Sprintf("direct %s", r.Deliver)
	}
	path := []string{r.Source.String()}
	var providers []string
	for _, h := range r.Hops {
		path = append(path, h.To.String())
		for _, l := range h.Legs {
			providers = append(providers, l.Quote.Provider)
		}
	}
	return fmt.Sprintf("%s %s through %s", r.Kind, strings.Join(path, "→"), strings.Join(providers, ", "))
}

// String describes the route for a person: what it spends and delivers,
// its cost, and every leg.
func (r *Route) String() string {
	var b strings.Builder
	amt := func(c ledger.Currency, v uint64) string { return c.String() + " " + ledger.FormatAmount(c, v) }
	fmt.Fprintf(&b, "route: %s: spend %s, deliver %s (asked %s), cost %d bps, %d transaction(s)\n",
		r.Summary(), amt(r.Source, r.Spend), amt(r.Deliver, r.Delivered), amt(r.Deliver, r.Amount),
		r.CostBps, r.Transactions())
	for i, h := range r.Hops {
		to := "to the beneficiary"
		if h.ToPayer {
			to = "back to the payer"
		}
		fmt.Fprintf(&b, "  hop %d %s→%s %s: pay %s, receive %s\n", i+1, h.From, h.To, to, amt(h.From, h.Pay), amt(h.To, h.Receive))
		for _, l := range h.Legs {
			fmt.Fprintf(&b, "    quote %s by %s at %s: pay %s, receive %s\n", l.Quote.ID, l.Quote.Provider,
				FormatRate(l.Quote.Rate, l.Quote.Scale), amt(h.From, l.Pay), amt(h.To, l.Receive))
		}
	}
	return b.String()
}

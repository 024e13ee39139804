package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/route"
)

// demoQuotes are the quotes banks publish as market makers: rates in major
// units of the bought currency per major unit of the sold one, bands in the
// bought currency, each covered by the provider's liquidity proof.
var demoQuotes = []struct{ provider, sell, buy, rate, max string }{
	{"bank-us", "SGD", "USD", "0.744", "50000.00"},
	{"bank-hk", "SGD", "USD", "0.741", "150000.00"},
	{"bank-sg", "USD", "SGD", "1.34", "150000.00"},
	{"bank-us", "THB", "USD", "0.029", "100000.00"},
	{"bank-hk", "USD", "HKD", "7.8", "200000.00"},
}

// demoFXPayments are delivered by the route the planner picks; want is the
// kind of route the market above leads to.
var demoFXPayments = []struct {
	from, to, deliver, amount string
	sources                   []string
	want                      route.Kind
}{
	{"bank-sg", "bank-th", "USD", "20000.00", []string{"SGD"}, route.FX},     // bank-us's band holds it
	{"bank-sg", "bank-th", "USD", "60000.00", []string{"SGD"}, route.Split},  // bank-us has 30,000 left, bank-hk the rest
	{"bank-th", "bank-sg", "HKD", "40000.00", []string{"THB"}, route.TwoHop}, // no quote joins THB and HKD
	{"bank-sg", "bank-th", "USD", "10000.00", []string{"SGD"}, route.FX},     // bank-hk's, bank-us's band is used up: its FX groups reach 2 swaps, k, and open
}

// fx runs the cross-currency payments: banks publish quotes, then each
// payment goes by the route the planner picks from the payer's balances
// and the live quotes, its legs as swaps (both homes are in this process,
// so party.Swap makes the request and the provider's fill at once). The
// demo is the quotes' only payer, so it counts its own fills against each
// band, which the ledger hides.
func (d *demo) fx(ctx context.Context) error {
	t0 := time.Now()
	for _, q := range demoQuotes {
		if err := d.publishQuote(ctx, q.provider, q.sell, q.buy, q.rate, q.max); err != nil {
			return err
		}
	}
	d.printf("fx        %d quotes published by banks acting as market makers, each with a liquidity proof (%s)\n", len(demoQuotes), time.Since(t0).Round(time.Millisecond))
	used := map[string]uint64{}
	for _, pm := range demoFXPayments {
		t1 := time.Now()
		r, err := d.planFX(ctx, pm.from, pm.to, pm.deliver, pm.amount, pm.sources, used)
		if err != nil {
			return err
		}
		d.printf("fx        %s pays %s %s %s from %s:\n", pm.from, pm.to, pm.deliver, pm.amount, strings.Join(pm.sources, ","))
		for _, line := range strings.Split(strings.TrimRight(r.String(), "\n"), "\n") {
			d.printf("            %s\n", line)
		}
		if r.Kind != pm.want {
			return fmt.Errorf("demo: %s's payment went %s, the market leads to %s", pm.from, r.Kind, pm.want)
		}
		if err := d.deliver(ctx, pm.from, pm.to, r, used); err != nil {
			return err
		}
		d.printf("            committed (%s)\n", time.Since(t1).Round(time.Millisecond))
	}
	return nil
}

// publishQuote has provider publish a quote and waits for it to commit.
func (d *demo) publishQuote(ctx context.Context, provider, sell, buy, rate, max string) error {
	p := d.parties[provider]
	a, err := ledger.ParseCurrency(sell)
	if err != nil {
		return err
	}
	b, err := ledger.ParseCurrency(buy)
	if err != nil {
		return err
	}
	r, err := ledger.ParseRate(a, b, rate)
	if err != nil {
		return err
	}
	m, err := ledger.ParseAmount(b, max)
	if err != nil {
		return err
	}
	id, err := p.Sender.Quote(ctx, party.QuoteRequest{Sell: a, Buy: b, Rate: r, Min: 1, Max: m, ValidBlocks: 600})
	if err != nil {
		return fmt.Errorf("demo: %s quotes %s/%s: %w", provider, sell, buy, err)
	}
	return d.await(ctx, p, id)
}

// planFX asks the planner how payer delivers amount of deliver to to from
// the sources, with the live quotes less the demo's own fills.
func (d *demo) planFX(ctx context.Context, payer, to, deliver, amount string, sources []string, used map[string]uint64) (*route.Route, error) {
	p := d.parties[payer]
	req := route.Request{Balances: map[ledger.Currency]uint64{}, Payer: payer, Beneficiary: to}
	var err error
	if req.Deliver, err = ledger.ParseCurrency(deliver); err != nil {
		return nil, err
	}
	if req.Amount, err = ledger.ParseAmount(req.Deliver, amount); err != nil {
		return nil, err
	}
	for _, s := range sources {
		c, err := ledger.ParseCurrency(s)
		if err != nil {
			return nil, err
		}
		req.From = append(req.From, c)
	}
	for _, k := range ledger.Currencies {
		o, err := p.Wallet.Projected(k.Code)
		if err != nil {
			return nil, err
		}
		req.Balances[k.Code] = o.Value
	}
	if req.Height, _, err = p.Client.Height(ctx); err != nil {
		return nil, err
	}
	infos, err := p.Client.Quotes(ctx)
	if err != nil {
		return nil, err
	}
	req.Quotes = route.FromLedger(infos, used)
	r, err := route.Plan(req)
	if err != nil {
		return nil, fmt.Errorf("demo: %s's payment: %w", payer, err)
	}
	return r, nil
}

// deliver runs a route's hops in order: each leg one swap, every leg of a
// hop committed before the next hop; after a first hop (back to the payer)
// the payer moves what it bought into available, so the second can spend it.
func (d *demo) deliver(ctx context.Context, payer, to string, r *route.Route, used map[string]uint64) error {
	p := d.parties[payer]
	if r.Kind == route.Direct {
		id, err := p.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: r.Deliver, Amount: r.Amount})
		if err != nil {
			return err
		}
		d.record(r.Amount)
		return d.await(ctx, p, id)
	}
	infos, err := p.Client.Quotes(ctx)
	if err != nil {
		return err
	}
	byID := map[string]ledger.QuoteInfo{}
	for _, q := range infos {
		byID[q.ID] = q
	}
	for _, h := range r.Hops {
		dest := to
		if h.ToPayer {
			dest = payer
		}
		var ids []ledger.TxID
		for _, l := range h.Legs {
			req := party.SwapRequest{Quote: byID[l.Quote.ID], Amount: l.Pay, To: dest}
			res, err := party.Swap(ctx, p.Sender, d.parties[l.Quote.Provider].Sender, req)
			if err != nil {
				return fmt.Errorf("demo: %s swaps through %s's quote: %w", payer, l.Quote.Provider, err)
			}
			if res.Delivered != l.Receive {
				return fmt.Errorf("demo: the swap delivered %d, the route planned %d", res.Delivered, l.Receive)
			}
			used[l.Quote.ID] += l.Receive
			d.tallyFX(byID[l.Quote.ID].Pair, l.Pay, l.Receive)
			d.record(l.Pay)
			d.record(l.Receive)
			ids = append(ids, res.TxID)
		}
		for _, id := range ids {
			if err := d.await(ctx, p, id); err != nil {
				return err
			}
		}
		for _, l := range h.Legs {
			prov := d.parties[l.Quote.Provider]
			if _, err := prov.Wallet.Sync(ctx, prov.Client); err != nil {
				return err
			}
		}
		if h.ToPayer {
			id, n, err := p.Sender.ApplyPending(ctx, h.To)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("demo: %s's first hop left no %s pending", payer, h.To)
			}
			if err := d.await(ctx, p, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// fxTally is what the demo's swaps moved through one pair: the sold
// currency paid to providers, the bought one delivered, and how many swaps.
type fxTally struct {
	sell, buy uint64
	swaps     int
}

func (d *demo) tallyFX(pair string, pay, receive uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.fxTallies[pair]
	if t == nil {
		t = &fxTally{}
		d.fxTallies[pair] = t
	}
	t.sell, t.buy, t.swaps = t.sell+pay, t.buy+receive, t.swaps+1
}

// auditFX prints the audit's FX volumes per pair and checks each one the
// audit discloses (two swaps or more, not sealed) against what the demo's
// swaps moved.
func (d *demo) auditFX(rep *audit.Report) error {
	if len(rep.FX) == 0 {
		return nil
	}
	d.printf("          FX volumes per pair from the audit (paid to providers / delivered by them):\n")
	for _, v := range rep.FX {
		d.printf("            %-8s %s %16s  %s %16s\n", v.Pair, v.Sell, short(v.SellVolume), v.Buy, short(v.BuyVolume))
		t := d.fxTallies[v.Pair]
		if t == nil {
			t = &fxTally{}
		}
		sell, err := ledger.ParseCurrency(v.Sell)
		if err != nil {
			return err
		}
		buy, err := ledger.ParseCurrency(v.Buy)
		if err != nil {
			return err
		}
		for _, x := range []struct {
			got  string
			c    ledger.Currency
			want uint64
		}{{v.SellVolume, sell, t.sell}, {v.BuyVolume, buy, t.buy}} {
			if x.got == audit.Withheld || x.got == audit.Sealed {
				continue
			}
			if x.got != ledger.FormatAmount(x.c, x.want) {
				return fmt.Errorf("demo: the audit's %s volume in %s is %s, the demo's swaps moved %s", v.Pair, x.c, x.got, ledger.FormatAmount(x.c, x.want))
			}
		}
	}
	return nil
}

// short abbreviates the audit's sealed and withheld markers for the table.
func short(v string) string {
	switch v {
	case audit.Sealed:
		return "sealed"
	case audit.Withheld:
		return "withheld"
	}
	return v
}

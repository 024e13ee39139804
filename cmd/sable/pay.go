package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/route"
)

// payLedger is what 'sable pay' does on the ledger, as the payer: read
// its balances and the live quotes, and submit and follow the route's
// transactions. pay.go decides the route and the order of its
// transactions; sessionLedger (pay_ledger.go) is the implementation over
// a party's session and the FX layer, and tests play a ledger through it.
type payLedger interface {
	// Balances are the payer's available balances (projected over its
	// in-flight transactions), in minor units.
	Balances(ctx context.Context) (map[ledger.Currency]uint64, error)
	// Quotes are the live quotes and the height they were read at.
	Quotes(ctx context.Context) ([]route.Quote, int64, error)
	// Transfer pays amount of c to the bank to.
	Transfer(ctx context.Context, to string, c ledger.Currency, amount uint64) (ledger.TxID, error)
	// Swap pays leg.Pay through the leg's quote; its provider delivers
	// leg.Receive to the bank to (the payer itself on a first hop). An
	// error other than a *party.MaybeSentError means nothing was
	// submitted (the request or the provider's fill failed, or the node
	// refused it).
	Swap(ctx context.Context, leg route.Leg, to string) (ledger.TxID, error)
	// Commit waits until id is committed; a rejection is an error.
	Commit(ctx context.Context, id ledger.TxID) (height int64, err error)
	// Synced brings the wallet up to the ledger after commits.
	Synced(ctx context.Context) error
	// ApplyPending moves what the payer received in c into available and
	// waits for it to commit.
	ApplyPending(ctx context.Context, c ledger.Currency) error
	// Self is the payer's bank id, Home its home directory.
	Self() string
	Home() string
}

// openPayLedger opens the payer's home, synced, with the providers' homes
// under providers for the swaps (a variable: tests play a ledger).
var openPayLedger = func(home, node, providers string) (payLedger, func(), error) {
	s, ctx, done, err := begin(home, node)
	if err != nil {
		return nil, nil, err
	}
	if err := s.sync(ctx); err != nil {
		done()
		return nil, nil, err
	}
	l := newSessionLedger(s, providers)
	return l, func() { l.close(); done() }, nil
}

func newPayCmd() *cobra.Command {
	var home, node, to, deliver, amount, providers string
	var from []string
	var maxCost int64
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "pay --home DIR --to BANK --deliver CUR --amount X [--from CUR…] [--max-cost BPS] [--providers DIR] [--dry-run] [--json]",
		Short: "Deliver an amount in any currency: directly, or through FX quotes chosen by cost",
		Long: `Deliver an amount in a currency to another bank, choosing how from the
wallet's available balances and the ledger's live FX quotes: directly from
a balance in that currency, through the best quote, split across several
providers when one band cannot fill the size, or through two hops (THB →
USD → HKD) when that is cheaper or the only way. The route and its cost in
basis points are printed before anything is submitted; --dry-run stops there.

Each leg is its own swap transaction, signed by the payer and by the
quote's provider: --providers names the directory of the providers' homes
(on a testnet, net/banks), whose fills pay makes in this process. A
two-hop route first swaps into the intermediate currency back to the
payer, moves it into available, then swaps it to the beneficiary: if the
second hop fails, the payer holds the intermediate currency and nothing is
lost; pay again with --from VIA.

The cost is the share of the spent money's value lost against the fair
rate the live quotes imply (a pair's mid where it is quoted both ways); see
the ledger/route package. The beneficiary receives at least --amount, and
at most a few minor units more when the rate's rounding gives no exact fill.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := payRequest(to, deliver, amount, from, cmd.Flags().Changed("max-cost"), maxCost)
			if err != nil {
				return err
			}
			l, done, err := openPayLedger(home, node, providers)
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := commandContext()
			defer cancel()
			p := &payer{cmd: cmd, l: l, to: to, asJSON: asJSON}
			return p.run(ctx, req, dryRun)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&to, "to", "", "beneficiary bank")
	cmd.Flags().StringVar(&deliver, "deliver", "", "currency the beneficiary receives: USD SGD HKD THB EUR JPY CNY")
	cmd.Flags().StringVar(&amount, "amount", "", "amount to deliver, a decimal in the currency's major units (JPY: whole yen)")
	cmd.Flags().StringSliceVar(&from, "from", nil, "currencies the payer may spend, in order of preference (repeat or comma-separate); default: every currency it holds")
	cmd.Flags().Int64Var(&maxCost, "max-cost", 0, "refuse a route that costs more basis points")
	cmd.Flags().StringVar(&providers, "providers", "", "directory of the providers' homes (DIR/<bank>), whose fills the swaps need, e.g. net/banks")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the route and stop")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan and its outcome as JSON on stdout")
	return cmd
}

// payRequest checks the flags and returns the request without balances or
// quotes.
func payRequest(to, deliver, amount string, from []string, limit bool, maxCost int64) (route.Request, error) {
	var req route.Request
	if !ledger.ValidID(to) {
		return req, withHint(failf("--to %q is not a bank id such as bank-hk", to), "--to names the beneficiary's bank")
	}
	c, err := ledger.ParseCurrency(deliver)
	if err != nil {
		return req, failf("--deliver: %v", err)
	}
	req.Deliver = c
	if amount == "" {
		return req, withHint(failf("--amount is required"), "a decimal in "+c.String()+"'s major units, e.g. --amount 1250.50")
	}
	if req.Amount, err = parseAmountIn(c, "--amount "+strconv.Quote(amount), amount, ""); err != nil {
		return req, err
	}
	for _, f := range from {
		fc, err := ledger.ParseCurrency(strings.TrimSpace(f))
		if err != nil {
			return req, failf("--from: %v", err)
		}
		req.From = append(req.From, fc)
	}
	if limit {
		if maxCost < 0 {
			return req, failf("--max-cost %d is negative", maxCost)
		}
		req.MaxCostBps = &maxCost
	}
	return req, nil
}

// payer runs one 'sable pay'.
type payer struct {
	cmd    *cobra.Command
	l      payLedger
	to     string
	asJSON bool
	out    payOutput
}

// maxReplans bounds how often pay plans again after a provider refused a
// fill before anything was submitted.
const maxReplans = 4

// run plans the payment, prints the route and, unless dryRun, submits it.
// A provider may refuse a fill the router could not foresee (the ledger
// hides what is left of a band, so the router counts the whole band): when
// that happens before anything of the route was submitted, the quote is
// left out and the payment planned again.
func (p *payer) run(ctx context.Context, req route.Request, dryRun bool) error {
	if p.to == p.l.Self() {
		return withHint(failf("--to %s is the payer itself", p.to), "to move money between your own currencies, swap with 'sable fx request'")
	}
	excluded := map[string]bool{}
	for attempt := 0; ; attempt++ {
		r, err := p.plan(ctx, req, excluded)
		if err != nil {
			if n := len(p.out.Replanned); n > 0 {
				last := p.out.Replanned[n-1]
				err = withHint(failf("%v, after leaving out %d quote(s) that would not fill (the last, %s: %s)", err, n, last.Quote, last.Reason), hintOf(err))
			}
			return err
		}
		p.out.Route = routeView(r)
		if !p.asJSON {
			fmt.Fprint(p.cmd.OutOrStdout(), r.String())
		}
		if dryRun {
			p.out.State = "dry-run"
			return p.printJSON()
		}
		err = p.execute(ctx, r)
		var refused *legRefused
		if errors.As(err, &refused) && len(p.out.Submitted) == 0 && attempt < maxReplans {
			fmt.Fprintf(p.cmd.ErrOrStderr(), "sable: note: quote %s was not filled (%s); nothing was submitted, planning again without it\n", refused.quote, oneLine(refused.err))
			excluded[refused.quote] = true
			p.out.Replanned = append(p.out.Replanned, refusedView{Quote: refused.quote, Reason: oneLine(refused.err)})
			continue
		}
		if err != nil {
			p.out.State, p.out.Error = "failed", oneLine(err)
		} else {
			p.out.State = "delivered"
		}
		if jerr := p.printJSON(); err == nil {
			err = jerr
		}
		return err
	}
}

// legRefused is a swap that was not submitted: its request, or its
// provider's fill, failed.
type legRefused struct {
	quote string
	err   error
}

func (e *legRefused) Error() string { return e.err.Error() }
func (e *legRefused) Unwrap() error { return e.err }

// quoteRefusal reports whether a swap's error means the swap was not
// submitted, for a reason another quote may not share: the request or the
// provider's fill failed (a band used up, the provider's balance short), or
// the node refused it with an FX code (40–49: expired, past the band…). A
// swap whose fate is open (party.MaybeSentError), or refused for another
// reason (a malformed or stale transaction), is not.
func quoteRefusal(err error) bool {
	var maybe *party.MaybeSentError
	if errors.As(err, &maybe) {
		return false
	}
	var rej *ledger.Rejection
	if errors.As(err, &rej) {
		return rej.Code >= ledger.CodeQuoteExpired && rej.Code <= ledger.CodeNoFX
	}
	return true
}

// hintOf is err's hint, if it has one.
func hintOf(err error) string {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.hint
	}
	return ""
}

// plan reads the balances and the quotes and asks the router.
// Quotes in excluded are left out.
func (p *payer) plan(ctx context.Context, req route.Request, excluded map[string]bool) (*route.Route, error) {
	req.Payer, req.Beneficiary = p.l.Self(), p.to
	var err error
	if req.Balances, err = p.l.Balances(ctx); err != nil {
		return nil, ledgerError(err)
	}
	var quotes []route.Quote
	if quotes, req.Height, err = p.l.Quotes(ctx); err != nil {
		return nil, ledgerError(err)
	}
	for _, q := range quotes {
		if !excluded[q.ID] {
			req.Quotes = append(req.Quotes, q)
		}
	}
	r, err := route.Plan(req)
	if err != nil {
		return nil, routeError(err, req)
	}
	return r, nil
}

// routeError says what to do when no route fits.
func routeError(err error, req route.Request) error {
	switch {
	case errors.Is(err, route.ErrCostTooHigh):
		return withHint(failf("%v", err), "raise --max-cost, or wait for better quotes ('sable fx quotes')")
	case errors.Is(err, route.ErrBalanceShort):
		return withHint(failf("%v", err), "see 'sable balance'; received payments count once moved with 'sable apply-pending'; or allow other currencies with --from")
	case errors.Is(err, route.ErrBandTooSmall):
		return withHint(failf("%v", err), "pay a smaller amount, or wait for quotes with larger bands ('sable fx quotes')")
	case errors.Is(err, route.ErrNoQuote):
		return withHint(failf("%v", err), fmt.Sprintf("no provider quotes %s from your currencies: see 'sable fx quotes'; a bank publishes one with 'sable fx quote'", req.Deliver))
	}
	return failf("%v", err)
}

// execute submits the route's transactions in order and waits for each
// hop to commit before the next.
func (p *payer) execute(ctx context.Context, r *route.Route) error {
	if r.Kind == route.Direct {
		id, err := p.l.Transfer(ctx, p.to, r.Deliver, r.Amount)
		if err != nil {
			return ledgerError(err)
		}
		p.record(0, nil, id)
		if err := p.commit(ctx, id); err != nil {
			return err
		}
		p.synced(ctx)
		return nil
	}
	for i, h := range r.Hops {
		to := p.to
		if h.ToPayer {
			to = p.l.Self()
		}
		var ids []ledger.TxID
		var failed error
		for j := range h.Legs {
			id, err := p.l.Swap(ctx, h.Legs[j], to)
			if err != nil {
				failed = ledgerError(err)
				if quoteRefusal(err) {
					failed = &legRefused{quote: h.Legs[j].Quote.ID, err: failed}
				}
				break
			}
			p.record(i+1, &h.Legs[j], id)
			ids = append(ids, id)
		}
		// Wait for every leg sent, even after a failure: what committed
		// is reported, and a later hop never starts on a partial fill.
		var delivered uint64
		for j, id := range ids {
			if err := p.commit(ctx, id); err != nil {
				failed = cmp.Or(failed, err)
				continue
			}
			delivered += h.Legs[j].Receive
		}
		if len(ids) > 0 {
			p.synced(ctx)
		}
		if failed == nil && h.ToPayer {
			failed = p.l.ApplyPending(ctx, h.To)
		}
		if failed != nil {
			return p.hopFailed(r, i, delivered, failed)
		}
	}
	return nil
}

// hopFailed explains a failure in hop i (0-based) after the hops before it
// committed, of which delivered committed: nothing is lost, and the hint
// says what the payer holds and what is left to pay.
func (p *payer) hopFailed(r *route.Route, i int, delivered uint64, err error) error {
	h := r.Hops[i]
	if h.ToPayer {
		if delivered == 0 {
			return err
		}
		return withHint(err, fmt.Sprintf("hop %d delivered %s %s back to %s (nothing is lost); see 'sable balance --home %s' before paying again",
			i+1, h.To, ledger.FormatAmount(h.To, delivered), p.l.Self(), p.l.Home()))
	}
	var held string
	if i > 0 {
		via := r.Hops[i-1].To
		held = fmt.Sprintf("%s holds the %s %s bought in hop %d (nothing is lost); ", p.l.Self(), via, ledger.FormatAmount(via, r.Hops[i-1].Receive), i)
	}
	if delivered >= r.Amount {
		return err
	}
	if delivered == 0 && i == 0 {
		return err
	}
	from := ""
	if i > 0 {
		from = " --from " + r.Hops[i-1].To.String()
	}
	return withHint(err, fmt.Sprintf("%s%s %s of %s delivered; pay the rest with 'sable pay --home %s --to %s --deliver %s --amount %s%s'",
		held, r.Deliver, ledger.FormatAmount(r.Deliver, delivered), ledger.FormatAmount(r.Deliver, r.Amount),
		p.l.Home(), p.to, r.Deliver, ledger.FormatAmount(r.Deliver, r.Amount-delivered), from))
}

// commit waits for one of the route's transactions, saying so on stderr.
func (p *payer) commit(ctx context.Context, id ledger.TxID) error {
	h, err := p.l.Commit(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.cmd.ErrOrStderr(), "committed at height %d\n", h)
	for i := range p.out.Submitted {
		if p.out.Submitted[i].TxID == id.String() {
			p.out.Submitted[i].Committed = true
		}
	}
	return nil
}

// synced brings the wallet up to the ledger after a hop committed; a
// failure is a warning, since the hop is on the ledger whatever happens.
func (p *payer) synced(ctx context.Context) {
	if err := p.l.Synced(ctx); err != nil {
		warnf(p.cmd, "the transactions are committed, but the wallet is not synced (%v); run 'sable wallet sync --home %s'", oneLine(err), p.l.Home())
	}
}

// record notes a submitted transaction, and prints its id unless --json.
func (p *payer) record(hop int, leg *route.Leg, id ledger.TxID) {
	s := submittedView{Hop: hop, TxID: id.String()}
	if leg != nil {
		s.Quote, s.Provider = leg.Quote.ID, leg.Quote.Provider
	}
	p.out.Submitted = append(p.out.Submitted, s)
	if !p.asJSON {
		fmt.Fprintln(p.cmd.OutOrStdout(), id)
	}
}

func (p *payer) printJSON() error {
	if !p.asJSON {
		return nil
	}
	return writeJSON(p.cmd.OutOrStdout(), p.out)
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failf("%v", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// payOutput is --json's document: the plan, then what was submitted.
type payOutput struct {
	Route     routeJSON       `json:"route"`
	State     string          `json:"state"` // dry-run, delivered or failed
	Submitted []submittedView `json:"submitted"`
	Replanned []refusedView   `json:"replanned,omitempty"` // quotes refused before anything was submitted
	Error     string          `json:"error,omitempty"`
}

type refusedView struct {
	Quote  string `json:"quote"`
	Reason string `json:"reason"`
}

type submittedView struct {
	Hop       int    `json:"hop"` // 0 for a direct transfer
	Quote     string `json:"quote,omitempty"`
	Provider  string `json:"provider,omitempty"`
	TxID      string `json:"txid"`
	Committed bool   `json:"committed"`
}

type routeJSON struct {
	Kind         string    `json:"kind"`
	Source       string    `json:"source"`
	Via          string    `json:"via,omitempty"`
	Deliver      string    `json:"deliver"`
	Amount       string    `json:"amount"`
	Delivered    string    `json:"delivered"`
	Spend        string    `json:"spend"`
	CostBps      int64     `json:"cost_bps"`
	Reference    string    `json:"reference_rate,omitempty"`
	Transactions int       `json:"transactions"`
	Hops         []hopJSON `json:"hops"`
}

type hopJSON struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	ToPayer bool      `json:"to_payer"`
	Pay     string    `json:"pay"`
	Receive string    `json:"receive"`
	Legs    []legJSON `json:"legs"`
}

type legJSON struct {
	Quote    string `json:"quote"`
	Provider string `json:"provider"`
	Rate     string `json:"rate"`
	Pay      string `json:"pay"`
	Receive  string `json:"receive"`
	Expiry   int64  `json:"expiry"`
}

// routeView is r for --json: amounts as decimals in major units, rates as
// decimals (minor units of the bought currency per minor unit of the sold).
func routeView(r *route.Route) routeJSON {
	v := routeJSON{
		Kind: string(r.Kind), Source: r.Source.String(), Deliver: r.Deliver.String(),
		Amount: ledger.FormatAmount(r.Deliver, r.Amount), Delivered: ledger.FormatAmount(r.Deliver, r.Delivered),
		Spend: ledger.FormatAmount(r.Source, r.Spend), CostBps: r.CostBps, Transactions: r.Transactions(),
		Hops: []hopJSON{},
	}
	if r.Kind == route.TwoHop {
		v.Via = r.Via.String()
	}
	if r.Reference != nil {
		v.Reference = r.Reference.FloatString(8)
	}
	for _, h := range r.Hops {
		hv := hopJSON{From: h.From.String(), To: h.To.String(), ToPayer: h.ToPayer,
			Pay: ledger.FormatAmount(h.From, h.Pay), Receive: ledger.FormatAmount(h.To, h.Receive)}
		for _, l := range h.Legs {
			hv.Legs = append(hv.Legs, legJSON{Quote: l.Quote.ID, Provider: l.Quote.Provider,
				Rate: route.FormatRate(l.Quote.Rate, l.Quote.Scale), Pay: ledger.FormatAmount(h.From, l.Pay),
				Receive: ledger.FormatAmount(h.To, l.Receive), Expiry: l.Quote.Expiry})
		}
		v.Hops = append(v.Hops, hv)
	}
	return v
}

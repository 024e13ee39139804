package monitor

import (
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
)

// Snapshot is what the dashboard shows at one block: the audit's
// decrypted aggregates after the disclosure rule, never a single payment.
type Snapshot struct {
	Seq     uint64    `json:"seq"`
	Height  int64     `json:"height"`
	AppHash string    `json:"app_hash"`
	Time    time.Time `json:"time"`
	// Status is "live", "waiting" (no audit yet), "node unreachable" or
	// "audit failed"; Error says why for the last two. The figures are
	// then those of the last good audit.
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	AuditMS int64  `json:"audit_ms"`
	// MinFlows is the disclosure threshold: no combination of the values
	// the page has shown singles out fewer flows than this (disclose.go).
	MinFlows     int    `json:"min_flows"`
	Audited      bool   `json:"audited"`
	Consistent   bool   `json:"consistent"`
	Inconsistent int    `json:"inconsistent"`
	FlowBytes    int    `json:"he_bytes_per_transfer"`
	USDTotal     Figure `json:"usd_total"`
	// Currencies and Parties order the tables (ledger order, then by id).
	Currencies []string          `json:"currencies"`
	Parties    []string          `json:"parties"`
	Totals     []Total           `json:"totals"`
	Positions  []Position        `json:"positions"`
	Corridors  []Corridor        `json:"corridors"`
	Aggregates []Aggregate       `json:"aggregates"`
	Culprits   []audit.Culprit   `json:"culprits"`
	Rates      map[string]string `json:"rates"` // USD per unit
	// FX is the ledger's public FX terms (fx.go): read at every new block,
	// not part of the audit; a failed read says so here only.
	FX FX `json:"fx"`
	// History is the USD-equivalent total over time since the monitor
	// started (at most maxHistory points, thinned evenly). Server-sent
	// events carry only the newest point; HistoryComplete tells the page
	// whether to replace its series or append to it.
	History         []Point `json:"history"`
	HistoryComplete bool    `json:"history_complete"`
}

// Figure is one disclosed amount. Value is in major units; USD is its
// approximate USD equivalent, for scaling charts only. Withheld means it
// has never been shown; Pending counts newer flows not yet reflected in
// Value, because showing them would single out a payment (disclose.go).
// Frozen means the monitor will not update it again: the ledger closed its
// epoch over flows the monitor never saw, so it cannot tell what it holds.
type Figure struct {
	Value    string  `json:"value,omitempty"`
	USD      float64 `json:"usd"`
	Withheld bool    `json:"withheld,omitempty"`
	Pending  int     `json:"pending,omitempty"`
	Frozen   bool    `json:"frozen,omitempty"`
}

// Total is one currency: in circulation (funded + minted − burned) and
// the volume transferred since the last epoch close.
type Total struct {
	Currency  string `json:"currency"`
	Supply    Figure `json:"supply"`
	Transfers Figure `json:"transfers"`
	Flows     int    `json:"transfer_flows"`
}

// Position is one party's net position in one currency: inflow − outflow.
type Position struct {
	Party    string `json:"party"`
	Currency string `json:"currency"`
	Figure
}

// Corridor is the volume sent from one country to another in a currency.
type Corridor struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Currency string `json:"currency"`
	Flows    int    `json:"flows"`
	Figure
}

// Aggregate is one encrypted aggregate: its check against the on-ledger
// commitments and its disclosed amount.
type Aggregate struct {
	Key        string `json:"key"`
	Kind       string `json:"kind"` // in, out, corridor, currency
	Currency   string `json:"currency"`
	Subject    string `json:"subject"` // party, corridor "SG-HK", or funded/minted/burned/transfers
	Flows      int    `json:"flows"`
	Consistent bool   `json:"consistent"`
	Figure
}

// Point is the USD-equivalent total at one block.
type Point struct {
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	Value  string    `json:"value"`
	USD    float64   `json:"usd"`
}

// zeroAmount is zero in the currency of aggregate key.
func zeroAmount(key string) string {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) < 2 {
		return "0"
	}
	return ledger.FormatAmount(mustCurrency(parts[1]), 0)
}

// builder turns an audit report into a snapshot.
type builder struct {
	rates    audit.FXRates
	d        *discloser
	lastUSD  string // last disclosed USD-equivalent total
	usdShown bool
}

// build makes the snapshot of rep, whose figures' flows fb knows.
func (b *builder) build(rep *audit.Report, fb *flowBook) *Snapshot {
	s := &Snapshot{Audited: true, Consistent: rep.Consistent, FlowBytes: rep.FlowBytes, MinFlows: b.d.min,
		Culprits: rep.Culprits, Rates: map[string]string{}}
	if s.Culprits == nil {
		s.Culprits = []audit.Culprit{}
	}
	views := b.d.apply(rep, fb)
	currencies := map[string]bool{}
	parties := map[string]bool{}
	byKey := map[string]audit.AggregateResult{}
	for _, a := range rep.Aggregates {
		byKey[a.Key] = a
		parts := strings.SplitN(a.Key, "/", 3)
		if len(parts) != 3 {
			continue
		}
		kind, cur, subject := parts[0], parts[1], parts[2]
		currencies[cur] = true
		if kind == "in" || kind == "out" {
			parties[subject] = true
		}
		if !a.Consistent && !a.Sealed { // sealed: the regulator parties did not open it (fewer than their k flows)
			s.Inconsistent++
		}
		s.Aggregates = append(s.Aggregates, Aggregate{Key: a.Key, Kind: kind, Currency: cur, Subject: subject,
			Flows: a.Flows, Consistent: a.Consistent || a.Sealed, Figure: b.figure(cur, views[a.Key])})
		if kind == "corridor" {
			from, to, _ := strings.Cut(subject, "-")
			s.Corridors = append(s.Corridors, Corridor{From: from, To: to, Currency: cur, Flows: a.Flows, Figure: b.figure(cur, views[a.Key])})
		}
	}
	for _, k := range ledger.Currencies {
		if c := k.Code.String(); currencies[c] {
			s.Currencies = append(s.Currencies, c)
			s.Rates[c] = rateString(b.rates[k.Code])
		}
	}
	for p := range parties {
		s.Parties = append(s.Parties, p)
	}
	sort.Strings(s.Parties)
	for _, p := range s.Parties {
		for _, c := range s.Currencies {
			in, hasIn := byKey["in/"+c+"/"+p]
			out, hasOut := byKey["out/"+c+"/"+p]
			if !hasIn && !hasOut {
				continue
			}
			terms := []term{}
			if hasIn {
				terms = append(terms, term{views[in.Key], 1})
			}
			if hasOut {
				terms = append(terms, term{views[out.Key], -1})
			}
			s.Positions = append(s.Positions, Position{Party: p, Currency: c, Figure: b.figure(c, combine(c, terms))})
		}
	}
	usdPending := 0
	for _, c := range s.Currencies {
		t := Total{Currency: c}
		var terms []term
		for _, what := range []string{"funded", "minted", "burned"} {
			v, ok := views["currency/"+c+"/"+what]
			if !ok {
				continue
			}
			sign := 1
			if what == "burned" {
				sign = -1
			}
			terms = append(terms, term{v, sign})
			if !v.current {
				usdPending += max(v.pending, 1)
			}
		}
		t.Supply = b.figure(c, combine(c, terms))
		if v, ok := views["currency/"+c+"/transfers"]; ok {
			t.Transfers = b.figure(c, v)
			t.Flows = byKey["currency/"+c+"/transfers"].Flows
		} else {
			t.Transfers = b.figure(c, view{amount: ledger.FormatAmount(mustCurrency(c), 0), shown: true})
		}
		s.Totals = append(s.Totals, t)
	}
	// The USD total is the audit's homomorphic one when every supply
	// aggregate shows the report's value, so that it is a function of
	// shown values; otherwise the last disclosed. An audit whose USD total
	// failed (empty; rep.Failures says why) discloses no new one.
	if rep.USDTotal == "" {
		usdPending = max(usdPending, 1)
	}
	switch {
	case usdPending == 0:
		b.lastUSD, b.usdShown = rep.USDTotal, true
		s.USDTotal = Figure{Value: rep.USDTotal, USD: approx(rep.USDTotal)}
	case b.usdShown:
		s.USDTotal = Figure{Value: b.lastUSD, USD: approx(b.lastUSD), Pending: usdPending}
	default:
		s.USDTotal = Figure{Withheld: true, Pending: usdPending}
	}
	if s.Positions == nil {
		s.Positions = []Position{}
	}
	if s.Corridors == nil {
		s.Corridors = []Corridor{}
	}
	if s.Aggregates == nil {
		s.Aggregates = []Aggregate{}
	}
	return s
}

// term is one disclosed aggregate in a sum, with its sign.
type term struct {
	v    view
	sign int
}

// combine sums disclosed aggregates; the sum is withheld if any term is,
// and pending if any term is.
func combine(cur string, terms []term) view {
	c := mustCurrency(cur)
	sum := new(big.Int)
	out := view{shown: true}
	for _, t := range terms {
		out.pending += t.v.pending
		out.frozen = out.frozen || t.v.frozen
		if !t.v.shown {
			out.shown = false
			continue
		}
		x, ok := minorUnits(c, t.v.amount)
		if !ok {
			out.shown = false
			continue
		}
		if t.sign < 0 {
			sum.Sub(sum, x)
		} else {
			sum.Add(sum, x)
		}
	}
	if out.shown {
		out.amount = ledger.FormatBig(c, sum)
	}
	return out
}

func (b *builder) figure(cur string, v view) Figure {
	if !v.shown {
		return Figure{Withheld: true, Pending: v.pending, Frozen: v.frozen}
	}
	f := Figure{Value: v.amount, Pending: v.pending, Frozen: v.frozen}
	if c, err := ledger.ParseCurrency(cur); err == nil {
		if x, ok := new(big.Rat).SetString(v.amount); ok {
			x.Mul(x, big.NewRat(int64(b.rates[c]), 1_000_000))
			f.USD, _ = x.Float64()
		}
	}
	return f
}

func mustCurrency(s string) ledger.Currency {
	c, err := ledger.ParseCurrency(s)
	if err != nil {
		copy(c[:], s)
	}
	return c
}

// minorUnits parses a signed major-unit amount into minor units.
func minorUnits(c ledger.Currency, s string) (*big.Int, bool) {
	neg := strings.HasPrefix(s, "-")
	u, err := ledger.ParseAmount(c, strings.TrimPrefix(s, "-"))
	if err != nil {
		r, ok := new(big.Rat).SetString(s) // beyond 2^64 minor units
		if !ok {
			return nil, false
		}
		for i := 0; i < minorDigits(c); i++ {
			r.Mul(r, big.NewRat(10, 1))
		}
		if !r.IsInt() {
			return nil, false
		}
		return new(big.Int).Set(r.Num()), true
	}
	x := new(big.Int).SetUint64(u)
	if neg {
		x.Neg(x)
	}
	return x, true
}

func minorDigits(c ledger.Currency) int {
	for _, k := range ledger.Currencies {
		if k.Code == c {
			return k.Minor
		}
	}
	return 2
}

func approx(s string) float64 {
	f, _ := new(big.Rat).SetString(s)
	if f == nil {
		return 0
	}
	x, _ := f.Float64()
	return x
}

// rateString renders a rate scaled by 10^6 as a decimal.
func rateString(r uint64) string {
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(r), big.NewInt(1_000_000)).FloatString(6)
}

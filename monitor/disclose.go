package monitor

import (
	"sort"
	"strings"

	"github.com/sable-settlement/sable/ledger/audit"
)

// The disclosure rule. A viewer of the page knows every flow's metadata
// from the chain, so it knows which flows each shown value holds, and can
// combine anything the page has ever shown. The monitor therefore treats
// each value it shows as a row (the set of flows it holds) and shows a new
// value only if no rational combination of all the rows shown so far,
// within a snapshot and across snapshots, equals the sum of fewer than
// MinFlows flows (exposure.go). A figure that cannot be shown keeps its
// last shown value (with its newer flows counted as pending), or stays
// withheld if it never had one. When several figures together would expose
// a flow, the ones to hold back are chosen deterministically, one at a
// time, among those holding the exposed flow or in the combination that
// exposes it: the first, in order, whose absence alone hides the exposed
// flow, else the first that holds it; the order holds back accounts
// (in, out) before corridors before currency totals, then the figure with
// the fewest new flows, then by key. Corridors partition a currency's
// transfers and accounts' inflows and outflows cover them again, so a
// corridor withheld for one payment also holds back a second corridor (or
// the currency total) and the accounts of its payer and payee.
//
// The decision depends only on which flows each figure holds, never on an
// amount, so what is withheld reveals nothing either. Genesis balances are
// shown as they are (an account with no flow yet shows its opening
// balance); they are not payments.
//
// Rows are kept per currency (flows of different currencies never share a
// figure) since the currency's last anchor: a round in which every one of
// its figures is shown as it stands at one consistent state of the ledger
// (no flow held by one figure is missing from another that holds it). What
// was shown up to an anchor then consists of known sums that no later row
// touches, so it is dropped. A currency whose window outgrows the limits
// below waits for a consistent state, shows what it safely can, and stops
// updating the figures it could not show (dark) so that it can anchor.

const (
	maxWindowRows  = 160
	maxWindowFlows = 160
)

// discloser decides, round after round, which figures the page shows.
type discloser struct {
	min    int
	shown  map[string]*shownFig
	dark   map[string]bool // never updated again
	seen   map[string]bool // in an earlier report
	win    map[string]*window
	primed bool
}

// shownFig is the last value shown for an aggregate: the sum of its first
// n flows (plus its genesis balance).
type shownFig struct {
	amount string
	n      int
}

// window is what a currency has shown since its last anchor.
type window struct {
	anchor map[string]int // flows each aggregate held at the anchor
	rows   [][]string     // flows after the anchor of each value shown since
}

// candidate is a figure whose report value is newer than the one shown.
type candidate struct {
	key    string
	amount string
	n      int
	row    []string // its flows after the anchor
}

// view is an aggregate as the page may show it.
type view struct {
	amount  string
	shown   bool
	current bool // the shown value is the report's
	frozen  bool
	pending int
}

func newDiscloser(min int) *discloser {
	return &discloser{min: min, shown: map[string]*shownFig{}, dark: map[string]bool{}, seen: map[string]bool{}, win: map[string]*window{}}
}

// apply runs one round on an audit report whose figures' flows b knows,
// and returns every aggregate's view.
func (d *discloser) apply(rep *audit.Report, b *flowBook) map[string]view {
	byCur := map[string][]audit.AggregateResult{}
	for _, a := range rep.Aggregates {
		byCur[currencyOf(a.Key)] = append(byCur[currencyOf(a.Key)], a)
	}
	for key := range b.aggs {
		if b.lost(key) {
			d.dark[key] = true
		}
	}
	curs := make([]string, 0, len(byCur))
	for c := range byCur {
		curs = append(curs, c)
	}
	sort.Strings(curs)
	for _, c := range curs {
		d.round(c, byCur[c], b)
	}
	out := map[string]view{}
	for _, a := range rep.Aggregates {
		out[a.Key] = d.view(a, b)
		d.seen[a.Key] = true
	}
	d.primed = true
	return out
}

// round shows what it safely can of one currency's report figures.
func (d *discloser) round(cur string, aggs []audit.AggregateResult, b *flowBook) {
	w := d.win[cur]
	if w == nil {
		w = &window{anchor: map[string]int{}}
		d.win[cur] = w
	}
	var cands []candidate
	for _, a := range aggs {
		if d.primed && !d.seen[a.Key] && d.shown[a.Key] == nil && !b.lost(a.Key) {
			// New since the last round: it held nothing then.
			d.shown[a.Key] = &shownFig{amount: zeroAmount(a.Key)}
		}
		n, ok := b.reportedSet(a.Key)
		if d.dark[a.Key] || !ok || !isAmount(cur, a.Amount) {
			continue
		}
		if s := d.shown[a.Key]; s != nil && s.n == n {
			continue
		}
		cands = append(cands, candidate{key: a.Key, amount: a.Amount, n: n, row: b.slice(a.Key, w.anchor[a.Key], n)})
	}
	consistent := d.consistent(cur, aggs, w, b)
	full := len(w.rows) > maxWindowRows || flowCount(w.rows) > maxWindowFlows
	if full && !consistent {
		cands = nil
	}
	for _, c := range choose(w.rows, cands, d.min) {
		d.shown[c.key] = &shownFig{amount: c.amount, n: c.n}
		if len(c.row) > 0 {
			w.rows = append(w.rows, c.row)
		}
	}
	if full && consistent {
		for _, key := range b.keys(cur) {
			if !d.current(key, b) {
				d.dark[key] = true
				b.abandon(key)
			}
		}
	}
	if consistent && d.allCurrent(cur, b) {
		d.anchor(cur, w, b)
	}
}

// consistent reports whether the report's figures of cur stand at one
// state of the ledger: no flow after the anchor that one of them holds is
// missing from another aggregate that holds it.
func (d *discloser) consistent(cur string, aggs []audit.AggregateResult, w *window, b *flowBook) bool {
	held := map[string]bool{}
	for _, a := range aggs {
		if n, ok := b.reportedSet(a.Key); ok && !d.dark[a.Key] {
			for _, f := range b.slice(a.Key, w.anchor[a.Key], n) {
				held[f] = true
			}
		}
	}
	for _, key := range b.keys(cur) {
		if d.dark[key] {
			continue
		}
		end, ok := b.reportedSet(key)
		if !ok {
			end = w.anchor[key]
		}
		for _, f := range b.slice(key, end, b.length(key)) {
			if held[f] {
				return false
			}
		}
	}
	return true
}

// current reports whether key shows the report's value (or is dark).
func (d *discloser) current(key string, b *flowBook) bool {
	if d.dark[key] {
		return true
	}
	n, ok := b.reportedSet(key)
	s := d.shown[key]
	return ok && s != nil && s.n == n
}

func (d *discloser) allCurrent(cur string, b *flowBook) bool {
	for _, key := range b.keys(cur) {
		if !d.current(key, b) {
			return false
		}
	}
	return true
}

// anchor starts cur's window afresh: everything shown so far is known.
func (d *discloser) anchor(cur string, w *window, b *flowBook) {
	for _, key := range b.keys(cur) {
		if d.dark[key] {
			continue
		}
		n, _ := b.reportedSet(key)
		w.anchor[key] = n
		b.forget(key, n)
	}
	w.rows = nil
}

// view is aggregate a as the page may show it.
func (d *discloser) view(a audit.AggregateResult, b *flowBook) view {
	now, ok := b.reportedSet(a.Key)
	if !ok {
		now = max(b.length(a.Key), a.Flows)
	}
	s := d.shown[a.Key]
	if s == nil {
		return view{pending: now, frozen: d.dark[a.Key]}
	}
	v := view{amount: s.amount, shown: true, frozen: d.dark[a.Key], pending: max(0, now-s.n)}
	v.current = ok && !v.frozen && s.n == now && s.amount == a.Amount
	return v
}

// choose returns the candidates that can be shown together with the rows
// already shown: it holds candidates back one at a time until nothing is
// exposed.
func choose(stored [][]string, cands []candidate, k int) []candidate {
	sort.Slice(cands, func(i, j int) bool { return holdFirst(cands[i], cands[j]) })
	in := make([]bool, len(cands))
	for i := range in {
		in[i] = true
	}
	for {
		rows, of := rowsOf(stored, cands, in)
		es := exposed(rows, k)
		if len(es) == 0 {
			break
		}
		i := culprit(stored, cands, in, es[0], of, k)
		if i < 0 {
			return nil // the rows already shown expose a flow: cannot happen
		}
		in[i] = false
	}
	var out []candidate
	for i, c := range cands {
		if in[i] {
			out = append(out, c)
		}
	}
	return out
}

// holdFirst orders candidates by which to hold back first: accounts (the
// finest figures), then corridors, then currency totals (they hold every
// flow of their kind, so once held back they rarely catch up); then fewer
// new flows; then by key.
func holdFirst(a, b candidate) bool {
	if ka, kb := kindRank(a.key), kindRank(b.key); ka != kb {
		return ka < kb
	}
	if len(a.row) != len(b.row) {
		return len(a.row) < len(b.row)
	}
	return a.key < b.key
}

func kindRank(key string) int {
	switch {
	case strings.HasPrefix(key, "in/"), strings.HasPrefix(key, "out/"):
		return 0
	case strings.HasPrefix(key, "corridor/"):
		return 1
	}
	return 2
}

// rowsOf lists the rows already shown and those of the candidates in, and
// for each row the candidate it comes from (-1 for a row already shown).
func rowsOf(stored [][]string, cands []candidate, in []bool) ([][]string, []int) {
	rows := append([][]string{}, stored...)
	of := make([]int, len(stored), len(stored)+len(cands))
	for i := range of {
		of[i] = -1
	}
	for i, c := range cands {
		if in[i] && len(c.row) > 0 {
			rows = append(rows, c.row)
			of = append(of, i)
		}
	}
	return rows, of
}

// culprit is the candidate to hold back for exposure e, candidates being
// in holdFirst order. It tries those that hold an exposed flow and those
// in the combination that exposes it (a flow is in at most four
// aggregates, so there are few): the first whose absence alone hides the
// exposed flows goes; else the first that holds one of them, which always
// makes progress.
func culprit(stored [][]string, cands []candidate, in []bool, e exposure, of []int, k int) int {
	g := map[string]bool{}
	for _, f := range e.flows {
		g[f] = true
	}
	try := map[int]bool{}
	for _, r := range e.rows {
		if i := of[r]; i >= 0 {
			try[i] = true
		}
	}
	first := -1
	for i := range cands {
		if in[i] && holds(cands[i].row, g) {
			try[i] = true
			if first < 0 {
				first = i
			}
		}
	}
	for i := range cands {
		if !try[i] {
			continue
		}
		in[i] = false
		rows, _ := rowsOf(stored, cands, in)
		hidden := true
		for _, x := range exposed(rows, k) {
			hidden = hidden && !holds(x.flows, g)
		}
		in[i] = true
		if hidden {
			return i
		}
	}
	return first
}

func holds(row []string, g map[string]bool) bool {
	for _, f := range row {
		if g[f] {
			return true
		}
	}
	return false
}

func flowCount(rows [][]string) int {
	seen := map[string]bool{}
	for _, r := range rows {
		for _, f := range r {
			seen[f] = true
		}
	}
	return len(seen)
}

// isAmount reports whether s is an amount of cur (the audit writes a
// marker instead of a figure resting on a single flow).
func isAmount(cur, s string) bool {
	_, ok := minorUnits(mustCurrency(cur), s)
	return ok
}

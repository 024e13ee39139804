package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
)

// infosOf makes up the transactions of a hand-written report's aggregates:
// a figure of n flows holds the currency's first n transfers (in, out,
// corridors and transfers), mints or burns, so the reports read as one
// payer paying one payee.
func infosOf(rep *audit.Report) []ledger.AggregateInfo {
	var out []ledger.AggregateInfo
	for _, a := range rep.Aggregates {
		parts := strings.SplitN(a.Key, "/", 3)
		tag := "t"
		switch {
		case len(parts) < 3:
		case parts[2] == "minted":
			tag = "m"
		case parts[2] == "burned":
			tag = "b"
		}
		info := ledger.AggregateInfo{Key: a.Key}
		for i := 1; i <= a.Flows; i++ {
			info.Txs = append(info.Txs, fmt.Sprintf("%s-%s%d", currencyOf(a.Key), tag, i))
		}
		info.Commitment = a.Key + "|" + strings.Join(info.Txs, ",")
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// fakeLedger is a model of the ledger's aggregates: parties in countries,
// genesis balances, and a sequence of events (flows and epoch closes). It
// makes the audit's report, read aggregate by aggregate at chosen moments
// as the real audit does, and the node's transaction lists.
type fakeLedger struct {
	country map[string]string
	genesis map[string]*big.Int // aggregate → genesis balance (minor units)
	events  []event
	n       int // flows so far, for IDs
}

// event is a flow into its aggregates, or an epoch close of every aggregate.
type event struct {
	close  bool
	id     string
	keys   []string
	amount *big.Int
}

func newFakeLedger() *fakeLedger {
	return &fakeLedger{country: map[string]string{}, genesis: map[string]*big.Int{}}
}

// party registers a party in a country.
func (l *fakeLedger) party(id, country string) { l.country[id] = country }

// fund gives party a genesis balance in cur.
func (l *fakeLedger) fund(party, cur string, major string) {
	v := minor(cur, major)
	for _, k := range []string{"in/" + cur + "/" + party, "currency/" + cur + "/funded"} {
		if l.genesis[k] == nil {
			l.genesis[k] = new(big.Int)
		}
		l.genesis[k].Add(l.genesis[k], v)
	}
}

func minor(cur, major string) *big.Int {
	x, ok := minorUnits(mustCurrency(cur), major)
	if !ok {
		panic("bad amount " + major)
	}
	return x
}

func (l *fakeLedger) flow(amount *big.Int, keys ...string) string {
	l.n++
	id := fmt.Sprintf("f%03d", l.n)
	l.events = append(l.events, event{id: id, keys: keys, amount: amount})
	return id
}

// pay is a transfer from one party to another.
func (l *fakeLedger) pay(from, to, cur, major string) string {
	return l.flow(minor(cur, major), "out/"+cur+"/"+from, "in/"+cur+"/"+to,
		"corridor/"+cur+"/"+l.country[from]+"-"+l.country[to], "currency/"+cur+"/transfers")
}

func (l *fakeLedger) mint(to, cur, major string) string {
	return l.flow(minor(cur, major), "in/"+cur+"/"+to, "currency/"+cur+"/minted")
}

func (l *fakeLedger) burn(issuer, cur, major string) string {
	return l.flow(minor(cur, major), "out/"+cur+"/"+issuer, "currency/"+cur+"/burned")
}

// close is an epoch close of every aggregate at the current state.
func (l *fakeLedger) close() { l.events = append(l.events, event{close: true}) }

// now is the current moment: the number of events so far.
func (l *fakeLedger) now() int { return len(l.events) }

// aggState is an aggregate at one moment.
type aggState struct {
	flows []event // every flow, in order
	epoch int     // flows before the last close
	base  string  // commitment at the last close
}

func (l *fakeLedger) state(key string, t int) aggState {
	var s aggState
	for _, e := range l.events[:t] {
		switch {
		case e.close:
			if len(s.flows) > 0 || l.genesis[key] != nil {
				s.epoch, s.base = len(s.flows), l.commitment(key, s.flows)
			}
		case has(e.keys, key):
			s.flows = append(s.flows, e)
		}
	}
	return s
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *fakeLedger) commitment(key string, flows []event) string {
	ids := make([]string, len(flows))
	for i, f := range flows {
		ids[i] = f.id
	}
	return key + "|" + strings.Join(ids, ",")
}

// keys lists the aggregates that exist at moment t.
func (l *fakeLedger) keys(t int) []string {
	set := map[string]bool{}
	for k := range l.genesis {
		set[k] = true
	}
	for _, e := range l.events[:t] {
		for _, k := range e.keys {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// amount is key's value at moment t, in minor units.
func (l *fakeLedger) amount(key string, s aggState) *big.Int {
	v := new(big.Int)
	if g := l.genesis[key]; g != nil {
		v.Set(g)
	}
	for _, f := range s.flows {
		v.Add(v, f.amount)
	}
	return v
}

// info is key as the node lists it at moment t.
func (l *fakeLedger) info(key string, t int) ledger.AggregateInfo {
	s := l.state(key, t)
	info := ledger.AggregateInfo{Key: key, Commitment: l.commitment(key, s.flows), BaseCommitment: s.base}
	for _, f := range s.flows[s.epoch:] {
		info.Txs = append(info.Txs, f.id)
	}
	return info
}

// report is the audit's report when it lists the aggregates at moment t0
// and reads each at read(key) (non-decreasing in key order, as the audit
// reads them one after another).
func (l *fakeLedger) report(t0 int, read func(key string) int) *audit.Report {
	rep := &audit.Report{Consistent: true, FlowBytes: 95249}
	supply := map[string]*big.Int{}
	for _, key := range l.keys(t0) {
		s := l.state(key, read(key))
		cur := currencyOf(key)
		v := l.amount(key, s)
		res := audit.AggregateResult{Key: key, Amount: ledger.FormatBig(mustCurrency(cur), v), Flows: len(s.flows) - s.epoch, Consistent: true}
		if res.Flows == 1 && s.base == "" && l.genesis[key] == nil {
			res.Amount = audit.Withheld
		}
		rep.Aggregates = append(rep.Aggregates, res)
		if strings.HasPrefix(key, "currency/") && !strings.HasSuffix(key, "/transfers") {
			if supply[cur] == nil {
				supply[cur] = new(big.Int)
			}
			if strings.HasSuffix(key, "/burned") {
				v.Neg(v)
			}
			supply[cur].Add(supply[cur], v)
		}
	}
	rep.USDTotal = usdOf(supply)
	return rep
}

// usdOf is the model's USD total of supplies (minor units per currency).
func usdOf(supply map[string]*big.Int) string {
	sum := new(big.Int)
	rates := audit.DefaultFXRates()
	for cur, v := range supply {
		c := mustCurrency(cur)
		r := new(big.Int).SetUint64(rates[c])
		for i := c.MinorDigits(); i < 2; i++ {
			r.Mul(r, big.NewInt(10))
		}
		sum.Add(sum, new(big.Int).Mul(v, r))
	}
	sum.Quo(sum, big.NewInt(1_000_000))
	return ledger.FormatBig(mustCurrency("USD"), sum)
}

// ledgerNode serves a fakeLedger at its current moment, and its audit,
// and the FX quotes the test sets (as /fx/quotes answers them).
type ledgerNode struct {
	l      *fakeLedger
	height int64
	read   func(key string) int // when the audit reads key; nil: now
	quotes []ledger.QuoteInfo
	qerr   error // the quotes query fails with it
}

func (n *ledgerNode) Height(context.Context) (int64, []byte, error) {
	return n.height, []byte{byte(n.height)}, nil
}

func (n *ledgerNode) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	var out []ledger.AggregateInfo
	for _, k := range n.l.keys(n.l.now()) {
		i := n.l.info(k, n.l.now())
		out = append(out, ledger.AggregateInfo{Key: k, Commitment: i.Commitment})
	}
	return out, nil
}

func (n *ledgerNode) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	return n.l.info(key, n.l.now()), nil
}

func (n *ledgerNode) Quotes(context.Context) ([]ledger.QuoteInfo, error) {
	if n.qerr != nil {
		return nil, n.qerr
	}
	return append([]ledger.QuoteInfo{}, n.quotes...), nil
}

func (n *ledgerNode) audit(context.Context) (*audit.Report, error) {
	read := n.read
	if read == nil {
		read = func(string) int { return n.l.now() }
	}
	t0 := n.l.now()
	for _, k := range n.l.keys(n.l.now()) {
		t0 = min(t0, read(k))
	}
	return n.l.report(t0, read), nil
}

// newLedgerServer is a monitor on l.
func newLedgerServer(t *testing.T, l *fakeLedger) (*Server, *ledgerNode) {
	t.Helper()
	n := &ledgerNode{l: l}
	srv, err := New(Config{Node: n, Audit: n.audit})
	if err != nil {
		t.Fatal(err)
	}
	return srv, n
}

// step makes the monitor see a new block and returns what a browser gets:
// the state as JSON, and decoded.
func (n *ledgerNode) step(t *testing.T, srv *Server) (*Snapshot, string) {
	t.Helper()
	n.height++
	srv.tick(context.Background())
	raw, err := json.Marshal(srv.State())
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return &s, string(raw)
}

// knowledge is what a viewer can compute from the snapshots it saw: each
// shown aggregate value is the sum of a prefix of the aggregate's flows
// (amounts are positive, so the value tells which prefix), plus its
// genesis balance; derived figures must be sums of shown values.
type knowledge struct {
	l    *fakeLedger
	rows [][]string
	seen map[string]bool
}

func newKnowledge(l *fakeLedger) *knowledge { return &knowledge{l: l, seen: map[string]bool{}} }

// add records snapshot s, checking that every derived figure is a
// combination of shown aggregate values.
func (k *knowledge) add(t *testing.T, s *Snapshot) {
	t.Helper()
	shown := map[string]Figure{}
	for _, a := range s.Aggregates {
		shown[a.Key] = a.Figure
		if a.Value == "" {
			continue
		}
		row := k.decode(t, a.Key, a.Value)
		sig := strings.Join(row, ",")
		if !k.seen[sig] {
			k.seen[sig] = true
			k.rows = append(k.rows, row)
		}
	}
	k.derived(t, s, shown)
}

// decode finds the flows behind value v of key.
func (k *knowledge) decode(t *testing.T, key, v string) []string {
	t.Helper()
	cur := currencyOf(key)
	want, ok := minorUnits(mustCurrency(cur), v)
	if !ok {
		t.Fatalf("%s shows %q", key, v)
	}
	s := k.l.state(key, k.l.now())
	sum := new(big.Int)
	if g := k.l.genesis[key]; g != nil {
		sum.Set(g)
	}
	var row []string
	for i := 0; ; i++ {
		if sum.Cmp(want) == 0 {
			return row
		}
		if i == len(s.flows) {
			t.Fatalf("%s shows %s, which is no prefix of its flows", key, v)
		}
		sum.Add(sum, s.flows[i].amount)
		row = append(row, s.flows[i].id)
	}
}

// derived checks positions, supplies, transfers, corridors and the USD
// total against the shown aggregate values they rest on.
func (k *knowledge) derived(t *testing.T, s *Snapshot, shown map[string]Figure) {
	t.Helper()
	sum := func(cur string, terms ...string) (string, bool) {
		v := new(big.Int)
		for _, term := range terms {
			sign, key := term[:1], term[1:]
			f, ok := shown[key]
			if !ok {
				continue
			}
			if f.Value == "" {
				return "", false
			}
			x, _ := minorUnits(mustCurrency(cur), f.Value)
			if sign == "-" {
				x.Neg(x)
			}
			v.Add(v, x)
		}
		return ledger.FormatBig(mustCurrency(cur), v), true
	}
	check := func(what string, f Figure, cur string, terms ...string) {
		t.Helper()
		want, ok := sum(cur, terms...)
		if f.Withheld == ok || (ok && f.Value != want) {
			t.Errorf("%s shows %+v; the values it rests on give %q (shown %v)", what, f, want, ok)
		}
	}
	for _, p := range s.Positions {
		check("position "+p.Party+"/"+p.Currency, p.Figure, p.Currency, "+in/"+p.Currency+"/"+p.Party, "-out/"+p.Currency+"/"+p.Party)
	}
	supply := map[string]*big.Int{}
	usdOK := true
	for _, tot := range s.Totals {
		c := tot.Currency
		check("supply "+c, tot.Supply, c, "+currency/"+c+"/funded", "+currency/"+c+"/minted", "-currency/"+c+"/burned")
		check("transfers "+c, tot.Transfers, c, "+currency/"+c+"/transfers")
		if tot.Supply.Withheld {
			usdOK = false
			continue
		}
		supply[c], _ = minorUnits(mustCurrency(c), tot.Supply.Value)
	}
	for _, c := range s.Corridors {
		f := shown["corridor/"+c.Currency+"/"+c.From+"-"+c.To]
		if f != c.Figure {
			t.Errorf("corridor %s-%s %s shows %+v, its aggregate %+v", c.From, c.To, c.Currency, c.Figure, f)
		}
	}
	if u := s.USDTotal; !u.Withheld && u.Pending == 0 && (!usdOK || u.Value != usdOf(supply)) {
		t.Errorf("USD total %s is not the total of the shown supplies (%s)", u.Value, usdOf(supply))
	}
}

// singled lists the flows that some rational combination of the rows
// equals alone. It is written apart from exposure.go, on flows rather than
// atoms, so that it checks it: a flow is singled out exactly when the
// reduced row echelon form of the rows (one column per flow) has a row
// with a single nonzero entry, in its column. This covers every ±1
// combination, within one snapshot and across any of them.
func (k *knowledge) singled() []string {
	col := map[string]int{}
	var flows []string
	for _, r := range k.rows {
		for _, f := range r {
			if _, ok := col[f]; !ok {
				col[f] = len(flows)
				flows = append(flows, f)
			}
		}
	}
	m := make([][]*big.Rat, len(k.rows))
	for i, r := range k.rows {
		m[i] = make([]*big.Rat, len(flows))
		for j := range m[i] {
			m[i][j] = new(big.Rat)
		}
		for _, f := range r {
			m[i][col[f]].SetInt64(1)
		}
	}
	row := 0
	for c := 0; c < len(flows) && row < len(m); c++ {
		p := row
		for p < len(m) && m[p][c].Sign() == 0 {
			p++
		}
		if p == len(m) {
			continue
		}
		m[row], m[p] = m[p], m[row]
		inv := new(big.Rat).Inv(m[row][c])
		for j := range m[row] {
			m[row][j].Mul(m[row][j], inv)
		}
		for i := range m {
			if i != row && m[i][c].Sign() != 0 {
				f := new(big.Rat).Set(m[i][c])
				for j := range m[i] {
					m[i][j].Sub(m[i][j], new(big.Rat).Mul(f, m[row][j]))
				}
			}
		}
		row++
	}
	var out []string
	for _, r := range m[:row] {
		nz := -1
		for j, x := range r {
			if x.Sign() != 0 {
				if nz >= 0 {
					nz = -2
					break
				}
				nz = j
			}
		}
		if nz >= 0 {
			out = append(out, flows[nz])
		}
	}
	return out
}

// safe fails t if the snapshots seen so far single out a flow.
func (k *knowledge) safe(t *testing.T, when string) {
	t.Helper()
	if f := k.singled(); len(f) > 0 {
		t.Fatalf("%s: what the page showed singles out %v", when, f)
	}
}

package audit

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// The regulator's audit. It fetches every encrypted aggregate with the sum
// of its public amount commitments, decrypts the aggregate (never a single
// payment, unless bisection has to name a cheater), recombines the limbs
// and checks Com(Σ amount, Σ blinding mod ℓ) against the commitment sum.
// A mismatch means some sender encrypted a flow that is not its payment;
// bisection over sub-aggregates of the aggregate's transactions names it.

// Source is what the audit reads: a node, or a test's app.
type Source interface {
	Aggregates(ctx context.Context) ([]ledger.AggregateInfo, error)
	Aggregate(ctx context.Context, key string) (ledger.AggregateInfo, error)
	RawTx(ctx context.Context, id ledger.TxID) ([]byte, error)
	Genesis(ctx context.Context) (*ledger.Genesis, error)
}

// FXRates are units of a reference currency per unit of each currency,
// as integers scaled by 10^6 (USD per unit: SGD 0.74 → 740000).
type FXRates map[ledger.Currency]uint64

// DefaultFXRates are indicative USD rates, for a demo.
func DefaultFXRates() FXRates {
	r := FXRates{}
	for code, v := range map[string]uint64{"USD": 1_000_000, "SGD": 740_000, "HKD": 128_000, "THB": 28_000, "EUR": 1_080_000, "JPY": 6_700, "CNY": 138_000} {
		c, _ := ledger.ParseCurrency(code)
		r[c] = v
	}
	return r
}

// ParseFXRates reads "SGD=0.74,JPY=0.0067" on top of the defaults.
func ParseFXRates(s string) (FXRates, error) {
	r := DefaultFXRates()
	if s == "" {
		return r, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		c, err := ledger.ParseCurrency(k)
		if !ok || err != nil {
			return nil, fmt.Errorf("ledger: FX rate %q: want CUR=rate, e.g. SGD=0.74", kv)
		}
		f, ok := new(big.Rat).SetString(v)
		if !ok || f.Sign() <= 0 {
			return nil, fmt.Errorf("ledger: FX rate %q is not a positive decimal", kv)
		}
		scaled := new(big.Rat).Mul(f, big.NewRat(1_000_000, 1))
		q := new(big.Int).Quo(scaled.Num(), scaled.Denom())
		if !q.IsUint64() || q.Uint64() == 0 {
			return nil, fmt.Errorf("ledger: FX rate %q out of range", kv)
		}
		r[c] = q.Uint64()
	}
	return r, nil
}

// minorRate converts a rate per major unit into USD cents per minor unit
// of c, scaled by 10^6: the multiplier applied to c's aggregates.
func (r FXRates) minorRate(c ledger.Currency) uint64 {
	rate := r[c]
	switch minor := c.MinorDigits(); {
	case minor < 2:
		for i := minor; i < 2; i++ {
			rate *= 10
		}
	case minor > 2:
		for i := 2; i < minor; i++ {
			rate /= 10
		}
	}
	return rate
}

// Report is the audit's result. Run always returns one unless the ledger
// cannot be read: a flow that breaks an aggregate or a figure is named in
// it, and the figures it does not touch stand.
type Report struct {
	// Consistent: every aggregate checks, no flow is named and every
	// figure was computed.
	Consistent bool                         `json:"consistent"`
	Totals     map[string]string            `json:"totals"`    // per currency, major units: funded + minted − burned
	USDTotal   string                       `json:"usd_total"` // at the given rates, computed homomorphically; empty if it failed
	Positions  map[string]map[string]string `json:"positions"` // party → currency → inflow − outflow
	Corridors  []CorridorVolume             `json:"corridors"`
	// FX is the volume of every currency pair quoted and filled: the
	// amounts its providers received in the pair's first currency and
	// paid in its second, summed over providers (fxin and fxout
	// aggregates).
	FX []FXVolume `json:"fx,omitempty"`
	// FXPositions is each FX provider's net position per currency from
	// its swaps: bought (fxin) − sold (fxout), since genesis.
	FXPositions map[string]map[string]string `json:"fx_positions,omitempty"`
	Aggregates  []AggregateResult            `json:"aggregates"`
	// Culprits names, per aggregate that is not clean, the flows that are
	// not honest-looking (bisect.go), each with its reason.
	Culprits []Culprit `json:"culprits,omitempty"`
	// Failures lists the derived figures that could not be computed
	// (left out of Totals, Positions and Corridors, or an empty
	// USDTotal), each with the flows that broke it.
	Failures []Failure `json:"failures,omitempty"`
	// Sealed lists the aggregates the regulator parties refused to open
	// (threshold decryption, fewer than k flows); figures resting on them
	// are left out, without a failure.
	Sealed []string `json:"sealed,omitempty"`
	// FlowBytes is the size of one transfer's flow ciphertext.
	FlowBytes int `json:"he_bytes_per_transfer"`
}

// AggregateResult is one aggregate, decrypted and checked.
type AggregateResult struct {
	Key        string `json:"key"`
	Amount     string `json:"amount"` // major units; meaningless when not Consistent
	Flows      int    `json:"flows"`  // transactions since the last epoch close
	Consistent bool   `json:"consistent"`
	// Sealed: not decrypted, see Report.Sealed.
	Sealed bool `json:"sealed,omitempty"`
	// Noisy: the aggregate checks, but its noise is above what its flows
	// could have if each were an honest encryption; the flows responsible
	// are named.
	Noisy bool `json:"noisy,omitempty"`
}

// CorridorVolume is the volume sent from one country to another in a currency.
type CorridorVolume struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Currency string `json:"currency"`
	Volume   string `json:"volume"`
}

// FXVolume is a currency pair's volume, summed over its providers: Sell
// is what payers paid them (the swaps' leg A), Buy what they delivered
// (leg B). An amount resting on one swap alone is Withheld, on a sealed
// aggregate Sealed, and on one that does not check empty (a Failure
// "fx/<SELL>/<BUY>/<CUR>" names it).
type FXVolume struct {
	Pair       string `json:"pair"` // "USD/SGD"
	Sell       string `json:"sell"`
	Buy        string `json:"buy"`
	SellVolume string `json:"sell_volume"`
	BuyVolume  string `json:"buy_volume"`
}

// Culprit is a transaction whose encrypted flow is not an honest encryption
// of its payment: a wrong value, limbs out of bounds, a value outside its
// slot groups, or more noise than an honest encryption has. Sender
// "ledger" (with no TxID) names the validators, when the aggregate they
// hold is not the sum of its flows.
type Culprit struct {
	Aggregate string `json:"aggregate"`
	TxID      string `json:"txid"`
	Sender    string `json:"sender"`
	Reason    string `json:"reason,omitempty"`

	noisy bool // named (also) for its noise
}

// Failure is a derived figure that could not be computed.
type Failure struct {
	// Figure is "usd_total", "total/<CUR>", "position/<party>/<CUR>",
	// "corridor/<CUR>/<SC>-<RC>", "fx/<SELL>/<BUY>/<CUR>" or
	// "fxposition/<provider>/<CUR>".
	Figure   string    `json:"figure"`
	Reason   string    `json:"reason"`
	Culprits []Culprit `json:"culprits,omitempty"`
}

// Auditor decrypts and checks aggregates through an Opener: the
// regulator's key, or t regulator parties' shares.
type Auditor struct {
	src   Source
	op    Opener
	ev    *he.Evaluator
	rates FXRates

	mu     sync.Mutex
	gen    *ledger.Genesis    // fetched once: it never changes, and with HE flows it runs to megabytes
	chain  string             // gen's digest (genesisDigest), once a bisection needs it
	groups map[string]int     // each aggregate opened: its slot group in its book
	books  map[string]Opening // per run and book ciphertext: its one decryption
}

// genesis returns the chain's genesis, fetched and parsed on first use.
func (a *Auditor) genesis(ctx context.Context) (*ledger.Genesis, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == nil {
		g, err := a.src.Genesis(ctx)
		if err != nil {
			return nil, err
		}
		a.gen = g
	}
	return a.gen, nil
}

// chainDigest returns the digest of the chain's genesis, which a
// bisection approval names.
func (a *Auditor) chainDigest(ctx context.Context) (string, error) {
	g, err := a.genesis(ctx)
	if err != nil {
		return "", err
	}
	return cachedDigest(&a.mu, &a.chain, g)
}

// New returns an auditor reading from src and decrypting with the
// regulator's one secret key.
func New(src Source, sk *he.SecretKey, rates FXRates) *Auditor {
	return NewWith(src, NewKeyOpener(sk), rates)
}

// NewWith returns an auditor reading from src and decrypting through op
// (a KeyOpener, or a ThresholdOpener over t regulator parties).
func NewWith(src Source, op Opener, rates FXRates) *Auditor {
	return &Auditor{src: src, op: op, ev: he.NewEvaluator(op.Params()), rates: rates, groups: map[string]int{}, books: map[string]Opening{}}
}

// opened is an aggregate after decryption.
type opened struct {
	info     ledger.AggregateInfo
	ct       *he.Ciphertext // nil if the ledger's bytes do not decode
	v        verdict
	amount   *big.Int
	ok       bool      // decrypts and opens its commitment sum
	culprits []Culprit // named by bisection when it is not clean
	total    *he.GroupSum
	sealed   bool // the regulator parties masked it (1 to k − 1 payments in its group) or refused
}

// Withheld stands in the report for the amount of an aggregate that holds a
// single payment: the regulator reads aggregates, not payments. It is still
// decrypted and checked.
const Withheld = "withheld (1 flow)"

// Sealed stands in the report for the amount of an aggregate the regulator
// parties did not reveal: its group in its book holds 1 to k − 1 payments,
// so the book opens with that group masked (or the parties refused to
// open the book at all). It is neither checked nor counted in any figure.
const Sealed = "sealed (its group holds fewer payments than the regulators' k)"

// single reports whether the aggregate is one payment and nothing else (no
// genesis funding, no epoch base).
func (o *opened) single(funded map[string]bool) bool {
	return len(o.info.Txs) == 1 && o.info.Base == nil && !funded[o.info.Key]
}

// fundedKeys lists the aggregates that start with genesis funding: each
// currency's funded total (an account's in counts from genesis on).
func fundedKeys(g *ledger.Genesis) map[string]bool {
	out := map[string]bool{}
	for _, acct := range g.Accounts {
		if acct.Flow != "" {
			c, _ := ledger.ParseCurrency(acct.Currency)
			out[ledger.AggCurrency(c, "funded")] = true
		}
	}
	return out
}

// Run audits every aggregate. It fails only when the ledger cannot be
// read; whatever a flow does, it returns a report naming it.
func (a *Auditor) Run(ctx context.Context) (*Report, error) {
	ctx = withRun(ctx)
	list, err := a.src.Aggregates(ctx)
	if err != nil {
		return nil, err
	}
	g, err := a.genesis(ctx)
	if err != nil {
		return nil, err
	}
	funded := fundedKeys(g)
	rep := &Report{Totals: map[string]string{}, Positions: map[string]map[string]string{}, FlowBytes: a.op.Params().CiphertextSize()}
	byKey := map[string]*opened{}
	for _, entry := range list { // sorted by key: the query scans in order
		o, err := a.open(ctx, entry.Key)
		if err != nil {
			return nil, err
		}
		byKey[entry.Key] = o
		res := AggregateResult{Key: entry.Key, Amount: a.format(entry.Key, o.amount), Flows: len(o.info.Txs), Consistent: o.ok, Noisy: o.ok && !o.v.noiseOK}
		if o.single(funded) || o.sealed {
			res.Amount = Withheld
		}
		if o.sealed {
			res.Amount, res.Sealed = Sealed, true
			rep.Sealed = append(rep.Sealed, entry.Key)
		}
		rep.Aggregates = append(rep.Aggregates, res)
		if o.v.clean() || o.sealed {
			continue
		}
		if o.culprits, o.total, err = a.bisect(ctx, o); err != nil {
			return nil, err
		}
		rep.Culprits = append(rep.Culprits, o.culprits...)
	}
	a.positions(rep, byKey, funded)
	fxFigures(rep, byKey)
	if err := a.totals(ctx, rep, byKey); err != nil {
		return nil, err
	}
	sort.Slice(rep.Failures, func(i, j int) bool { return rep.Failures[i].Figure < rep.Failures[j].Figure })
	rep.Consistent = len(rep.Culprits) == 0 && len(rep.Failures) == 0
	for _, r := range rep.Aggregates {
		rep.Consistent = rep.Consistent && (r.Sealed || r.Consistent && !r.Noisy)
	}
	return rep, nil
}

// open reads an aggregate, decrypts it and measures its noise. An
// aggregate whose bytes do not decode is not clean (bisection then names
// the ledger); only a failure to read it is an error.
func (a *Auditor) open(ctx context.Context, key string) (*opened, error) {
	info, err := a.src.Aggregate(ctx, key)
	if err != nil {
		return nil, err
	}
	o := &opened{info: info}
	a.mu.Lock()
	a.groups[key] = info.Group
	a.mu.Unlock()
	com, err := zkp.ParseCommitment(info.Commitment)
	if err != nil {
		return nil, fmt.Errorf("ledger: aggregate %s: commitment sum: %w", key, err)
	}
	ct := he.Zero(a.op.Params())
	if ct.UnmarshalBinary(info.Ciphertext) == nil {
		o.ct = ct
	}
	o.v, err = a.examine(ctx, target(ctx, key, Part{Aggregate: key}), o.ct, com, info.Group)
	if errors.Is(err, ErrRefused) {
		o.sealed, o.amount = true, new(big.Int)
		return o, nil
	}
	if err != nil {
		return nil, err
	}
	o.amount, o.ok = o.v.total.Amount, o.v.value
	return o, nil
}

func (a *Auditor) format(key string, amount *big.Int) string {
	c, _ := ledger.ParseCurrency(strings.Split(key, "/")[1])
	return ledger.FormatBig(c, amount)
}

// failure records a figure that rests on aggregates that do not check.
func failure(figure string, bad []*opened) Failure {
	f := Failure{Figure: figure}
	keys := make([]string, len(bad))
	for i, o := range bad {
		keys[i] = o.info.Key
		f.Culprits = append(f.Culprits, o.culprits...)
	}
	f.Reason = "it rests on aggregates that do not check: " + strings.Join(keys, ", ")
	return f
}

// positions derives each account's position (inflow − outflow) and the
// corridor volumes from the decrypted aggregates; a figure resting on an
// aggregate that does not check is a failure instead.
func (a *Auditor) positions(rep *Report, byKey map[string]*opened, funded map[string]bool) {
	net := map[string]map[ledger.Currency]*big.Int{}
	bad := map[string]map[ledger.Currency][]*opened{}
	for _, key := range sortedKeys(byKey) {
		o := byKey[key]
		parts := strings.Split(key, "/")
		c, _ := ledger.ParseCurrency(parts[1])
		switch parts[0] {
		case "in", "out":
			if net[parts[2]] == nil {
				net[parts[2]] = map[ledger.Currency]*big.Int{}
				bad[parts[2]] = map[ledger.Currency][]*opened{}
			}
			if net[parts[2]][c] == nil {
				net[parts[2]][c] = new(big.Int)
			}
			if !o.ok {
				bad[parts[2]][c] = append(bad[parts[2]][c], o)
			} else if parts[0] == "in" {
				net[parts[2]][c].Add(net[parts[2]][c], o.amount)
			} else {
				net[parts[2]][c].Sub(net[parts[2]][c], o.amount)
			}
		case "corridor":
			from, to, _ := strings.Cut(parts[2], "-")
			vol := ledger.FormatBig(c, o.amount)
			switch {
			case o.sealed:
				vol = Sealed
			case !o.ok:
				vol = ""
				rep.Failures = append(rep.Failures, failure(key, []*opened{o}))
			case o.single(funded):
				vol = Withheld
			}
			rep.Corridors = append(rep.Corridors, CorridorVolume{From: from, To: to, Currency: c.String(), Volume: vol})
		}
	}
	sort.Slice(rep.Corridors, func(i, j int) bool {
		x, y := rep.Corridors[i], rep.Corridors[j]
		return x.Currency+x.From+x.To < y.Currency+y.From+y.To
	})
	for party, m := range net {
		rep.Positions[party] = map[string]string{}
		for c, v := range m {
			if b := bad[party][c]; len(b) > 0 {
				if !allSealed(b) {
					rep.Failures = append(rep.Failures, failure("position/"+party+"/"+c.String(), b))
				}
				continue
			}
			rep.Positions[party][c.String()] = ledger.FormatBig(c, v)
		}
	}
}

// allSealed reports whether every aggregate of bad was sealed rather
// than found wrong.
func allSealed(bad []*opened) bool {
	for _, o := range bad {
		if !o.sealed {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]*opened) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fxPart is one aggregate in an FX total, at its rate.
type fxPart struct {
	o    *opened
	rate uint64
}

// totals computes each currency's total (funded + minted − burned) and the
// USD equivalent: Σ rate·book over the currencies' books, formed
// homomorphically and decrypted once, read at the totals' groups (the same
// in every book: ledger.GroupFunded, GroupMinted, GroupBurned) and checked
// against the same sums of the aggregates' decrypted amounts. A total
// resting on an aggregate that does not check fails; so does the USD total
// when its decryption does not match, which only noise can cause
// (bisect.go): the flows whose noise broke it are named.
func (a *Auditor) totals(ctx context.Context, rep *Report, byKey map[string]*opened) error {
	p := a.op.Params()
	acc := he.Zero(p)
	var fxParts []Part
	wantIssued, wantBurned := new(big.Int), new(big.Int)
	var parts []fxPart
	var broken []*opened
	capacity := ""
	for _, k := range ledger.Currencies {
		total := new(big.Int)
		var bad []*opened
		var book *opened
		rate := a.rates.minorRate(k.Code)
		for _, what := range []string{"funded", "minted", "burned"} {
			o := byKey[ledger.AggCurrency(k.Code, what)]
			if o == nil {
				continue
			}
			if !o.ok {
				bad = append(bad, o)
				continue
			}
			want := wantIssued
			if what == "burned" {
				want = wantBurned
				total.Sub(total, o.amount)
			} else {
				total.Add(total, o.amount)
			}
			want.Add(want, new(big.Int).Mul(o.amount, new(big.Int).SetUint64(rate)))
			parts = append(parts, fxPart{o, rate})
			if book == nil {
				book = o
			}
		}
		if len(bad) > 0 {
			if !allSealed(bad) {
				rep.Failures = append(rep.Failures, failure("total/"+k.Code.String(), bad))
			}
			broken = append(broken, bad...)
			continue
		}
		if book != nil {
			fxParts = append(fxParts, Part{Aggregate: book.info.Key, Rate: rate})
			if capacity == "" {
				if err := a.ev.MulRateThenAdd(acc, book.ct, rate); err != nil {
					capacity = err.Error()
				}
			}
		}
		if total.Sign() != 0 || byKey[ledger.AggCurrency(k.Code, "minted")] != nil || byKey[ledger.AggCurrency(k.Code, "funded")] != nil {
			rep.Totals[k.Code.String()] = ledger.FormatBig(k.Code, total)
		}
	}
	switch {
	case len(broken) > 0 && allSealed(broken):
		return nil
	case len(broken) > 0:
		rep.Failures = append(rep.Failures, failure("usd_total", broken))
		return nil
	case capacity != "":
		rep.Failures = append(rep.Failures, Failure{Figure: "usd_total", Reason: "the FX total is past its capacity (" + capacity + "); close the epoch of the currencies' books"})
		return nil
	}
	in, out, ok, err := a.fxAmount(ctx, acc, wantIssued, wantBurned, fxParts)
	if errors.Is(err, errSealedTotal) {
		return nil // a total group of some book is sparse: the USD total stays sealed
	}
	if err != nil {
		return err
	}
	if !ok {
		culprits, err := a.fxCulprits(ctx, parts)
		if err != nil {
			return err
		}
		rep.Failures = append(rep.Failures, Failure{Figure: "usd_total", Culprits: culprits,
			Reason: "the FX-weighted total does not decrypt to the rate-weighted sum of its aggregates, each of which checks: the noise of some flow, multiplied by its rate, broke it"})
		return nil
	}
	usd := new(big.Int).Sub(in, out)
	usd.Quo(usd, big.NewInt(1_000_000)) // rates are scaled by 10^6
	rep.USDTotal = ledger.FormatBig(ledger.Currency{'U', 'S', 'D'}, usd)
	return nil
}

// errSealedTotal: the FX total's issued or burned group was masked.
var errSealedTotal = errors.New("ledger: the FX total's issued or burned group is sparse and sealed")

// fxAmount decrypts an FX sum of books and reads the issued (funded +
// minted) and burned totals, checking them against wantIn and wantOut,
// the same sums formed from the aggregates' decrypted amounts. parts name
// ct's terms.
func (a *Auditor) fxAmount(ctx context.Context, ct *he.Ciphertext, wantIn, wantOut *big.Int, parts []Part) (*big.Int, *big.Int, bool, error) {
	if ct.Load() == 0 {
		return new(big.Int), new(big.Int), wantIn.Sign() == 0 && wantOut.Sign() == 0, nil
	}
	op, err := a.op.Open(ctx, Target{Run: runOf(ctx), Aggregate: "usd_total", Parts: parts}, ct)
	if err != nil || op.Err != nil || len(op.Sums) <= ledger.GroupBurned {
		return nil, nil, false, err
	}
	for _, g := range []int{ledger.GroupFunded, ledger.GroupMinted, ledger.GroupBurned} {
		if slices.Contains(op.Masked, g) {
			return nil, nil, false, errSealedTotal
		}
	}
	in := new(big.Int).Add(op.Sums[ledger.GroupFunded].Amount, op.Sums[ledger.GroupMinted].Amount)
	out := op.Sums[ledger.GroupBurned].Amount
	return in, out, in.Cmp(wantIn) == 0 && out.Cmp(wantOut) == 0, nil
}

// fxCulprits names the flows whose noise broke an FX total: those already
// named for their noise in its aggregates, else the noisiest flows of the
// aggregate whose noise, at its rate, weighs most in the total.
func (a *Auditor) fxCulprits(ctx context.Context, parts []fxPart) ([]Culprit, error) {
	var out []Culprit
	for _, pt := range parts {
		for _, c := range pt.o.culprits {
			if c.noisy {
				out = append(out, c)
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	var worst *fxPart
	var weight *big.Int
	for i := range parts {
		w := new(big.Int).Mul(new(big.Int).SetUint64(parts[i].o.v.noise), new(big.Int).SetUint64(parts[i].rate))
		if worst == nil || w.Cmp(weight) > 0 {
			worst, weight = &parts[i], w
		}
	}
	if worst == nil {
		return nil, nil
	}
	es, err := a.elements(ctx, worst.o)
	if err != nil {
		return nil, err
	}
	chain, err := a.chainDigest(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := a.op.Approve(ctx, chain, runOf(ctx), worst.o.info.Key, worst.o.ct, partsOf(es)); errors.Is(err, ErrRefused) {
		return nil, nil // every aggregate checks: the parties open none of their flows
	} else if err != nil {
		return nil, err
	}
	return a.noisiest(ctx, worst.o.info.Key, es)
}

// EpochCloser submits an epoch close signed by the regulator; a
// party.Sender holding the regulator's identity is one.
type EpochCloser interface {
	EpochClose(ctx context.Context, aggs []ledger.ClosedAggregate) (ledger.TxID, error)
}

// Close re-encrypts the books of the named aggregates (or books,
// ledger.BookKey) and submits them in epoch-close transactions of at most
// ledger.MaxClosePerTx books each, so that their limbs start again from
// one unit. Nothing is submitted unless every aggregate of every book
// named has a known sum (see Reencrypt).
func (a *Auditor) Close(ctx context.Context, s EpochCloser, keys []string) ([]ledger.TxID, error) {
	aggs, err := a.Reencrypt(ctx, keys)
	if err != nil {
		return nil, err
	}
	var ids []ledger.TxID
	for len(aggs) > 0 {
		n := min(len(aggs), ledger.MaxClosePerTx)
		id, err := s.EpochClose(ctx, aggs[:n])
		if err != nil {
			return ids, err
		}
		ids, aggs = append(ids, id), aggs[n:]
	}
	return ids, nil
}

// Reencrypt decrypts the book of each named aggregate (or book), checks
// every aggregate of it against its commitment sum and encrypts the group
// sums afresh for an epoch close. An aggregate that is not clean is
// bisected: if every flow it names decrypts to its commitment (only its
// noise or slot groups are wrong, as with a noise-flooded flow that wraps
// the book), the sum of its flows is known, checks against the commitment
// sum, and is re-encrypted, which also rids the book of the flooded noise;
// the caller should keep the audit that named them (Run), since the close
// ends the book's trail. A book in which a flow encrypts another value is
// refused: its sums are unknown, and closing it would erase the trail that
// names its culprit.
func (a *Auditor) Reencrypt(ctx context.Context, keys []string) ([]ledger.ClosedAggregate, error) {
	ctx = withRun(ctx)
	g, err := a.genesis(ctx)
	if err != nil {
		return nil, err
	}
	pk, err := currentKey(ctx, a.src, g) // the key epoch in force (rotate.go)
	if err != nil || pk == nil {
		return nil, fmt.Errorf("ledger: this chain has no HE key to close epochs with")
	}
	enc := he.NewEncryptor(pk)
	var out []ledger.ClosedAggregate
	seen := map[ledger.Currency]bool{}
	for _, key := range keys {
		c, ok := ledger.ParseBookKey(key)
		if !ok {
			if c, ok = ledger.AggCurrencyOf(key); !ok {
				return nil, fmt.Errorf("ledger: %q names no aggregate or book", key)
			}
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		closed, err := a.reencryptBook(ctx, enc, c)
		if err != nil {
			return nil, err
		}
		out = append(out, closed)
	}
	return out, nil
}

// reencryptBook re-encrypts one currency's book (see Reencrypt).
func (a *Auditor) reencryptBook(ctx context.Context, enc *he.Encryptor, c ledger.Currency) (ledger.ClosedAggregate, error) {
	var none ledger.ClosedAggregate
	head, err := a.src.Aggregate(ctx, ledger.AggCurrency(c, "funded"))
	if err != nil {
		return none, err
	}
	sums := map[int]he.GroupSum{}
	book := zkp.ZeroCommitment()
	for g, key := range head.Layout {
		o, err := a.open(ctx, key)
		if err != nil {
			return none, err
		}
		if o.sealed {
			return none, fmt.Errorf("ledger: the %s book holds a group of fewer payments than the regulator parties open: %w", c, ErrRefused)
		}
		total := &o.v.total
		if !o.v.clean() {
			if _, total, err = a.bisect(ctx, o); err != nil {
				return none, err
			}
			if total == nil || commitBig(total.Amount, total.Blinding).String() != o.info.Commitment {
				return none, fmt.Errorf("ledger: aggregate %s is inconsistent and a flow in it encrypts another value; audit it before closing its book's epoch", key)
			}
		}
		sums[g] = reduce(*total)
		if strings.HasPrefix(key, "currency/") {
			sum, err := zkp.ParseCommitment(o.info.Commitment)
			if err != nil {
				return none, fmt.Errorf("ledger: aggregate %s: %w", key, err)
			}
			book = book.Add(sum) // every payment is in exactly one currency total
		}
	}
	ct, err := enc.EncryptSums(sums)
	if err != nil {
		return none, fmt.Errorf("ledger: re-encrypt the %s book: %w", c, err)
	}
	raw, err := ct.MarshalBinary()
	if err != nil {
		return none, err
	}
	return ledger.ClosedAggregate{Key: ledger.BookKey(c), Sum: book, Ciphertext: raw}, nil
}

// reduce returns a checked sum with its blinding reduced modulo the curve
// order ℓ: the commitment is the same point (r·H depends on r mod ℓ only),
// and a blinding below ℓ < 2^he.BlindingBits fits its slot group at load
// 1. Unreduced, a sum of L blindings uniform below ℓ ≈ 2^250.6 (≈
// L·2^249.6) would weigh about L/10 loads in its top limb, and a close
// would barely lighten the book.
func reduce(total he.GroupSum) he.GroupSum {
	return he.GroupSum{Amount: total.Amount, Blinding: new(big.Int).Mod(total.Blinding, zkp.Order())}
}

// reencrypt encrypts one reduced sum in group ledger.FlowGroup.
func reencrypt(enc *he.Encryptor, total he.GroupSum) ([]byte, error) {
	ct, err := enc.EncryptSums(map[int]he.GroupSum{ledger.FlowGroup: reduce(total)})
	if err != nil {
		return nil, err
	}
	return ct.MarshalBinary()
}

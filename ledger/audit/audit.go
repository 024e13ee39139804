package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"sort"
	"strings"

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

// Report is the audit's result.
type Report struct {
	Consistent bool                         `json:"consistent"`
	Totals     map[string]string            `json:"totals"`    // per currency, major units: funded + minted − burned
	USDTotal   string                       `json:"usd_total"` // at the given rates, computed homomorphically
	Positions  map[string]map[string]string `json:"positions"` // party → currency → inflow − outflow
	Corridors  []CorridorVolume             `json:"corridors"`
	Aggregates []AggregateResult            `json:"aggregates"`
	Culprits   []Culprit                    `json:"culprits,omitempty"`
	// FlowBytes is the size of one transfer's flow ciphertext.
	FlowBytes int `json:"he_bytes_per_transfer"`
}

// AggregateResult is one aggregate, decrypted and checked.
type AggregateResult struct {
	Key        string `json:"key"`
	Amount     string `json:"amount"` // major units
	Flows      int    `json:"flows"`  // transactions since the last epoch close
	Consistent bool   `json:"consistent"`
}

// CorridorVolume is the volume sent from one country to another in a currency.
type CorridorVolume struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Currency string `json:"currency"`
	Volume   string `json:"volume"`
}

// Culprit is a transaction whose encrypted flow does not match its commitment.
type Culprit struct {
	Aggregate string `json:"aggregate"`
	TxID      string `json:"txid"`
	Sender    string `json:"sender"`
}

// Auditor decrypts and checks aggregates with the regulator's key.
type Auditor struct {
	src   Source
	sk    *he.SecretKey
	dec   *he.Decryptor
	ev    *he.Evaluator
	rates FXRates
}

// New returns an auditor reading from src.
func New(src Source, sk *he.SecretKey, rates FXRates) *Auditor {
	return &Auditor{src: src, sk: sk, dec: he.NewDecryptor(sk), ev: he.NewEvaluator(sk.Params()), rates: rates}
}

// opened is an aggregate after decryption.
type opened struct {
	info   ledger.AggregateInfo
	ct     *he.Ciphertext
	amount *big.Int
	ok     bool
}

// Withheld stands in the report for the amount of an aggregate that holds a
// single payment: the regulator reads aggregates, not payments. It is still
// decrypted and checked.
const Withheld = "withheld (1 flow)"

// single reports whether the aggregate is one payment and nothing else (no
// genesis funding, no epoch base).
func (o *opened) single(funded map[string]bool) bool {
	return len(o.info.Txs) == 1 && o.info.Base == nil && !funded[o.info.Key]
}

// fundedKeys lists the aggregates that start with genesis funding.
func fundedKeys(g *ledger.Genesis) map[string]bool {
	out := map[string]bool{}
	for _, acct := range g.Accounts {
		if acct.Flow != "" {
			c, _ := ledger.ParseCurrency(acct.Currency)
			out[ledger.AggIn(c, acct.Party)] = true
			out[ledger.AggCurrency(c, "funded")] = true
		}
	}
	return out
}

// Run audits every aggregate.
func (a *Auditor) Run(ctx context.Context) (*Report, error) {
	list, err := a.src.Aggregates(ctx)
	if err != nil {
		return nil, err
	}
	g, err := a.src.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	funded := fundedKeys(g)
	rep := &Report{Consistent: true, Totals: map[string]string{}, Positions: map[string]map[string]string{}, FlowBytes: a.sk.Params().CiphertextSize()}
	byKey := map[string]*opened{}
	for _, entry := range list { // sorted by key: the query scans in order
		o, err := a.open(ctx, entry.Key)
		if err != nil {
			return nil, err
		}
		byKey[entry.Key] = o
		res := AggregateResult{Key: entry.Key, Amount: a.format(entry.Key, o.amount), Flows: len(o.info.Txs), Consistent: o.ok}
		if o.single(funded) {
			res.Amount = Withheld
		}
		rep.Aggregates = append(rep.Aggregates, res)
		if !o.ok {
			rep.Consistent = false
			culprits, err := a.bisect(ctx, o)
			if err != nil {
				return nil, err
			}
			rep.Culprits = append(rep.Culprits, culprits...)
		}
	}
	a.positions(rep, byKey, funded)
	if err := a.totals(rep, byKey); err != nil {
		return nil, err
	}
	return rep, nil
}

func (a *Auditor) open(ctx context.Context, key string) (*opened, error) {
	info, err := a.src.Aggregate(ctx, key)
	if err != nil {
		return nil, err
	}
	ct := he.Zero(a.sk.Params())
	if err := ct.UnmarshalBinary(info.Ciphertext); err != nil {
		return nil, fmt.Errorf("ledger: aggregate %s: %w", key, err)
	}
	o := &opened{info: info, ct: ct}
	o.amount, o.ok = a.check(ct, info.Commitment)
	return o, nil
}

// check decrypts ct and compares it with the commitment sum.
func (a *Auditor) check(ct *he.Ciphertext, commitment string) (*big.Int, bool) {
	sums, err := a.dec.Decrypt(ct)
	if err != nil {
		return new(big.Int), false // limbs no honest sum produces
	}
	g := he.Total(sums)
	if !g.Amount.IsUint64() {
		return g.Amount, false
	}
	r := new(big.Int).Mod(g.Blinding, zkp.Order())
	return g.Amount, zkp.Commit(g.Amount.Uint64(), r).String() == commitment
}

func (a *Auditor) format(key string, amount *big.Int) string {
	c, _ := ledger.ParseCurrency(strings.Split(key, "/")[1])
	return ledger.FormatBig(c, amount)
}

// element is one flow of an aggregate for bisection.
type element struct {
	ct     *he.Ciphertext
	com    zkp.Commitment
	txid   string
	sender string
}

// bisect names the transactions of an inconsistent aggregate whose flow
// does not match its commitment, decrypting sub-aggregates only.
func (a *Auditor) bisect(ctx context.Context, o *opened) ([]Culprit, error) {
	elems, err := a.elements(ctx, o)
	if err != nil {
		return nil, err
	}
	var out []Culprit
	var walk func(es []element)
	walk = func(es []element) {
		if len(es) == 0 || a.consistent(es) {
			return
		}
		if len(es) == 1 {
			out = append(out, Culprit{Aggregate: o.info.Key, TxID: es[0].txid, Sender: es[0].sender})
			return
		}
		walk(es[:len(es)/2])
		walk(es[len(es)/2:])
	}
	walk(elems)
	return out, nil
}

func (a *Auditor) consistent(es []element) bool {
	sum := he.Zero(a.sk.Params())
	com := zkp.ZeroCommitment()
	for _, e := range es {
		if err := a.ev.Add(sum, e.ct); err != nil {
			return false
		}
		com = com.Add(e.com)
	}
	_, ok := a.check(sum, com.String())
	return ok
}

// elements lists an aggregate's flows: the genesis funding (for inflow and
// funded aggregates) and each transaction since the last epoch close.
func (a *Auditor) elements(ctx context.Context, o *opened) ([]element, error) {
	var es []element
	parts := strings.Split(o.info.Key, "/")
	if o.info.Base != nil {
		// the regulator's own re-encryption at the last epoch close
		ct := he.Zero(a.sk.Params())
		com, err := zkp.ParseCommitment(o.info.BaseCommitment)
		if err == nil {
			err = ct.UnmarshalBinary(o.info.Base)
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: epoch base of %s: %w", o.info.Key, err)
		}
		es = append(es, element{ct: ct, com: com, txid: "epoch-close:" + o.info.Key, sender: "regulator"})
	} else if parts[0] == "in" || (parts[0] == "currency" && parts[2] == "funded") {
		g, err := a.src.Genesis(ctx)
		if err != nil {
			return nil, err
		}
		for _, acct := range g.Accounts {
			if acct.Flow == "" || acct.Currency != parts[1] || (parts[0] == "in" && acct.Party != parts[2]) {
				continue
			}
			e, err := a.genesisElement(acct)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
		}
	}
	for _, id := range o.info.Txs {
		e, err := a.txElement(ctx, id)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

func (a *Auditor) genesisElement(acct ledger.GenesisAccount) (element, error) {
	raw, _ := hex.DecodeString(acct.Flow)
	ct := he.Zero(a.sk.Params())
	if err := ct.UnmarshalBinary(raw); err != nil {
		return element{}, fmt.Errorf("ledger: genesis flow of %s/%s: %w", acct.Party, acct.Currency, err)
	}
	com, err := zkp.ParseCommitment(acct.Available)
	if err != nil {
		return element{}, err
	}
	return element{ct: ct, com: com, txid: "genesis:" + acct.Party + "/" + acct.Currency, sender: "genesis"}, nil
}

func (a *Auditor) txElement(ctx context.Context, id string) (element, error) {
	txid, err := ledger.ParseTxID(id)
	if err != nil {
		return element{}, err
	}
	raw, err := a.src.RawTx(ctx, txid)
	if err != nil {
		return element{}, err
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return element{}, fmt.Errorf("ledger: transaction %s: %w", id, err)
	}
	var flow []byte
	var com zkp.Commitment
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		flow, com = b.Flow, b.Amount
	case *ledger.BulkTransfer:
		flow, com = b.Flow, zkp.ZeroCommitment()
		for _, p := range b.Payments {
			com = com.Add(p.Amount)
		}
	case *ledger.Mint:
		flow, com = b.Flow, b.Amount
	case *ledger.Burn:
		flow, com = b.Flow, b.Amount
	default:
		return element{}, fmt.Errorf("ledger: transaction %s carries no flow", id)
	}
	ct := he.Zero(a.sk.Params())
	if err := ct.UnmarshalBinary(flow); err != nil {
		return element{}, fmt.Errorf("ledger: transaction %s: flow: %w", id, err)
	}
	return element{ct: ct, com: com, txid: id, sender: tx.Sender}, nil
}

// positions derives each account's position (inflow − outflow) and the
// corridor volumes from the decrypted aggregates.
func (a *Auditor) positions(rep *Report, byKey map[string]*opened, funded map[string]bool) {
	net := map[string]map[ledger.Currency]*big.Int{}
	for key, o := range byKey {
		parts := strings.Split(key, "/")
		c, _ := ledger.ParseCurrency(parts[1])
		switch parts[0] {
		case "in", "out":
			if net[parts[2]] == nil {
				net[parts[2]] = map[ledger.Currency]*big.Int{}
			}
			if net[parts[2]][c] == nil {
				net[parts[2]][c] = new(big.Int)
			}
			if parts[0] == "in" {
				net[parts[2]][c].Add(net[parts[2]][c], o.amount)
			} else {
				net[parts[2]][c].Sub(net[parts[2]][c], o.amount)
			}
		case "corridor":
			from, to, _ := strings.Cut(parts[2], "-")
			vol := ledger.FormatBig(c, o.amount)
			if o.single(funded) {
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
			rep.Positions[party][c.String()] = ledger.FormatBig(c, v)
		}
	}
}

// totals computes each currency's total (funded + minted − burned) and the
// USD equivalent: Σ rate·(funded + minted) and Σ rate·burned, each formed
// homomorphically and decrypted once.
func (a *Auditor) totals(rep *Report, byKey map[string]*opened) error {
	issued, burned := he.Zero(a.sk.Params()), he.Zero(a.sk.Params())
	for _, k := range ledger.Currencies {
		total := new(big.Int)
		for _, what := range []string{"funded", "minted", "burned"} {
			o := byKey[ledger.AggCurrency(k.Code, what)]
			if o == nil {
				continue
			}
			acc := issued
			if what == "burned" {
				acc = burned
				total.Sub(total, o.amount)
			} else {
				total.Add(total, o.amount)
			}
			if err := a.ev.MulRateThenAdd(acc, o.ct, a.rates.minorRate(k.Code)); err != nil {
				return fmt.Errorf("ledger: FX total: %w", err)
			}
		}
		if total.Sign() != 0 || byKey[ledger.AggCurrency(k.Code, "minted")] != nil || byKey[ledger.AggCurrency(k.Code, "funded")] != nil {
			rep.Totals[k.Code.String()] = ledger.FormatBig(k.Code, total)
		}
	}
	in, err := a.fxAmount(issued)
	if err != nil {
		return err
	}
	out, err := a.fxAmount(burned)
	if err != nil {
		return err
	}
	usd := new(big.Int).Sub(in, out)
	usd.Quo(usd, big.NewInt(1_000_000)) // rates are scaled by 10^6
	rep.USDTotal = ledger.FormatBig(ledger.Currency{'U', 'S', 'D'}, usd)
	return nil
}

func (a *Auditor) fxAmount(ct *he.Ciphertext) (*big.Int, error) {
	if ct.Load() == 0 {
		return new(big.Int), nil
	}
	sums, err := a.dec.Decrypt(ct)
	if err != nil {
		return nil, fmt.Errorf("ledger: FX total: %w", err)
	}
	return he.Total(sums).Amount, nil
}

// EpochCloser submits an epoch close signed by the regulator; a
// party.Sender holding the regulator's identity is one.
type EpochCloser interface {
	EpochClose(ctx context.Context, aggs []ledger.ClosedAggregate) (ledger.TxID, error)
}

// Close re-encrypts the named aggregates' checked sums and submits them in
// epoch-close transactions of at most ledger.MaxClosePerTx aggregates each,
// so that their limbs start again from one unit. Nothing is submitted
// unless every named aggregate checks.
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

// Reencrypt decrypts each named aggregate, checks it against its
// commitment sum and encrypts the sum afresh for an epoch close. An
// aggregate that is not consistent is refused: closing it would erase the
// trail that names its culprit.
func (a *Auditor) Reencrypt(ctx context.Context, keys []string) ([]ledger.ClosedAggregate, error) {
	g, err := a.src.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	pk, err := g.HEKey()
	if err != nil || pk == nil {
		return nil, fmt.Errorf("ledger: this chain has no HE key to close epochs with")
	}
	enc := he.NewEncryptor(pk)
	var out []ledger.ClosedAggregate
	for _, key := range keys {
		info, err := a.src.Aggregate(ctx, key)
		if err != nil {
			return nil, err
		}
		ct := he.Zero(a.sk.Params())
		if err := ct.UnmarshalBinary(info.Ciphertext); err != nil {
			return nil, fmt.Errorf("ledger: aggregate %s: %w", key, err)
		}
		if _, ok := a.check(ct, info.Commitment); !ok {
			return nil, fmt.Errorf("ledger: aggregate %s is inconsistent; audit it before closing its epoch", key)
		}
		sums, err := a.dec.Decrypt(ct)
		if err != nil {
			return nil, err
		}
		fresh, err := enc.EncryptSums(map[int]he.GroupSum{ledger.FlowGroup: he.Total(sums)})
		if err != nil {
			return nil, fmt.Errorf("ledger: re-encrypt %s: %w", key, err)
		}
		raw, err := fresh.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, ledger.ClosedAggregate{Key: key, Ciphertext: raw})
	}
	return out, nil
}

package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Naming culprits.
//
// Flows carry no proof of well-formedness: the audit enforces one by
// decryption. A flow is honest-looking when, opened alone,
//
//  1. it decrypts with every limb within its bound and nothing outside its
//     slot groups (he.Decryptor.Decrypt at its load),
//  2. its slot groups are its payments' (each group of its book's layout
//     that one of its payments enters holds the sum of those payments,
//     ledger.FlowCommitments, every other group zero), so that the group
//     of the aggregate audited opens the sum of the commitments of the
//     payments that enter it, and
//  3. its noise, measured with the key, is at most he's NoiseBound, the
//     most an honest fresh encryption can have.
//
// A sub-aggregate (the homomorphic sum of some of an aggregate's flows, of
// total load L) is clean when it satisfies 1 and the total of 2 (its
// decrypted sums open the sum of its commitments) and its noise is at most
// SumNoiseBound(L) = L·(NoiseBound + 1) − 1.
//
// Claim: if two sub-aggregates are clean, so is their sum (as long as the
// load stays within he's MaxLoad, which the ledger's capacity ensures).
// Proof: with v = [t·(c0 + c1·s)]_Q = m + t·e for each (m centred mod t,
// |e| its noise), |v1 + v2| ≤ t − 1 + t·(L1 + L2)·(NoiseBound + 1) − 2t,
// which is below Q/2 at any load up to MaxLoad (he: MaxLoad·(NoiseBound+1)
// ≈ 2^37.0 < MaxNoise ≈ 2^43.0). So the sum's v is v1 + v2 exactly: its
// plaintext is the sum of the two mod t, its noise |e1 + e2 + J| with a
// carry |J| ≤ 1, at most SumNoiseBound(L1 + L2). Its slots are the sums of
// the two's slots mod t, and those are below L1·unit and L2·unit, whose sum
// stays below t: no slot wraps, so it decrypts within its bounds, its sums
// are the two's sums, and its commitment is the sum of theirs.
//
// Hence an honest-looking flow is clean, and by induction any sum of
// honest-looking flows is clean: in particular, honest flows never make an
// aggregate that does not check, whatever their number up to the
// capacity, and neither do dishonest flows that pass 1–3. Conversely,
// when an aggregate (or any sub-aggregate) is not clean, at least one of
// its halves is not clean, and bisection ends on at least one flow that
// is not honest-looking: it is named, with the reason. If the sum of an
// aggregate's flows is clean but the aggregate the ledger holds is not,
// the ledger's aggregate is not the sum of its flows, and the ledger
// itself is named. So an aggregate that does not check always ends with a
// name.
//
// A flow is opened alone only when bisection reaches it, so a flow whose
// value is right but misplaced in another payment's slot group (which
// changes no figure, since every figure sums all groups) is named only
// when it is opened: by bisection, or by CheckFlow.

// Reasons a flow is named.
const (
	reasonLimbs      = "its flow decrypts to limbs above their bounds or to values outside every slot group"
	reasonValue      = "its flow decrypts to another amount or blinding than its commitment's"
	reasonLedger     = "the aggregate on the ledger is not the sum of its flows, each of which checks: the validators' fault"
	reasonUnknown    = "the ledger's aggregate cannot be decoded"
	senderLedger     = "ledger"
	senderRegulate   = "regulator"
	senderRegulators = "regulator parties"
)

// verdict is a decrypted ciphertext checked against a commitment.
type verdict struct {
	sums    []he.GroupSum // nil when the limbs are out of bounds
	total   he.GroupSum
	value   bool   // decrypts within bounds and opens the commitment
	noise   uint64 // measured with the key
	noiseOK bool   // noise ≤ SumNoiseBound(load)
}

func (v verdict) clean() bool { return v.value && v.noiseOK }

// examine decrypts ct, which is t, and measures its noise; the value
// checked against com is slot group g's (the audited aggregate's in its
// book). Under
// threshold decryption the noise includes the flooding, so the bound
// allows for it: the noise rule then only catches what no flooding
// explains. It fails only when the opener cannot decrypt.
func (a *Auditor) examine(ctx context.Context, t Target, ct *he.Ciphertext, com zkp.Commitment, g int) (verdict, error) {
	v := verdict{total: he.GroupSum{Amount: new(big.Int), Blinding: new(big.Int)}}
	if ct == nil {
		return v, nil
	}
	op, err := a.opening(ctx, t, ct)
	if err != nil {
		return v, err
	}
	if slices.Contains(op.Masked, g) {
		return v, fmt.Errorf("%w: slot group %d of the book is sparse and was masked", ErrRefused, g)
	}
	switch {
	case op.Err != nil:
	case g < 0: // one flow on its own (CheckFlow): shape checks every group
		v.sums, v.total, v.value = op.Sums, he.Total(op.Sums), true
	case g < len(op.Sums):
		v.sums, v.total = op.Sums, op.Sums[g]
		v.value = commitBig(v.total.Amount, v.total.Blinding).Equal(com)
	}
	v.noise = op.Noise
	v.noiseOK = op.Noise <= a.sumBound(ct.Load())
	return v, nil
}

// sumBound is the most noise an opening of honest flows of total load
// can show: SumNoiseBound under the opener's key, plus its flooding.
func (a *Auditor) sumBound(load uint64) uint64 {
	return sumBound(a.op.NoiseBound(), load) + a.op.Flooding()
}

// sumBound is load·(b + 1) − 1, the noise bound of a sum of load flows of
// noise at most b (he's SumNoiseBound for b = NoiseBound).
func sumBound(b, load uint64) uint64 {
	if load == 0 {
		return 0
	}
	return load*(b+1) - 1
}

// leafBound is the most noise an opening of one honest flow can show.
func (a *Auditor) leafBound() uint64 { return a.op.NoiseBound() + a.op.Flooding() }

// target is a decryption of parts on behalf of aggregate key, in ctx's run.
func target(ctx context.Context, key string, parts ...Part) Target {
	return Target{Run: runOf(ctx), Aggregate: key, Parts: parts}
}

type runKey struct{}

// withRun gives ctx a fresh audit run id, unless it has one.
func withRun(ctx context.Context) context.Context {
	if runOf(ctx) != "" {
		return ctx
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return context.WithValue(ctx, runKey{}, hex.EncodeToString(b[:]))
}

func runOf(ctx context.Context) string {
	s, _ := ctx.Value(runKey{}).(string)
	return s
}

func errorsIsThreshold(err error) bool { return errors.Is(err, he.ErrThreshold) }

// commitBig is Com(amount, blinding) for an amount of any size: a sum of
// flows may pass 2^64 minor units.
func commitBig(amount, blinding *big.Int) zkp.Commitment {
	if amount.IsUint64() {
		return zkp.Commit(amount.Uint64(), blinding)
	}
	lo := new(big.Int).And(amount, new(big.Int).SetUint64(^uint64(0)))
	hi := new(big.Int).Rsh(amount, 64)
	two64 := zkp.Commit(1<<63, new(big.Int)).Add(zkp.Commit(1<<63, new(big.Int)))
	acc := zkp.ZeroCommitment()
	for i := hi.BitLen() - 1; i >= 0; i-- {
		acc = acc.Add(acc)
		if hi.Bit(i) == 1 {
			acc = acc.Add(two64)
		}
	}
	return zkp.Commit(lo.Uint64(), blinding).Add(acc)
}

// element is one flow of an aggregate for bisection.
type element struct {
	part   Part           // the flow as a decryption target item
	ct     *he.Ciphertext // nil: the flow on the ledger cannot be decoded (bad says why)
	bad    string
	com    zkp.Commitment         // what the audited aggregate's group of its flow must open
	groups map[int]zkp.Commitment // what each group of its flow must open; the others hold zero
	txid   string
	sender string
}

// leaf opens one flow and says what is wrong with it ("" if nothing). Its
// sums are usable (total non-nil) when it decrypts within bounds to its
// commitment, whatever its noise or slot groups.
func (a *Auditor) leaf(ctx context.Context, key string, e element) (why string, total *he.GroupSum, noisy bool, err error) {
	if e.ct == nil {
		return e.bad, nil, false, nil
	}
	v, err := a.examine(ctx, target(ctx, key, e.part), e.ct, e.com, a.groupOf(key))
	if err != nil {
		return "", nil, false, err
	}
	var reasons []string
	if v.sums == nil {
		reasons = append(reasons, reasonLimbs)
	} else {
		reasons = append(reasons, a.shape(e, v)...)
		if !v.value {
			reasons = append(reasons, reasonValue)
		} else {
			total = &v.total
		}
	}
	if b := a.leafBound(); v.noise > b {
		reasons = append(reasons, fmt.Sprintf("its flow's noise %d is above %d, the most an honest encryption has", v.noise, b))
		noisy = true
	}
	return strings.Join(reasons, "; "), total, noisy, nil
}

// culprit names e in aggregate key.
func culprit(key string, e element, why string, noisy bool) Culprit {
	return Culprit{Aggregate: key, TxID: e.txid, Sender: e.sender, Reason: why, noisy: noisy}
}

// shape checks that a flow's values sit in its payments' slot groups,
// each opening the sum of the commitments of the payments that enter it.
func (a *Auditor) shape(e element, v verdict) []string {
	if e.groups == nil {
		return nil // an epoch base: the regulator's own re-encryption of the whole book
	}
	for g, s := range v.sums {
		want, own := e.groups[g]
		if !own {
			if s.Amount.Sign() != 0 || s.Blinding.Sign() != 0 {
				return []string{fmt.Sprintf("its flow puts a value in slot group %d, which holds none of its payments", g)}
			}
			continue
		}
		if !commitBig(s.Amount, s.Blinding).Equal(want) {
			return []string{fmt.Sprintf("its flow's slot group %d does not open the sum of the commitments of its payments there", g)}
		}
	}
	return nil
}

// sum adds es's flows and commitments.
func (a *Auditor) sum(es []element) (*he.Ciphertext, zkp.Commitment, bool) {
	sum := he.Zero(a.op.Params())
	com := zkp.ZeroCommitment()
	for _, e := range es {
		if e.ct == nil || a.ev.Add(sum, e.ct) != nil {
			return nil, com, false
		}
		com = com.Add(e.com)
	}
	return sum, com, true
}

// walk bisects es: a clean sub-aggregate ends the search, a single flow
// is opened and named if it is not honest-looking. It returns the sum of
// es's flows when every flow it had to open decrypts to its commitment
// (only its noise or slot groups may be wrong), so that the sum is known.
func (a *Auditor) walk(ctx context.Context, key string, es []element, out *[]Culprit) (*he.GroupSum, error) {
	if len(es) == 1 {
		why, total, noisy, err := a.leaf(ctx, key, es[0])
		if why != "" {
			*out = append(*out, culprit(key, es[0], why, noisy))
		}
		return total, err
	}
	if ct, com, ok := a.sum(es); ok {
		v, err := a.examine(ctx, target(ctx, key, partsOf(es)...), ct, com, a.groupOf(key))
		if err != nil {
			return nil, err
		}
		if v.clean() {
			return &v.total, nil
		}
	}
	l, err := a.walk(ctx, key, es[:len(es)/2], out)
	if err != nil {
		return nil, err
	}
	r, err := a.walk(ctx, key, es[len(es)/2:], out)
	if err != nil || l == nil || r == nil {
		return nil, err
	}
	return &he.GroupSum{Amount: new(big.Int).Add(l.Amount, r.Amount), Blinding: new(big.Int).Add(l.Blinding, r.Blinding)}, nil
}

// partsOf lists es as target items.
func partsOf(es []element) []Part {
	out := make([]Part, len(es))
	for i, e := range es {
		out[i] = e.part
	}
	return out
}

// bisect names the flows of an aggregate that is not clean, and returns
// the true sum of its flows when that is known (see walk).
func (a *Auditor) bisect(ctx context.Context, o *opened) ([]Culprit, *he.GroupSum, error) {
	elems, err := a.elements(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	var out []Culprit
	var total *he.GroupSum
	if len(elems) > 0 {
		chain, err := a.chainDigest(ctx)
		if err != nil {
			return nil, nil, err
		}
		_, err = a.op.Approve(ctx, chain, runOf(ctx), o.info.Key, o.ct, partsOf(elems))
		switch {
		case errors.Is(err, ErrRefused):
			return []Culprit{unapproved(o, err)}, nil, nil
		case err != nil:
			return nil, nil, err
		}
		if total, err = a.walk(ctx, o.info.Key, elems, &out); err != nil {
			return nil, nil, err
		}
	} else {
		total = &he.GroupSum{Amount: new(big.Int), Blinding: new(big.Int)}
	}
	if len(out) == 0 {
		why := reasonLedger
		if o.ct == nil {
			why = reasonUnknown
		}
		out = append(out, Culprit{Aggregate: o.info.Key, Sender: senderLedger, Reason: why})
	}
	return out, total, nil
}

// unapproved stands for the culprits of an aggregate the regulator
// parties would not bisect: the ledger's, when its aggregate cannot be
// decoded (nothing was opened to approve), else unknown.
func unapproved(o *opened, err error) Culprit {
	if o.ct == nil {
		return Culprit{Aggregate: o.info.Key, Sender: senderLedger, Reason: reasonUnknown}
	}
	return Culprit{Aggregate: o.info.Key, Sender: senderRegulators, Reason: "the aggregate does not check, and the regulator parties did not approve its bisection: " + err.Error()}
}

// noisiest looks, among the flows of an aggregate whose noise broke an FX
// total, for the flows that broke it: every flow above NoiseBound inside a
// sub-aggregate whose noise is above what honest flows can have, or, if
// there is none (noise hidden in a large aggregate, or spread over flows
// each within the bound), the flow at the end of the path that always
// takes the noisier half, named as the noisiest.
func (a *Auditor) noisiest(ctx context.Context, key string, es []element) ([]Culprit, error) {
	var out []Culprit
	var certain func(es []element) error
	certain = func(es []element) error {
		if len(es) == 1 {
			why, _, noisy, err := a.leaf(ctx, key, es[0])
			if why != "" {
				out = append(out, culprit(key, es[0], why, noisy))
			}
			return err
		}
		if ct, _, ok := a.sum(es); ok {
			n, err := a.noiseOf(ctx, key, es)
			if err != nil {
				return err
			}
			if n <= a.sumBound(ct.Load()) {
				return nil
			}
		}
		if err := certain(es[:len(es)/2]); err != nil {
			return err
		}
		return certain(es[len(es)/2:])
	}
	if err := certain(es); err != nil || len(out) > 0 || len(es) == 0 {
		return out, err
	}
	for len(es) > 1 {
		l, r := es[:len(es)/2], es[len(es)/2:]
		nl, err := a.noiseOf(ctx, key, l)
		if err != nil {
			return nil, err
		}
		nr, err := a.noiseOf(ctx, key, r)
		if err != nil {
			return nil, err
		}
		if nl >= nr {
			es = l
		} else {
			es = r
		}
	}
	why, _, _, err := a.leaf(ctx, key, es[0])
	if err != nil {
		return nil, err
	}
	if why == "" {
		n, _ := a.noiseOf(ctx, key, es)
		why = fmt.Sprintf("its flow is the noisiest of the aggregate whose noise broke the FX total (noise %d, within the bound %d of an honest encryption; many such flows aligned break it)", n, a.leafBound())
	}
	return []Culprit{culprit(key, es[0], why, true)}, nil
}

// noiseOf measures the noise of the sum of es (0 if it cannot be formed).
func (a *Auditor) noiseOf(ctx context.Context, key string, es []element) (uint64, error) {
	ct, _, ok := a.sum(es)
	if !ok {
		return 0, nil
	}
	op, err := a.op.Open(ctx, target(ctx, key, partsOf(es)...), ct)
	return op.Noise, err
}

// elements lists the flows of an aggregate's book: its epoch base, or the
// genesis funding, then each transaction since the last epoch close. A
// flow may put a value in any group of the book, also one none of its
// payments enters, so the bisection of any aggregate searches them all;
// each flow's expected value at the aggregate's group is zero unless one
// of its payments enters it.
func (a *Auditor) elements(ctx context.Context, o *opened) ([]element, error) {
	var es []element
	parts := strings.Split(o.info.Key, "/")
	c, _ := ledger.ParseCurrency(parts[1])
	l, err := ledger.LayoutOf(c, o.info.Layout)
	if err != nil {
		return nil, err
	}
	if o.info.Base != nil {
		// the regulator's own re-encryption of the book at its last epoch close
		ct := he.Zero(a.op.Params())
		com, err := zkp.ParseCommitment(o.info.BaseCommitment)
		if err == nil {
			err = ct.UnmarshalBinary(o.info.Base)
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: epoch base of %s: %w", o.info.Key, err)
		}
		es = append(es, element{part: Part{Base: o.info.Key}, ct: ct, com: com, groups: nil, txid: "epoch-close:" + ledger.BookKey(c), sender: senderRegulate})
	} else {
		g, err := a.genesis(ctx)
		if err != nil {
			return nil, err
		}
		for _, acct := range g.Accounts {
			if acct.Flow == "" || acct.Currency != parts[1] {
				continue
			}
			e, err := a.genesisElement(acct, o.info.Key)
			if err != nil {
				return nil, err
			}
			es = append(es, e)
		}
	}
	for _, id := range o.info.BookTxs {
		e, err := a.txElement(ctx, id, o.info.Key, l, o.info.Countries)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, nil
}

func (a *Auditor) genesisElement(acct ledger.GenesisAccount, key string) (element, error) {
	raw, _ := hex.DecodeString(acct.Flow)
	ct := he.Zero(a.op.Params())
	if err := ct.UnmarshalBinary(raw); err != nil {
		return element{}, fmt.Errorf("ledger: genesis flow of %s/%s: %w", acct.Party, acct.Currency, err)
	}
	com, err := zkp.ParseCommitment(acct.Available)
	if err != nil {
		return element{}, err
	}
	e := element{part: Part{Genesis: acct.Party + "/" + acct.Currency}, ct: ct, com: zkp.ZeroCommitment(), groups: map[int]zkp.Commitment{ledger.FlowGroup: com},
		txid: "genesis:" + acct.Party + "/" + acct.Currency, sender: "genesis"}
	if c, _ := ledger.ParseCurrency(acct.Currency); key == ledger.AggCurrency(c, "funded") {
		e.com = com
	}
	return e, nil
}

// txElement reads transaction id's flow in the book of aggregate key:
// what the key's group must open, and what each group must.
func (a *Auditor) txElement(ctx context.Context, id, key string, l *ledger.Layout, countries map[string]string) (element, error) {
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
	e := element{part: Part{Tx: id}, txid: id, sender: tx.Sender}
	flow, amounts, keys, ok := bookFlow(tx, l.Currency, countries)
	if !ok {
		return element{}, fmt.Errorf("ledger: transaction %s carries no %s flow", id, l.Currency)
	}
	if e.groups, err = ledger.FlowCommitments(l, amounts, keys); err != nil {
		return element{}, fmt.Errorf("ledger: transaction %s: %w", id, err)
	}
	e.com = zkp.ZeroCommitment()
	if g, ok := l.Group(key); ok {
		if c, ok := e.groups[g]; ok {
			e.com = c
		}
	}
	ct := he.Zero(a.op.Params())
	if err := ct.UnmarshalBinary(flow); err != nil {
		e.bad = fmt.Sprintf("its flow cannot be decoded: %v", err)
		return e, nil
	}
	e.ct = ct
	return e, nil
}

// bookFlow returns a transaction's flow in currency c, its payments'
// amount commitments in c and the aggregates each enters (corridors from
// countries, party → country).
func bookFlow(tx *ledger.Tx, c ledger.Currency, countries map[string]string) ([]byte, []zkp.Commitment, [][]string, bool) {
	cc := func(id string) [2]byte {
		s := countries[id]
		if len(s) != 2 {
			return [2]byte{'?', '?'}
		}
		return [2]byte{s[0], s[1]}
	}
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return b.Flow, []zkp.Commitment{b.Amount}, [][]string{ledger.TransferKeys(c, tx.Sender, cc(tx.Sender), b.To, cc(b.To))}, b.Currency == c
	case *ledger.BatchTransfer:
		k := b.Book(c)
		if k == nil {
			return nil, nil, nil, false
		}
		var amounts []zkp.Commitment
		var keys [][]string
		for _, p := range b.Payments {
			if p.Currency == c {
				amounts = append(amounts, p.Amount)
				keys = append(keys, ledger.TransferKeys(c, tx.Sender, cc(tx.Sender), p.To, cc(p.To)))
			}
		}
		return k.Flow, amounts, keys, true
	case *ledger.Mint:
		return b.Flow, []zkp.Commitment{b.Amount}, [][]string{ledger.MintKeys(c, b.To)}, b.Currency == c
	case *ledger.Burn:
		return b.Flow, []zkp.Commitment{b.Amount}, [][]string{ledger.BurnKeys(c, tx.Sender)}, b.Currency == c
	case *ledger.Swap: // leg A in Sell, payer to provider; leg B in Buy, provider to To
		switch c {
		case b.Sell:
			return b.FlowA, []zkp.Commitment{b.AmountA}, [][]string{ledger.SwapKeys(c, b.Buy, tx.Sender, cc(tx.Sender), b.Provider, cc(b.Provider), b.Provider)}, true
		case b.Buy:
			return b.FlowB, []zkp.Commitment{b.AmountB}, [][]string{ledger.SwapKeys(c, b.Sell, b.Provider, cc(b.Provider), b.To, cc(b.To), b.Provider)}, true
		}
	}
	return nil, nil, nil, false
}

// txFlow decodes a raw transaction and returns its flow in currency c.
func txFlow(raw []byte, c ledger.Currency) ([]byte, error) {
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: transaction: %w", err)
	}
	flow, _, _, ok := bookFlow(tx, c, nil)
	if !ok {
		return nil, fmt.Errorf("ledger: transaction carries no %s flow", c)
	}
	return flow, nil
}

// CheckFlow opens one transaction's flow, as bisection does when it
// reaches it, and returns what is wrong with it (nil if it is
// honest-looking: within its limbs' bounds, in its payments' slot groups,
// opening its commitment, with noise at most NoiseBound). It decrypts a
// single payment: the regulator uses it to investigate a transaction, and
// the answer names no amount.
func (a *Auditor) CheckFlow(ctx context.Context, id ledger.TxID) (*Culprit, error) {
	ctx = withRun(ctx)
	raw, err := a.src.RawTx(ctx, id)
	if err != nil {
		return nil, err
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return nil, fmt.Errorf("ledger: transaction %s: %w", id, err)
	}
	for _, c := range flowCurrencies(tx) {
		info, err := a.src.Aggregate(ctx, ledger.AggCurrency(c, "funded"))
		if err != nil {
			return nil, err
		}
		l, err := ledger.LayoutOf(c, info.Layout)
		if err != nil {
			return nil, err
		}
		e, err := a.txElement(ctx, id.String(), "", l, info.Countries)
		if err != nil {
			return nil, err
		}
		why, _, noisy, err := a.leaf(ctx, "", e)
		if err != nil {
			return nil, err
		}
		if why != "" {
			c := culprit("", e, why, noisy)
			return &c, nil
		}
	}
	return nil, nil
}

// flowCurrencies lists the currencies a transaction has flows in.
func flowCurrencies(tx *ledger.Tx) []ledger.Currency {
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return []ledger.Currency{b.Currency}
	case *ledger.Mint:
		return []ledger.Currency{b.Currency}
	case *ledger.Burn:
		return []ledger.Currency{b.Currency}
	case *ledger.BatchTransfer:
		out := make([]ledger.Currency, len(b.Books))
		for i, k := range b.Books {
			out[i] = k.Currency
		}
		return out
	case *ledger.Swap:
		return []ledger.Currency{b.Sell, b.Buy}
	}
	return nil
}

// groupOf returns the slot group of an aggregate the audit has opened, -1
// for "" or one it has not.
func (a *Auditor) groupOf(key string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if g, ok := a.groups[key]; ok {
		return g
	}
	return -1
}

// opening decrypts ct through the opener, once per run for a whole book:
// every aggregate of a book opens the same ciphertext, and the opener is
// asked for it once (on behalf of the first aggregate audited).
func (a *Auditor) opening(ctx context.Context, t Target, ct *he.Ciphertext) (Opening, error) {
	whole := len(t.Parts) == 1 && t.Parts[0].Aggregate != "" && t.Parts[0].Rate == 0
	if !whole {
		return a.op.Open(ctx, t, ct)
	}
	d, err := ct.Digest()
	if err != nil {
		return Opening{}, err
	}
	key := runOf(ctx) + string(d[:])
	a.mu.Lock()
	op, ok := a.books[key]
	a.mu.Unlock()
	if ok {
		return op, nil
	}
	if op, err = a.op.Open(ctx, t, ct); err != nil {
		return op, err
	}
	a.mu.Lock()
	a.books[key] = op
	a.mu.Unlock()
	return op, nil
}

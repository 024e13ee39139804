package ledger

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/zkp"
)

// Aggregates. Validators add every payment's HE flow, without decrypting
// it, into encrypted aggregates named
//
//	in/<CUR>/<party>         flows into an account since genesis (transfers, mints)
//	out/<CUR>/<party>        flows out of an account (transfers, burns)
//	corridor/<CUR>/<SC>-<RC> transfers from country SC to country RC
//	currency/<CUR>/transfers, currency/<CUR>/minted, currency/<CUR>/burned,
//	currency/<CUR>/funded (the opening balances at genesis)
//	fxin/<CUR>/<OTHER>@<provider>  what an FX provider bought: the CUR legs
//	                               it received on its quotes of pair CUR/OTHER
//	fxout/<CUR>/<OTHER>@<provider> what it sold: the CUR legs it paid on its
//	                               quotes of pair OTHER/CUR
//
// and only the regulator decrypts them.
//
// # Books
//
// The aggregates of a currency are slot groups of one ciphertext, the
// currency's book. Its Layout assigns each aggregate key a group, in the
// order the ledger met the keys: the four currency totals first (funded in
// group GroupFunded, which is ledger.FlowGroup, so an opening balance's
// single-group flow lands there), then, as each account of the currency is
// opened (at genesis in the genesis' order, later by register-account), the
// corridors its country adds (its own X-X, then Y-X and X-Y for every
// country Y already in the layout, in layout order) and its in and out.
// Groups are never moved or reused, so a layout only grows.
//
// A transaction's flow in a currency is one ciphertext that holds, in the
// group of every aggregate its payments enter, the sum of those payments
// (amount and blinding), and claims a load equal to its number of
// payments in that currency; validators add it once into the book.

// FlowGroup is the slot group of an opening balance's flow (genesis).
const FlowGroup = GroupFunded

// The currency totals' fixed groups, the same in every book, so that an FX
// sum of books reads each total at one place.
const (
	GroupFunded    = 0
	GroupTransfers = 1
	GroupMinted    = 2
	GroupBurned    = 3
)

// Aggregate names.
func AggIn(c Currency, p string) string  { return "in/" + c.String() + "/" + p }
func AggOut(c Currency, p string) string { return "out/" + c.String() + "/" + p }
func AggCorridor(c Currency, from, to [2]byte) string {
	return "corridor/" + c.String() + "/" + string(from[:]) + "-" + string(to[:])
}
func AggCurrency(c Currency, what string) string { return "currency/" + c.String() + "/" + what }

// AggFXIn names the aggregate of the c amounts provider received on its
// quotes selling c for other (the swaps' leg A); AggFXOut the c amounts it
// paid on its quotes buying other with c (leg B). A party ID has no '@',
// so the key parses back (ParseFXKey).
func AggFXIn(c, other Currency, provider string) string {
	return "fxin/" + c.String() + "/" + other.String() + "@" + provider
}
func AggFXOut(c, other Currency, provider string) string {
	return "fxout/" + c.String() + "/" + other.String() + "@" + provider
}

// FXKey is an FX aggregate's name read back: Bought is true for fxin.
type FXKey struct {
	Currency, Other Currency
	Provider        string
	Bought          bool
}

// ParseFXKey reads an AggFXIn or AggFXOut key.
func ParseFXKey(k string) (FXKey, bool) {
	parts := strings.Split(k, "/")
	if len(parts) != 3 || (parts[0] != "fxin" && parts[0] != "fxout") {
		return FXKey{}, false
	}
	c, err := ParseCurrency(parts[1])
	if err != nil {
		return FXKey{}, false
	}
	o, p, ok := strings.Cut(parts[2], "@")
	if !ok || !ValidID(p) {
		return FXKey{}, false
	}
	oc, err := ParseCurrency(o)
	if err != nil || oc == c {
		return FXKey{}, false
	}
	return FXKey{Currency: c, Other: oc, Provider: p, Bought: parts[0] == "fxin"}, true
}

// BookKey names a currency's book in an epoch close.
func BookKey(c Currency) string { return "book/" + c.String() }

// ParseBookKey reads a BookKey.
func ParseBookKey(k string) (Currency, bool) {
	cur, ok := strings.CutPrefix(k, "book/")
	if !ok {
		return Currency{}, false
	}
	c, err := ParseCurrency(cur)
	return c, err == nil
}

// AggCurrencyOf returns the currency an aggregate key is in.
func AggCurrencyOf(k string) (Currency, bool) {
	parts := strings.Split(k, "/")
	if len(parts) < 2 {
		return Currency{}, false
	}
	c, err := ParseCurrency(parts[1])
	return c, err == nil
}

// ValidAggregateKey reports whether k names an aggregate.
func ValidAggregateKey(k string) bool {
	parts := strings.Split(k, "/")
	if len(parts) != 3 {
		return false
	}
	if _, err := ParseCurrency(parts[1]); err != nil {
		return false
	}
	switch parts[0] {
	case "in", "out":
		return ValidID(parts[2])
	case "corridor":
		return len(parts[2]) == 5 && parts[2][2] == '-'
	case "currency":
		return parts[2] == "transfers" || parts[2] == "minted" || parts[2] == "burned" || parts[2] == "funded"
	case "fxin", "fxout":
		_, ok := ParseFXKey(k)
		return ok
	}
	return false
}

// Layout is a currency's book layout: Keys[g] is the aggregate in slot
// group g.
type Layout struct {
	Currency Currency
	Keys     []string
	index    map[string]int
}

// NewLayout returns a currency's layout before any account: its totals.
func NewLayout(c Currency) *Layout {
	l := &Layout{Currency: c}
	for _, w := range []string{"funded", "transfers", "minted", "burned"} {
		l.push(AggCurrency(c, w))
	}
	return l
}

// LayoutOf rebuilds a layout from its keys, in group order.
func LayoutOf(c Currency, keys []string) (*Layout, error) {
	l := &Layout{Currency: c}
	for _, k := range keys {
		if kc, ok := AggCurrencyOf(k); !ok || kc != c || !ValidAggregateKey(k) {
			return nil, fmt.Errorf("ledger: layout of %s: key %q", c, k)
		}
		if _, dup := l.Group(k); dup {
			return nil, fmt.Errorf("ledger: layout of %s: key %q twice", c, k)
		}
		l.push(k)
	}
	return l, nil
}

func (l *Layout) push(k string) {
	if l.index == nil {
		l.index = map[string]int{}
		for i, k := range l.Keys {
			l.index[k] = i
		}
	}
	l.index[k] = len(l.Keys)
	l.Keys = append(l.Keys, k)
}

// Group returns the slot group of aggregate k.
func (l *Layout) Group(k string) (int, bool) {
	if l.index == nil {
		l.index = map[string]int{}
		for i, k := range l.Keys {
			l.index[k] = i
		}
	}
	g, ok := l.index[k]
	return g, ok
}

// Countries lists the countries in the layout's corridors, in the order
// they entered it.
func (l *Layout) Countries() [][2]byte {
	var out [][2]byte
	pre := "corridor/" + l.Currency.String() + "/"
	for _, k := range l.Keys {
		if s, ok := strings.CutPrefix(k, pre); ok && s[:2] == s[3:] {
			out = append(out, [2]byte{s[0], s[1]})
		}
	}
	return out
}

// Admit adds the groups an account of party (of country) needs: the
// corridors its country brings and its in and out. It returns the keys it
// added (none if the account's keys are there already), or an error if
// they would not fit in groups slot groups, leaving l unchanged.
func (l *Layout) Admit(party string, country [2]byte, groups int) ([]string, error) {
	var add []string
	if _, ok := l.Group(AggCorridor(l.Currency, country, country)); !ok {
		add = append(add, AggCorridor(l.Currency, country, country))
		for _, y := range l.Countries() {
			add = append(add, AggCorridor(l.Currency, y, country), AggCorridor(l.Currency, country, y))
		}
	}
	for _, k := range []string{AggIn(l.Currency, party), AggOut(l.Currency, party)} {
		if _, ok := l.Group(k); !ok {
			add = append(add, k)
		}
	}
	if len(l.Keys)+len(add) > groups {
		return nil, fmt.Errorf("ledger: the %s book has %d of its %d slot groups in use; %d more do not fit", l.Currency, len(l.Keys), groups, len(add))
	}
	for _, k := range add {
		l.push(k)
	}
	return add, nil
}

// AdmitFX adds the FX aggregate key k (AggFXIn or AggFXOut in l's
// currency) when a quote is published, so that the quote's swaps find its
// group. It reports whether it added k, or an error if k would not fit in
// groups slot groups, leaving l unchanged.
func (l *Layout) AdmitFX(k string, groups int) (bool, error) {
	if fk, ok := ParseFXKey(k); !ok || fk.Currency != l.Currency {
		return false, fmt.Errorf("ledger: %q is not an FX aggregate of the %s book", k, l.Currency)
	}
	if _, ok := l.Group(k); ok {
		return false, nil
	}
	if len(l.Keys)+1 > groups {
		return false, fmt.Errorf("ledger: the %s book has %d of its %d slot groups in use; %s does not fit", l.Currency, len(l.Keys), groups, k)
	}
	l.push(k)
	return true, nil
}

// LayoutGroups returns how many slot groups a book needs for accounts
// banks spread over countries (every country with one at least): the
// capacity rule the package documentation states.
func LayoutGroups(banks, countries int) int { return 4 + countries*countries + 2*banks }

// FlowEntry is one payment as a book's flow holds it: its amount's
// opening and the aggregates it enters.
type FlowEntry struct {
	Amount Opening
	Keys   []string
}

// TransferKeys are the aggregates a payment from sender (of country sc)
// to receiver (of country rc) enters.
func TransferKeys(c Currency, sender string, sc [2]byte, receiver string, rc [2]byte) []string {
	return []string{AggOut(c, sender), AggIn(c, receiver), AggCorridor(c, sc, rc), AggCurrency(c, "transfers")}
}

// SwapKeys are the aggregates a swap's leg in c enters: a transfer's from
// sender to receiver, and the provider's FX aggregate against other —
// fxin when the provider receives the leg (leg A, sender pays provider),
// fxout when it pays it (leg B).
func SwapKeys(c, other Currency, sender string, sc [2]byte, receiver string, rc [2]byte, provider string) []string {
	fx := AggFXIn(c, other, provider)
	if sender == provider {
		fx = AggFXOut(c, other, provider)
	}
	return append(TransferKeys(c, sender, sc, receiver, rc), fx)
}

// MintKeys and BurnKeys are the aggregates a mint or a burn enters.
func MintKeys(c Currency, receiver string) []string {
	return []string{AggIn(c, receiver), AggCurrency(c, "minted")}
}
func BurnKeys(c Currency, issuer string) []string {
	return []string{AggOut(c, issuer), AggCurrency(c, "burned")}
}

// FlowSums places payments in l's groups: each group holds the sum of the
// amounts and blindings of the payments that enter its aggregate. It is
// what a sender encrypts (he.Encryptor.EncryptBatch, at a load of
// len(entries)), and what the audit expects a flow to decrypt to.
func FlowSums(l *Layout, entries []FlowEntry) (map[int]he.GroupSum, error) {
	out := map[int]he.GroupSum{}
	for _, e := range entries {
		for _, k := range e.Keys {
			g, ok := l.Group(k)
			if !ok {
				return nil, fmt.Errorf("ledger: aggregate %s has no slot group in the %s book; sync the layout", k, l.Currency)
			}
			s, ok := out[g]
			if !ok {
				s = he.GroupSum{Amount: new(big.Int), Blinding: new(big.Int)}
			}
			s.Amount.Add(s.Amount, new(big.Int).SetUint64(e.Amount.Value))
			s.Blinding.Add(s.Blinding, e.Amount.Blinding)
			out[g] = s
		}
	}
	return out, nil
}

// FlowCommitments is FlowSums on commitments: what each group of a flow
// must open, from the public amount commitments alone.
func FlowCommitments(l *Layout, amounts []zkp.Commitment, keys [][]string) (map[int]zkp.Commitment, error) {
	out := map[int]zkp.Commitment{}
	for i, c := range amounts {
		for _, k := range keys[i] {
			g, ok := l.Group(k)
			if !ok {
				return nil, fmt.Errorf("ledger: aggregate %s has no slot group in the %s book", k, l.Currency)
			}
			if s, ok := out[g]; ok {
				out[g] = s.Add(c)
			} else {
				out[g] = c
			}
		}
	}
	return out, nil
}

// DecodeFlow checks a transaction's flow ciphertext: well formed, made for
// the regulator's parameters, claiming the load of its payments (load
// payments summed in each group: CodeFlowLoad otherwise), and not
// degenerate (CodeFlowDegenerate: c1 = 0 or any polynomial visibly not
// uniform, which makes a noiseless or readable encryption; see
// he.Ciphertext.CheckNondegenerate). With nil params the chain has no HE
// key and a flow must be absent. What needs the key (a wrong value, limbs
// out of range, a group that is not its payments', flooded noise) is the
// audit's to find.
func DecodeFlow(params *he.Params, b []byte, load uint64) (*he.Ciphertext, *Rejection) {
	if params == nil {
		if len(b) != 0 {
			return nil, Reject(CodeFlowMalformed, "this chain has no regulator HE key; send no flow ciphertext")
		}
		return nil, nil
	}
	if len(b) == 0 {
		return nil, Reject(CodeFlowMalformed, "flow ciphertext missing: every payment must carry its flow encrypted to the regulator")
	}
	ct := he.Zero(params)
	if err := ct.UnmarshalBinary(b); err != nil {
		switch {
		case errors.Is(err, he.ErrOversize):
			return nil, Reject(CodeFlowTooLarge, "%v", err)
		case errors.Is(err, he.ErrParams):
			return nil, Reject(CodeFlowParams, "%v", err)
		}
		return nil, Reject(CodeFlowMalformed, "%v", err)
	}
	if ct.Load() != load {
		return nil, Reject(CodeFlowLoad, "flow ciphertext claims load %d, but carries %d payments; encrypt the payments' group sums at a load of their number", ct.Load(), load)
	}
	if err := ct.CheckNondegenerate(); err != nil {
		return nil, Reject(CodeFlowDegenerate, "%v; encrypt the flow to the regulator's public key", err)
	}
	return ct, nil
}

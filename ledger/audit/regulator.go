package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// A regulator party: one holder of a share of the regulator's HE key.
//
// It decrypts nothing itself. Asked for a decryption share of a target, it
// rebuilds the target's ciphertext from the ledger (never from the
// requester), counts its flows there, and answers only
//
//   - for whole books (or an FX sum of them): a book's decryption
//     reveals every slot group, so the party counts, for an aggregate
//     asked for, the payments of the least-filled non-empty group of its
//     book, and answers only if that is at least k (every non-empty group
//     of the book holds k payments or more; an FX sum counts the fewest
//     over its books), or
//   - for flows of one aggregate listed in a bisection approval of this
//     audit run signed by t parties of its roster.
//
// It signs an approval only for an aggregate that does not check: the
// requester hands it the t decryption shares that opened the aggregate in
// this run, each signed by the party that made it, and the party combines
// them itself and checks the sums against the aggregate's commitment sum,
// read from the ledger, and the noise against what honest flows and the
// flooding can make. The flows it approves must be exactly the
// aggregate's flows. A requester cannot forge a share; a party that sends
// a wrong one can make a clean aggregate look broken (shares carry no
// proof of correct decryption), but its signature names it.

const (
	statementVersion = "sable/regulator bisection approval v1"
	statementLabel   = "sable/regulator approval signature v1\x00"
	shareLabel       = "sable/regulator decryption share signature v1\x00"
)

// SignedShare is a decryption share (he's encoding) signed by the party
// that made it, so that a requester cannot pass off a forged share as
// evidence that an aggregate does not check.
type SignedShare struct {
	Share []byte `json:"share"`
	Sig   []byte `json:"sig"`
}

// DefaultMinFlows is k: no share for fewer flows without an approval.
const DefaultMinFlows = 2

// Statement is what t parties sign to let an audit run open single flows
// of one aggregate.
type Statement struct {
	Version   string `json:"v"`
	Run       string `json:"run"`
	Aggregate string `json:"aggregate"`
	Flows     []Part `json:"flows"`
}

func (s Statement) message() []byte {
	b, _ := json.Marshal(s) // plain strings and integers: cannot fail
	return append([]byte(statementLabel), b...)
}

// Approval is a statement with the signatures of regulator parties, by
// Shamir index.
type Approval struct {
	Statement  Statement      `json:"statement"`
	Signatures map[int][]byte `json:"signatures"`
}

// verify checks that t distinct parties of roster signed.
func (a *Approval) verify(roster map[int]ed25519.PublicKey, t int) error {
	if a.Statement.Version != statementVersion {
		return fmt.Errorf("%w: approval version %q", ErrRefused, a.Statement.Version)
	}
	msg := a.Statement.message()
	good := 0
	for idx, sig := range a.Signatures {
		if pub, ok := roster[idx]; ok && ed25519.Verify(pub, msg, sig) {
			good++
		}
	}
	if good < t {
		return fmt.Errorf("%w: approval signed by %d parties, %d needed", ErrRefused, good, t)
	}
	return nil
}

// Regulator is one regulator party. It is safe for concurrent use.
type Regulator struct {
	share  *he.KeyShare
	sign   ed25519.PrivateKey
	roster map[int]ed25519.PublicKey
	src    Source
	k      int
	ev     *he.Evaluator

	mu  sync.Mutex
	gen *ledger.Genesis // fetched once: it never changes and runs to megabytes
}

// genesis returns the chain's genesis, fetched on first use.
func (r *Regulator) genesis(ctx context.Context) (*ledger.Genesis, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen == nil {
		g, err := r.src.Genesis(ctx)
		if err != nil {
			return nil, err
		}
		r.gen = g
	}
	return r.gen, nil
}

// NewRegulator returns party share.Index(), reading the ledger from src;
// roster holds every party's approval key by index (its own included),
// k the fewest flows it decrypts without an approval.
func NewRegulator(share *he.KeyShare, sign ed25519.PrivateKey, roster map[int]ed25519.PublicKey, src Source, k int) *Regulator {
	return &Regulator{share: share, sign: sign, roster: roster, src: src, k: max(k, 1), ev: he.NewEvaluator(share.Params())}
}

// Index returns the party's Shamir index.
func (r *Regulator) Index() int { return r.share.Index() }

// Share returns the party's decryption share of the target, or ErrRefused.
func (r *Regulator) Share(ctx context.Context, req ShareRequest) (*SignedShare, error) {
	ct, flows, err := r.resolve(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	if err := r.allowed(req, flows); err != nil {
		return nil, err
	}
	s, err := r.share.ShareDecrypt(ct, req.Active)
	if err != nil {
		return nil, err
	}
	b, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &SignedShare{Share: b, Sig: ed25519.Sign(r.sign, append([]byte(shareLabel), b...))}, nil
}

// allowed applies the policy.
func (r *Regulator) allowed(req ShareRequest, flows int) error {
	t := req.Target
	whole := true
	for _, p := range t.Parts {
		whole = whole && p.Aggregate != ""
	}
	if whole && flows >= r.k {
		return nil
	}
	if req.Approval == nil {
		return fmt.Errorf("%w: %d flows, fewer than %d, or not whole aggregates, without a bisection approval", ErrRefused, flows, r.k)
	}
	if err := req.Approval.verify(r.roster, r.share.Threshold()); err != nil {
		return err
	}
	st := req.Approval.Statement
	if st.Run != t.Run || st.Aggregate != t.Aggregate {
		return fmt.Errorf("%w: the approval is for another run or aggregate", ErrRefused)
	}
	for _, p := range t.Parts {
		if p.Rate != 0 || !slices.Contains(st.Flows, p) {
			return fmt.Errorf("%w: the target holds an item the approval does not list", ErrRefused)
		}
	}
	return nil
}

// resolve rebuilds the target's ciphertext from the ledger and counts its
// flows.
func (r *Regulator) resolve(ctx context.Context, t Target) (*he.Ciphertext, int, error) {
	if len(t.Parts) == 0 {
		return nil, 0, fmt.Errorf("%w: an empty target", ErrRefused)
	}
	p := r.share.Params()
	c, _ := ledger.AggCurrencyOf(t.Aggregate)
	sum, flows := he.Zero(p), -1
	for _, part := range t.Parts {
		ct, n, err := r.item(ctx, part, c)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case part.Aggregate != "" && (flows < 0 || n < flows):
			flows = n // whole books: the fewest in any of their non-empty groups
		case part.Aggregate == "" && flows < 0:
			flows = n
		case part.Aggregate == "":
			flows += n
		}
		if part.Rate != 0 {
			err = r.ev.MulRateThenAdd(sum, ct, part.Rate)
		} else {
			err = r.ev.Add(sum, ct)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("ledger: target of %s: %w", t.Aggregate, err)
		}
	}
	return sum, max(flows, 0), nil
}

// bookFloor is the fewest payments in a non-empty group of an aggregate's
// book: what its decryption reveals the least of.
func bookFloor(info ledger.AggregateInfo) int {
	floor := -1
	for _, n := range info.BookPayments {
		if n > 0 && (floor < 0 || int(n) < floor) {
			floor = int(n)
		}
	}
	return max(floor, 0)
}

// item reads one part from the ledger: its ciphertext and flow count (for
// an aggregate, its book's floor); c is the currency of the target's
// aggregate, whose flow a transaction's part is.
func (r *Regulator) item(ctx context.Context, part Part, c ledger.Currency) (*he.Ciphertext, int, error) {
	switch {
	case part.Aggregate != "":
		info, err := r.src.Aggregate(ctx, part.Aggregate)
		if err != nil {
			return nil, 0, err
		}
		ct, err := decodeCT(r.share.Params(), info.Ciphertext, "aggregate "+part.Aggregate)
		return ct, bookFloor(info), err
	case part.Tx != "":
		id, err := ledger.ParseTxID(part.Tx)
		if err != nil {
			return nil, 0, err
		}
		raw, err := r.src.RawTx(ctx, id)
		if err != nil {
			return nil, 0, err
		}
		flow, err := txFlow(raw, c)
		if err != nil {
			return nil, 0, err
		}
		ct, err := decodeCT(r.share.Params(), flow, "transaction "+part.Tx)
		return ct, 1, err
	case part.Genesis != "":
		g, err := r.genesis(ctx)
		if err != nil {
			return nil, 0, err
		}
		for _, acct := range g.Accounts {
			if acct.Party+"/"+acct.Currency == part.Genesis && acct.Flow != "" {
				raw, _ := hex.DecodeString(acct.Flow)
				ct, err := decodeCT(r.share.Params(), raw, "genesis flow "+part.Genesis)
				return ct, 1, err
			}
		}
		return nil, 0, fmt.Errorf("ledger: no genesis flow %s", part.Genesis)
	case part.Base != "":
		info, err := r.src.Aggregate(ctx, part.Base)
		if err != nil {
			return nil, 0, err
		}
		ct, err := decodeCT(r.share.Params(), info.Base, "epoch base of "+part.Base)
		return ct, 1, err
	}
	return nil, 0, fmt.Errorf("%w: an empty target item", ErrRefused)
}

func decodeCT(p *he.Params, raw []byte, what string) (*he.Ciphertext, error) {
	ct := he.Zero(p)
	if err := ct.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("ledger: %s: %w", what, err)
	}
	return ct, nil
}

// aggregateParts lists the flows of an aggregate's book as target items:
// its epoch base, else its genesis fundings, then its transactions since
// (bisection searches the whole book: bisect.go).
func aggregateParts(info ledger.AggregateInfo, g *ledger.Genesis) []Part {
	var out []Part
	parts := strings.Split(info.Key, "/")
	if info.Base != nil {
		out = append(out, Part{Base: info.Key})
	} else if len(parts) == 3 {
		for _, acct := range g.Accounts {
			if acct.Flow != "" && acct.Currency == parts[1] {
				out = append(out, Part{Genesis: acct.Party + "/" + acct.Currency})
			}
		}
	}
	for _, id := range info.BookTxs {
		out = append(out, Part{Tx: id})
	}
	return out
}

// Sign signs a bisection statement if its aggregate does not check.
func (r *Regulator) Sign(ctx context.Context, req ApprovalRequest) ([]byte, error) {
	st := req.Statement
	if st.Version != statementVersion || st.Run == "" {
		return nil, fmt.Errorf("%w: a statement of version %q", ErrRefused, st.Version)
	}
	info, err := r.src.Aggregate(ctx, st.Aggregate)
	if err != nil {
		return nil, err
	}
	g, err := r.genesis(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(st.Flows, aggregateParts(info, g)) {
		return nil, fmt.Errorf("%w: the statement's flows are not aggregate %s's", ErrRefused, st.Aggregate)
	}
	if err := r.checkFails(info, req.Shares); err != nil {
		return nil, err
	}
	return ed25519.Sign(r.sign, st.message()), nil
}

// checkFails combines the shares of the aggregate and returns nil only if
// it does not check: inconsistent limbs, sums that do not open its
// commitment sum, or more noise than honest flows and the flooding make.
func (r *Regulator) checkFails(info ledger.AggregateInfo, raw []SignedShare) error {
	p := r.share.Params()
	ct := he.Zero(p)
	if ct.UnmarshalBinary(info.Ciphertext) != nil {
		return nil // the ledger's aggregate cannot be decoded: bisection names the ledger
	}
	shares := make([]*he.DecryptionShare, len(raw))
	for i, s := range raw {
		shares[i] = new(he.DecryptionShare)
		if err := shares[i].UnmarshalBinary(s.Share); err != nil {
			return fmt.Errorf("%w: decryption share: %w", ErrRefused, err)
		}
		pub, ok := r.roster[shares[i].Party()]
		if !ok || !ed25519.Verify(pub, append([]byte(shareLabel), s.Share...), s.Sig) {
			return fmt.Errorf("%w: party %d's decryption share is not signed by it", ErrRefused, shares[i].Party())
		}
	}
	if len(shares) < r.share.Threshold() {
		return fmt.Errorf("%w: %d decryption shares, %d needed", ErrRefused, len(shares), r.share.Threshold())
	}
	sums, noise, err := he.Combine(ct, shares)
	if err != nil {
		if errorsIsThreshold(err) {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return nil // inconsistent limbs
	}
	com, err := zkp.ParseCommitment(info.Commitment)
	if err != nil {
		return fmt.Errorf("ledger: aggregate %s: commitment sum: %w", info.Key, err)
	}
	if info.Group < 0 || info.Group >= len(sums) {
		return nil // not a group of the book: bisection names the ledger
	}
	total := sums[info.Group]
	bound := sumBound(p.ThresholdNoiseBound(r.share.Parties()), ct.Load()) + p.FloodBound(r.share.Parties(), r.share.Threshold())
	if commitBig(total.Amount, total.Blinding).Equal(com) && noise <= bound {
		return fmt.Errorf("%w: aggregate %s checks; its flows stay sealed", ErrRefused, info.Key)
	}
	return nil
}

package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sable-settlement/sable/he"
)

// Decryption. The audit decrypts through an [Opener]: the regulator's one
// secret key ([KeyOpener]), or t regulator parties that each hold a share
// of it ([ThresholdOpener], regulator.go). Every decryption names what it
// decrypts in ledger terms (a [Target]), so that a share-holder can rebuild
// the ciphertext from the ledger itself and apply its policy.

// ErrRefused: a regulator party will not share-decrypt the target (fewer
// than k flows, or a sub-aggregate, without a valid bisection approval).
var ErrRefused = errors.New("ledger: regulator party refuses to decrypt")

// Part is one ledger item of a target, exactly one field set but Rate.
type Part struct {
	Aggregate string `json:"aggregate,omitempty"` // an aggregate as the ledger holds it
	Tx        string `json:"tx,omitempty"`        // one transaction's flow
	Genesis   string `json:"genesis,omitempty"`   // "party/CUR": a genesis funding flow
	Base      string `json:"base,omitempty"`      // an aggregate's epoch base
	Rate      uint64 `json:"rate,omitempty"`      // FX: the item times this rate (0: plain)
}

// Target is what a decryption opens: the sum of its parts, for an audit
// run, on behalf of one aggregate (the one audited or bisected).
type Target struct {
	Run       string `json:"run"`
	Aggregate string `json:"aggregate"`
	Parts     []Part `json:"parts"`
}

// Opening is a decryption: the sums (nil and Err set when the limbs are
// inconsistent) and the measured noise, which includes the opener's
// flooding.
type Opening struct {
	Sums  []he.GroupSum
	Err   error
	Noise uint64
}

// Opener decrypts for the audit. Open fails only when the decryption
// cannot be made (ErrRefused, a party unreachable); a ciphertext that
// decrypts to inconsistent limbs is an Opening with Err set.
type Opener interface {
	Params() *he.Params
	// NoiseBound is the most noise an honest fresh flow has under the key.
	NoiseBound() uint64
	// Flooding is the most noise an opening adds to the ciphertext's own.
	Flooding() uint64
	Open(ctx context.Context, t Target, ct *he.Ciphertext) (Opening, error)
	// Approve obtains the approval to open single flows of an aggregate
	// that does not check, for a bisection; nil when none is needed.
	Approve(ctx context.Context, run, aggregate string, flows []Part) (*Approval, error)
}

// KeyOpener decrypts with the regulator's one secret key.
type KeyOpener struct {
	sk  *he.SecretKey
	dec *he.Decryptor
}

// NewKeyOpener returns an opener with sk.
func NewKeyOpener(sk *he.SecretKey) *KeyOpener {
	return &KeyOpener{sk: sk, dec: he.NewDecryptor(sk)}
}

func (k *KeyOpener) Params() *he.Params { return k.sk.Params() }
func (k *KeyOpener) NoiseBound() uint64 { return k.sk.Params().NoiseBound() }
func (k *KeyOpener) Flooding() uint64   { return 0 }

// Open decrypts ct and measures its exact noise.
func (k *KeyOpener) Open(_ context.Context, _ Target, ct *he.Ciphertext) (Opening, error) {
	sums, err := k.dec.Decrypt(ct)
	n, nerr := k.dec.Noise(ct)
	if nerr != nil {
		return Opening{}, nerr
	}
	return Opening{Sums: sums, Err: err, Noise: n}, nil
}

// Approve: the key holder needs no approval.
func (k *KeyOpener) Approve(context.Context, string, string, []Part) (*Approval, error) {
	return nil, nil
}

// Holder is one regulator party as the audit reaches it: a [Regulator]
// in this process, or its endpoint ('sable regulator serve').
type Holder interface {
	Index() int
	Share(ctx context.Context, req ShareRequest) (*SignedShare, error)
	Sign(ctx context.Context, req ApprovalRequest) ([]byte, error)
}

// ShareRequest asks a party for its decryption share of a target.
type ShareRequest struct {
	Target   Target    `json:"target"`
	Active   []int     `json:"active"`
	Approval *Approval `json:"approval,omitempty"`
}

// ApprovalRequest asks a party to sign a bisection statement. Shares are
// the decryption shares of the statement's aggregate, made in the same run
// by t parties and signed by each: the party checks the signatures,
// combines the shares itself and signs only if the aggregate does not
// check.
type ApprovalRequest struct {
	Statement Statement     `json:"statement"`
	Shares    []SignedShare `json:"shares"`
}

// ThresholdOpener decrypts with t regulator parties' shares, sent by the
// first t holders given; the active set is theirs.
type ThresholdOpener struct {
	p       *he.Params
	n, t    int
	holders []Holder

	mu        sync.Mutex
	last      map[string][]SignedShare // per aggregate: the shares of its last whole opening
	approvals map[string]*Approval     // per run and aggregate: its bisection approval
}

// NewThresholdOpener returns an opener for a t-of-n key; holders must
// number at least t (the first t are asked).
func NewThresholdOpener(p *he.Params, n, t int, holders []Holder) (*ThresholdOpener, error) {
	if len(holders) < t {
		return nil, fmt.Errorf("ledger: %d regulator parties for a %d-of-%d key: %w", len(holders), t, n, he.ErrThreshold)
	}
	return &ThresholdOpener{p: p, n: n, t: t, holders: holders[:t], last: map[string][]SignedShare{}, approvals: map[string]*Approval{}}, nil
}

func (o *ThresholdOpener) Params() *he.Params { return o.p }
func (o *ThresholdOpener) NoiseBound() uint64 { return o.p.ThresholdNoiseBound(o.n) }
func (o *ThresholdOpener) Flooding() uint64   { return o.p.FloodBound(o.n, o.t) }

func (o *ThresholdOpener) active() []int {
	a := make([]int, len(o.holders))
	for i, h := range o.holders {
		a[i] = h.Index()
	}
	return a
}

// Open asks each holder for its share and combines them.
// A target other than its whole aggregate carries the aggregate's
// bisection approval, if Approve obtained one in this run.
func (o *ThresholdOpener) Open(ctx context.Context, t Target, ct *he.Ciphertext) (Opening, error) {
	whole := len(t.Parts) == 1 && t.Parts[0].Aggregate == t.Aggregate && t.Parts[0].Rate == 0
	req := ShareRequest{Target: t, Active: o.active()}
	if !whole {
		o.mu.Lock()
		req.Approval = o.approvals[t.Run+"\x00"+t.Aggregate]
		o.mu.Unlock()
	}
	shares := make([]*he.DecryptionShare, len(o.holders))
	raw := make([]SignedShare, len(o.holders))
	for i, h := range o.holders {
		s, err := h.Share(ctx, req)
		if err != nil {
			return Opening{}, fmt.Errorf("ledger: regulator party %d: %w", h.Index(), err)
		}
		shares[i] = new(he.DecryptionShare)
		if err := shares[i].UnmarshalBinary(s.Share); err != nil {
			return Opening{}, fmt.Errorf("ledger: regulator party %d: %w", h.Index(), err)
		}
		raw[i] = *s
	}
	sums, noise, err := he.Combine(ct, shares)
	if err != nil && errors.Is(err, he.ErrThreshold) {
		return Opening{}, fmt.Errorf("ledger: %w", err)
	}
	if whole {
		o.mu.Lock()
		o.last[t.Aggregate] = raw
		o.mu.Unlock()
	}
	return Opening{Sums: sums, Err: err, Noise: noise}, nil
}

// Approve asks every holder to sign the bisection of aggregate, handing
// it the shares that opened the aggregate in this run.
func (o *ThresholdOpener) Approve(ctx context.Context, run, aggregate string, flows []Part) (*Approval, error) {
	o.mu.Lock()
	shares := o.last[aggregate]
	o.mu.Unlock()
	if shares == nil {
		return nil, fmt.Errorf("ledger: aggregate %s was not opened in this run: %w", aggregate, ErrRefused)
	}
	st := Statement{Version: statementVersion, Run: run, Aggregate: aggregate, Flows: flows}
	ap := &Approval{Statement: st, Signatures: map[int][]byte{}}
	for _, h := range o.holders {
		sig, err := h.Sign(ctx, ApprovalRequest{Statement: st, Shares: shares})
		if err != nil {
			return nil, fmt.Errorf("ledger: regulator party %d: %w", h.Index(), err)
		}
		ap.Signatures[h.Index()] = sig
	}
	o.mu.Lock()
	o.approvals[run+"\x00"+aggregate] = ap
	o.mu.Unlock()
	return ap, nil
}

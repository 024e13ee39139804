package audit

import (
	"bytes"
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
	// Masked lists the slot groups the regulator parties masked (sparse
	// groups of a book: fewer than k payments); their Sums are empty and
	// the aggregates they hold are sealed.
	Masked []int
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
	// that does not check, for a bisection; nil when none is needed. chain
	// is the digest of the audited chain's genesis, which the approval
	// names; book is the aggregate's ciphertext (its book) as the audit
	// opened it.
	Approve(ctx context.Context, chain, run, aggregate string, book *he.Ciphertext, flows []Part) (*Approval, error)
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
func (k *KeyOpener) Approve(context.Context, string, string, string, *he.Ciphertext, []Part) (*Approval, error) {
	return nil, nil
}

// Holder is one regulator party as the audit reaches it: a [Regulator]
// in this process, or its endpoint ('sable regulator serve').
type Holder interface {
	Index() int
	Commit(ctx context.Context, req MaskRequest) (*MaskCommitment, error)
	Reveal(ctx context.Context, req RevealRequest) (*SignedMask, error)
	Share(ctx context.Context, req ShareRequest) (*SignedShare, error)
	Sign(ctx context.Context, req ApprovalRequest) ([]byte, error)
}

// MaskRequest asks a party for its commitment to a fresh mask of a
// whole-book target (the first round of a masked decryption): an empty
// commitment when the target's books have no sparse group.
type MaskRequest struct {
	Target Target `json:"target"`
	Active []int  `json:"active"`
}

// ShareRequest asks a party for its decryption share of a target. When
// its books have sparse groups, Commitments are every active party's
// commitment the masks were revealed under, Masks every active party's
// revealed mask (one each), and Digest the digest of target + Σ masks as
// the requester formed it: each party forms it itself and refuses if it
// differs.
type ShareRequest struct {
	Target      Target           `json:"target"`
	Active      []int            `json:"active"`
	Approval    *Approval        `json:"approval,omitempty"`
	Commitments []MaskCommitment `json:"commitments,omitempty"`
	Masks       []SignedMask     `json:"masks,omitempty"`
	Digest      []byte           `json:"digest,omitempty"`
}

// ApprovalRequest asks a party to sign a bisection statement. Shares are
// the decryption shares of the statement's aggregate, made in the same run
// by t parties and signed by each: the party checks the signatures,
// combines the shares itself and signs only if the aggregate does not
// check.
type ApprovalRequest struct {
	Statement Statement     `json:"statement"`
	Shares    []SignedShare `json:"shares"`
	Masks     []SignedMask  `json:"masks,omitempty"` // the masks the shares' book was opened with
}

// ThresholdOpener decrypts with t regulator parties' shares, sent by the
// first t holders given; the active set is theirs.
type ThresholdOpener struct {
	p       *he.Params
	n, t    int
	holders []Holder

	mu        sync.Mutex
	last      map[string]lastOpening // per run and book digest: its whole opening
	approvals map[string]*Approval   // per run and aggregate: its bisection approval
}

// lastOpening is what opened a book in a run: the signed shares and the
// masks they were made over.
type lastOpening struct {
	shares []SignedShare
	masks  []SignedMask
}

// NewThresholdOpener returns an opener for a t-of-n key; holders must
// number at least t (the first t are asked).
func NewThresholdOpener(p *he.Params, n, t int, holders []Holder) (*ThresholdOpener, error) {
	if len(holders) < t {
		return nil, fmt.Errorf("ledger: %d regulator parties for a %d-of-%d key: %w", len(holders), t, n, he.ErrThreshold)
	}
	return &ThresholdOpener{p: p, n: n, t: t, holders: holders[:t], last: map[string]lastOpening{}, approvals: map[string]*Approval{}}, nil
}

func (o *ThresholdOpener) Params() *he.Params { return o.p }
func (o *ThresholdOpener) NoiseBound() uint64 { return o.p.ThresholdNoiseBound(o.n) }

// Flooding allows for the t fresh masks of a masked decryption too.
func (o *ThresholdOpener) Flooding() uint64 {
	return o.p.FloodBound(o.n, o.t) + uint64(o.t)*(o.p.ThresholdNoiseBound(o.n)+1)
}

func (o *ThresholdOpener) active() []int {
	a := make([]int, len(o.holders))
	for i, h := range o.holders {
		a[i] = h.Index()
	}
	return a
}

// Open asks each holder for its share and combines them. A target of
// whole books is opened in three rounds: each holder first commits to its
// mask of the books' sparse groups (an empty commitment if none), then
// reveals it given every holder's commitment, then share-decrypts the
// target plus every mask, which it forms itself. A target other than its
// whole aggregate carries the aggregate's bisection approval, if Approve
// obtained one in this run.
func (o *ThresholdOpener) Open(ctx context.Context, t Target, ct *he.Ciphertext) (Opening, error) {
	whole := len(t.Parts) == 1 && t.Parts[0].Aggregate == t.Aggregate && t.Parts[0].Rate == 0
	books := true
	for _, p := range t.Parts {
		books = books && p.Aggregate != ""
	}
	req := ShareRequest{Target: t, Active: o.active()}
	if !whole {
		o.mu.Lock()
		req.Approval = o.approvals[t.Run+"\x00"+t.Aggregate]
		o.mu.Unlock()
	}
	dec, skip := ct, []int(nil)
	if books {
		var err error
		if dec, skip, req.Commitments, req.Masks, err = o.masks(ctx, t, ct); err != nil {
			return Opening{}, err
		}
		if req.Masks != nil {
			d, err := dec.Digest()
			if err != nil {
				return Opening{}, err
			}
			req.Digest = d[:]
		}
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
	sums, noise, err := he.CombineMasked(dec, shares, skip)
	if err != nil && errors.Is(err, he.ErrThreshold) {
		return Opening{}, fmt.Errorf("ledger: %w", err)
	}
	if whole {
		d, derr := ct.Digest()
		if derr != nil {
			return Opening{}, derr
		}
		o.mu.Lock()
		o.last[t.Run+"\x00"+string(d[:])] = lastOpening{shares: raw, masks: req.Masks}
		o.mu.Unlock()
	}
	return Opening{Sums: sums, Err: err, Noise: noise, Masked: skip}, nil
}

// masks runs the commit and reveal rounds: every holder's commitment to
// its mask of the target, then every holder's mask, each checked against
// its commitment. It returns ct plus the masks, the masked groups, the
// commitments and the masks, or ct alone when no holder masks (the books
// have no sparse group).
func (o *ThresholdOpener) masks(ctx context.Context, t Target, ct *he.Ciphertext) (*he.Ciphertext, []int, []MaskCommitment, []SignedMask, error) {
	d, err := ct.Digest()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var commits []MaskCommitment
	for _, h := range o.holders {
		c, err := h.Commit(ctx, MaskRequest{Target: t, Active: o.active()})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("ledger: regulator party %d: %w", h.Index(), err)
		}
		if len(c.Commit) > 0 {
			commits = append(commits, *c)
		}
	}
	if len(commits) == 0 {
		return ct, nil, nil, nil, nil
	}
	if len(commits) != len(o.holders) {
		return nil, nil, nil, nil, fmt.Errorf("ledger: %d of %d regulator parties masked the target: %w", len(commits), len(o.holders), ErrRefused)
	}
	signed := make([]SignedMask, len(o.holders))
	masks := make([]*he.Mask, len(o.holders))
	for i, h := range o.holders {
		m, err := h.Reveal(ctx, RevealRequest{Target: t, Active: o.active(), Commitments: commits})
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("ledger: regulator party %d: %w", h.Index(), err)
		}
		if !bytes.Equal(maskCommitment(t.Run, d, m.Mask), commits[i].Commit) {
			return nil, nil, nil, nil, fmt.Errorf("ledger: regulator party %d revealed a mask that does not match its commitment: %w", h.Index(), ErrRefused)
		}
		masks[i] = new(he.Mask)
		if err := masks[i].UnmarshalBinary(m.Mask); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("ledger: regulator party %d: mask: %w", h.Index(), err)
		}
		signed[i] = *m
	}
	dec, skip, err := he.AddMasks(ct, masks)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("ledger: masks: %w", err)
	}
	return dec, skip, commits, signed, nil
}

// Approve asks every holder to sign the bisection of aggregate on chain
// (the digest of its genesis), handing it the shares (and masks) that
// opened the aggregate's book in this run, whichever aggregate of the book
// the audit opened it for.
func (o *ThresholdOpener) Approve(ctx context.Context, chain, run, aggregate string, book *he.Ciphertext, flows []Part) (*Approval, error) {
	var last lastOpening
	if book != nil {
		d, err := book.Digest()
		if err != nil {
			return nil, err
		}
		o.mu.Lock()
		last = o.last[run+"\x00"+string(d[:])]
		o.mu.Unlock()
	}
	if last.shares == nil {
		return nil, fmt.Errorf("ledger: aggregate %s was not opened in this run: %w", aggregate, ErrRefused)
	}
	st := Statement{Version: statementVersion, Chain: chain, Run: run, Aggregate: aggregate, Flows: flows}
	ap := &Approval{Statement: st, Signatures: map[int][]byte{}}
	for _, h := range o.holders {
		sig, err := h.Sign(ctx, ApprovalRequest{Statement: st, Shares: last.shares, Masks: last.masks})
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

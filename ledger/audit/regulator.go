package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
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
//     reveals every slot group, so the party lists the sparse groups of
//     the books (1 to k − 1 payments). If there are none it answers. If
//     there are, it answers only a masked request, in three rounds
//     (commit, then reveal): in Commit each active party encrypts under
//     the collective key a fresh mask uniform modulo t in every slot of
//     the sparse groups, keeps it, and returns a signed SHA-256
//     commitment to it for the run and target; in Reveal it takes every
//     active party's signed commitment and reveals its mask only if they
//     are all there, each signed by its party for this run and target,
//     its own the one it issued (it then holds to that set); in Share it
//     takes every revealed mask, checks each against the commitment it
//     revealed under, its own the one it issued, forms target + Σ masks
//     itself, refuses if that is not the ciphertext the requester names,
//     and share-decrypts it. Every commitment is fixed before any mask is
//     revealed, so a party that sees the others' masks cannot choose its
//     own to cancel them. A mask serves one decryption, and a party holds
//     at most maxPendingMasks unused masks (the oldest is dropped). The
//     sparse groups then decrypt to
//     uniform values unless every active party's mask is known, or
//   - for flows of one aggregate listed in a bisection approval of this
//     audit run and this chain signed by t parties of its roster.
//
// It signs an approval only for an aggregate that does not check (and
// whose group is not sparse): the requester hands it the t decryption
// shares that opened the aggregate's book in this run (with the masks they
// were made over), each signed by the party that made it, and the party combines
// them itself and checks the sums against the aggregate's commitment sum,
// read from the ledger, and the noise against what honest flows and the
// flooding can make. The flows it approves must be exactly the
// aggregate's flows. A requester cannot forge a share; a party that sends
// a wrong one can make a clean aggregate look broken (shares carry no
// proof of correct decryption), but its signature names it.
//
// An approval names its chain by the digest of the app genesis
// ([genesisDigest]), and a party signs and honours only its own chain's:
// approval keys may serve several chains (a test network and production,
// or zones run by the same regulators), and the names an approval lists
// (aggregate keys, genesis fundings "party/CUR", epoch bases) mean the
// same on every chain, so without it an approval won for an aggregate that
// fails on one chain would open the like-named flows of another. The
// signed masks, mask commitments and decryption shares need no such
// field: they bind the digest of the ciphertext they were made for, which
// is the chain's own (every flow is a fresh encryption, and a
// transaction's signature binds its chain id).

const (
	statementVersion = "sable/regulator bisection approval v2"
	// statementV1 named no chain; it is refused.
	statementV1    = "sable/regulator bisection approval v1"
	statementLabel = "sable/regulator approval signature v1\x00"
	shareLabel     = "sable/regulator decryption share signature v1\x00"
	maskLabel      = "sable/regulator mask signature v1\x00"
	commitLabel    = "sable/regulator mask commitment v1\x00"
	commitSigLabel = "sable/regulator mask commitment signature v1\x00"
)

// maxPendingMasks bounds the masks a party has issued and not yet
// decrypted with; beyond it the oldest is dropped (its decryption is then
// refused), so that a requester cannot grow a long-running party.
const maxPendingMasks = 256

// MaskCommitment is a party's commitment to its mask of a target (the
// first round of a masked decryption): SHA-256 over a versioned label,
// the run, the digest of the target and the mask's encoding, signed by
// the party over the run and target digest. Commit is empty when the
// target has no sparse group.
type MaskCommitment struct {
	Party  int    `json:"party"`
	Commit []byte `json:"commit,omitempty"`
	Sig    []byte `json:"sig,omitempty"`
}

// appendRunBook appends the run (length-prefixed) and the target digest.
func appendRunBook(b []byte, run string, book [32]byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(run)))
	b = append(b, run...)
	return append(b, book[:]...)
}

// maskCommitment is the commitment to mask for run and the target of
// digest book.
func maskCommitment(run string, book [32]byte, mask []byte) []byte {
	h := sha256.New()
	h.Write(appendRunBook([]byte(commitLabel), run, book))
	h.Write(mask)
	return h.Sum(nil)
}

func commitMessage(run string, book [32]byte, commit []byte) []byte {
	return append(appendRunBook([]byte(commitSigLabel), run, book), commit...)
}

// RevealRequest asks a party to reveal its mask of a target (the second
// round): Commitments holds every active party's signed commitment.
type RevealRequest struct {
	Target      Target           `json:"target"`
	Active      []int            `json:"active"`
	Commitments []MaskCommitment `json:"commitments"`
}

// pendingMask is a mask a party issued and has not decrypted with.
type pendingMask struct {
	mask, commit []byte
	revealed     []byte // digest of the commitment set it was revealed under; nil: not revealed
}

// SignedMask is a party's mask of a target's sparse groups (he's encoding;
// empty when there are none), signed by it over the audit run and the
// digest of the target it masks, so that a requester cannot pass off a
// mask of its own as another party's.
type SignedMask struct {
	Party int    `json:"party"`
	Mask  []byte `json:"mask,omitempty"`
	Sig   []byte `json:"sig,omitempty"`
}

func maskMessage(run string, book [32]byte, mask []byte) []byte {
	m := append([]byte(maskLabel), run...)
	m = append(m, 0)
	m = append(m, book[:]...)
	return append(m, mask...)
}

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
// of one aggregate of one chain.
type Statement struct {
	Version string `json:"v"`
	// Chain is the digest of the chain's app genesis (genesisDigest): the
	// approval opens flows of that chain only.
	Chain     string `json:"chain,omitempty"`
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

// checkStatement refuses a statement of another version or chain.
func checkStatement(st Statement, chain string) error {
	switch {
	case st.Version == statementV1:
		return fmt.Errorf("%w: a statement of version %q names no chain; it must be approved again as %q", ErrRefused, st.Version, statementVersion)
	case st.Version != statementVersion:
		return fmt.Errorf("%w: a statement of version %q, want %q", ErrRefused, st.Version, statementVersion)
	case st.Chain != chain:
		return fmt.Errorf("%w: the statement is for chain %.16q, this party's genesis digest is %.16q", ErrRefused, st.Chain, chain)
	}
	return nil
}

// verify checks that the approval is for chain (the digest of the
// verifier's genesis) and that t distinct parties of roster signed it.
func (a *Approval) verify(roster map[int]ed25519.PublicKey, t int, chain string) error {
	if err := checkStatement(a.Statement, chain); err != nil {
		return err
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
	enc    *he.Encryptor // under the collective key: masks (nil: cannot mask)

	mu    sync.Mutex
	gen   *ledger.Genesis         // fetched once: it never changes and runs to megabytes
	chain string                  // gen's digest, once computed
	masks map[string]*pendingMask // the masks it issued and has not yet decrypted with, per run and target digest
	order []string                // masks' keys, oldest first (at most maxPendingMasks)
}

// WithPublicKey gives the party the collective public key, which it
// encrypts its masks under; without it the party refuses to mask, so
// books with a sparse group stay sealed. It returns r.
func (r *Regulator) WithPublicKey(pk *he.PublicKey) *Regulator {
	r.enc = he.NewEncryptor(pk)
	return r
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

// chainDigest returns the digest of the chain's genesis, which names the
// chain in approvals.
func (r *Regulator) chainDigest(ctx context.Context) (string, error) {
	g, err := r.genesis(ctx)
	if err != nil {
		return "", err
	}
	return cachedDigest(&r.mu, &r.chain, g)
}

// cachedDigest returns *slot, set to g's digest under mu the first time.
func cachedDigest(mu *sync.Mutex, slot *string, g *ledger.Genesis) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if *slot == "" {
		d, err := genesisDigest(g)
		if err != nil {
			return "", err
		}
		*slot = d
	}
	return *slot, nil
}

// genesisDigest names a chain in a bisection statement: the SHA-256 (hex)
// of its app genesis's JSON encoding. encoding/json writes a struct's
// fields in their order and ledger.Genesis holds no map, so every reader
// of one genesis gets the same digest. Two chains' differ unless they
// were started from one genesis file: genesis fundings are fresh
// encryptions and commitments, and the parties' keys differ. (CometBFT's
// chain id is not in the app genesis a Source reads.)
func genesisDigest(g *ledger.Genesis) (string, error) {
	b, err := json.Marshal(g)
	if err != nil {
		return "", fmt.Errorf("ledger: genesis digest: %w", err)
	}
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:]), nil
}

// NewRegulator returns party share.Index(), reading the ledger from src;
// roster holds every party's approval key by index (its own included),
// k the fewest flows it decrypts without an approval.
func NewRegulator(share *he.KeyShare, sign ed25519.PrivateKey, roster map[int]ed25519.PublicKey, src Source, k int) *Regulator {
	return &Regulator{share: share, sign: sign, roster: roster, src: src, k: max(k, 1), ev: he.NewEvaluator(share.Params()), masks: map[string]*pendingMask{}}
}

// Index returns the party's Shamir index.
func (r *Regulator) Index() int { return r.share.Index() }

// Commit makes the party's mask of a whole-book target: an encryption
// under the collective key of values uniform modulo t in every slot of
// the target's sparse groups (1 to k − 1 payments), which it keeps for the
// run (replacing any earlier one), and returns its signed commitment; an
// empty one if there are no sparse groups.
func (r *Regulator) Commit(ctx context.Context, req MaskRequest) (*MaskCommitment, error) {
	if !wholeBooks(req.Target) {
		return nil, fmt.Errorf("%w: only whole books are masked", ErrRefused)
	}
	ct, _, sparse, err := r.resolve(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	out := &MaskCommitment{Party: r.Index()}
	if len(sparse) == 0 {
		return out, nil
	}
	if r.enc == nil {
		return nil, fmt.Errorf("%w: party %d holds no collective public key to mask with", ErrRefused, r.Index())
	}
	m, err := r.enc.EncryptMask(sparse)
	if err != nil {
		return nil, err
	}
	mask, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	d, err := ct.Digest()
	if err != nil {
		return nil, err
	}
	out.Commit = maskCommitment(req.Target.Run, d, mask)
	out.Sig = ed25519.Sign(r.sign, commitMessage(req.Target.Run, d, out.Commit))
	r.remember(req.Target.Run+"\x00"+string(d[:]), &pendingMask{mask: mask, commit: out.Commit})
	return out, nil
}

// remember keeps a pending mask under key, dropping the oldest beyond
// maxPendingMasks.
func (r *Regulator) remember(key string, pm *pendingMask) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.masks[key]; ok {
		r.order = slices.DeleteFunc(r.order, func(k string) bool { return k == key })
	}
	r.masks[key] = pm
	r.order = append(r.order, key)
	for len(r.order) > maxPendingMasks {
		delete(r.masks, r.order[0])
		r.order = r.order[1:]
	}
}

// forget drops the pending mask of key if it is still pm.
func (r *Regulator) forget(key string, pm *pendingMask) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.masks[key] == pm {
		delete(r.masks, key)
		r.order = slices.DeleteFunc(r.order, func(k string) bool { return k == key })
	}
}

// maskRound is what revealing a mask and decrypting with the masks both
// start from: the target's digest, this party's pending mask for it, and
// the commitment set that came with the request, checked.
type maskRound struct {
	digest  [32]byte
	key     string // the pending mask's key in r.masks
	pm      *pendingMask
	commits map[int][]byte // by party
	set     [32]byte       // digest of the commitment set
}

// committedMask finds this party's pending mask for run and target ct and
// checks the commitments (checkCommitments) against it.
func (r *Regulator) committedMask(run string, ct *he.Ciphertext, list []MaskCommitment, active []int) (*maskRound, error) {
	d, err := ct.Digest()
	if err != nil {
		return nil, err
	}
	key, pm, err := r.pending(run, d)
	if err != nil {
		return nil, err
	}
	commits, set, err := r.checkCommitments(list, active, run, d, pm.commit)
	if err != nil {
		return nil, err
	}
	return &maskRound{digest: d, key: key, pm: pm, commits: commits, set: set}, nil
}

// pending returns the pending mask of a run and target digest.
func (r *Regulator) pending(run string, d [32]byte) (string, *pendingMask, error) {
	key := run + "\x00" + string(d[:])
	r.mu.Lock()
	pm := r.masks[key]
	r.mu.Unlock()
	if pm == nil {
		return "", nil, fmt.Errorf("%w: party %d issued no mask for this target in run %q", ErrRefused, r.Index(), run)
	}
	return key, pm, nil
}

// Reveal returns the party's mask of a whole-book target, signed, once it
// holds a validly signed commitment from every active party for this run
// and target, its own the one it issued. Revealed, the mask is bound to
// that set of commitments: it is revealed again only under the same set,
// and decrypted with only under it.
func (r *Regulator) Reveal(ctx context.Context, req RevealRequest) (*SignedMask, error) {
	if !wholeBooks(req.Target) {
		return nil, fmt.Errorf("%w: only whole books are masked", ErrRefused)
	}
	ct, _, sparse, err := r.resolve(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	if len(sparse) == 0 {
		return &SignedMask{Party: r.Index()}, nil
	}
	m, err := r.committedMask(req.Target.Run, ct, req.Commitments, req.Active)
	if err != nil {
		return nil, err
	}
	d, key, pm, set := m.digest, m.key, m.pm, m.set
	r.mu.Lock()
	switch {
	case r.masks[key] != pm:
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: party %d's mask for this target was replaced or dropped", ErrRefused, r.Index())
	case pm.revealed != nil && !bytes.Equal(pm.revealed, set[:]):
		r.mu.Unlock()
		return nil, fmt.Errorf("%w: party %d revealed its mask under other commitments", ErrRefused, r.Index())
	}
	pm.revealed = set[:]
	r.mu.Unlock()
	return &SignedMask{Party: r.Index(), Mask: pm.mask, Sig: ed25519.Sign(r.sign, maskMessage(req.Target.Run, d, pm.mask))}, nil
}

// checkCommitments verifies a commitment list: exactly one per active
// party, each signed by that party for run and the target of digest d,
// this party's own the one it issued. It returns the commitments by party
// and a digest of the set.
func (r *Regulator) checkCommitments(list []MaskCommitment, active []int, run string, d [32]byte, own []byte) (map[int][]byte, [32]byte, error) {
	if len(list) != len(active) {
		return nil, [32]byte{}, fmt.Errorf("%w: %d mask commitments for %d active parties", ErrRefused, len(list), len(active))
	}
	commits := map[int][]byte{}
	for _, c := range list {
		pub, ok := r.roster[c.Party]
		switch {
		case commits[c.Party] != nil || !slices.Contains(active, c.Party):
			return nil, [32]byte{}, fmt.Errorf("%w: party %d's mask commitment is repeated or outside the active set", ErrRefused, c.Party)
		case len(c.Commit) != sha256.Size || !ok || !ed25519.Verify(pub, commitMessage(run, d, c.Commit), c.Sig):
			return nil, [32]byte{}, fmt.Errorf("%w: party %d's mask commitment is not signed by it for this target", ErrRefused, c.Party)
		case c.Party == r.Index() && !bytes.Equal(c.Commit, own):
			return nil, [32]byte{}, fmt.Errorf("%w: the commitments do not hold the one party %d issued", ErrRefused, r.Index())
		}
		commits[c.Party] = c.Commit
	}
	if commits[r.Index()] == nil {
		return nil, [32]byte{}, fmt.Errorf("%w: the commitments do not hold party %d's", ErrRefused, r.Index())
	}
	parties := slices.Sorted(maps.Keys(commits))
	h := sha256.New()
	for _, p := range parties {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(p)))
		h.Write(commits[p])
	}
	return commits, [32]byte(h.Sum(nil)), nil
}

// wholeBooks reports whether every part of t is an aggregate (a book, or
// an FX term of one).
func wholeBooks(t Target) bool {
	for _, p := range t.Parts {
		if p.Aggregate == "" {
			return false
		}
	}
	return len(t.Parts) > 0
}

// Share returns the party's decryption share of the target, or ErrRefused.
// A whole-book target with sparse groups is decrypted only with masks:
// the party forms target + Σ masks itself (masked).
func (r *Regulator) Share(ctx context.Context, req ShareRequest) (*SignedShare, error) {
	ct, flows, sparse, err := r.resolve(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	if wholeBooks(req.Target) && len(sparse) > 0 {
		if ct, err = r.masked(req, ct, sparse); err != nil {
			return nil, err
		}
	} else if err := r.allowed(ctx, req, flows); err != nil {
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

// masked returns ct + Σ masks for a share request: one mask from each
// active party, each signed by it for this run and target and matching
// its commitment in the set this party revealed its own mask under, its
// own the one it issued, all covering exactly the sparse groups it
// counted; and the sum's digest must be the requester's.
func (r *Regulator) masked(req ShareRequest, ct *he.Ciphertext, sparse []int) (*he.Ciphertext, error) {
	m, err := r.committedMask(req.Target.Run, ct, req.Commitments, req.Active)
	if err != nil {
		return nil, err
	}
	d, key, pm, commits, set := m.digest, m.key, m.pm, m.commits, m.set
	r.mu.Lock()
	revealed := pm.revealed
	r.mu.Unlock()
	if revealed == nil || !bytes.Equal(revealed, set[:]) {
		return nil, fmt.Errorf("%w: party %d did not reveal its mask under these commitments", ErrRefused, r.Index())
	}
	masks, err := r.checkMasks(req.Masks, req.Active, req.Target.Run, d, pm.mask, commits)
	if err != nil {
		return nil, err
	}
	sum, groups, err := he.AddMasks(ct, masks)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRefused, err)
	}
	if !slices.Equal(groups, sparse) {
		return nil, fmt.Errorf("%w: the masks cover groups %v, the sparse groups are %v", ErrRefused, groups, sparse)
	}
	got, err := sum.Digest()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got[:], req.Digest) {
		return nil, fmt.Errorf("%w: the target plus the masks is not the ciphertext the requester names", ErrRefused)
	}
	r.forget(key, pm) // a mask serves one decryption
	return sum, nil
}

// checkMasks verifies a mask list: exactly one per active party, each
// signed by that party for run and the target of digest d, each matching
// its party's commitment (commits; nil: not checked), and this party's own
// the one it issued (own; nil: not checked).
func (r *Regulator) checkMasks(list []SignedMask, active []int, run string, d [32]byte, own []byte, commits map[int][]byte) ([]*he.Mask, error) {
	if len(list) != len(active) {
		return nil, fmt.Errorf("%w: %d masks for %d active parties", ErrRefused, len(list), len(active))
	}
	seen := map[int]bool{}
	out := make([]*he.Mask, len(list))
	for i, m := range list {
		pub, ok := r.roster[m.Party]
		switch {
		case seen[m.Party] || !slices.Contains(active, m.Party):
			return nil, fmt.Errorf("%w: party %d's mask is repeated or outside the active set", ErrRefused, m.Party)
		case !ok || !ed25519.Verify(pub, maskMessage(run, d, m.Mask), m.Sig):
			return nil, fmt.Errorf("%w: party %d's mask is not signed by it for this target", ErrRefused, m.Party)
		case own != nil && m.Party == r.Index() && !bytes.Equal(m.Mask, own):
			return nil, fmt.Errorf("%w: the mask list does not hold the mask party %d issued", ErrRefused, r.Index())
		case commits != nil && !bytes.Equal(maskCommitment(run, d, m.Mask), commits[m.Party]):
			return nil, fmt.Errorf("%w: party %d's mask does not match its commitment", ErrRefused, m.Party)
		}
		seen[m.Party] = true
		out[i] = new(he.Mask)
		if err := out[i].UnmarshalBinary(m.Mask); err != nil {
			return nil, fmt.Errorf("%w: party %d's mask: %w", ErrRefused, m.Party, err)
		}
	}
	if own != nil && !seen[r.Index()] {
		return nil, fmt.Errorf("%w: the mask list does not hold party %d's mask", ErrRefused, r.Index())
	}
	return out, nil
}

// allowed applies the policy.
func (r *Regulator) allowed(ctx context.Context, req ShareRequest, flows int) error {
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
	chain, err := r.chainDigest(ctx)
	if err != nil {
		return err
	}
	if err := req.Approval.verify(r.roster, r.share.Threshold(), chain); err != nil {
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
// flows; for books, it also lists their sparse groups (1 to k − 1
// payments in any of them), ascending.
func (r *Regulator) resolve(ctx context.Context, t Target) (*he.Ciphertext, int, []int, error) {
	if len(t.Parts) == 0 {
		return nil, 0, nil, fmt.Errorf("%w: an empty target", ErrRefused)
	}
	var sparse []int
	p := r.share.Params()
	c, _ := ledger.AggCurrencyOf(t.Aggregate)
	sum, flows := he.Zero(p), -1
	for _, part := range t.Parts {
		ct, n, book, err := r.item(ctx, part, c)
		if err != nil {
			return nil, 0, nil, err
		}
		for g, payments := range book {
			if payments > 0 && payments < uint64(r.k) && !slices.Contains(sparse, g) {
				sparse = append(sparse, g)
			}
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
			return nil, 0, nil, fmt.Errorf("ledger: target of %s: %w", t.Aggregate, err)
		}
	}
	slices.Sort(sparse)
	return sum, max(flows, 0), sparse, nil
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
// an aggregate, its book's floor, and the payments of each group of the
// book); c is the currency of the target's aggregate, whose flow a
// transaction's part is.
func (r *Regulator) item(ctx context.Context, part Part, c ledger.Currency) (*he.Ciphertext, int, []uint64, error) {
	if part.Aggregate != "" {
		info, err := r.src.Aggregate(ctx, part.Aggregate)
		if err != nil {
			return nil, 0, nil, err
		}
		ct, err := decodeCT(r.share.Params(), info.Ciphertext, "aggregate "+part.Aggregate)
		return ct, bookFloor(info), info.BookPayments, err
	}
	ct, n, err := r.flowItem(ctx, part, c)
	return ct, n, nil, err
}

// flowItem reads a part that is one flow: a transaction's, a genesis
// funding or an epoch base.
func (r *Regulator) flowItem(ctx context.Context, part Part, c ledger.Currency) (*he.Ciphertext, int, error) {
	switch {
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

// Sign signs a bisection statement of this chain if its aggregate does
// not check.
func (r *Regulator) Sign(ctx context.Context, req ApprovalRequest) ([]byte, error) {
	st := req.Statement
	chain, err := r.chainDigest(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkStatement(st, chain); err != nil {
		return nil, err
	}
	if st.Run == "" {
		return nil, fmt.Errorf("%w: a statement of no audit run", ErrRefused)
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
	if err := r.checkFails(st.Run, info, req.Shares, req.Masks); err != nil {
		return nil, err
	}
	return ed25519.Sign(r.sign, st.message()), nil
}

// checkFails combines the shares of the aggregate and returns nil only if
// it does not check: inconsistent limbs, sums that do not open its
// commitment sum, or more noise than honest flows and the flooding make.
func (r *Regulator) checkFails(run string, info ledger.AggregateInfo, raw []SignedShare, rawMasks []SignedMask) error {
	p := r.share.Params()
	ct := he.Zero(p)
	if ct.UnmarshalBinary(info.Ciphertext) != nil {
		return nil // the ledger's aggregate cannot be decoded: bisection names the ledger
	}
	var skip []int
	if len(rawMasks) > 0 {
		d, err := ct.Digest()
		if err != nil {
			return err
		}
		var active []int
		for _, m := range rawMasks {
			active = append(active, m.Party)
		}
		masks, err := r.checkMasks(rawMasks, active, run, d, nil, nil)
		if err != nil {
			return err
		}
		if ct, skip, err = he.AddMasks(ct, masks); err != nil {
			return fmt.Errorf("%w: %w", ErrRefused, err)
		}
		if slices.Contains(skip, info.Group) {
			return fmt.Errorf("%w: aggregate %s's group is sparse and stays sealed", ErrRefused, info.Key)
		}
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
	sums, noise, err := he.CombineMasked(ct, shares, skip)
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
	bound := sumBound(p.ThresholdNoiseBound(r.share.Parties()), ct.Load()) + p.FloodBound(r.share.Parties(), r.share.Threshold()) +
		uint64(len(rawMasks))*(p.ThresholdNoiseBound(r.share.Parties())+1)
	if commitBig(total.Amount, total.Blinding).Equal(com) && noise <= bound {
		return fmt.Errorf("%w: aggregate %s checks; its flows stay sealed", ErrRefused, info.Key)
	}
	return nil
}

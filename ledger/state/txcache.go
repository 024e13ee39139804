package state

import (
	"crypto/sha256"
	"sync"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// txCache remembers how a transaction's bytes decoded, keyed by their
// hash. A validator decodes each transaction up to five times (CheckTx, the
// mempool's recheck after every block, PrepareProposal, ProcessProposal,
// FinalizeBlock), and decoding checks every commitment and proof point on
// its curve and in its subgroup: for a batch of payments, more CPU than
// batch-verifying its proofs. Decoding depends on the bytes alone, so the
// first result serves them all, valid or not; a cache only saves time.
// Beside it is kept, once computed, the transaction's statements and
// proofs (executor.proofs), which hash the transaction once per payment.
//
// The executor never modifies a decoded transaction, so one may be shared
// by every call that meets the same bytes. For the same reason a decoded
// transaction's signature verdicts are kept with it (verifier.signed): the
// signature over a transaction of up to a megabyte is checked once per
// signer key and epoch, not at every apply (CheckTx's precheck and apply,
// recheck, PrepareProposal, ProcessProposal, FinalizeBlock).
//
// Decoding a proof checks its points too, so the proofs decoding read are
// kept, by their bytes, for the verifier (proof): each proof's points are
// decompressed and checked once per node, when its transaction is decoded,
// not again when the proof is verified.
//
// Two generations of up to txCacheBytes of encodings each bound the
// memory: when the newer fills, the older is dropped.
type txCache struct {
	mu                sync.Mutex
	cur, old          map[[32]byte]*decoded
	txs, oldTx        map[*ledger.Tx]*decoded            // the same entries by their transaction (of)
	proofs, oldProofs map[[zkp.ProofSize]byte]*zkp.Proof // their transactions' proofs, decoded (proof)
	bytes             int
	hits, miss        int64
}

// decoded is one transaction's bytes decoded: the transaction, or the
// rejection they earn. What it keeps (statements, signature verdicts, id)
// depends only on those bytes, so the app never changes a decoded
// transaction in place: a changed one is a new *ledger.Tx, not in the cache.
type decoded struct {
	tx  *ledger.Tx
	rej *ledger.Rejection

	once   sync.Once
	items  []batchItem // tx's statements and proofs, with their cache keys
	chunks []chunkItem // a batch transfer's chunks (their statements are items)

	sigMu sync.Mutex
	sigs  map[sigKey]bool // signature verdicts (verifier.signed)

	idOnce sync.Once
	txid   ledger.TxID // tx.ID(), hashed once: it re-encodes up to a megabyte
}

// id returns tx's id, computing it the first time.
func (d *decoded) id() ledger.TxID {
	d.idOnce.Do(func() { d.txid = d.tx.ID() })
	return d.txid
}

// id returns tx.ID(), computed once per transaction the cache decoded.
func (c *txCache) id(tx *ledger.Tx) ledger.TxID {
	if d := c.of(tx); d != nil {
		return d.id()
	}
	return tx.ID()
}

// sigKey is what a transaction's signature verdict depends on besides the
// transaction: the signer's key and the domain it was signed for.
type sigKey struct {
	key    [32]byte
	domain string
}

const txCacheBytes = 32 << 20

func newTxCache() *txCache {
	return &txCache{cur: map[[32]byte]*decoded{}, txs: map[*ledger.Tx]*decoded{}, proofs: map[[zkp.ProofSize]byte]*zkp.Proof{}}
}

// decode returns raw's transaction or rejection, decoding it only the
// first time it is met.
func (c *txCache) decode(raw []byte) *decoded {
	key := sha256.Sum256(raw)
	c.mu.Lock()
	d, ok := c.cur[key]
	if !ok {
		d, ok = c.old[key]
	}
	if ok {
		c.hits++
		c.mu.Unlock()
		return d
	}
	c.miss++
	c.mu.Unlock()
	d = &decoded{}
	var proofs []ledger.DecodedProof
	d.tx, proofs, d.rej = decode(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(raw) > txCacheBytes {
		c.old, c.cur, c.bytes = c.cur, map[[32]byte]*decoded{}, 0
		c.oldTx, c.txs = c.txs, map[*ledger.Tx]*decoded{}
		c.oldProofs, c.proofs = c.proofs, map[[zkp.ProofSize]byte]*zkp.Proof{}
	}
	c.cur[key] = d
	if d.tx != nil {
		c.txs[d.tx] = d
	}
	for _, p := range proofs {
		c.proofs[p.Raw] = p.Proof
	}
	c.bytes += len(raw)
	return d
}

// of returns the entry of a transaction the cache decoded, or nil (a
// transaction built elsewhere, or one whose entry was dropped).
func (c *txCache) of(tx *ledger.Tx) *decoded {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.txs[tx]; ok {
		return d
	}
	return c.oldTx[tx]
}

// proof returns the proof raw decodes to, as the decoding of a
// transaction the cache holds decoded and checked it, or nil if none
// carried raw. The proof is zkp.DecodeProof(raw): the key is the whole
// encoding, so a hit never stands for other bytes.
func (c *txCache) proof(raw *[zkp.ProofSize]byte) *zkp.Proof {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.proofs[*raw]; ok {
		return p
	}
	return c.oldProofs[*raw]
}

// signed returns the verdict remembered for k, computing it with verify
// the first time.
func (d *decoded) signed(k sigKey, verify func() bool) bool {
	d.sigMu.Lock()
	defer d.sigMu.Unlock()
	if ok, seen := d.sigs[k]; seen {
		return ok
	}
	ok := verify()
	if d.sigs == nil {
		d.sigs = map[sigKey]bool{}
	}
	d.sigs[k] = ok
	return ok
}

// proofs returns the transaction's statements and proofs (none if it did
// not decode), computed with e the first time.
func (d *decoded) proofs(e *executor) []batchItem {
	d.once.Do(func() {
		if d.tx == nil {
			return
		}
		d.items, d.chunks = e.statements(d.tx)
		for i := range d.items {
			d.items[i].key = cacheKey(d.items[i].pub, d.items[i].raw)
		}
	})
	return d.items
}

// preverify batch-verifies the proofs of a block's transactions that
// decoded, and caches the verdicts (batch.go); the apply then rejects each
// that did not decode with its decoding code. Proofs already judged, at
// CheckTx or in an earlier pass over the same block, are not verified
// again.
func (a *App) preverify(txs []*decoded) {
	var items []batchItem
	for _, d := range txs {
		items = append(items, d.proofs(a.exec)...)
	}
	a.exec.verifier.checkBatch(items, true)
}

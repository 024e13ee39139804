package state

import (
	"crypto/sha256"
	"sync"

	"github.com/sable-settlement/sable/ledger"
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
// by every call that meets the same bytes.
//
// Two generations of up to txCacheBytes of encodings each bound the
// memory: when the newer fills, the older is dropped.
type txCache struct {
	mu         sync.Mutex
	cur, old   map[[32]byte]*decoded
	bytes      int
	hits, miss int64
}

// decoded is one transaction's bytes decoded: the transaction, or the
// rejection they earn.
type decoded struct {
	tx  *ledger.Tx
	rej *ledger.Rejection

	once  sync.Once
	items []batchItem // tx's statements and proofs, with their cache keys
}

const txCacheBytes = 32 << 20

func newTxCache() *txCache { return &txCache{cur: map[[32]byte]*decoded{}} }

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
	d.tx, d.rej = decode(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(raw) > txCacheBytes {
		c.old, c.cur, c.bytes = c.cur, map[[32]byte]*decoded{}, 0
	}
	c.cur[key] = d
	c.bytes += len(raw)
	return d
}

// proofs returns the transaction's statements and proofs (none if it did
// not decode), computed with e the first time.
func (d *decoded) proofs(e *executor) []batchItem {
	d.once.Do(func() {
		if d.tx == nil {
			return
		}
		d.items = e.proofs(d.tx)
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

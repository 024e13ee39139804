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
//
// The executor never modifies a decoded transaction, so one may be shared
// by every call that meets the same bytes.
//
// Two generations of up to txCacheBytes of encodings each bound the
// memory: when the newer fills, the older is dropped.
type txCache struct {
	mu         sync.Mutex
	cur, old   map[[32]byte]decoded
	bytes      int
	hits, miss int64
}

type decoded struct {
	tx  *ledger.Tx
	rej *ledger.Rejection
}

const txCacheBytes = 32 << 20

func newTxCache() *txCache { return &txCache{cur: map[[32]byte]decoded{}} }

// decode returns raw's transaction or rejection, decoding it only the
// first time it is met.
func (c *txCache) decode(raw []byte) (*ledger.Tx, *ledger.Rejection) {
	key := sha256.Sum256(raw)
	c.mu.Lock()
	d, ok := c.cur[key]
	if !ok {
		d, ok = c.old[key]
	}
	if ok {
		c.hits++
		c.mu.Unlock()
		return d.tx, d.rej
	}
	c.miss++
	c.mu.Unlock()
	tx, rej := decode(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(raw) > txCacheBytes {
		c.old, c.cur, c.bytes = c.cur, map[[32]byte]decoded{}, 0
	}
	c.cur[key] = decoded{tx, rej}
	c.bytes += len(raw)
	return tx, rej
}

// preverify batch-verifies the proofs of a block's transactions that
// decoded (nil: it did not, and the apply rejects it with its decoding
// code), and caches the verdicts (batch.go). Proofs already judged, at
// CheckTx or in an earlier pass over the same block, are not verified
// again.
func (a *App) preverify(txs []*ledger.Tx) {
	var items []batchItem
	for _, tx := range txs {
		if tx != nil {
			items = append(items, a.exec.proofs(tx)...)
		}
	}
	a.exec.verifier.checkBatch(items, true)
}

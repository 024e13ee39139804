package state

import (
	"runtime"
	"sync"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// A block's proofs are verified together before its transactions are
// applied. Every transfer, burn and mint, and every chunk of a batch
// transfer, carries its whole statement (the available balance it was
// proved against, the amounts, and the context, which is a hash of the
// transaction itself), so the statements are known
// from the bytes alone, before any state is read. App.preverify
// (txcache.go) batch-verifies them, one batch per circuit (zkp.BatchVerify: one multi-pairing), and
// records the verdicts in the verifier's cache; the sequential apply then
// finds every proof already judged. If a batch fails, its proofs are
// verified one by one, only to tell the bad ones from the good; the apply
// then rejects each bad one with CodeBadProof exactly as it would have
// without the pre-pass.
//
// The pre-pass never changes an outcome: a verdict depends only on the
// statement and the proof, whether reached in a batch or alone (a batch that
// passes means, but for a 2^−128 chance bound to the block's contents,
// that every proof in it verifies). If the statements built here ever
// differed from the apply's, the cache would miss and the apply would
// verify on its own: slower, never different.

// statement returns the statement and proof a transaction's body carries,
// as the executor checks them (transfer and burn in exec.go, mint in issue.go).
func statement(tx *ledger.Tx, chainID string) (zkp.Public, [zkp.ProofSize]byte, bool) {
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		return zkp.Public{Circuit: zkp.Transfer, Available: b.Available, Amount: b.Amount, Context: tx.Context(chainID)}, b.Proof, true
	case *ledger.Burn:
		return zkp.Public{Circuit: zkp.Transfer, Available: b.Available, Amount: b.Amount, Context: tx.Context(chainID)}, b.Proof, true
	case *ledger.Mint:
		return mintStatement(tx, b, chainID), b.Proof, true
	}
	return zkp.Public{}, [zkp.ProofSize]byte{}, false
}

// chunkItem is one chunk of a batch transfer: its statement and proof,
// and what names it in a rejection.
type chunkItem struct {
	batchItem
	currency    ledger.Currency
	chunk       int
	first, last int // its first and last payments' indices
}

// batchChunks returns a batch transfer's chunk statements, as
// batchTransfer checks them, from the transaction alone: chunk k of a
// currency (ledger.BatchTransfer.Chunks) proves its amounts against the
// book's Available less the amounts of the currency's earlier chunks,
// bound to its chunk context. Decoding guarantees one proof per chunk.
func batchChunks(tx *ledger.Tx, chainID string) []chunkItem {
	b, ok := tx.Body.(*ledger.BatchTransfer)
	if !ok {
		return nil
	}
	contexts := tx.ChunkContexts(chainID)
	var items []chunkItem
	for i, chunks := range b.Chunks() {
		k := &b.Books[i]
		var amts []zkp.Commitment // the currency's, in payment order
		for _, idx := range chunks {
			for _, j := range idx {
				amts = append(amts, b.Payments[j].Amount)
			}
		}
		left := zkp.Remainders(k.Available, amts) // one inversion for the chain
		start := 0
		for n, idx := range chunks {
			if n >= len(k.Proofs) {
				break // not from DecodeTx: the apply refuses it (CodeBatchProofs)
			}
			items = append(items, chunkItem{
				batchItem: batchItem{pub: zkp.Public{Circuit: zkp.Batch, Available: left[start], Amounts: amts[start : start+len(idx) : start+len(idx)], Context: contexts[i][n]}, raw: k.Proofs[n]},
				currency:  k.Currency, chunk: n, first: idx[0], last: idx[len(idx)-1]})
			start += len(idx)
		}
	}
	return items
}

// statements returns every statement and proof a transaction carries
// and, for a batch transfer, its chunks, whose statements they are.
func (e *executor) statements(tx *ledger.Tx) ([]batchItem, []chunkItem) {
	if items := fxProofs(tx, e.chainID); items != nil {
		return items, nil
	}
	if pub, proof, ok := statement(tx, e.chainID); ok {
		return []batchItem{{pub: pub, raw: proof}}, nil
	}
	chunks := batchChunks(tx, e.chainID)
	items := make([]batchItem, len(chunks))
	for i := range chunks {
		items[i] = chunks[i].batchItem
	}
	return items, chunks
}

// chunks returns a batch transfer's chunks (batchChunks), kept with its
// cache entry: a node hashes its chunk contexts and chains its balances
// once, not at every apply (CheckTx, recheck, proposal, block).
func (e *executor) chunks(tx *ledger.Tx) []chunkItem {
	if d := e.verifier.txs.of(tx); d != nil {
		d.proofs(e)
		return d.chunks
	}
	return batchChunks(tx, e.chainID)
}

// precheck is CheckTx's first pass over a decoded transaction: the sender
// and its signature (so that a transaction nobody signed costs no pairing),
// then all of the transaction's proofs in one batch, whose verdicts the
// apply that follows finds cached. A failed batch is not taken apart here:
// the apply verifies the proofs one by one and stops at the first bad one,
// as it would without the batch. precheck rejects only what the apply would
// reject first, with the same code.
func (e *executor) precheck(o *overlay, tx *ledger.Tx, items []batchItem) *ledger.Rejection {
	if len(items) < 2 {
		return nil // one proof: the apply's single verification is cheaper than a batch of one
	}
	if _, rej := e.authenticate(view{o.child()}, tx, e.verifier.id(tx)); rej != nil {
		return rej
	}
	e.verifier.checkBatch(items, false)
	return nil
}

// batchItem is one proof of a block and its statement.
type batchItem struct {
	pub   zkp.Public
	raw   [zkp.ProofSize]byte
	key   [32]byte
	proof *zkp.Proof
}

// checkBatch judges every item not yet in the cache, a batch per circuit.
// When a batch fails, name says whether to find its bad proofs now (a
// block's, all of which the apply will need) or leave them to the apply.
func (v *verifier) checkBatch(items []batchItem, name bool) {
	byCircuit := map[zkp.Circuit][]batchItem{}
	seen := map[[32]byte]bool{}
	v.mu.Lock()
	for _, it := range items {
		if it.key == ([32]byte{}) {
			it.key = cacheKey(it.pub, it.raw)
		}
		if _, cached := v.lookup(it.key); cached || seen[it.key] {
			continue
		}
		seen[it.key] = true
		byCircuit[it.pub.Circuit] = append(byCircuit[it.pub.Circuit], it)
	}
	v.mu.Unlock()
	for _, c := range zkp.Circuits() {
		if batch := byCircuit[c]; len(batch) > 0 && v.keys[c] != nil {
			v.judge(v.keys[c], batch, name)
		}
	}
}

// judge verifies one circuit's batch and remembers each verdict: all valid
// if the batch passes; if it fails, each proof's own, when name is set.
func (v *verifier) judge(vk *zkp.VerifyingKey, batch []batchItem, name bool) {
	pubs := make([]zkp.Public, 0, len(batch))
	proofs := make([]*zkp.Proof, 0, len(batch))
	var malformed []batchItem
	for i := range batch {
		p, err := v.decodeProof(&batch[i].raw)
		if err != nil {
			malformed = append(malformed, batch[i])
			continue
		}
		batch[i].proof = p
		pubs = append(pubs, batch[i].pub)
		proofs = append(proofs, p)
	}
	for _, it := range malformed {
		v.remember(it.key, false)
	}
	if len(proofs) == 0 {
		return
	}
	start := time.Now()
	ok := zkp.BatchVerify(vk, pubs, proofs) == nil
	v.metrics.batchVerified(pubs[0].Circuit, len(proofs), time.Since(start), ok)
	if ok {
		v.batched.Add(int64(len(proofs)))
		for _, it := range batch {
			if it.proof != nil {
				v.remember(it.key, true)
			}
		}
		return
	}
	if !name {
		return
	}
	// Name the bad ones: one by one, across the cores.
	work := make(chan batchItem)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(proofs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				v.remember(it.key, v.verify(it.pub, it.raw))
			}
		}()
	}
	for _, it := range batch {
		if it.proof != nil {
			work <- it
		}
	}
	close(work)
	wg.Wait()
}

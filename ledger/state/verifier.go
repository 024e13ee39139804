package state

import (
	"crypto/ed25519"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// verifier checks proofs with the genesis-pinned verifying keys. A proof is
// needed up to four times per node (CheckTx, PrepareProposal,
// ProcessProposal, FinalizeBlock); the verdict depends only on the
// statement and the proof, so it is remembered, keyed by their hash, and
// each proof is verified once per node (batch.go). The cache never changes
// an outcome, only how fast it is reached: a verdict, valid or not, is the
// same whenever and however it is reached.
//
// The cache has two generations of up to verifierCacheSize verdicts each:
// when the newer fills, the older is dropped, so a verdict reached at
// CheckTx survives the blocks that follow however busy the chain.
type verifier struct {
	keys map[zkp.Circuit]*zkp.VerifyingKey

	mu         sync.Mutex
	valid, old map[[32]byte]bool

	// How many proofs were verified alone, and in batches (batch.go).
	singles, batched atomic.Int64
	metrics          *Metrics // nil: none

	txs  *txCache     // where signature verdicts are kept (signed); nil: none kept
	sigs atomic.Int64 // signatures verified (not found in txs)
}

// signed reports whether tx's signature verifies with key for domain (the
// chain id and key epoch, ledger.EpochDomain). A transaction the app
// decoded (txCache) keeps the verdict, which depends only on its bytes,
// the key and the domain: the cache saves time, never changes an outcome.
func (v *verifier) signed(tx *ledger.Tx, key [32]byte, domain string) bool {
	verify := func() bool {
		v.sigs.Add(1)
		return ed25519.Verify(key[:], tx.SigningBytes(domain), tx.Sig[:])
	}
	d := v.txs.of(tx)
	if d == nil {
		return verify()
	}
	return d.signed(sigKey{key, domain}, verify)
}

// id returns tx's id, kept with its cache entry (txCache.id).
func (v *verifier) id(tx *ledger.Tx) ledger.TxID { return v.txs.id(tx) }

const verifierCacheSize = 1 << 14

func newVerifier(transfer, mint, fx, batch *zkp.VerifyingKey) *verifier {
	return &verifier{
		keys:  map[zkp.Circuit]*zkp.VerifyingKey{zkp.Transfer: transfer, zkp.Mint: mint, zkp.FX: fx, zkp.Batch: batch},
		valid: map[[32]byte]bool{},
	}
}

// cacheKey names a verdict: the circuit, the statement's number of batch
// amounts (a batch's vector pads with the identity, so [C, identity] and
// [C] have one vector but are not one statement: zkp refuses the first),
// its public inputs and the proof.
func cacheKey(pub zkp.Public, proof [zkp.ProofSize]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(pub.Circuit))
	h.Write([]byte{byte(len(pub.Amounts))})
	for _, e := range pub.Vector() {
		b := e.Bytes()
		h.Write(b[:])
	}
	h.Write(proof[:])
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// check verifies proof for pub, or rejects with CodeBadProof.
func (v *verifier) check(pub zkp.Public, proof [zkp.ProofSize]byte) *ledger.Rejection {
	key := cacheKey(pub, proof)
	ok, seen := v.cached(key)
	if !seen {
		ok = v.verify(pub, proof)
		v.remember(key, ok)
	}
	if !ok {
		return ledger.Reject(ledger.CodeBadProof, "%s proof does not verify for this transaction", pub.Circuit)
	}
	return nil
}

func (v *verifier) verify(pub zkp.Public, raw [zkp.ProofSize]byte) bool {
	v.singles.Add(1)
	proof, err := v.decodeProof(&raw)
	if err != nil {
		return false
	}
	vk := v.keys[pub.Circuit]
	if vk == nil { // fx on a chain that pins no fx key: swaps are refused before
		return false
	}
	done := v.metrics.verified(pub.Circuit)
	ok := vk.Verify(pub, proof) == nil
	done(ok)
	return ok
}

// decodeProof returns the proof raw encodes: the one its transaction's
// decoding checked (txCache.proof), or, for bytes no decoded transaction in
// the cache carried, raw decoded and its points checked now.
func (v *verifier) decodeProof(raw *[zkp.ProofSize]byte) (*zkp.Proof, error) {
	if p := v.txs.proof(raw); p != nil {
		return p, nil
	}
	return zkp.DecodeProof(raw[:])
}

// cached returns the verdict remembered for key, if any.
func (v *verifier) cached(key [32]byte) (ok, seen bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lookup(key)
}

// lookup is cached with v.mu held.
func (v *verifier) lookup(key [32]byte) (ok, seen bool) {
	if ok, seen = v.valid[key]; seen {
		return ok, true
	}
	ok, seen = v.old[key]
	return ok, seen
}

func (v *verifier) remember(key [32]byte, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.valid) >= verifierCacheSize {
		v.old, v.valid = v.valid, make(map[[32]byte]bool, verifierCacheSize)
	}
	v.valid[key] = ok
}

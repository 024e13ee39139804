package state

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// verifier checks proofs with the genesis-pinned verifying keys. A proof is
// checked up to three times per node (CheckTx, ProcessProposal,
// FinalizeBlock); the result depends only on the statement and the proof,
// so it is remembered, keyed by their hash. The cache never changes an
// outcome, only how fast it is reached.
type verifier struct {
	keys map[zkp.Circuit]*zkp.VerifyingKey

	mu    sync.Mutex
	valid map[[32]byte]bool

	// How many proofs were verified alone, and in batches (batch.go).
	singles, batched atomic.Int64
	metrics          *Metrics // nil: none
}

const verifierCacheSize = 1 << 14

func newVerifier(transfer, mint *zkp.VerifyingKey) *verifier {
	return &verifier{
		keys:  map[zkp.Circuit]*zkp.VerifyingKey{zkp.Transfer: transfer, zkp.Mint: mint},
		valid: map[[32]byte]bool{},
	}
}

func cacheKey(pub zkp.Public, proof [zkp.ProofSize]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(pub.Circuit))
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
	v.mu.Lock()
	ok, seen := v.valid[key]
	v.mu.Unlock()
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
	proof, err := zkp.DecodeProof(raw[:])
	if err != nil {
		return false
	}
	done := v.metrics.verified(pub.Circuit)
	ok := v.keys[pub.Circuit].Verify(pub, proof) == nil
	done(ok)
	return ok
}

func (v *verifier) remember(key [32]byte, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.valid) >= verifierCacheSize {
		clear(v.valid)
	}
	v.valid[key] = ok
}

package he

import (
	"fmt"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
)

// Encryptor encrypts flows to a public key. It is safe for concurrent use:
// each call borrows its own set of Lattigo objects (encryptor with its own
// PRNG, encoder, evaluator and buffers) from a pool, since those are not
// thread-safe.
type Encryptor struct {
	p    *Params
	pool sync.Pool
}

// encWorker is one goroutine's Lattigo state.
type encWorker struct {
	enc   *rlwe.Encryptor
	ecd   *heint.Encoder
	eval  *heint.Evaluator
	pt    *rlwe.Plaintext  // top level, scale 1
	top   *rlwe.Ciphertext // top-level buffer, switched down into the result
	slots []uint64
}

// NewEncryptor returns an encryptor to pk.
func NewEncryptor(pk *PublicKey) *Encryptor {
	e := &Encryptor{p: pk.p}
	hp := pk.p.hp
	e.pool.New = func() any {
		return &encWorker{
			enc:   heint.NewEncryptor(hp, pk.pk),
			ecd:   heint.NewEncoder(hp),
			eval:  heint.NewEvaluator(hp, nil),
			pt:    heint.NewPlaintext(hp, hp.MaxLevel()),
			top:   heint.NewCiphertext(hp, 1, hp.MaxLevel()),
			slots: make([]uint64, hp.MaxSlots()),
		}
	}
	return e
}

// Params returns the encryptor's parameters.
func (e *Encryptor) Params() *Params { return e.p }

// Encrypt encrypts flows, one per group index in [0, Groups()), into one
// ciphertext of load 1. A single transfer passes one flow; a bank with many
// payments in a block passes them all, each in its own group. Groups left
// out hold zero.
func (e *Encryptor) Encrypt(flows map[int]Flow) (*Ciphertext, error) {
	if len(flows) == 0 {
		return nil, fmt.Errorf("%w: no flows to encrypt", ErrRange)
	}
	w := e.pool.Get().(*encWorker)
	defer e.pool.Put(w)
	clear(w.slots)
	for g, f := range flows {
		if err := checkFlow(g, f, e.p.groups); err != nil {
			return nil, err
		}
		putFlow(w.slots, g, f)
	}
	return e.encryptSlots(w, 1)
}

// EncryptSums encrypts normalised group sums, as the regulator does when
// it closes an epoch: the ledger replaces an aggregate it has decrypted and
// checked by this re-encryption. The result's load is 1 unless a sum is so
// large that its top limb counts for more (amounts ≥ 2^64, blindings
// ≥ 2^253; see the package documentation): reduce blinding sums modulo the
// curve order first, or they weigh about one load per 10 flows.
func (e *Encryptor) EncryptSums(sums map[int]GroupSum) (*Ciphertext, error) {
	w := e.pool.Get().(*encWorker)
	defer e.pool.Put(w)
	clear(w.slots)
	load := uint64(1)
	for g, s := range sums {
		if g < 0 || g >= e.p.groups {
			return nil, fmt.Errorf("%w: group %d outside [0, %d)", ErrRange, g, e.p.groups)
		}
		l, err := putSum(w.slots, g, s, e.p.maxLoad)
		if err != nil {
			return nil, err
		}
		load = max(load, l)
	}
	return e.encryptSlots(w, load)
}

// EncryptBatch encrypts the group sums of payments payments (each group
// the sum of at most that many flows) at a load of payments: the load a
// ledger counts for a batch's flow, whatever its sums weigh. It fails if a
// sum weighs more than that load (a group of more flows than payments).
func (e *Encryptor) EncryptBatch(sums map[int]GroupSum, payments uint64) (*Ciphertext, error) {
	if payments == 0 || payments > e.p.maxLoad {
		return nil, fmt.Errorf("%w: %d payments, want 1 to %d", ErrRange, payments, e.p.maxLoad)
	}
	w := e.pool.Get().(*encWorker)
	defer e.pool.Put(w)
	clear(w.slots)
	for g, s := range sums {
		if g < 0 || g >= e.p.groups {
			return nil, fmt.Errorf("%w: group %d outside [0, %d)", ErrRange, g, e.p.groups)
		}
		l, err := putSum(w.slots, g, s, payments)
		if err != nil {
			return nil, err
		}
		if l > payments {
			return nil, fmt.Errorf("%w: group %d weighs %d loads, more than its %d payments", ErrCapacity, g, l, payments)
		}
	}
	return e.encryptSlots(w, payments)
}

// encryptSlots encrypts w.slots at the top level, where the fresh noise
// (std ≈ 236) is tiny next to Q, then switches the modulus down to the
// aggregate level: the noise is divided by the dropped prime and the
// rounding noise (std ≈ 15) is all that remains.
func (e *Encryptor) encryptSlots(w *encWorker, load uint64) (*Ciphertext, error) {
	if err := w.ecd.Encode(w.slots, w.pt); err != nil {
		return nil, fmt.Errorf("he: encode: %w", err)
	}
	if err := w.enc.Encrypt(w.pt, w.top); err != nil {
		return nil, fmt.Errorf("he: encrypt: %w", err)
	}
	out := newCiphertext(e.p)
	if err := w.eval.Rescale(w.top, out.ct); err != nil {
		return nil, fmt.Errorf("he: modulus switch: %w", err)
	}
	if out.ct.Scale.Uint64() != e.p.scale {
		return nil, fmt.Errorf("he: modulus switch left scale %d, want %d", out.ct.Scale.Uint64(), e.p.scale)
	}
	setMeta(e.p, out.ct)
	out.load = load
	return out, nil
}

package he

import (
	"fmt"
	"math/big"
	"sync"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// Decryptor opens aggregates with the regulator's secret key. It is safe
// for concurrent use: each call borrows its own Lattigo decryptor, encoder
// and buffers from a pool.
type Decryptor struct {
	p    *Params
	pool sync.Pool
}

type decWorker struct {
	dec   *rlwe.Decryptor
	ecd   *heint.Encoder
	pt    *rlwe.Plaintext
	slots []uint64

	buf    ring.Poly  // Noise's coefficient buffer, made on first use
	coeffs []*big.Int // Noise's centred coefficients
}

// NewDecryptor returns a decryptor with sk.
func NewDecryptor(sk *SecretKey) *Decryptor {
	d := &Decryptor{p: sk.p}
	hp := sk.p.hp
	d.pool.New = func() any {
		return &decWorker{
			dec:   heint.NewDecryptor(hp, sk.sk),
			ecd:   heint.NewEncoder(hp),
			pt:    heint.NewPlaintext(hp, aggLevel),
			slots: make([]uint64, hp.MaxSlots()),
		}
	}
	return d
}

// Decrypt returns the exact sums of every group of ct, Groups() of them.
// It fails with ErrInconsistent when the plaintext cannot be an honest sum
// of ct's load: a limb above its bound or a non-zero slot outside every
// group. That happens when a summand was not an honest flow encryption
// (or a load was exceeded by means this package refuses), so the audit
// treats it as an inconsistent aggregate.
func (d *Decryptor) Decrypt(ct *Ciphertext) ([]GroupSum, error) {
	if ct == nil || ct.ct == nil {
		return nil, fmt.Errorf("%w: decrypt: empty ciphertext", ErrParams)
	}
	if !ct.p.sameAs(d.p) {
		return nil, fmt.Errorf("%w: decrypt: ciphertext for %v, key for %v", ErrParams, ct.p, d.p)
	}
	w := d.pool.Get().(*decWorker)
	defer d.pool.Put(w)
	w.dec.Decrypt(ct.ct, w.pt)
	if err := w.ecd.Decode(w.pt, w.slots); err != nil {
		return nil, fmt.Errorf("he: decode: %w", err)
	}
	return readGroups(w.slots, d.p.groups, ct.load, ct.scaled)
}

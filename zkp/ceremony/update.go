package ceremony

import (
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	gcmpc "github.com/consensys/gnark-crypto/ecc/bn254/mpcsetup"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// A contribution multiplies the previous state's secrets by fresh ones:
// τ, α, β in phase 1, δ in phase 2. gnark's own Contribute draws them
// where no caller can reach them; Sable draws them itself so that it can
// zero every copy it holds once the new state is computed, and proves each
// with gnark-crypto's update proof (a proof of knowledge bound to the
// previous state's hash), which gnark's Verify checks. What Go cannot
// promise is that no copy survives elsewhere: gnark-crypto's scalar
// multiplications and update proofs keep transient copies in their own
// frames, and the runtime may move stacks. The secrets never leave the
// process and are never written.

// freshScalar draws a uniform non-zero scalar from crypto/rand.
func freshScalar() (fr.Element, error) {
	var x fr.Element
	for x.IsZero() {
		if _, err := x.SetRandom(); err != nil {
			return x, fmt.Errorf("ceremony: randomness: %w", err)
		}
	}
	return x, nil
}

// zeroScalars overwrites secrets.
func zeroScalars(xs ...*fr.Element) {
	for _, x := range xs {
		x.SetZero()
	}
}

// zeroBig overwrites a big.Int's words, then the value.
func zeroBig(b *big.Int) {
	w := b.Bits()
	for i := range w {
		w[i] = 0
	}
	b.SetUint64(0)
}

// contributePhase1 turns the phase 1 state prev (its encoding, whose hash
// is the challenge) into the next one with fresh τ, α, β.
func contributePhase1(prev []byte) ([]byte, error) {
	c, err := decodeCommons(prev)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	challenge := sum(prev)
	var secrets [3]fr.Element // τ, α, β
	defer zeroScalars(&secrets[0], &secrets[1], &secrets[2])
	for i := range secrets {
		if secrets[i], err = freshScalar(); err != nil {
			return nil, err
		}
	}
	proofs := []gcmpc.UpdateProof{
		gcmpc.UpdateValues(&secrets[0], challenge[:], mpcsetup.DST_TAU),
		gcmpc.UpdateValues(&secrets[1], challenge[:], mpcsetup.DST_ALPHA),
		gcmpc.UpdateValues(&secrets[2], challenge[:], mpcsetup.DST_BETA),
	}
	updateCommons(c, &secrets[0], &secrets[1], &secrets[2])
	return encodePhase1(proofs, c, challenge[:])
}

// updateCommons multiplies [τⁱ]₁, [τⁱ]₂, [ατⁱ]₁, [βτⁱ]₁ and [β]₂ by the
// matching products of τ, α, β.
func updateCommons(c *mpcsetup.SrsCommons, tau, alpha, beta *fr.Element) {
	n := len(c.G2.Tau)
	pow := make([]fr.Element, len(c.G1.Tau)) // τⁱ
	defer func() {
		for i := range pow {
			pow[i].SetZero()
		}
	}()
	pow[0].SetOne()
	for i := 1; i < len(pow); i++ {
		pow[i].Mul(&pow[i-1], tau)
	}
	parallel(len(pow), func(i int, k *big.Int) {
		var s fr.Element
		defer s.SetZero()
		if i > 0 {
			pow[i].BigInt(k)
			c.G1.Tau[i].ScalarMultiplication(&c.G1.Tau[i], k)
			if i < n {
				c.G2.Tau[i].ScalarMultiplication(&c.G2.Tau[i], k)
			}
		}
		if i < n {
			s.Mul(&pow[i], alpha).BigInt(k)
			c.G1.AlphaTau[i].ScalarMultiplication(&c.G1.AlphaTau[i], k)
			s.Mul(&pow[i], beta).BigInt(k)
			c.G1.BetaTau[i].ScalarMultiplication(&c.G1.BetaTau[i], k)
		}
		if i == 0 {
			beta.BigInt(k)
			c.G2.Beta.ScalarMultiplication(&c.G2.Beta, k)
		}
	})
}

// contributePhase2 turns the phase 2 state p, whose encoding hashes to
// challenge, into the next one with a fresh δ, in place.
func contributePhase2(p *mpcsetup.Phase2, challenge [32]byte) error {
	delta, err := freshScalar()
	if err != nil {
		return err
	}
	var inv fr.Element
	defer zeroScalars(&delta, &inv)
	p.Challenge = challenge[:]
	p.Sigmas = nil
	p.Delta = gcmpc.UpdateValues(&delta, challenge[:], mpcsetup.DST_DELTA)
	inv.Inverse(&delta)
	var k big.Int
	defer zeroBig(&k)
	delta.BigInt(&k)
	p.Parameters.G1.Delta.ScalarMultiplication(&p.Parameters.G1.Delta, &k)
	p.Parameters.G2.Delta.ScalarMultiplication(&p.Parameters.G2.Delta, &k)
	z, pkk := p.Parameters.G1.Z, p.Parameters.G1.PKK
	parallel(len(z)+len(pkk), func(i int, k *big.Int) {
		inv.BigInt(k)
		pt := pointAt(z, pkk, i)
		pt.ScalarMultiplication(pt, k)
	})
	return nil
}

func pointAt(a, b []curve.G1Affine, i int) *curve.G1Affine {
	if i < len(a) {
		return &a[i]
	}
	return &b[i-len(a)]
}

// parallel runs f(i) for i in [0, n) on every core, in chunks; each worker
// has its own big.Int for scalars, zeroed when it is done.
func parallel(n int, f func(i int, k *big.Int)) {
	const chunk = 32
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var k big.Int
			defer zeroBig(&k)
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= n {
					return
				}
				for i := start; i < min(start+chunk, n); i++ {
					f(i, &k)
				}
			}
		}()
	}
	wg.Wait()
}

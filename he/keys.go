package he

import (
	"fmt"

	"github.com/tuneinsight/lattigo/v5/core/rlwe"
	"github.com/tuneinsight/lattigo/v5/he/heint"
	"github.com/tuneinsight/lattigo/v5/ring"
)

// SecretKey is the regulator's decryption key. It is immutable once made
// and safe for concurrent use. Its encoding is secret: callers store it
// with mode 0600 and never log it.
type SecretKey struct {
	p  *Params
	sk *rlwe.SecretKey
}

// PublicKey is the key every bank encrypts its flows to. It is immutable
// and safe for concurrent use.
type PublicKey struct {
	p  *Params
	pk *rlwe.PublicKey
}

// GenerateKeys makes a fresh key pair from the operating system's
// randomness: a uniform ternary secret and its RLWE public key.
func GenerateKeys(p *Params) (*SecretKey, *PublicKey) {
	sk, pk := heint.NewKeyGenerator(p.hp).GenKeyPairNew()
	return &SecretKey{p: p, sk: sk}, &PublicKey{p: p, pk: pk}
}

// Params returns the key's parameters.
func (sk *SecretKey) Params() *Params { return sk.p }

// Params returns the key's parameters.
func (pk *PublicKey) Params() *Params { return pk.p }

func topLevel(p *Params) int { return p.hp.MaxLevel() }

// MarshalBinary encodes the public key: header, then its two polynomials
// at the top level, packed.
func (pk *PublicKey) MarshalBinary() ([]byte, error) {
	lvl := topLevel(pk.p)
	b := appendHeader(nil, pk.p, kindPublicKey, lvl)
	polys := []ring.Poly{pk.pk.Value[0].Q, pk.pk.Value[1].Q}
	return pk.p.packPolys(b, polys, lvl), nil
}

// UnmarshalBinary decodes a public key, with the errors of
// Ciphertext.UnmarshalBinary.
func (pk *PublicKey) UnmarshalBinary(b []byte) error {
	if err := checkLength(len(b), maxPublicKeySize, -1, kindPublicKey); err != nil {
		return err
	}
	p, err := parseHeader(b, kindPublicKey, topLevel)
	if err != nil {
		return err
	}
	lvl := topLevel(p)
	if err := checkLength(len(b), maxPublicKeySize, headerSize+p.packedSize(2, lvl), kindPublicKey); err != nil {
		return err
	}
	k := rlwe.NewPublicKey(p.hp)
	polys := []ring.Poly{k.Value[0].Q, k.Value[1].Q}
	if err := p.unpackPolys(b[headerSize:], polys, lvl); err != nil {
		return err
	}
	*pk = PublicKey{p: p, pk: k}
	return nil
}

// Secret key coefficients are ternary, so the encoding stores each in two
// bits (0 → 0, 1 → +1, 2 → −1; 3 is invalid): N/4 bytes instead of the
// NTT form's 8 bytes per residue.
const (
	skZero, skOne, skMinusOne = 0, 1, 2
)

// MarshalBinary encodes the secret key.
func (sk *SecretKey) MarshalBinary() ([]byte, error) {
	p := sk.p
	ringQ := p.hp.RingQ()
	coeffs := ringQ.NewPoly()
	ringQ.IMForm(sk.sk.Value.Q, coeffs)
	ringQ.INTT(coeffs, coeffs)
	w := bitWriter{b: appendHeader(nil, p, kindSecretKey, topLevel(p))}
	for j := range coeffs.Coeffs[0] {
		code, err := ternaryCode(coeffs, p.hp.Q(), j)
		if err != nil {
			return nil, err
		}
		w.put(code, 2)
	}
	return w.flush(), nil
}

// ternaryCode returns the 2-bit code of coefficient j, checking that all
// its residues agree on one of 0, 1, −1.
func ternaryCode(poly ring.Poly, q []uint64, j int) (uint64, error) {
	var code uint64
	switch poly.Coeffs[0][j] {
	case 0:
		code = skZero
	case 1:
		code = skOne
	case q[0] - 1:
		code = skMinusOne
	default:
		return 0, fmt.Errorf("he: secret key is not ternary")
	}
	for i := range q {
		if poly.Coeffs[i][j] != ternaryResidue(code, q[i]) {
			return 0, fmt.Errorf("he: secret key residues disagree")
		}
	}
	return code, nil
}

func ternaryResidue(code, q uint64) uint64 {
	switch code {
	case skOne:
		return 1
	case skMinusOne:
		return q - 1
	}
	return 0
}

// UnmarshalBinary decodes a secret key, with the errors of
// Ciphertext.UnmarshalBinary.
func (sk *SecretKey) UnmarshalBinary(b []byte) error {
	if err := checkLength(len(b), maxSecretKeySize, -1, kindSecretKey); err != nil {
		return err
	}
	p, err := parseHeader(b, kindSecretKey, topLevel)
	if err != nil {
		return err
	}
	if err := checkLength(len(b), maxSecretKeySize, headerSize+p.hp.N()/4, kindSecretKey); err != nil {
		return err
	}
	k := rlwe.NewSecretKey(p.hp)
	q := p.hp.Q()
	r := bitReader{b: b[headerSize:]}
	for j := 0; j < p.hp.N(); j++ {
		code := r.get(2)
		if code > skMinusOne {
			return fmt.Errorf("%w: secret key coefficient %d has invalid code", ErrMalformed, j)
		}
		for i := range q {
			k.Value.Q.Coeffs[i][j] = ternaryResidue(code, q[i])
		}
	}
	ringQ := p.hp.RingQ()
	ringQ.NTT(k.Value.Q, k.Value.Q)
	ringQ.MForm(k.Value.Q, k.Value.Q)
	*sk = SecretKey{p: p, sk: k}
	return nil
}

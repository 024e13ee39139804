package zkp

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards"

	"github.com/sable-settlement/sable/internal/pedersen"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// commitmentVectors is testdata/commitments.json: fixed inputs and their
// encodings, and encodings that must be rejected with a named error.
type commitmentVectors struct {
	Domain string `json:"h_domain"`
	G      string `json:"g"`
	H      string `json:"h"`
	Valid  []struct {
		Value      uint64 `json:"value"`
		Blinding   string `json:"blinding"`
		Commitment string `json:"commitment"`
	} `json:"valid"`
	Invalid []struct {
		Comment  string `json:"comment"`
		Encoding string `json:"encoding"`
		Error    string `json:"error"`
	} `json:"invalid"`
}

var decodeErrors = map[string]error{
	"length":   ErrCommitmentLength,
	"encoding": ErrCommitmentEncoding,
	"curve":    ErrNotOnCurve,
	"subgroup": ErrNotInSubgroup,
}

const vectorsPath = "../testdata/commitments.json"

func TestCommitmentVectors(t *testing.T) {
	if *update {
		writeCommitmentVectors(t)
	}
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var v commitmentVectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	g, h := pedersen.G(), pedersen.H()
	if v.Domain != pedersen.HDomain || v.G != hexPoint(g) || v.H != hexPoint(h) {
		t.Fatalf("bases changed: domain %q G %s H %s", pedersen.HDomain, hexPoint(g), hexPoint(h))
	}
	if len(v.Valid) == 0 || len(v.Invalid) == 0 {
		t.Fatal("no vectors")
	}
	for _, tc := range v.Valid {
		r, ok := new(big.Int).SetString(tc.Blinding, 16)
		if !ok {
			t.Fatalf("bad blinding %q", tc.Blinding)
		}
		c := Commit(tc.Value, r)
		if c.String() != tc.Commitment {
			t.Errorf("Com(%d, %s) = %s, want %s", tc.Value, tc.Blinding, c, tc.Commitment)
		}
		d, err := ParseCommitment(tc.Commitment)
		if err != nil || !d.Equal(c) {
			t.Errorf("decode %s: %v", tc.Commitment, err)
		}
	}
	for _, tc := range v.Invalid {
		_, err := ParseCommitment(tc.Encoding)
		if want := decodeErrors[tc.Error]; want == nil || !errors.Is(err, want) {
			t.Errorf("%s: decode %s: got %v, want %s", tc.Comment, tc.Encoding, err, tc.Error)
		}
	}
}

func hexPoint(p twistededwards.PointAffine) string { b := p.Bytes(); return hex.EncodeToString(b[:]) }

func writeCommitmentVectors(t *testing.T) {
	v := commitmentVectors{Domain: pedersen.HDomain, G: hexPoint(pedersen.G()), H: hexPoint(pedersen.H())}
	for _, in := range []struct {
		v uint64
		r string
	}{{0, "0"}, {1, "0"}, {0, "1"}, {1250_50, "2a"}, {1<<64 - 1, "ffffffffffffffffffffffffffffffff"},
		{42, new(big.Int).Sub(pedersen.Order(), big.NewInt(1)).Text(16)}} {
		r, _ := new(big.Int).SetString(in.r, 16)
		v.Valid = append(v.Valid, struct {
			Value      uint64 `json:"value"`
			Blinding   string `json:"blinding"`
			Commitment string `json:"commitment"`
		}{in.v, in.r, Commit(in.v, r).String()})
	}
	add := func(comment, enc, e string) {
		v.Invalid = append(v.Invalid, struct {
			Comment  string `json:"comment"`
			Encoding string `json:"encoding"`
			Error    string `json:"error"`
		}{comment, enc, e})
	}
	add("31 bytes", hex.EncodeToString(make([]byte, 31)), "length")
	// y = p (not reduced): canonical y must be below p.
	pb := fr.Modulus().FillBytes(make([]byte, 32))
	add("y equal to the field modulus", hex.EncodeToString(reverse(pb)), "encoding")
	// identity with the sign bit set: x = 0 has a single encoding.
	id := make([]byte, 32)
	id[0], id[31] = 1, 0x80
	add("identity with the sign bit set", hex.EncodeToString(id), "encoding")
	add("y with no x on the curve", hex.EncodeToString(offCurveY()), "curve")
	// (0, −1) has order 2.
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	add("point of order 2", hexPoint(twistededwards.NewPointAffine(fr.Element{}, minusOne)), "subgroup")
	add("generator plus a point of order 2", hexPoint(addTorsion()), "subgroup")
	out, _ := json.MarshalIndent(v, "", "  ")
	if err := os.WriteFile(filepath.Clean(vectorsPath), append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func reverse(b []byte) []byte {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}

func offCurveY() []byte {
	params := pedersen.Params()
	for y := int64(2); ; y++ {
		var e, one, num, den fr.Element
		e.SetInt64(y)
		one.SetOne()
		num.Square(&e)
		den.Mul(&num, &params.D)
		den.Sub(&params.A, &den)
		num.Sub(&one, &num)
		num.Div(&num, &den)
		if num.Legendre() == -1 {
			b := e.Bytes()
			return reverse(b[:])
		}
	}
}

func addTorsion() twistededwards.PointAffine {
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	t2 := twistededwards.NewPointAffine(fr.Element{}, minusOne)
	g := pedersen.G()
	var p twistededwards.PointAffine
	p.Add(&g, &t2)
	return p
}

func TestCommitmentHomomorphism(t *testing.T) {
	a := Commit(700, big.NewInt(11))
	b := Commit(300, big.NewInt(5))
	if !a.Add(b).Equal(Commit(1000, big.NewInt(16))) {
		t.Error("Com(700,11)+Com(300,5) != Com(1000,16)")
	}
	if !a.Sub(b).Equal(Commit(400, big.NewInt(6))) {
		t.Error("Com(700,11)-Com(300,5) != Com(400,6)")
	}
	// blinding wraps modulo ℓ: Com(1, 0) − Com(0, 1) = Com(1, ℓ−1)
	lm1 := new(big.Int).Sub(Order(), big.NewInt(1))
	if !Commit(1, big.NewInt(0)).Sub(Commit(0, big.NewInt(1))).Equal(Commit(1, lm1)) {
		t.Error("blinding does not wrap modulo ℓ")
	}
}

func FuzzDecodeCommitment(f *testing.F) {
	c := Commit(5, big.NewInt(9)).Bytes()
	f.Add(c[:])
	f.Add(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCommitment(b)
		if err != nil {
			return
		}
		// whatever decodes re-encodes to the same bytes
		if enc := c.Bytes(); hex.EncodeToString(enc[:]) != hex.EncodeToString(b) {
			t.Fatalf("decode(%x) re-encodes as %x", b, enc)
		}
	})
}

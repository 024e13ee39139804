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
	"time"

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

// DecodeProvenCommitment checks the encoding and the curve, not the
// subgroup: a point with a torsion component decodes (only the proof that
// binds it refuses it), where DecodeCommitment refuses it.
func TestDecodeProvenCommitment(t *testing.T) {
	tor := addTorsion() // G + (0, −1): on the curve, outside the subgroup
	enc := tor.Bytes()
	if _, err := DecodeCommitment(enc[:]); !errors.Is(err, ErrNotInSubgroup) {
		t.Fatalf("DecodeCommitment(G + T2) = %v, want ErrNotInSubgroup", err)
	}
	c, err := DecodeProvenCommitment(enc[:])
	if err != nil {
		t.Fatalf("DecodeProvenCommitment(G + T2) = %v: it must accept an on-curve point outside the subgroup", err)
	}
	if c.Bytes() != enc || c.Equal(Commitment{pedersen.G()}) {
		t.Fatal("DecodeProvenCommitment(G + T2) is not G + T2")
	}
	for _, tc := range []struct {
		what string
		b    []byte
		want error
	}{
		{"off the curve", offCurveY(), ErrNotOnCurve},
		{"y ≥ p", reverse(bytesOf(fr.Modulus())), ErrCommitmentEncoding},
		{"31 bytes", make([]byte, 31), ErrCommitmentLength},
	} {
		if _, err := DecodeProvenCommitment(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.what, err, tc.want)
		}
	}
	good := Commit(42, big.NewInt(7))
	b := good.Bytes()
	if d, err := DecodeProvenCommitment(b[:]); err != nil || !d.Equal(good) {
		t.Fatalf("valid commitment: %v", err)
	}
}

// bytesOf is v as 32 big-endian bytes.
func bytesOf(v *big.Int) []byte { b := make([]byte, 32); return v.FillBytes(b) }

// The Accumulator's sums are the same points, with the same encodings, as
// chains of affine Add and Sub: random points, the identity, a point and
// its negation (a sum that passes through the identity), and several
// accumulators read back with one inversion.
func TestAccumulatorMatchesAffine(t *testing.T) {
	params := pedersen.Params()
	if params.A.Legendre() != 1 || params.D.Legendre() != -1 {
		t.Fatal("a is not a square or d is: the addition law is not complete, and the Accumulator's sums may not be exact")
	}
	random := func() Commitment {
		r, err := RandomBlinding()
		if err != nil {
			t.Fatal(err)
		}
		v, _ := RandomBlinding()
		return Commit(v.Uint64(), r)
	}
	p := random()
	cases := map[string][]Commitment{
		"empty":               nil,
		"identity":            {ZeroCommitment(), ZeroCommitment()},
		"point and negation":  {p, ZeroCommitment().Sub(p)},
		"negation then more":  {p, ZeroCommitment().Sub(p), random(), ZeroCommitment()},
		"one point":           {random()},
		"same point twice":    {p, p},
		"torsion-free random": {random(), random(), random(), random(), random()},
	}
	var many []Commitment
	for range 300 {
		many = append(many, random())
	}
	cases["300 random"] = many
	var accs []*Accumulator
	var wants []Commitment
	for name, pts := range cases {
		var acc Accumulator
		want := ZeroCommitment()
		for i, c := range pts {
			if i%3 == 2 { // mix in subtractions
				acc.Sub(c)
				want = want.Sub(c)
				continue
			}
			acc.Add(c)
			want = want.Add(c)
		}
		got := acc.Commitment()
		if got.Bytes() != want.Bytes() {
			t.Errorf("%s: accumulator %s, affine %s", name, got, want)
		}
		accs, wants = append(accs, &acc), append(wants, want)
	}
	for i, got := range Sums(accs) {
		if got.Bytes() != wants[i].Bytes() {
			t.Errorf("Sums[%d] = %s, want %s", i, got, wants[i])
		}
	}
	var neg Accumulator
	neg.Add(p)
	neg.Sub(p)
	if !neg.Commitment().Equal(ZeroCommitment()) {
		t.Error("p − p is not the identity")
	}
}

// Remainders is the chain of Sub, step by step: for random amounts, for
// none, and through the identity (the start spent exactly).
func TestRemainders(t *testing.T) {
	r, _ := RandomBlinding()
	start := Commit(1000, r)
	var amounts []Commitment
	left := start
	for j := range 40 {
		b, _ := RandomBlinding()
		amounts = append(amounts, Commit(uint64(j+1), b))
	}
	amounts = append(amounts, ZeroCommitment())
	want := []Commitment{start}
	for _, a := range amounts {
		left = left.Sub(a)
		want = append(want, left)
	}
	amounts, want = append(amounts, left), append(want, ZeroCommitment()) // spend what is left: the identity
	got := Remainders(start, amounts)
	if len(got) != len(want) {
		t.Fatalf("%d remainders, want %d", len(got), len(want))
	}
	for j := range want {
		if got[j].Bytes() != want[j].Bytes() {
			t.Fatalf("remainder %d: %s, want %s", j, got[j], want[j])
		}
	}
	if none := Remainders(start, nil); len(none) != 1 || !none[0].Equal(start) {
		t.Fatalf("no amounts: %v", none)
	}
}

// BenchmarkRemainders compares a batch's chain of 256 remainders computed
// with one inversion against the chain of affine Sub, and reports the
// ratio.
func BenchmarkRemainders(b *testing.B) {
	r, _ := RandomBlinding()
	start := Commit(1<<40, r)
	amounts := make([]Commitment, 256)
	for i := range amounts {
		r, _ := RandomBlinding()
		amounts[i] = Commit(uint64(i+1), r)
	}
	var ta, tc time.Duration
	for b.Loop() {
		t0 := time.Now()
		left := start
		for _, a := range amounts {
			left = left.Sub(a)
		}
		ta += time.Since(t0)
		t0 = time.Now()
		Remainders(start, amounts)
		tc += time.Since(t0)
	}
	b.ReportMetric(float64(ta.Microseconds())/float64(b.N), "affine-µs")
	b.ReportMetric(float64(tc.Microseconds())/float64(b.N), "remainders-µs")
	b.ReportMetric(tc.Seconds()/ta.Seconds(), "ratio")
}

// BenchmarkAccumulator compares summing a full batch's payments into the
// aggregates it enters (256 payments, 5 sums each) with an Accumulator per
// sum read back with one inversion, against affine additions (one
// inversion each), and reports the ratio.
func BenchmarkAccumulator(b *testing.B) {
	const payments, sums = 256, 5
	pts := make([]Commitment, payments)
	for i := range pts {
		r, _ := RandomBlinding()
		pts[i] = Commit(uint64(i+1), r)
	}
	affine := func() {
		out := make([]Commitment, sums)
		for k := range out {
			out[k] = ZeroCommitment()
		}
		for _, c := range pts {
			for k := range out {
				out[k] = out[k].Add(c)
			}
		}
	}
	accumulate := func() {
		accs := make([]*Accumulator, sums)
		for k := range accs {
			accs[k] = &Accumulator{}
		}
		for _, c := range pts {
			for _, a := range accs {
				a.Add(c)
			}
		}
		Sums(accs)
	}
	var ta, tc time.Duration
	for b.Loop() {
		start := time.Now()
		affine()
		ta += time.Since(start)
		start = time.Now()
		accumulate()
		tc += time.Since(start)
	}
	b.ReportMetric(float64(ta.Microseconds())/float64(b.N), "affine-µs")
	b.ReportMetric(float64(tc.Microseconds())/float64(b.N), "accumulator-µs")
	b.ReportMetric(tc.Seconds()/ta.Seconds(), "ratio")
}

package zkp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
)

// Fuzz targets for everything zkp reads from outside: proofs, proof
// bundles and key files. `make fuzz` runs each for a set time; `go test`
// runs their seeds (f.Add and testdata/fuzz/<Name>/).

// fuzzBundles proves one statement per circuit with the test setups, once.
var fuzzBundles = sync.OnceValues(func() (map[Circuit]Bundle, error) {
	out := map[Circuit]Bundle{}
	ctx := NewContext("sable/zkp/fuzz", []byte("seed"))
	for _, c := range Circuits() {
		v, _ := testSetups.LoadOrStore(c, &testSetup{})
		s := v.(*testSetup)
		s.once.Do(func() { s.pk, s.vk, s.err = SetupDev(c) })
		if s.err != nil {
			return nil, s.err
		}
		var pub Public
		var proof *Proof
		var err error
		switch c {
		case Transfer:
			pub, proof, err = s.pk.ProveTransfer(TransferInput{
				Balance: 1_000_000, BalanceBlinding: big.NewInt(77),
				Amount: 250, AmountBlinding: big.NewInt(5), Context: ctx,
			}, s.vk)
		case FX:
			pub, proof, err = s.pk.ProveFX(FXInput{AmountA: 250, BlindingA: big.NewInt(5), BlindingB: big.NewInt(77), Rate: 134_020_000, Context: ctx}, s.vk)
		case Batch:
			pub, proof, err = s.pk.ProveBatch(BatchInput{
				Balance: 1_000_000, BalanceBlinding: big.NewInt(77),
				Amounts: []uint64{250, 3}, AmountBlindings: []*big.Int{big.NewInt(5), big.NewInt(6)}, Context: ctx,
			}, s.vk)
		default:
			pub, proof, err = s.pk.ProveMint(MintInput{Amount: 250, AmountBlinding: big.NewInt(5), Context: ctx}, s.vk)
		}
		if err != nil {
			return nil, err
		}
		out[c] = NewBundle(s.vk, pub, proof)
	}
	return out, nil
})

func fuzzSetup(f *testing.F) (map[Circuit]Bundle, map[Circuit]*VerifyingKey) {
	f.Helper()
	bundles, err := fuzzBundles()
	if err != nil {
		f.Fatal(err)
	}
	vks := map[Circuit]*VerifyingKey{}
	for _, c := range Circuits() {
		_, vks[c] = setupFor(f, c)
	}
	return bundles, vks
}

// FuzzDecodeProof: the proof decoder never panics, fails only with
// ErrProofEncoding, and accepts only canonical encodings (decode then
// encode gives back the input); ParseProof agrees with it on the hex.
func FuzzDecodeProof(f *testing.F) {
	bundles, _ := fuzzSetup(f)
	for _, b := range bundles {
		_, proof, err := b.Statement()
		if err != nil {
			f.Fatal(err)
		}
		enc := proof.Bytes()
		f.Add(enc[:])
	}
	var inf [ProofSize]byte // every point at infinity
	inf[0], inf[32], inf[96] = 0x40, 0x40, 0x40
	f.Add(inf[:])
	f.Add(make([]byte, ProofSize))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProof(b)
		_, perr := ParseProof(strings.ToUpper(hex.EncodeToString(b)))
		if (err == nil) != (perr == nil) {
			t.Fatalf("DecodeProof: %v, ParseProof of its hex: %v", err, perr)
		}
		if err != nil {
			if !errors.Is(err, ErrProofEncoding) {
				t.Fatalf("error %v does not wrap ErrProofEncoding", err)
			}
			return
		}
		if enc := p.Bytes(); !bytes.Equal(enc[:], b) {
			t.Fatalf("decode(%x) re-encodes as %x", b, enc)
		}
		g := p.Groth16()
		if !g.Ar.IsInSubGroup() || !g.Bs.IsInSubGroup() || !g.Krs.IsInSubGroup() {
			t.Fatal("decoded a point outside the prime-order subgroup")
		}
	})
}

// FuzzParseBundle: ParseBundle never panics and fails only with
// ErrBundleFormat; a bundle that parses re-marshals to JSON that parses to
// the same bundle and marshals to the same bytes; Verify never panics,
// fails only with ErrInvalidProof, and accepts a bundle only if it is, up
// to the case of its hex, exactly NewBundle of its own statement under the
// key it names.
func FuzzParseBundle(f *testing.F) {
	bundles, vks := fuzzSetup(f)
	for _, c := range Circuits() {
		if err := bundles[c].Verify(vks[c]); err != nil {
			f.Fatalf("seed %s bundle: %v", c, err)
		}
		m := bundles[c].Marshal()
		f.Add(m)
		f.Add(bytes.ToUpper(m))
		f.Add(m[:len(m)/2])
	}
	f.Add([]byte(`{"circuit":"mint"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			if !errors.Is(err, ErrBundleFormat) {
				t.Fatalf("error %v does not wrap ErrBundleFormat", err)
			}
			return
		}
		m := b.Marshal()
		b2, err := ParseBundle(m)
		if err != nil {
			t.Fatalf("re-marshalled bundle does not parse: %v\n%s", err, m)
		}
		if !reflect.DeepEqual(b2, b) {
			t.Fatalf("bundle changed through Marshal: %+v became %+v", b, b2)
		}
		if m2 := b2.Marshal(); !bytes.Equal(m, m2) {
			t.Fatalf("Marshal is not a fixed point:\n%s\n%s", m, m2)
		}
		for _, c := range Circuits() {
			vk := vks[c]
			err := b.Verify(vk)
			if err != nil {
				if !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("Verify: %v does not wrap ErrInvalidProof", err)
				}
				continue
			}
			if c != b.Circuit {
				t.Fatalf("a %s bundle verified under the %s key", b.Circuit, c)
			}
			pub, proof, err := b.Statement()
			if err != nil {
				t.Fatalf("verified bundle has no statement: %v", err)
			}
			if err := vk.Verify(pub, proof); err != nil {
				t.Fatalf("bundle verifies, its statement does not: %v", err)
			}
			want := NewBundle(vk, pub, proof)
			if !strings.EqualFold(string(want.Marshal()), string(m)) {
				t.Fatalf("verified bundle is not NewBundle of its statement:\n%s\nwant\n%s", m, want.Marshal())
			}
		}
	})
}

// keyFile is one fuzz case's key file: the fuzz bytes themselves, or (mode
// bit 0) the fuzz bytes framed as a payload with its right length and
// SHA-256, which takes the input past the frame to gnark's decoder. Mode
// bit 1 picks the circuit the file is read for.
func keyFile(kind byte, mode uint8, b []byte) (file []byte, c Circuit) {
	c = Transfer
	if mode&2 != 0 {
		c = Mint
	}
	if mode&1 != 0 {
		return frameKey(kind, c, b), c
	}
	return b, c
}

// splitKeyFile returns the SHA-256 and the payload of a framed key file.
func splitKeyFile(t *testing.T, file []byte) (sum [32]byte, payload []byte) {
	t.Helper()
	head := len(keyMagic) + 3
	if len(file) < head {
		t.Fatalf("a key read from a %d-byte file", len(file))
	}
	at := head + int(file[head-1]) + 8
	if len(file) < at+32 {
		t.Fatalf("a key read from a file without room for its SHA-256")
	}
	copy(sum[:], file[at:at+32])
	return sum, file[at+32:]
}

// checkTampering rewrites a file that read, damaged in three ways, and
// wants each damage reported with its error.
func checkTampering(t *testing.T, dir string, file []byte, read func(string) error) {
	t.Helper()
	_, payload := splitKeyFile(t, file)
	flipped := bytes.Clone(file)
	flipped[len(file)-1-len(payload)/2] ^= 0x01 // a byte of the payload
	badSum := bytes.Clone(file)
	badSum[len(file)-len(payload)-1] ^= 0x80 // a byte of the SHA-256
	for _, c := range []struct {
		name string
		file []byte
		want error
	}{
		{"payload byte flipped", flipped, ErrKeyCorrupted},
		{"checksum byte flipped", badSum, ErrKeyCorrupted},
		{"last byte cut", file[:len(file)-1], ErrKeyTruncated},
		{"byte appended", append(bytes.Clone(file), 0), nil},
	} {
		path := filepath.Join(dir, "tampered")
		if err := os.WriteFile(path, c.file, 0o600); err != nil {
			t.Fatal(err)
		}
		err := read(path)
		if err == nil {
			t.Fatalf("%s: tampered key file reads", c.name)
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func writeFuzzFile(t *testing.T, file []byte) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "key")
	if err := os.WriteFile(path, file, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func vkPayload(f *testing.F, vk *VerifyingKey) []byte {
	var buf bytes.Buffer
	if _, err := vk.vk.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzReadVerifyingKey: reading a verifying key file never panics; a key
// that reads is for the circuit asked, its file's SHA-256 matches its
// payload, its hash is the canonical hash of its points (which are on
// their curves and in their subgroups), it writes out and reads back with
// the same hash, it does not read as the other circuit's key, and
// tampering with its file (payload, checksum, length) is reported.
func FuzzReadVerifyingKey(f *testing.F) {
	_, vks := fuzzSetup(f)
	for i, c := range Circuits() {
		payload := vkPayload(f, vks[c])
		mode := uint8(2 * i) // bit 1: Mint
		f.Add(mode, frameKey(kindVerifying, c, payload))
		f.Add(mode|1, payload)
		f.Add(mode|1, payload[:len(payload)-1])
		f.Add(mode, frameKey(kindProving, c, payload))
	}
	f.Add(uint8(0), []byte(keyMagic))
	f.Fuzz(func(t *testing.T, mode uint8, b []byte) {
		file, c := keyFile(kindVerifying, mode, b)
		dir, path := writeFuzzFile(t, file)
		k, err := ReadVerifyingKey(path, c)
		if err != nil {
			return
		}
		if k.Circuit() != c {
			t.Fatalf("read a %s key for the %s circuit", k.Circuit(), c)
		}
		sum, payload := splitKeyFile(t, file)
		if sha256.Sum256(payload) != sum {
			t.Fatal("a key read whose payload does not match its SHA-256")
		}
		if k.Hash() != vkHash(c, k.vk) {
			t.Fatal("key hash is not the hash of its points")
		}
		vk := k.Groth16()
		g1 := append([]bn254.G1Affine{vk.G1.Alpha}, vk.G1.K...)
		for i := range g1 {
			if !g1[i].IsInSubGroup() {
				t.Fatalf("G1 point %d of a key that read is not in the subgroup", i)
			}
		}
		for _, p := range []*bn254.G2Affine{&vk.G2.Beta, &vk.G2.Gamma, &vk.G2.Delta} {
			if !p.IsInSubGroup() {
				t.Fatal("G2 point of a key that read is not in the subgroup")
			}
		}
		again := filepath.Join(dir, "again")
		if err := WriteVerifyingKey(again, k); err != nil {
			t.Fatalf("a key that read does not write: %v", err)
		}
		k2, err := ReadVerifyingKey(again, c)
		if err != nil || k2.Hash() != k.Hash() {
			t.Fatalf("written key reads back as %v (hash equal: %v)", err, err == nil && k2.Hash() == k.Hash())
		}
		other := Mint
		if c == Mint {
			other = Transfer
		}
		if _, err := ReadVerifyingKey(path, other); err == nil {
			t.Fatalf("a %s key file read as a %s key", c, other)
		}
		if _, err := ReadProvingKey(path, c); err == nil {
			t.Fatal("a verifying key file read as a proving key")
		}
		checkTampering(t, dir, file, func(p string) error { _, err := ReadVerifyingKey(p, c); return err })
	})
}

// FuzzReadProvingKey: reading a proving key file never panics; a key that
// reads is for the circuit asked and carries the SHA-256 of its payload
// (what binds the table cache to it), it does not read as the other
// circuit's key nor as a verifying key, and tampering with its file is
// reported. The frame is what the reader trusts; gnark's unchecked reader
// behind it must still not panic on any payload.
func FuzzReadProvingKey(f *testing.F) {
	fuzzSetup(f)
	pk, _ := setupFor(f, Mint)
	var buf bytes.Buffer
	if _, err := pk.pk.WriteRawTo(&buf); err != nil {
		f.Fatal(err)
	}
	payload := buf.Bytes()
	f.Add(uint8(3), payload)
	f.Add(uint8(2), frameKey(kindProving, Mint, payload))
	f.Add(uint8(3), payload[:4096])
	f.Add(uint8(1), payload[:1024])
	f.Add(uint8(0), frameKey(kindProving, Transfer, []byte("payload")))
	f.Fuzz(func(t *testing.T, mode uint8, b []byte) {
		file, c := keyFile(kindProving, mode, b)
		dir, path := writeFuzzFile(t, file)
		k, err := ReadProvingKey(path, c)
		if err != nil {
			return
		}
		if k.Circuit() != c {
			t.Fatalf("read a %s key for the %s circuit", k.Circuit(), c)
		}
		sum, payload := splitKeyFile(t, file)
		if sha256.Sum256(payload) != sum {
			t.Fatal("a key read whose payload does not match its SHA-256")
		}
		if h, err := k.payloadHash(); err != nil || h != sum {
			t.Fatalf("key carries hash %x (%v), its payload's is %x", h, err, sum)
		}
		other := Mint
		if c == Mint {
			other = Transfer
		}
		if _, err := ReadProvingKey(path, other); err == nil {
			t.Fatalf("a %s key file read as a %s key", c, other)
		}
		if _, err := ReadVerifyingKey(path, c); err == nil {
			t.Fatal("a proving key file read as a verifying key")
		}
		checkTampering(t, dir, file, func(p string) error { _, err := ReadProvingKey(p, c); return err })
	})
}

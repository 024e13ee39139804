package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// cloneKeys returns copies of circuit c's dev keys that a test may damage.
func cloneKeys(t *testing.T, c Circuit) (*ProvingKey, *VerifyingKey) {
	t.Helper()
	pk0, vk0 := setupFor(t, c)
	var buf bytes.Buffer
	if _, err := pk0.pk.WriteRawTo(&buf); err != nil {
		t.Fatal(err)
	}
	pk := new(groth16bn254.ProvingKey)
	if _, err := pk.UnsafeReadFrom(&buf); err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := vk0.vk.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	vk := new(groth16bn254.VerifyingKey)
	if _, err := vk.ReadFrom(&buf); err != nil {
		t.Fatal(err)
	}
	return &ProvingKey{circuit: c, pk: pk}, &VerifyingKey{circuit: c, vk: vk, hash: vk0.hash}
}

// craftedPair builds the key-swap attack's pair from c's dev keys: a
// proving key with α = δ = 0, β = 0 and every B point 0 (so that each
// proof's B is ∞), A = g1 on the amount wire and the identity elsewhere,
// and a verifying key with β = γ = δ = ∞. Each proof's A is then amt·g1,
// and it verifies under that verifying key.
func craftedPair(t *testing.T, c Circuit) (*ProvingKey, *VerifyingKey) {
	t.Helper()
	pk, vk := cloneKeys(t, c)
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	g := pk.pk
	g.G1.Alpha, g.G1.Beta, g.G1.Delta = inf1, inf1, inf1
	g.G2.Beta, g.G2.Delta = inf2, inf2
	for i := range g.G1.B {
		g.G1.B[i] = inf1
	}
	for i := range g.G2.B {
		g.G2.B[i] = inf2
	}
	ccs, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	amountWire := ccs.GetNbPublicVariables() // the first secret: Value
	_, _, g1, _ := bn254.Generators()
	g.G1.A = []bn254.G1Affine{g1}
	for i := range g.InfinityA {
		g.InfinityA[i] = i != amountWire
	}
	g.NbInfinityA = uint64(len(g.InfinityA) - 1)

	vk.vk.G2.Beta, vk.vk.G2.Gamma, vk.vk.G2.Delta = inf2, inf2, inf2
	if err := vk.vk.Precompute(); err != nil {
		t.Fatal(err)
	}
	vk.hash = vkHash(c, vk.vk)
	return pk, vk
}

// TestCraftedPairLeaks shows that the crafted pair is the attack: gnark's
// prover, used without the check, makes a proof that verifies under the
// crafted verifying key and whose A is amt·g1.
func TestCraftedPairLeaks(t *testing.T) {
	pk, vk := craftedPair(t, Transfer)
	in := randomTransfer(t, 3)
	_, proof, err := pk.ProveTransfer(in, vk)
	if err != nil {
		t.Fatalf("the crafted pair's proof does not pass its own check: %v", err)
	}
	var amtG1 bn254.G1Affine
	amtG1.ScalarMultiplicationBase(new(big.Int).SetUint64(in.Amount))
	if !proof.p.Ar.Equal(&amtG1) {
		t.Fatal("the crafted pair's proof does not carry amt·g1: the test no longer builds the attack")
	}
}

func TestCheckKeyPairRefusesCraftedPair(t *testing.T) {
	for _, c := range Circuits() {
		pk, vk := craftedPair(t, c)
		err := CheckKeyPair(pk, vk)
		if !errors.Is(err, ErrBadKeyPair) {
			t.Fatalf("%s: the crafted pair passes CheckKeyPair: %v", c, err)
		}
		t.Logf("%s: %v", c, err)
	}
}

func TestCheckKeyPairAcceptsSetups(t *testing.T) {
	for _, c := range Circuits() {
		pk, vk := setupFor(t, c)
		if err := CheckKeyPair(pk, vk); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	dir := keyDir(t, Transfer)
	pkPath, vkPath := KeyPaths(dir, Transfer)
	pk, err := ReadProvingKey(pkPath, Transfer)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := ReadVerifyingKey(vkPath, Transfer)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckKeyPair(pk, vk); err != nil {
		t.Fatalf("keys read back: %v", err)
	}
}

// TestCheckKeyPairRefusesEach damages one thing at a time in a dev pair.
func TestCheckKeyPairRefusesEach(t *testing.T) {
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	double1 := func(p *bn254.G1Affine) { p.Double(p) }
	double2 := func(p *bn254.G2Affine) { p.Double(p) }
	outside := bn254.MapToCurve2(&bn254.E2{A0: fp.NewElement(7), A1: fp.NewElement(11)}) // on the twist, not in G2
	cases := []struct {
		name, want string
		damage     func(pk *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey)
	}{
		{"pk α identity", "α (G1) is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.Alpha = inf1 }},
		{"pk δ₁ identity", "δ (G1) is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.Delta = inf1 }},
		{"pk δ₂ identity", "δ (G2) is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G2.Delta = inf2 }},
		{"pk β₁ identity", "β (G1) is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.Beta = inf1 }},
		{"vk β identity", "verifying key's β (G2) is the identity", func(_ *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) { vk.G2.Beta = inf2 }},
		{"vk γ identity", "γ (G2) is the identity", func(_ *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) { vk.G2.Gamma = inf2 }},
		{"vk δ identity", "verifying key's δ (G2) is the identity", func(_ *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) { vk.G2.Delta = inf2 }},
		{"pk δ₁ off the curve", "δ (G1) is not on the curve", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) {
			pk.G1.Delta.Y.Double(&pk.G1.Delta.Y)
		}},
		{"pk δ₂ outside G2", "δ (G2) is not in the prime-order subgroup", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G2.Delta = outside }},
		{"pk α not vk's", "α differs", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { double1(&pk.G1.Alpha) }},
		{"vk β not pk's", "β differs", func(_ *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) { double2(&vk.G2.Beta) }},
		{"pk δ₂ not vk's", "δ differs", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { double2(&pk.G2.Delta) }},
		{"pk β₁ not β₂", "β differs between G1 and G2", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { double1(&pk.G1.Beta) }},
		{"pk δ₁ not δ₂", "δ differs between G1 and G2", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { double1(&pk.G1.Delta) }},
		{"pk domain", "FFT domain", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.Domain.Cardinality *= 2 }},
		{"pk A flag", "wrongly", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { flipFirst(pk.InfinityA, false) }},
		{"pk B count", "counts", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.NbInfinityB++ }},
		{"pk Z short", "Z has", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.Z = pk.G1.Z[1:] }},
		{"pk K short", "K has", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.K = pk.G1.K[1:] }},
		{"pk A short", "A (G1) has", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.A = pk.G1.A[1:] }},
		{"pk A point off the curve", "A point 5 is not on the curve", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) {
			pk.G1.A[5].Y.Double(&pk.G1.A[5].Y)
		}},
		{"pk A point zero", "A point 2 is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G1.A[2] = inf1 }},
		{"pk B₂ point zero", "B (G2) point 3 is the identity", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) { pk.G2.B[3] = inf2 }},
		{"pk B₂ point off the curve", "B (G2) point 4 is not on the curve", func(pk *groth16bn254.ProvingKey, _ *groth16bn254.VerifyingKey) {
			pk.G2.B[4].Y.Double(&pk.G2.B[4].Y)
		}},
		{"vk K short", "public inputs", func(_ *groth16bn254.ProvingKey, vk *groth16bn254.VerifyingKey) { vk.G1.K = vk.G1.K[1:] }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pk, vk := cloneKeys(t, Mint)
			tc.damage(pk.pk, vk.vk)
			err := CheckKeyPair(pk, vk)
			if !errors.Is(err, ErrBadKeyPair) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrBadKeyPair saying %q", err, tc.want)
			}
		})
	}
	pk, _ := setupFor(t, Transfer)
	_, vk := setupFor(t, Mint)
	if err := CheckKeyPair(pk, vk); !errors.Is(err, ErrBadKeyPair) {
		t.Fatalf("a transfer proving key with a mint verifying key: %v", err)
	}
}

// flipFirst flips the first flag equal to v.
func flipFirst(flags []bool, v bool) {
	for i := range flags {
		if flags[i] == v {
			flags[i] = !v
			return
		}
	}
}

// BenchmarkCheckKeyPair measures the check a prover makes on each
// circuit's first use.
func BenchmarkCheckKeyPair(b *testing.B) {
	for _, c := range Circuits() {
		b.Run(string(c), func(b *testing.B) {
			pk, vk := setupFor(b, c)
			if _, err := c.Compile(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := CheckKeyPair(pk, vk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A verifying key file whose checksum is right but whose payload declares
// 2^32 K points is refused before gnark's decoder allocates for them.
func TestReadVerifyingKeyRefusesHugeDeclaredLength(t *testing.T) {
	_, vk, err := SetupDev(Mint)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := vk.vk.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	payload := buf.Bytes()
	w := keyWalker{b: payload}
	for _, g2 := range []bool{false, false, true, true, false, true} {
		w.point(g2)
	}
	binary.BigEndian.PutUint32(payload[w.off:], 0xffff_fff0)
	path := filepath.Join(t.TempDir(), "mint.vk")
	if err := os.WriteFile(path, frameKey(kindVerifying, Mint, payload), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadVerifyingKey(path, Mint); !errors.Is(err, errKeyShape) {
		t.Fatalf("huge declared K: %v", err)
	}
}

// A proving key file whose checksum is right but whose payload declares
// 2^32 A points is refused before gnark's decoder allocates for them.
func TestReadProvingKeyRefusesHugeDeclaredLength(t *testing.T) {
	pk, _, err := SetupDev(Mint)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := pk.pk.WriteRawTo(&buf); err != nil {
		t.Fatal(err)
	}
	payload := buf.Bytes()
	if err := checkPKShape(payload); err != nil {
		t.Fatalf("an honest proving key: %v", err)
	}
	w := keyWalker{b: payload}
	w.take(8 + 5*32 + 1)
	for range 3 {
		w.point(false)
	}
	binary.BigEndian.PutUint32(payload[w.off:], 0xffff_fff0) // len(A)
	path := filepath.Join(t.TempDir(), "mint.pk")
	if err := os.WriteFile(path, frameKey(kindProving, Mint, payload), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProvingKey(path, Mint); !errors.Is(err, errKeyShape) {
		t.Fatalf("huge declared A: %v", err)
	}
}

package main

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254"

	"github.com/sable-settlement/sable/zkp"
)

// proveMintArgs are the arguments of a mint proof with keys, writing to
// dir/bundle.json and dir/opening.json, plus extra.
func proveMintArgs(keys, dir string, extra ...string) []string {
	args := []string{"prove", "mint", "--keys", keys, "--amount", "250", "--context", ctxHex("keys"),
		"--out", filepath.Join(dir, "bundle.json"), "--opening-out", filepath.Join(dir, "opening.json")}
	return append(args, extra...)
}

// wantNothingWritten checks that a refused prove left no file in dir.
func wantNothingWritten(t *testing.T, dir string) {
	t.Helper()
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Fatalf("a refused prove wrote %s", es[0].Name())
	}
}

func vkHashHex(t *testing.T, dir string, c zkp.Circuit) string {
	t.Helper()
	_, path := zkp.KeyPaths(dir, c)
	vk, err := zkp.ReadVerifyingKey(path, c)
	if err != nil {
		t.Fatal(err)
	}
	return vk.HashHex()
}

func TestProveVKHash(t *testing.T) {
	good := vkHashHex(t, keysDir, zkp.Mint)
	if r := sable(t, proveMintArgs(keysDir, t.TempDir(), "--vk-hash", good)...); r.code != 0 {
		t.Fatalf("prove with the keys' own hash: %s", r.stderr)
	}
	raw, _ := hex.DecodeString(good)
	raw[31] ^= 1
	other := hex.EncodeToString(raw)
	out := t.TempDir()
	r := sable(t, proveMintArgs(keysDir, out, "--vk-hash", other)...)
	wantError(t, r, 1, "not the pinned one")
	wantError(t, r, 1, other)
	wantNothingWritten(t, out)
	t.Log(r.stderr)

	r = sable(t, proveMintArgs(keysDir, out, "--vk-hash", "abc")...)
	wantError(t, r, 1, "--vk-hash")
	wantNothingWritten(t, out)
}

// TestProveRefusesCraftedKeys: the key-swap attack's pair (pk with α = δ
// = 0, B = 0 and A = g1 on the amount wire; vk with β = γ = δ = ∞) is
// refused before any proof is made, without --vk-hash by the key check,
// with it by the pin.
func TestProveRefusesCraftedKeys(t *testing.T) {
	keys := craftedKeys(t, zkp.Mint)
	out := t.TempDir()
	r := sable(t, proveMintArgs(keys, out)...)
	wantError(t, r, 1, "fails its check against the verifying key")
	wantNothingWritten(t, out)
	t.Log(r.stderr)

	r = sable(t, proveMintArgs(keys, out, "--vk-hash", vkHashHex(t, keysDir, zkp.Mint))...)
	wantError(t, r, 1, "not the pinned one")
	wantNothingWritten(t, out)
}

// craftedKeys writes the attack's pair for c, made from a fresh dev setup,
// to a new directory.
func craftedKeys(t *testing.T, c zkp.Circuit) string {
	t.Helper()
	pk, vk, err := zkp.SetupDev(c)
	if err != nil {
		t.Fatal(err)
	}
	var inf1 bn254.G1Affine
	var inf2 bn254.G2Affine
	g := pk.Groth16()
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
	amountWire := ccs.GetNbPublicVariables() // the first secret: the amount
	_, _, g1, _ := bn254.Generators()
	g.G1.A = []bn254.G1Affine{g1}
	for i := range g.InfinityA {
		g.InfinityA[i] = i != amountWire
	}
	g.NbInfinityA = uint64(len(g.InfinityA) - 1)
	v := vk.Groth16()
	v.G2.Beta, v.G2.Gamma, v.G2.Delta = inf2, inf2, inf2

	dir := t.TempDir()
	pkPath, vkPath := zkp.KeyPaths(dir, c)
	if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
		t.Fatal(err)
	}
	if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestVerifyVKHash: verify --vk-hash accepts a proof under the keys the
// hash names and refuses keys with another hash (a verifier handed swapped
// keys learns nothing from "valid") as unusable input, exit 2.
func TestVerifyVKHash(t *testing.T) {
	dir := t.TempDir()
	if r := sable(t, proveMintArgs(keysDir, dir)...); r.code != 0 {
		t.Fatalf("prove: %s", r.stderr)
	}
	bundle := filepath.Join(dir, "bundle.json")
	good := vkHashHex(t, keysDir, zkp.Mint)
	if r := sable(t, "verify", "--keys", keysDir, "--vk-hash", good, bundle); r.code != 0 || r.stdout != "valid\n" {
		t.Fatalf("verify with the keys' own hash: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	raw, _ := hex.DecodeString(good)
	raw[0] ^= 1
	other := hex.EncodeToString(raw)
	r := sable(t, "verify", "--keys", keysDir, "--vk-hash", other, bundle)
	wantError(t, r, 2, "not the pinned "+other)
	if r.stdout != "" {
		t.Fatalf("verify printed %q under keys it refused", r.stdout)
	}
	wantError(t, sable(t, "verify", "--keys", keysDir, "--vk-hash", "xyz", bundle), 2, "--vk-hash")
}

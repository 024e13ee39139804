package main

import (
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// proveFX writes a bundle of a real fx proof (USD 5,000.01 at 1.3402) made
// with the package's dev keys.
func proveFX(t *testing.T) (string, zkp.Public) {
	t.Helper()
	p := zkp.OpenProver(keysDir)
	rA, _ := zkp.RandomAmountBlinding()
	rB, _ := zkp.RandomAmountBlinding()
	pub, proof, err := p.ProveFX(zkp.FXInput{AmountA: 500_001, BlindingA: rA, BlindingB: rB, Rate: 134_020_000, Context: zkp.NewContext("fx export")})
	if err != nil {
		t.Fatal(err)
	}
	_, vk, err := p.Keys(zkp.FX)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fx.json")
	if err := os.WriteFile(path, zkp.NewBundle(vk, pub, proof).Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, pub
}

// An fx proof verifies with 'sable verify', and exported by the CLI with
// snarkjs; the same proof at a rate one step (10^-8 minor units) higher
// does not.
func TestExportFXVerifiesInSnarkJS(t *testing.T) {
	bundle, _ := proveFX(t)
	if r := sable(t, "verify", "--keys", keysDir, bundle); r.code != 0 || !strings.Contains(r.stdout, "valid") {
		t.Fatalf("sable verify: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	snarkjs := jsTool(t, filepath.Join("node_modules", ".bin", "snarkjs"))
	out := filepath.Join(t.TempDir(), "exported")
	if r := sable(t, "export", "snarkjs", "--keys", keysDir, bundle, "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	run := func() (string, error) {
		cmd := exec.Command(snarkjs, "groth16", "verify", "vk.json", "public.json", "proof.json")
		cmd.Dir = out
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if msg, err := run(); err != nil || !strings.Contains(msg, "OK") {
		t.Fatalf("snarkjs rejects the exported fx proof: %v\n%s", err, msg)
	}
	var public []string
	raw, _ := os.ReadFile(filepath.Join(out, "public.json"))
	if err := json.Unmarshal(raw, &public); err != nil || len(public) != zkp.FX.PublicInputs() || public[4] != "134020000" {
		t.Fatalf("public.json %s: %v (want C_A, C_B, the rate 134020000, ctx)", raw, err)
	}
	public[4] = "134020001"
	raw, _ = json.Marshal(public)
	os.WriteFile(filepath.Join(out, "public.json"), raw, 0o644)
	if msg, err := run(); err == nil {
		t.Fatalf("snarkjs accepts the proof at another rate:\n%s", msg)
	}
}

// The exported Solidity verifier for the fx key accepts the real proof in
// an EVM.
func TestExportFXSolidityInEVM(t *testing.T) {
	evm := jsTool(t, "evm-verify.mjs")
	bundle, _ := proveFX(t)
	sol, proof, good := solidityCase(t, keysDir, "fx", bundle)
	other := append([]string(nil), good...)
	r, _ := new(big.Int).SetString(other[4], 10)
	other[4] = r.Add(r, big.NewInt(1)).String()
	lines, err := evmVerify(t, evm, sol, proof, good, other)
	if err != nil || len(lines) != 2 || !strings.HasPrefix(lines[0], "true") || !strings.HasPrefix(lines[1], "false") {
		t.Fatalf("EVM verifier: %v\n%s", err, strings.Join(lines, "\n"))
	}
}

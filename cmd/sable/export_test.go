package main

import (
	"encoding/hex"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/zkp"
	"github.com/sable-settlement/sable/zkp/export"
)

// jsTool returns the path of a pinned JS tool in tools/js, skipping when
// they are not installed unless SABLE_REQUIRE_JS=1 (as `make test` sets).
func jsTool(t *testing.T, rel string) string {
	t.Helper()
	js, _ := filepath.Abs(filepath.Join("..", "..", "tools", "js"))
	if _, err := os.Stat(filepath.Join(js, "node_modules")); err != nil {
		if os.Getenv("SABLE_REQUIRE_JS") == "1" {
			t.Fatal("tools/js/node_modules is missing: run `npm ci --prefix tools/js`")
		}
		t.Skip("JS tools not installed (npm ci --prefix tools/js)")
	}
	return filepath.Join(js, rel)
}

// The real transfer proof, exported by the CLI, verifies with snarkjs —
// code that shares nothing with Sable — and a changed public input does not.
func TestExportTransferVerifiesInSnarkJS(t *testing.T) {
	snarkjs := jsTool(t, filepath.Join("node_modules", ".bin", "snarkjs"))
	bundle := proveTransfer(t)
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
		t.Fatalf("snarkjs rejects the exported transfer proof: %v\n%s", err, msg)
	}
	var public []string
	raw, _ := os.ReadFile(filepath.Join(out, "public.json"))
	if err := json.Unmarshal(raw, &public); err != nil || len(public) != zkp.Transfer.PublicInputs() {
		t.Fatalf("public.json %s: %v", raw, err)
	}
	v, _ := new(big.Int).SetString(public[4], 10)
	public[4] = v.Add(v, big.NewInt(1)).String() // another context
	raw, _ = json.Marshal(public)
	os.WriteFile(filepath.Join(out, "public.json"), raw, 0o644)
	if msg, err := run(); err == nil {
		t.Fatalf("snarkjs accepts the proof for another context:\n%s", msg)
	}
}

// The exported Solidity verifier for the transfer key accepts the real proof
// in an EVM.
func TestExportTransferSolidityInEVM(t *testing.T) {
	evm := jsTool(t, "evm-verify.mjs")
	bundle := proveTransfer(t)
	dir := t.TempDir()
	sol := filepath.Join(dir, "Verifier.sol")
	if r := sable(t, "export", "solidity", "--keys", keysDir, "--circuit", "transfer", "--out", sol); r.code != 0 {
		t.Fatalf("export solidity: %s", r.stderr)
	}
	data, _ := os.ReadFile(bundle)
	b, err := zkp.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	pub, proof, err := b.Statement()
	if err != nil {
		t.Fatal(err)
	}
	calldata, inputs, err := export.SolidityCalldata(proof.Groth16(), pub.Vector())
	if err != nil {
		t.Fatal(err)
	}
	in := make([]string, len(inputs))
	for i, x := range inputs {
		in[i] = x.String()
	}
	caseJSON, _ := json.Marshal(map[string]any{"proof": "0x" + hex.EncodeToString(calldata), "input": in})
	casePath := filepath.Join(dir, "case.json")
	os.WriteFile(casePath, caseJSON, 0o644)
	cmd := exec.Command("node", evm, sol, casePath)
	outb, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(outb), "true") {
		t.Fatalf("EVM verifier: %v\n%s", err, outb)
	}
}

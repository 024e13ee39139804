package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	sol, proof, inputs := solidityCase(t, keysDir, "transfer", proveTransfer(t))
	if out, err := evmVerify(t, evm, sol, proof, inputs); err != nil || !strings.HasPrefix(out[0], "true") {
		t.Fatalf("EVM verifier: %v\n%s", err, strings.Join(out, "\n"))
	}
}

// solidityCase exports circuit's Solidity verifier from keys and returns
// its path with the bundle's proof as that verifier's calldata (hex) and
// public inputs (decimal).
func solidityCase(t *testing.T, keys, circuit, bundle string) (sol, proof string, inputs []string) {
	t.Helper()
	sol = filepath.Join(t.TempDir(), "Verifier.sol")
	if r := sable(t, "export", "solidity", "--keys", keys, "--circuit", circuit, "--out", sol); r.code != 0 {
		t.Fatalf("export solidity: %s", r.stderr)
	}
	data, _ := os.ReadFile(bundle)
	b, err := zkp.ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	pub, p, err := b.Statement()
	if err != nil {
		t.Fatal(err)
	}
	calldata, in, err := export.SolidityCalldata(p.Groth16(), pub.Vector())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range in {
		inputs = append(inputs, x.String())
	}
	return sol, "0x" + hex.EncodeToString(calldata), inputs
}

// evmVerify runs the verifier sol in an EVM (tools/js/evm-verify.mjs) on
// the proof with each set of public inputs, and returns its output, a line
// per set.
func evmVerify(t *testing.T, evm, sol, proof string, inputs ...[]string) ([]string, error) {
	t.Helper()
	args := []string{evm, sol}
	for i, in := range inputs {
		c, _ := json.Marshal(map[string]any{"proof": proof, "input": in})
		path := filepath.Join(t.TempDir(), fmt.Sprintf("case%d.json", i))
		if err := os.WriteFile(path, c, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out, err := exec.Command("node", args...).CombinedOutput()
	return strings.Split(strings.TrimSpace(string(out)), "\n"), err
}

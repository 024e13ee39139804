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

// proveBatch writes a bundle of a real batch proof of three payments made
// with the package's dev keys.
func proveBatch(t *testing.T) string {
	t.Helper()
	p := zkp.OpenProver(keysDir)
	rBal, _ := zkp.RandomBlinding()
	in := zkp.BatchInput{Balance: 1_000_000, BalanceBlinding: rBal, Amounts: []uint64{125_050, 7, 300_000}, Context: zkp.NewContext("batch export")}
	for range in.Amounts {
		r, _ := zkp.RandomAmountBlinding()
		in.AmountBlindings = append(in.AmountBlindings, r)
	}
	pub, proof, err := p.ProveBatch(in)
	if err != nil {
		t.Fatal(err)
	}
	_, vk, err := p.Keys(zkp.Batch)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "batch.json")
	if err := os.WriteFile(path, zkp.NewBundle(vk, pub, proof).Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A batch proof verifies with 'sable verify', in snarkjs and in the EVM
// once exported, with its padding slots as the identity (0, 1) among the
// public inputs; putting a payment's amount in a padding slot, or the
// identity in a real one, is refused by both.
func TestExportBatchVerifiesInSnarkJSAndEVM(t *testing.T) {
	snarkjs := jsTool(t, filepath.Join("node_modules", ".bin", "snarkjs"))
	evm := jsTool(t, "evm-verify.mjs")
	bundle := proveBatch(t)
	if r := sable(t, "verify", "--keys", keysDir, bundle); r.code != 0 || !strings.Contains(r.stdout, "valid") {
		t.Fatalf("sable verify: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "exported")
	if r := sable(t, "export", "snarkjs", "--keys", keysDir, bundle, "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	verify := func(public []string) (string, error) {
		raw, _ := json.Marshal(public)
		os.WriteFile(filepath.Join(out, "public.json"), raw, 0o644)
		cmd := exec.Command(snarkjs, "groth16", "verify", "vk.json", "public.json", "proof.json")
		cmd.Dir = out
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	var public []string
	raw, _ := os.ReadFile(filepath.Join(out, "public.json"))
	if err := json.Unmarshal(raw, &public); err != nil || len(public) != zkp.Batch.PublicInputs() {
		t.Fatalf("public.json %s: %v", raw, err)
	}
	// C_avail (2), three amounts (6), then padding from input 8 on.
	for i := 8; i < 2+2*zkp.BatchSize; i += 2 {
		if public[i] != "0" || public[i+1] != "1" {
			t.Fatalf("padding slot at input %d is (%s, %s), not the identity", i, public[i], public[i+1])
		}
	}
	if msg, err := verify(public); err != nil || !strings.Contains(msg, "OK") {
		t.Fatalf("snarkjs rejects the exported batch proof: %v\n%s", err, msg)
	}
	moved := append([]string(nil), public...)
	moved[8], moved[9] = public[6], public[7] // the third amount in slot 4 as well
	dropped := append([]string(nil), public...)
	dropped[6], dropped[7] = "0", "1" // the third amount read as padding
	for name, in := range map[string][]string{"an amount in a padding slot": moved, "a payment as padding": dropped} {
		if msg, err := verify(in); err == nil {
			t.Fatalf("snarkjs accepts %s:\n%s", name, msg)
		}
	}
	sol, proof, good := solidityCase(t, keysDir, "batch", bundle)
	lines, err := evmVerify(t, evm, sol, proof, good, moved, dropped)
	if err != nil || len(lines) != 3 || !strings.HasPrefix(lines[0], "true") || !strings.HasPrefix(lines[1], "false") || !strings.HasPrefix(lines[2], "false") {
		t.Fatalf("EVM verifier: %v\n%s", err, strings.Join(lines, "\n"))
	}
}

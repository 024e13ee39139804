package export

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"golang.org/x/crypto/sha3"
)

// exportTestCircuit: X·X == Y and Y + Z == W, with Y, Z, W public. The
// witness sets Z = r − 1, so a public input exercises the decimal rendering of
// values close to the modulus (fr.Element.String prints those as "-1").
type exportTestCircuit struct {
	X       frontend.Variable
	Y, Z, W frontend.Variable `gnark:",public"`
}

func (c *exportTestCircuit) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	api.AssertIsEqual(api.Add(c.Y, c.Z), c.W)
	return nil
}

// exportCommitCircuit uses gnark's BSB22 commitment extension.
type exportCommitCircuit struct {
	X frontend.Variable
	Y frontend.Variable `gnark:",public"`
}

func (c *exportCommitCircuit) Define(api frontend.API) error {
	cm, err := api.(frontend.Committer).Commit(c.X)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(cm, 0)
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	return nil
}

type exportFixture struct {
	vk     *groth16bn254.VerifyingKey
	proof  *groth16bn254.Proof
	public []fr.Element
}

func newExportFixture(t *testing.T, circuit, assignment frontend.Circuit) exportFixture {
	t.Helper()
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(ccs, pk, w)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, vk, pw); err != nil {
		t.Fatalf("gnark rejects its own proof: %v", err)
	}
	return exportFixture{
		vk:     vk.(*groth16bn254.VerifyingKey),
		proof:  proof.(*groth16bn254.Proof),
		public: []fr.Element(pw.Vector().(fr.Vector)),
	}
}

func newPlainExportFixture(t *testing.T) exportFixture {
	var minusOne, w fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	w.SetUint64(48) // 7·7 + (r − 1)
	return newExportFixture(t, &exportTestCircuit{}, &exportTestCircuit{X: 7, Y: 49, Z: minusOne, W: w})
}

// jsTool returns the path of a file under tools/js/ once its npm packages are
// installed, skipping the test when they are not (unless SABLE_REQUIRE_JS=1).
func jsTool(t *testing.T, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod) above the test directory")
		}
		dir = parent
	}
	js := filepath.Join(dir, "tools", "js")
	if _, err := os.Stat(filepath.Join(js, "node_modules")); err != nil {
		if os.Getenv("SABLE_REQUIRE_JS") == "1" {
			t.Fatalf("%s is missing: run `npm ci --prefix tools/js` in the repository root", filepath.Join(js, "node_modules"))
		}
		t.Skipf("JS tools not installed (run `npm ci --prefix tools/js`; set SABLE_REQUIRE_JS=1 to make this an error)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("tools/js/node_modules exists but node is not on PATH: %v", err)
	}
	p := filepath.Join(js, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v (run `npm ci --prefix tools/js`)", err)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	t.Logf("%s (%.1fs):\n%s", filepath.Base(name), time.Since(start).Seconds(), out)
	return string(out), err
}

func writeExportFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tamperedProof returns a copy of p whose A is 2·A: still a valid curve point,
// so the verifier must reject it through the pairing check.
func tamperedProof(p *groth16bn254.Proof) *groth16bn254.Proof {
	q := *p
	q.Ar.Double(&p.Ar)
	return &q
}

// changedPublic returns a copy of public with input i increased by one.
func changedPublic(public []fr.Element, i int) []fr.Element {
	out := append([]fr.Element(nil), public...)
	var one fr.Element
	one.SetOne()
	out[i].Add(&out[i], &one)
	return out
}

func TestExportSnarkJSFormat(t *testing.T) {
	f := newPlainExportFixture(t)
	vkJSON, proofJSON, publicJSON, err := SnarkJS(f.vk, f.proof, f.public)
	if err != nil {
		t.Fatal(err)
	}

	var vk struct {
		Protocol    string       `json:"protocol"`
		Curve       string       `json:"curve"`
		NPublic     int          `json:"nPublic"`
		Alpha1      []string     `json:"vk_alpha_1"`
		Beta2       [][]string   `json:"vk_beta_2"`
		AlphaBeta12 [][][]string `json:"vk_alphabeta_12"`
		IC          [][]string   `json:"IC"`
	}
	if err := json.Unmarshal(vkJSON, &vk); err != nil {
		t.Fatal(err)
	}
	if vk.Protocol != "groth16" || vk.Curve != "bn128" || vk.NPublic != 3 || len(vk.IC) != 4 {
		t.Fatalf("vk header: protocol %q curve %q nPublic %d, %d IC points", vk.Protocol, vk.Curve, vk.NPublic, len(vk.IC))
	}
	if len(vk.AlphaBeta12) != 2 || len(vk.AlphaBeta12[0]) != 3 || len(vk.AlphaBeta12[0][0]) != 2 {
		t.Fatalf("vk_alphabeta_12 shape: %v", vk.AlphaBeta12)
	}
	// G2 coordinates are [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]].
	b := f.vk.G2.Beta
	want := [][]string{
		{b.X.A0.BigInt(new(big.Int)).String(), b.X.A1.BigInt(new(big.Int)).String()},
		{b.Y.A0.BigInt(new(big.Int)).String(), b.Y.A1.BigInt(new(big.Int)).String()},
		{"1", "0"},
	}
	if got, _ := json.Marshal(vk.Beta2); !bytes.Equal(got, mustJSON(t, want)) {
		t.Fatalf("vk_beta_2 = %s, want %s", got, mustJSON(t, want))
	}

	var proof map[string]any
	if err := json.Unmarshal(proofJSON, &proof); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pi_a", "pi_b", "pi_c", "protocol", "curve"} {
		if _, ok := proof[k]; !ok {
			t.Errorf("proof.json lacks %q", k)
		}
	}

	var public []string
	if err := json.Unmarshal(publicJSON, &public); err != nil {
		t.Fatal(err)
	}
	rMinusOne := new(big.Int).Sub(fr.Modulus(), big.NewInt(1)).String()
	if want := []string{"49", rMinusOne, "48"}; strings.Join(public, ",") != strings.Join(want, ",") {
		t.Fatalf("public.json = %v, want %v", public, want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExportSnarkJSVerify(t *testing.T) {
	snarkjs := jsTool(t, filepath.Join("node_modules", ".bin", "snarkjs"))
	alphabeta := jsTool(t, "snarkjs-alphabeta.mjs")
	f := newPlainExportFixture(t)

	cases := []struct {
		name   string
		proof  *groth16bn254.Proof
		public []fr.Element
		valid  bool
	}{
		{"valid", f.proof, f.public, true},
		{"changed public input", f.proof, changedPublic(f.public, 1), false},
		{"tampered proof", tamperedProof(f.proof), f.public, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vkJSON, proofJSON, publicJSON, err := SnarkJS(f.vk, tc.proof, tc.public)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			vk := writeExportFile(t, dir, "vk.json", vkJSON)
			pub := writeExportFile(t, dir, "public.json", publicJSON)
			proof := writeExportFile(t, dir, "proof.json", proofJSON)
			out, err := runTool(t, snarkjs, "groth16", "verify", vk, pub, proof)
			ok := err == nil && strings.Contains(out, "OK")
			if ok != tc.valid {
				t.Fatalf("snarkjs groth16 verify: accepted=%v (err %v), want %v", ok, err, tc.valid)
			}
			if !tc.valid && err == nil {
				t.Fatalf("snarkjs rejected the proof but exited 0")
			}
		})
	}
	t.Run("vk_alphabeta_12", func(t *testing.T) {
		t.Parallel()
		vkJSON, _, _, err := SnarkJS(f.vk, f.proof, f.public)
		if err != nil {
			t.Fatal(err)
		}
		vk := writeExportFile(t, t.TempDir(), "vk.json", vkJSON)
		if out, err := runTool(t, "node", alphabeta, vk); err != nil || strings.TrimSpace(out) != "ok" {
			t.Fatalf("vk_alphabeta_12 differs from ffjavascript's e(alpha, beta): %v %s", err, out)
		}
	})
}

type solidityCase struct {
	Proof string   `json:"proof"`
	Input []string `json:"input"`
}

func newSolidityCase(t *testing.T, proof *groth16bn254.Proof, public []fr.Element) solidityCase {
	t.Helper()
	p, in, err := SolidityCalldata(proof, public)
	if err != nil {
		t.Fatal(err)
	}
	c := solidityCase{Proof: "0x" + hex.EncodeToString(p)}
	for _, x := range in {
		c.Input = append(c.Input, x.String())
	}
	return c
}

func TestExportSolidityEVM(t *testing.T) {
	evmVerify := jsTool(t, "evm-verify.mjs")
	f := newPlainExportFixture(t)

	var sol bytes.Buffer
	if err := Solidity(f.vk, &sol); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	solPath := writeExportFile(t, dir, "Verifier.sol", sol.Bytes())

	unreduced := newSolidityCase(t, f.proof, f.public)
	unreduced.Input[0] = new(big.Int).Add(fr.Modulus(), big.NewInt(49)).String() // 49 + r ≡ 49
	cases := []struct {
		name string
		c    solidityCase
		want string // "true", or "false revert=" and the custom error's selector
	}{
		{"valid", newSolidityCase(t, f.proof, f.public), "true"},
		{"changed public input", newSolidityCase(t, f.proof, changedPublic(f.public, 1)), "false revert=" + solidityErrorSelector("ProofInvalid()")},
		{"tampered proof", newSolidityCase(t, tamperedProof(f.proof), f.public), "false revert=" + solidityErrorSelector("ProofInvalid()")},
		{"unreduced public input", unreduced, "false revert=" + solidityErrorSelector("PublicInputNotInField()")},
	}
	args := []string{evmVerify, solPath}
	for i, tc := range cases {
		args = append(args, writeExportFile(t, dir, "case"+strconv.Itoa(i)+".json", mustJSON(t, tc.c)))
	}
	out, err := runTool(t, "node", args...)
	if err != nil {
		t.Fatalf("evm-verify: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("evm-verify printed %d lines for %d cases:\n%s", len(lines), len(cases), out)
	}
	for i, tc := range cases {
		if !strings.HasPrefix(lines[i], tc.want) {
			t.Errorf("%s: contract says %q, want %q", tc.name, lines[i], tc.want)
		}
	}
}

// solidityErrorSelector is the 4-byte selector of a Solidity custom error, as hex.
func solidityErrorSelector(sig string) string {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(sig))
	return "0x" + hex.EncodeToString(h.Sum(nil)[:4])
}

func TestExportSolidityLeavesKeyUnchanged(t *testing.T) {
	f := newPlainExportFixture(t)
	var before, after, sol1, sol2 bytes.Buffer
	if _, err := f.vk.WriteRawTo(&before); err != nil {
		t.Fatal(err)
	}
	if err := Solidity(f.vk, &sol1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.vk.WriteRawTo(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("Solidity changed the verifying key")
	}
	// A key read back from bytes (so without precomputed -γ, -δ) exports the same contract.
	var vk2 groth16bn254.VerifyingKey
	if _, err := vk2.ReadFrom(bytes.NewReader(before.Bytes())); err != nil {
		t.Fatal(err)
	}
	if err := Solidity(&vk2, &sol2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sol1.Bytes(), sol2.Bytes()) {
		t.Fatal("the contract depends on more than the verifying key's bytes")
	}
	if !strings.Contains(sol1.String(), "pragma solidity "+SolidityPragma+";") {
		t.Fatalf("contract lacks pragma %s", SolidityPragma)
	}
}

func TestExportSolidityCalldataLayout(t *testing.T) {
	f := newPlainExportFixture(t)
	p, in, err := SolidityCalldata(f.proof, f.public)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 256 || len(in) != 3 {
		t.Fatalf("calldata: %d proof bytes, %d inputs", len(p), len(in))
	}
	word := func(i int) *big.Int { return new(big.Int).SetBytes(p[32*i : 32*(i+1)]) }
	pr := f.proof
	want := []*big.Int{
		pr.Ar.X.BigInt(new(big.Int)), pr.Ar.Y.BigInt(new(big.Int)),
		pr.Bs.X.A1.BigInt(new(big.Int)), pr.Bs.X.A0.BigInt(new(big.Int)),
		pr.Bs.Y.A1.BigInt(new(big.Int)), pr.Bs.Y.A0.BigInt(new(big.Int)),
		pr.Krs.X.BigInt(new(big.Int)), pr.Krs.Y.BigInt(new(big.Int)),
	}
	for i, w := range want {
		if word(i).Cmp(w) != 0 {
			t.Errorf("proof word %d = %v, want %v", i, word(i), w)
		}
	}
	if in[1].Cmp(new(big.Int).Sub(fr.Modulus(), big.NewInt(1))) != 0 {
		t.Errorf("input 1 = %v, want r-1", in[1])
	}
}

func TestExportRejectsCommitments(t *testing.T) {
	f := newExportFixture(t, &exportCommitCircuit{}, &exportCommitCircuit{X: 3, Y: 9})
	if len(f.vk.CommitmentKeys) == 0 || len(f.proof.Commitments) == 0 {
		t.Fatal("test circuit did not produce a BSB22 commitment")
	}
	plain := newPlainExportFixture(t)

	if _, _, _, err := SnarkJS(f.vk, f.proof, f.public); !errors.Is(err, ErrCommitments) {
		t.Errorf("SnarkJS(commitment key and proof) = %v, want ErrCommitments", err)
	}
	if _, _, _, err := SnarkJS(plain.vk, f.proof, plain.public); !errors.Is(err, ErrCommitments) {
		t.Errorf("SnarkJS(commitment proof) = %v, want ErrCommitments", err)
	}
	if err := Solidity(f.vk, new(bytes.Buffer)); !errors.Is(err, ErrCommitments) {
		t.Errorf("Solidity(commitment key) = %v, want ErrCommitments", err)
	}
	if _, _, err := SolidityCalldata(f.proof, f.public); !errors.Is(err, ErrCommitments) {
		t.Errorf("SolidityCalldata(commitment proof) = %v, want ErrCommitments", err)
	}
}

func TestExportRejectsBadInput(t *testing.T) {
	f := newPlainExportFixture(t)
	for name, public := range map[string][]fr.Element{
		"too few":  f.public[:2],
		"too many": append(append([]fr.Element(nil), f.public...), fr.One()),
	} {
		if _, _, _, err := SnarkJS(f.vk, f.proof, public); err == nil || !strings.HasPrefix(err.Error(), "zkp: ") {
			t.Errorf("SnarkJS with %s public inputs: err = %v", name, err)
		}
	}
	if _, _, _, err := SnarkJS(nil, f.proof, f.public); err == nil {
		t.Error("SnarkJS(nil vk) succeeded")
	}
	if _, _, _, err := SnarkJS(f.vk, nil, f.public); err == nil {
		t.Error("SnarkJS(nil proof) succeeded")
	}
	if err := Solidity(nil, new(bytes.Buffer)); err == nil {
		t.Error("Solidity(nil) succeeded")
	}
	noPublic := *f.vk
	noPublic.G1.K = noPublic.G1.K[:1]
	if err := Solidity(&noPublic, new(bytes.Buffer)); err == nil {
		t.Error("Solidity accepted a key without public inputs")
	}
}

// The JSON point encodings used above match what snarkjs reads for the
// point at infinity (z = 0).
func TestExportInfinity(t *testing.T) {
	var g1 bn254.G1Affine
	var g2 bn254.G2Affine
	if got := jsG1(&g1); got != [3]string{"0", "1", "0"} {
		t.Errorf("G1 infinity = %v", got)
	}
	if got := jsG2(&g2); got != [3][2]string{{"0", "0"}, {"1", "0"}, {"0", "0"}} {
		t.Errorf("G2 infinity = %v", got)
	}
}

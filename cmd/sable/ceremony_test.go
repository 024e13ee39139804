package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

var hashRE = regexp.MustCompile(`[0-9a-f]{64}`)

// ceremonyKeys runs a ceremony through the CLI, one contributor in each
// phase (the package's tests run three), and returns the transcript, the
// keys and the hashes the contributors were shown.
func ceremonyKeys(t *testing.T) (transcript, keys string, shown []string) {
	t.Helper()
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	beacon1, beacon2 := hex.EncodeToString([]byte("drand round 1001 ...")), hex.EncodeToString([]byte("drand round 2002 ..."))
	steps := [][]string{
		{"ceremony", "init", "--out", p("t0")},
		{"ceremony", "contribute", "--in", p("t0"), "--out", p("t1"), "--name", "bank-sg"},
		{"ceremony", "seal-phase1", "--in", p("t1"), "--out", p("t2"), "--beacon", beacon1},
		{"ceremony", "contribute", "--in", p("t2"), "--out", p("t3"), "--name", "bank-hk"},
		{"ceremony", "finalize", "--in", p("t3"), "--out", p("keys"), "--beacon", beacon2},
	}
	for _, s := range steps {
		r := sable(t, s...)
		if r.code != 0 {
			t.Fatalf("sable %s: exit %d: %s", strings.Join(s, " "), r.code, r.stderr)
		}
		if s[1] == "contribute" {
			h := hashRE.FindString(r.stdout)
			if h == "" || !strings.Contains(r.stderr, "randomness destroyed") {
				t.Fatalf("contribute shows no hash or does not say its randomness is gone: %q %q", r.stdout, r.stderr)
			}
			shown = append(shown, h)
		}
	}
	return p("t3"), p("keys"), shown
}

// The whole ceremony through the CLI: verify prints the chain, in which
// each contributor finds its hash, and checks that the keys come from the
// transcript; the keys prove and verify in Sable, in snarkjs and in the
// Solidity verifier; a testnet on them pins the ceremony in its genesis.
func TestCeremonyCLI(t *testing.T) {
	transcript, keys, shown := ceremonyKeys(t)
	r := sable(t, "ceremony", "verify", transcript, "--keys", keys)
	if r.code != 0 {
		t.Fatalf("verify: %s", r.stderr)
	}
	for _, h := range shown {
		if !strings.Contains(r.stdout, h) {
			t.Errorf("the chain does not show contribution %s:\n%s", h, r.stdout)
		}
	}
	rec, err := ceremony.ReadRecord(keys)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.stdout, "ceremony "+rec.Hash) {
		t.Errorf("verify --keys does not name the ceremony %s:\n%s", rec.Hash, r.stdout)
	}

	t.Run("proofs verify in Sable, snarkjs and the EVM", func(t *testing.T) {
		bundle := proveWith(t, keys)
		if r := sable(t, "verify", "--keys", keys, bundle); r.code != 0 || r.stdout != "valid\n" {
			t.Fatalf("verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
		}
		if r := sable(t, "verify", "--keys", keysDir, bundle); r.code == 0 {
			t.Fatal("a proof under the ceremony's keys verifies under the development keys")
		}
		snarkJSVerifies(t, keys, bundle)
		solidityVerifies(t, keys, bundle)
	})
	t.Run("testnet pins the ceremony", func(t *testing.T) {
		ceremonyTestnet(t, keys, rec.Hash)
	})
}

// proveWith proves a transfer under the keys in dir and returns the bundle.
func proveWith(t *testing.T, dir string) string {
	t.Helper()
	c := sable(t, "commit", "--value", "1000")
	var com struct{ Commitment, Blinding string }
	if err := json.Unmarshal([]byte(c.stdout), &com); err != nil {
		t.Fatalf("commit output %q: %v", c.stdout, err)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	r := sable(t, "prove", "transfer", "--keys", dir, "--balance", "1000", "--balance-blinding", com.Blinding,
		"--amount", "250", "--context", ctxHex("ceremony"), "--out", bundle, "--opening-out", bundle+".opening")
	if r.code != 0 {
		t.Fatalf("prove: %s", r.stderr)
	}
	return bundle
}

func snarkJSVerifies(t *testing.T, keys, bundle string) {
	t.Helper()
	snarkjs := jsTool(t, filepath.Join("node_modules", ".bin", "snarkjs"))
	out := filepath.Join(t.TempDir(), "exported")
	if r := sable(t, "export", "snarkjs", "--keys", keys, bundle, "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	cmd := exec.Command(snarkjs, "groth16", "verify", "vk.json", "public.json", "proof.json")
	cmd.Dir = out
	if msg, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(msg), "OK") {
		t.Fatalf("snarkjs rejects the proof under the ceremony's keys: %v\n%s", err, msg)
	}
}

func solidityVerifies(t *testing.T, keys, bundle string) {
	t.Helper()
	evm := jsTool(t, "evm-verify.mjs")
	sol, proof, inputs := solidityCase(t, keys, "transfer", bundle)
	if out, err := evmVerify(t, evm, sol, proof, inputs); err != nil || !strings.HasPrefix(out[0], "true") {
		t.Fatalf("the EVM verifier rejects the proof under the ceremony's keys: %v\n%s", err, strings.Join(out, "\n"))
	}
}

// ceremonyTestnet writes a testnet on the ceremony's keys: its genesis
// pins the record's hash, with no development warning; one on development
// keys pins none.
func ceremonyTestnet(t *testing.T, keys, want string) {
	t.Helper()
	for _, tc := range []struct {
		keys, want string
	}{{keys, want}, {keysDir, ""}} {
		dir := filepath.Join(t.TempDir(), "net")
		code, out, errs := runSable("testnet", "--validators", "1", "--keys", tc.keys, "--out", dir, "--base-port", "32500")
		if code != 0 {
			t.Fatalf("testnet --keys %s: exit %d: %s", tc.keys, code, errs)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			AppState json.RawMessage `json:"app_state"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		g, err := ledger.ParseGenesis(doc.AppState)
		if err != nil {
			t.Fatal(err)
		}
		if g.VKHashes.Ceremony != tc.want {
			t.Errorf("testnet --keys %s: genesis pins ceremony %q, want %q", tc.keys, g.VKHashes.Ceremony, tc.want)
		}
		if warned := strings.Contains(errs, "WARNING"); warned != (tc.want == "") {
			t.Errorf("testnet --keys %s: development warning %v, stdout %q", tc.keys, warned, out)
		}
		if tc.want != "" {
			if _, err := ceremony.ReadRecord(filepath.Join(dir, "keys")); err != nil {
				t.Errorf("the testnet's keys lack their record: %v", err)
			}
		}
	}
}

// A refused transcript or a misused step is one error line, a hint when
// there is something to do, and a non-zero exit.
func TestCeremonyCLIErrors(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if r := sable(t, "ceremony", "init", "--out", p("t0")); r.code != 0 {
		t.Fatalf("init: %s", r.stderr)
	}
	if r := sable(t, "ceremony", "contribute", "--in", p("t0"), "--out", p("t1"), "--name", "bank-sg"); r.code != 0 {
		t.Fatalf("contribute: %s", r.stderr)
	}
	tampered := p("tampered")
	copyTree(t, p("t1"), tampered)
	f := filepath.Join(tampered, "phase1", "001.bin")
	b, _ := os.ReadFile(f)
	b[4000] ^= 1
	os.WriteFile(f, b, 0o644)

	beacon := hex.EncodeToString([]byte("a sixteen-byte+ beacon"))
	for _, tc := range []struct {
		args    []string
		code    int
		mention string
		hint    bool
	}{
		{[]string{"ceremony", "verify", tampered}, 1, "tampered", true},
		{[]string{"ceremony", "contribute", "--in", tampered, "--out", p("x"), "--name", "bank-hk"}, 1, "tampered", true},
		{[]string{"ceremony", "contribute", "--in", p("t1"), "--out", p("y")}, 1, "--name", false},
		{[]string{"ceremony", "contribute", "--in", p("t1"), "--out", p("t0"), "--name", "bank-hk"}, 1, "not empty", false},
		{[]string{"ceremony", "contribute", "--in", p("t1"), "--out", p("z"), "--name", "../bank"}, 1, "name", false},
		{[]string{"ceremony", "finalize", "--in", p("t1"), "--out", p("k"), "--beacon", beacon}, 1, "not sealed", true},
		{[]string{"ceremony", "finalize", "--in", p("t1"), "--out", p("k")}, 1, "--beacon is required", true},
		{[]string{"ceremony", "seal-phase1", "--in", p("t1"), "--out", p("s"), "--beacon", "abcd"}, 1, "2 bytes", false},
		{[]string{"ceremony", "seal-phase1", "--in", p("t1"), "--out", p("s"), "--beacon", "xyz"}, 1, "not hex", false},
		{[]string{"ceremony", "verify", p("nothing")}, 1, "not a transcript", false},
		{[]string{"ceremony", "verify", p("t1"), "--keys", keysDir}, 1, "no ceremony record", true},
		{[]string{"ceremony", "verify"}, 2, "the transcript directory", true},
	} {
		r := sable(t, tc.args...)
		wantError(t, r, tc.code, tc.mention)
		if hinted := strings.Contains(r.stderr, "sable: hint: "); hinted != tc.hint {
			t.Errorf("sable %s: hint %v, want %v: %q", strings.Join(tc.args, " "), hinted, tc.hint, r.stderr)
		}
	}
	if _, err := os.Stat(p("x")); err == nil {
		t.Error("a contribution was written on a tampered transcript")
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

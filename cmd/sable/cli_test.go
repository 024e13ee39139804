package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// keysDir holds one dev setup shared by every test in the package.
var keysDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sable-cli-test-")
	if err != nil {
		panic(err)
	}
	keysDir = filepath.Join(dir, "keys")
	var out, errb bytes.Buffer
	if code := run([]string{"setup", "--dev", "--out", keysDir}, &out, &errb); code != 0 {
		panic("setup failed: " + errb.String())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func sable(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// wantError checks the shape every failure must have: a non-zero exit,
// "sable: error: " naming the problem on one line, at most one hint line,
// and nothing that looks like a panic.
func wantError(t *testing.T, r result, code int, mention string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "sable: error: ") || len(lines) > 2 || (len(lines) == 2 && !strings.HasPrefix(lines[1], "sable: hint: ")) {
		t.Fatalf("stderr is not one error line (+ hint): %q", r.stderr)
	}
	if !strings.Contains(lines[0], mention) {
		t.Fatalf("error %q does not mention %q", lines[0], mention)
	}
	if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
		t.Fatalf("stack trace: %q", r.stderr)
	}
}

func ctxHex(label string) string { return zkp.NewContext("sable/test", []byte(label)).String() }

// proveTransfer makes a valid bundle and returns its path.
func proveTransfer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	c := sable(t, "commit", "--value", "1000")
	var com struct{ Commitment, Blinding string }
	if err := json.Unmarshal([]byte(c.stdout), &com); err != nil {
		t.Fatalf("commit output %q: %v", c.stdout, err)
	}
	bundle := filepath.Join(dir, "bundle.json")
	openingPath := filepath.Join(dir, "opening.json")
	r := sable(t, "prove", "transfer", "--keys", keysDir, "--balance", "1000", "--balance-blinding", com.Blinding,
		"--amount", "250", "--context", ctxHex("tx1"), "--out", bundle, "--opening-out", openingPath)
	if r.code != 0 {
		t.Fatalf("prove: %s", r.stderr)
	}
	var b zkp.Bundle
	data, _ := os.ReadFile(bundle)
	if err := json.Unmarshal(data, &b); err != nil || b.Public.Available != com.Commitment {
		t.Fatalf("bundle %s does not carry the available commitment %s", data, com.Commitment)
	}
	st, err := os.Stat(openingPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("opening file: %v, mode %v", err, st.Mode())
	}
	var o opening
	od, _ := os.ReadFile(openingPath)
	if err := json.Unmarshal(od, &o); err != nil || o.Amount != "250" || strings.Contains(string(data), o.Blinding) {
		t.Fatalf("opening %s: %v; or the bundle leaks the amount blinding", od, err)
	}
	return bundle
}

func TestProveVerifyTransfer(t *testing.T) {
	bundle := proveTransfer(t)
	r := sable(t, "verify", "--keys", keysDir, bundle)
	if r.code != 0 || r.stdout != "valid\n" {
		t.Fatalf("verify: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	bundle := proveTransfer(t)
	data, _ := os.ReadFile(bundle)
	var b zkp.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	flip := func(h string, i int) string {
		raw, _ := hex.DecodeString(h)
		raw[i] ^= 0x01
		return hex.EncodeToString(raw)
	}
	other := zkp.Commit(7, zkp.Order()).String()
	cases := map[string]func(*zkp.Bundle){
		"flipped proof byte (A)":   func(b *zkp.Bundle) { b.Proof = flip(b.Proof, 5) },
		"flipped proof byte (C)":   func(b *zkp.Bundle) { b.Proof = flip(b.Proof, 100) },
		"changed context":          func(b *zkp.Bundle) { b.Public.Context = ctxHex("tx2") },
		"changed amount":           func(b *zkp.Bundle) { b.Public.Amount = other },
		"changed available":        func(b *zkp.Bundle) { b.Public.Available = other },
		"available off the curve":  func(b *zkp.Bundle) { b.Public.Available = flip(b.Public.Available, 0) },
		"another verifying key":    func(b *zkp.Bundle) { b.VKHash = strings.Repeat("00", 32) },
		"mint claim on a transfer": func(b *zkp.Bundle) { b.Circuit = zkp.Mint; b.Public.Available = "" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := b
			mutate(&m)
			path := filepath.Join(t.TempDir(), "b.json")
			os.WriteFile(path, m.Marshal(), 0o644)
			r := sable(t, "verify", "--keys", keysDir, path)
			if r.code != 1 || !strings.HasPrefix(r.stdout, "invalid: ") {
				t.Fatalf("exit %d, stdout %q stderr %q; want 1 and invalid", r.code, r.stdout, r.stderr)
			}
		})
	}
}

func TestVerifyUnusableInput(t *testing.T) {
	bundle := proveTransfer(t)
	data, _ := os.ReadFile(bundle)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	wrongKeys := filepath.Join(dir, "wrongkeys")
	os.MkdirAll(wrongKeys, 0o755)
	mintVK, _ := os.ReadFile(filepath.Join(keysDir, "mint.vk"))
	os.WriteFile(filepath.Join(wrongKeys, "transfer.vk"), mintVK, 0o644)
	truncKeys := filepath.Join(dir, "trunckeys")
	os.MkdirAll(truncKeys, 0o755)
	vk, _ := os.ReadFile(filepath.Join(keysDir, "transfer.vk"))
	os.WriteFile(filepath.Join(truncKeys, "transfer.vk"), vk[:len(vk)/2], 0o644)
	cases := []struct {
		name, keys, path, mention string
	}{
		{"missing bundle", keysDir, filepath.Join(dir, "nope.json"), "no such file"},
		{"truncated bundle", keysDir, write("trunc.json", data[:len(data)/2]), "not a usable proof bundle"},
		{"not JSON", keysDir, write("x.json", []byte("hello")), "not a usable proof bundle"},
		{"unknown circuit", keysDir, write("c.json", bytes.Replace(data, []byte(`"transfer"`), []byte(`"swap"`), 1)), "unknown circuit"},
		{"proof not hex", keysDir, write("h.json", bytes.Replace(data, []byte(`"proof": "`), []byte(`"proof": "zz`), 1)), "proof is not 128 bytes of hex"},
		{"missing keys dir", filepath.Join(dir, "nokeys"), bundle, "no such file"},
		{"wrong-circuit key file", wrongKeys, bundle, "mint"},
		{"truncated key file", truncKeys, bundle, "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, sable(t, "verify", "--keys", tc.keys, tc.path), 2, tc.mention)
		})
	}
}

func TestProveBadInput(t *testing.T) {
	c := sable(t, "commit", "--value", "1000")
	var com struct{ Commitment, Blinding string }
	json.Unmarshal([]byte(c.stdout), &com)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	opening := filepath.Join(dir, "opening.json")
	base := map[string]string{"--keys": keysDir, "--balance": "1000", "--balance-blinding": com.Blinding,
		"--amount": "10", "--context": ctxHex("x"), "--out": out, "--opening-out": opening}
	corrupt := filepath.Join(dir, "corrupt")
	os.MkdirAll(corrupt, 0o755)
	for _, f := range []string{"transfer.vk", "transfer.pk"} {
		b, _ := os.ReadFile(filepath.Join(keysDir, f))
		if f == "transfer.pk" {
			b[len(b)-10] ^= 0xff
		}
		os.WriteFile(filepath.Join(corrupt, f), b, 0o600)
	}
	swapped := filepath.Join(dir, "swapped")
	os.MkdirAll(swapped, 0o755)
	for _, f := range []string{"transfer.vk", "transfer.pk"} {
		b, _ := os.ReadFile(filepath.Join(keysDir, f))
		os.WriteFile(filepath.Join(swapped, strings.Replace(f, "pk", "tmp", 1)), b, 0o600)
	}
	os.Rename(filepath.Join(swapped, "transfer.vk"), filepath.Join(swapped, "transfer.pk"))
	os.Rename(filepath.Join(swapped, "transfer.tmp"), filepath.Join(swapped, "transfer.vk"))
	cases := []struct {
		name, flag, value, mention string
	}{
		{"amount zero", "--amount", "0", "--amount is 0"},
		{"amount negative", "--amount", "-5", "negative"},
		{"amount not a number", "--amount", "12.5x", "not a whole number"},
		{"amount 2^64", "--amount", "18446744073709551616", "too large"},
		{"balance below amount", "--balance", "9", "smaller than --amount"},
		{"balance blinding not hex", "--balance-blinding", "xyz", "not hex"},
		{"balance blinding ≥ ℓ", "--balance-blinding", strings.Repeat("ff", 32), "group order"},
		{"amount blinding ≥ ℓ", "--amount-blinding", strings.Repeat("ff", 32), "group order"},
		{"amount blinding too long", "--amount-blinding", strings.Repeat("ff", 33), "1 to 32"},
		{"context not hex", "--context", "0x12g4", "not hex"},
		{"context too short", "--context", "abcd", "2 bytes"},
		{"context ≥ field modulus", "--context", strings.Repeat("ff", 32), "field modulus"},
		{"keys missing", "--keys", filepath.Join(dir, "none"), "no such file"},
		{"proving key corrupted", "--keys", corrupt, "checksum"},
		{"keys swapped", "--keys", swapped, "is a proving key, want a verifying key"},
		{"output dir missing", "--out", filepath.Join(dir, "no", "out.json"), "does not exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"prove", "transfer", tc.flag, tc.value}
			for k, v := range base {
				if k != tc.flag {
					args = append(args, k, v)
				}
			}
			wantError(t, sable(t, args...), 1, tc.mention)
			for _, p := range []string{out, opening} {
				if _, err := os.Stat(p); err == nil {
					t.Fatalf("%s written despite the error", p)
				}
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(leftovers) > 0 {
				t.Fatalf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestProveMintAndVerify(t *testing.T) {
	dir := t.TempDir()
	bundle := filepath.Join(dir, "mint.json")
	r := sable(t, "prove", "mint", "--keys", keysDir, "--amount", "500", "--amount-blinding", "2a", "--context", ctxHex("m"), "--out", bundle)
	if r.code != 0 {
		t.Fatalf("prove mint: %s", r.stderr)
	}
	if r := sable(t, "verify", "--keys", keysDir, bundle); r.code != 0 {
		t.Fatalf("verify mint: %q %q", r.stdout, r.stderr)
	}
	// Without --opening-out a random blinding would be lost: refuse.
	wantError(t, sable(t, "prove", "mint", "--keys", keysDir, "--amount", "5", "--context", ctxHex("m"), "--out", bundle+"2"), 1, "lost")
}

func TestCommitAndCircuits(t *testing.T) {
	r := sable(t, "commit", "--value", "125050", "--blinding", "2a")
	if !strings.Contains(r.stdout, "4ae09589e02082712a764659ed3c3190faaf64fce6e100bfeccd075e87237c93") {
		t.Fatalf("commit: %q (golden vector in testdata/commitments.json)", r.stdout)
	}
	wantError(t, sable(t, "commit", "--value", "abc"), 1, "not a whole number")
	wantError(t, sable(t, "commit", "--value", "1", "--blinding", "zz"), 1, "not hex")
	r = sable(t, "circuits", "--json", "--keys", keysDir)
	var infos []circuitInfo
	if err := json.Unmarshal([]byte(r.stdout), &infos); err != nil || len(infos) != 4 {
		t.Fatalf("circuits --json: %q %v", r.stdout, err)
	}
	if infos[0].Name != "transfer" || infos[0].Constraints > 2500 || infos[0].PublicInputs != 5 || len(infos[0].VKHash) != 64 {
		t.Fatalf("transfer: %+v", infos[0])
	}
	if infos[2].Name != "fx" || infos[2].Constraints != 2031 || infos[2].PublicInputs != 6 || len(infos[2].VKHash) != 64 {
		t.Fatalf("fx: %+v", infos[2])
	}
	if infos[3].Name != "batch" || infos[3].Constraints != 16267 || infos[3].PublicInputs != 2+2*zkp.BatchSize+1 || len(infos[3].VKHash) != 64 {
		t.Fatalf("batch: %+v", infos[3])
	}
}

// TestSetupTables: the setup writes every circuit's keys and the table
// caches of the circuits whose tables pay at setup (not batch's).
func TestSetupTables(t *testing.T) {
	for _, c := range zkp.Circuits() {
		pk, vk := zkp.KeyPaths(keysDir, c)
		for _, path := range []string{pk, vk} {
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("%s: %v", c, err)
			}
		}
		_, err := os.Stat(zkp.TablesPath(keysDir, c))
		if c.TablesAtSetup() != (err == nil) {
			t.Fatalf("%s: tables at setup %v, cache: %v", c, c.TablesAtSetup(), err)
		}
	}
	if zkp.Batch.TablesAtSetup() {
		t.Fatal("the setup writes the batch circuit's 85 MB of tables")
	}
}

func TestUsageErrors(t *testing.T) {
	wantError(t, sable(t, "setup", "--out", t.TempDir()), 1, "development setup")
	wantError(t, sable(t, "verify", "--keys", keysDir), 2, "want BUNDLE.json")
	wantError(t, sable(t, "prove", "transfer", "--bogus"), 2, "unknown flag")
	wantError(t, sable(t, "nonsense"), 2, "unknown command")
}

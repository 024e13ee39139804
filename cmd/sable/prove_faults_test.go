package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// sable prove reports the first fault the user must fix, not the missing
// --opening-out that would only matter once everything else is right.
func TestProveReportsTheRealFault(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "b.json")
	base := []string{"prove", "transfer", "--keys", keysDir, "--amount", "5", "--context", ctxHex("f"), "--out", out}
	wantError(t, sable(t, append(base, "--balance-blinding", "2a")...), 1, "--balance")
	wantError(t, sable(t, append(base, "--balance", "100")...), 1, "--balance-blinding is required")
	wantError(t, sable(t, append(base, "--balance", "100", "--balance-blinding", "zz")...), 1, "balance-blinding")
	wantError(t, sable(t, append(base, "--balance", "100", "--balance-blinding", "2a")...), 1, "lost")
}

// The public bundle and the secret opening never share a file.
func TestProveRefusesOneFileForBundleAndOpening(t *testing.T) {
	dir := t.TempDir()
	same := filepath.Join(dir, "x.json")
	wantError(t, sable(t, "prove", "mint", "--keys", keysDir, "--amount", "5", "--context", ctxHex("m"),
		"--out", same, "--opening-out", filepath.Join(dir, ".", "x.json")), 1, "same file")
	if _, err := os.Stat(same); err == nil {
		t.Fatal("a file was written")
	}
}

// A damaged key file never draws the advice to run a new setup: a
// network's genesis pins its keys.
func TestDamagedKeyHintKeepsTheNetworksKeys(t *testing.T) {
	dir := t.TempDir()
	for _, c := range zkp.Circuits() {
		pk, vk := zkp.KeyPaths(keysDir, c)
		for _, p := range []string{pk, vk} {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, vk := zkp.KeyPaths(dir, zkp.Mint)
	b, _ := os.ReadFile(vk)
	b[len(b)-1] ^= 1
	os.WriteFile(vk, b, 0o600)
	r := sable(t, "prove", "mint", "--keys", dir, "--amount", "5", "--amount-blinding", "2a", "--context", ctxHex("m"),
		"--out", filepath.Join(t.TempDir(), "b.json"))
	wantError(t, r, 1, "mint.vk")
	if strings.Contains(r.stderr, "sable setup") || !strings.Contains(r.stderr, "copy it again") {
		t.Fatalf("hint for a damaged key: %q", r.stderr)
	}
	r = sable(t, "prove", "mint", "--keys", t.TempDir(), "--amount", "5", "--amount-blinding", "2a", "--context", ctxHex("m"),
		"--out", filepath.Join(t.TempDir(), "b.json"))
	wantError(t, r, 1, "")
	if !strings.Contains(r.stderr, "no keys in") {
		t.Fatalf("hint for missing keys: %q", r.stderr)
	}
}

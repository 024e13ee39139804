package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

// A contribution signed with a party's identity key (--home) shows its
// key in verify, an unsigned one shows "unsigned", and --contributors
// requires the listed parties' signatures; a replaced signature is one
// error line naming the entry.
func TestCeremonyCLISigned(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	id, err := party.NewIdentity(party.Config{ID: "bank-sg", Role: "bank", Country: "SG"})
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Write(p("bank-sg")); err != nil {
		t.Fatal(err)
	}
	sp := id.SignPub()
	sgKey := hex.EncodeToString(sp[:])
	fp := ceremony.Fingerprint(sgKey)

	if r := sable(t, "ceremony", "init", "--out", p("t0")); r.code != 0 {
		t.Fatalf("init: %s", r.stderr)
	}
	r := sable(t, "ceremony", "contribute", "--in", p("t0"), "--out", p("t1"), "--home", p("bank-sg"))
	if r.code != 0 || !strings.Contains(r.stdout, "by bank-sg (key "+fp+")") {
		t.Fatalf("signed contribute: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = sable(t, "ceremony", "contribute", "--in", p("t1"), "--out", p("t2"), "--name", "bank-hk")
	if r.code != 0 || !strings.Contains(r.stdout, "by bank-hk (unsigned)") {
		t.Fatalf("unsigned contribute: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	r = sable(t, "ceremony", "verify", p("t2"))
	if r.code != 0 || !strings.Contains(r.stdout, "phase1 #1 bank-sg (key "+fp+")") || !strings.Contains(r.stdout, "phase1 #2 bank-hk (unsigned)") {
		t.Fatalf("verify: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	write := func(name, data string) string {
		if err := os.WriteFile(p(name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p(name)
	}
	lines := write("sg.txt", "# who must have signed\nbank-sg "+sgKey+"\n")
	if r := sable(t, "ceremony", "verify", p("t2"), "--contributors", lines); r.code != 0 || !strings.Contains(r.stdout, "every one of the 1 listed contributors signed") {
		t.Fatalf("verify --contributors bank-sg: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	both, _ := json.Marshal([]ceremony.Party{{Name: "bank-sg", Key: sgKey}, {Name: "bank-hk", Key: strings.Repeat("ab", 32)}})
	r = sable(t, "ceremony", "verify", p("t2"), "--contributors", write("both.json", string(both)))
	wantError(t, r, 1, "bank-hk (key abababababababab) contributed unsigned only in phase 1")
	if strings.Contains(r.stderr, "bank-sg (") || r.stdout != "" {
		t.Errorf("the refusal names bank-sg, which signed, or prints a chain: %q %q", r.stderr, r.stdout)
	}

	forged := p("forged")
	copyTree(t, p("t2"), forged)
	raw, err := os.ReadFile(filepath.Join(forged, ceremony.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m ceremony.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m.Entries[1].Sig = strings.Repeat("00", 64)
	raw, _ = json.Marshal(&m)
	write(filepath.Join("forged", ceremony.ManifestFile), string(raw))
	for _, args := range [][]string{
		{"ceremony", "verify", forged},
		{"ceremony", "contribute", "--in", forged, "--out", p("t3"), "--name", "bank-us"},
	} {
		wantError(t, sable(t, args...), 1, "entry 1: bank-sg's signature does not verify")
	}

	keyFile := write("seed.hex", hex.EncodeToString(id.Sign.Seed())+"\n")
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"--key", keyFile, "--name", "bank-sg"}, "readable by others"},
		{[]string{"--key", keyFile, "--home", p("bank-sg")}, "give one"},
		{[]string{"--home", p("nobody")}, "not a party home"},
	} {
		args := append([]string{"ceremony", "contribute", "--in", p("t2"), "--out", p("t4")}, tc.args...)
		wantError(t, sable(t, args...), 1, tc.mention)
	}
	if err := os.Chmod(keyFile, 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := readSeedFile(keyFile); err != nil || !k.Equal(id.Sign) {
		t.Fatalf("the seed file does not load the party's key: %v", err)
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runSable(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestTestnetAndNodeCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	code, out, errs := runSable("testnet", "--validators", "2", "--fund", "1000.00", "--out", dir, "--base-port", "32400")
	if code != 0 {
		t.Fatalf("testnet: exit %d: %s", code, errs)
	}
	for _, want := range []string{"validator-1", "http://127.0.0.1:32417", "bank-th", "issuer-cny", "regulator", "sable node --home"} {
		if !strings.Contains(out, want) {
			t.Errorf("testnet output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "WARNING") {
		t.Errorf("no development-setup warning on stderr: %q", errs)
	}
	for _, p := range []string{"genesis.json", "testnet.json", "keys/transfer.pk", "validators/1/config/config.toml",
		"validators/1/zk/mint.vk", "banks/bank-sg/party.json", "issuers/JPY/sign.key", "regulator/memo.key"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("testnet did not write %s", p)
		}
	}

	noNet := filepath.Join(t.TempDir(), "z") // a testnet that fails leaves no directory
	for _, tc := range []struct {
		args    []string
		mention string
	}{
		{[]string{"testnet", "--validators", "2", "--out", dir}, "already holds a testnet"},
		{[]string{"testnet", "--validators", "4", "--fund", "1.5", "--out", filepath.Join(t.TempDir(), "x")}, "JPY"},
		{[]string{"testnet", "--validators", "0", "--out", filepath.Join(t.TempDir(), "y")}, "at least 1"},
		{[]string{"testnet", "--validators", "4"}, "--out is required"},
		{[]string{"testnet", "--validators", "1", "--keys", filepath.Join(dir, "keys"), "--identities", t.TempDir(), "--out", noNet}, "is not a party home"},
		{[]string{"node"}, "--home is required"},
		{[]string{"node", "--home", filepath.Join(dir, "banks", "bank-sg")}, "not a validator home"},
		{[]string{"node", "--home", filepath.Join(dir, "validators", "0"), "--log-level", "loud"}, "--log-level"},
	} {
		code, _, errs := runSable(tc.args...)
		if code != 1 || !strings.HasPrefix(errs, "sable: error: ") || !strings.Contains(errs, tc.mention) {
			t.Errorf("sable %s: exit %d, stderr %q; want exit 1 mentioning %q", strings.Join(tc.args, " "), code, errs, tc.mention)
		}
	}
	if _, err := os.Stat(noNet); !os.IsNotExist(err) {
		t.Errorf("a failed 'sable testnet --identities' left %s (%v)", noNet, err)
	}
}

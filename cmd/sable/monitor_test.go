package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/sable-settlement/sable/he"
	"github.com/sable-settlement/sable/ledger/party"
)

func TestMonitorErrors(t *testing.T) {
	wantError(t, sable(t, "monitor"), 1, "--node and --keys are required")
	empty := t.TempDir()
	wantError(t, sable(t, "monitor", "--node", "http://127.0.0.1:1", "--keys", empty), 1, "regulator HE key")
	wantError(t, sable(t, "monitor", "--node", "http://127.0.0.1:1", "--keys", empty, "--min-flows", "1"), 1, "would show single payments")
	wantError(t, sable(t, "monitor", "--node", "http://127.0.0.1:1", "--keys", empty, "--listen", "8080"), 1, "--listen")

	home := filepath.Join(t.TempDir(), "regulator")
	sk, pk := he.GenerateKeys(he.DefaultParams())
	if err := party.WriteHEKeys(home, sk, pk); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := sable(t, "monitor", "--node", "http://127.0.0.1:1", "--keys", home, "--listen", l.Addr().String())
	wantError(t, r, 1, "already in use")

	if err := os.Chmod(filepath.Join(home, "he.sk"), 0o644); err != nil {
		t.Fatal(err)
	}
	wantError(t, sable(t, "monitor", "--node", "http://127.0.0.1:1", "--keys", home), 1, "chmod 600")
}

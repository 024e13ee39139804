package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// ok runs a command and fails the test unless it exits 0.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := sable(t, args...)
	if r.code != 0 {
		t.Fatalf("sable %s: exit %d %q %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// table is the party's balance table: available and pending per currency.
func table(t *testing.T, home string) string { return ok(t, "balance", "--home", home).stdout }

func issuerOf(t *testing.T, l *testnet.Layout, cur string) testnet.Party {
	t.Helper()
	for _, p := range l.Issuers {
		if p.Currency == cur {
			return p
		}
	}
	t.Fatalf("no %s issuer", cur)
	return testnet.Party{}
}

// TestWalletRecover is the test: a bank makes and receives a mix of
// payments (single, bulk, a mint, apply-pending, in two currencies), and
// pays the issuer, who burns; its wallet directory is deleted; 'sable
// wallet recover' rebuilds it; 'sable balance' prints what it printed
// before, and its next transfer commits. Recover over the wallet it made
// is refused with the files untouched. The issuer's wallet is rebuilt too,
// with its supply's opening, and mints again.
func TestWalletRecover(t *testing.T) {
	l, _ := network(t)
	a, b, sgd := l.Banks[0], l.Banks[1], issuerOf(t, l, "SGD")

	ok(t, "transfer", "--home", a.Home, "--to", b.ID, "--currency", "SGD", "--amount", "12.50", "--wait")
	ok(t, "transfer", "--home", a.Home, "--to", b.ID, "--currency", "SGD", "--amount", "1", "--amount", "2.25", "--wait")
	ok(t, "transfer", "--home", a.Home, "--to", b.ID, "--currency", "USD", "--amount", "10", "--wait")
	ok(t, "transfer", "--home", b.Home, "--to", a.ID, "--currency", "SGD", "--amount", "7", "--wait")
	ok(t, "transfer", "--home", b.Home, "--to", a.ID, "--currency", "SGD", "--amount", "0.10", "--amount", "0.20", "--wait")
	ok(t, "mint", "--home", sgd.Home, "--to", a.ID, "--currency", "SGD", "--amount", "100", "--wait")
	ok(t, "wallet", "sync", "--home", a.Home)
	ok(t, "apply-pending", "--home", a.Home, "--currency", "SGD", "--wait")
	ok(t, "transfer", "--home", b.Home, "--to", a.ID, "--currency", "SGD", "--amount", "3", "--wait") // stays pending
	ok(t, "transfer", "--home", a.Home, "--to", sgd.ID, "--currency", "SGD", "--amount", "20", "--wait")
	ok(t, "wallet", "sync", "--home", sgd.Home)
	ok(t, "apply-pending", "--home", sgd.Home, "--currency", "SGD", "--wait")
	ok(t, "burn", "--home", sgd.Home, "--currency", "SGD", "--amount", "5", "--wait")

	before := table(t, a.Home)
	if !strings.Contains(before, "1071.55") || !strings.Contains(before, "3.00") {
		t.Fatalf("balance before:\n%s\nwant SGD 1071.55 available, 3.00 pending", before)
	}
	dir := party.WalletDir(a.Home)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	wantError(t, sable(t, "balance", "--home", a.Home), 1, "is missing")

	r := ok(t, "wallet", "recover", "--home", a.Home)
	t.Logf("%s", strings.TrimSpace(r.stdout))
	if !strings.Contains(r.stdout, "recovered "+dir+": 5 own transactions, 5 payments received (1 pending), accounts") {
		t.Fatalf("recover said %q", r.stdout)
	}
	if after := table(t, a.Home); after != before {
		t.Fatalf("balance after recover:\n%s\nbefore:\n%s", after, before)
	}
	ok(t, "transfer", "--home", a.Home, "--to", b.ID, "--currency", "SGD", "--amount", "1.55", "--wait")
	if got := table(t, a.Home); !strings.Contains(got, "1070.00") {
		t.Fatalf("after the next transfer:\n%s\nwant SGD 1070.00 available", got)
	}

	files := snapshotFiles(t, dir)
	wantError(t, sable(t, "wallet", "recover", "--home", a.Home), 1, "is already there")
	if !reflect.DeepEqual(files, snapshotFiles(t, dir)) {
		t.Fatal("recover over a wallet changed its files")
	}

	issuerBefore := table(t, sgd.Home)
	os.RemoveAll(party.WalletDir(sgd.Home))
	r = ok(t, "wallet", "recover", "--home", sgd.Home)
	if strings.Contains(r.stderr, "not rebuilt") {
		t.Fatalf("issuer recover stderr %q: the supply's opening is in the genesis and its mints", r.stderr)
	}
	if got := table(t, sgd.Home); got != issuerBefore {
		t.Fatalf("issuer balance after recover:\n%s\nbefore:\n%s", got, issuerBefore)
	}
	// The rebuilt supply opening (genesis supply memo + the mint − the
	// burn) is the ledger's: the issuer's next mint is proved against it.
	ok(t, "mint", "--home", sgd.Home, "--to", b.ID, "--currency", "SGD", "--amount", "1", "--wait")
}

// TestWalletRecoverErrors: no --home, a node that is down: one error line
// and a hint, and no wallet written.
func TestWalletRecoverErrors(t *testing.T) {
	wantError(t, sable(t, "wallet", "recover"), 1, "--home is required")
	l, _ := network(t)
	a := l.Banks[0]
	os.RemoveAll(party.WalletDir(a.Home))
	r := sable(t, "wallet", "recover", "--home", a.Home, "--node", "http://127.0.0.1:1")
	wantError(t, r, 1, "unreachable")
	if !strings.Contains(r.stderr, "sable: hint: ") {
		t.Fatalf("no hint: %q", r.stderr)
	}
	if _, err := os.Stat(party.WalletDir(a.Home)); !os.IsNotExist(err) {
		t.Fatalf("a failed recover left a wallet: %v", err)
	}
	entries, _ := os.ReadDir(a.Home)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".wallet-recover-") {
			t.Fatalf("left %s behind", e.Name())
		}
	}
}

// snapshotFiles is every file under dir with its bytes and modification time.
func snapshotFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[p] = string(b) + "@" + fi.ModTime().Format(time.RFC3339Nano)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

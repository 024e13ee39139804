package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// network is one validator running in the test's process, on a testnet
// whose homes are dated an hour back, as if 'sable testnet' had written
// them earlier.
func network(t *testing.T) (*testnet.Layout, *client.Client) {
	t.Helper()
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "1000", TimeoutCommit: 100 * time.Millisecond, KeysFrom: keysDir})
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for _, p := range append(append([]testnet.Party{}, l.Banks...), l.Issuers...) {
		os.Chtimes(filepath.Join(p.Home, "party.json"), old, old)
	}
	n, err := node.Start(context.Background(), l.Validators[0].Home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	c, err := client.Dial(n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := localnet.WaitHeight(c, 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return l, c
}

func balances(t *testing.T, home string) map[string]string {
	t.Helper()
	r := sable(t, "balance", "--home", home, "--json")
	var m map[string]string
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &m) != nil {
		t.Fatalf("balance: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	return m
}

// failSyncAfterCommit makes the sync that follows a commit fail, as a
// node that goes away right after the commit would.
func failSyncAfterCommit(t *testing.T) {
	saved := syncAfterCommit
	syncAfterCommit = func(context.Context, *session) error { return errors.New("ledger: node unreachable") }
	t.Cleanup(func() { syncAfterCommit = saved })
}

// TestCommittedIsSuccess: once a transaction is committed the command
// exits 0; a local step that fails afterwards is a warning naming what to
// run, and running it settles the wallet. Also: repeated --amount flags
// and --amounts-file make one bulk transfer.
func TestCommittedIsSuccess(t *testing.T) {
	l, _ := network(t)
	payer, payee := l.Banks[0], l.Banks[1]

	failSyncAfterCommit(t)
	r := sable(t, "transfer", "--home", payer.Home, "--to", payee.ID, "--currency", "SGD", "--amount", "12.50", "--wait")
	if r.code != 0 {
		t.Fatalf("transfer committed but exit %d: %q", r.code, r.stderr)
	}
	txid := strings.TrimSpace(r.stdout)
	if _, err := ledger.ParseTxID(txid); err != nil {
		t.Fatalf("stdout %q is not a transaction id", r.stdout)
	}
	wantWarning(t, r.stderr, payer.Home)

	// apply-pending at the payee, its sync failing too
	if r := sable(t, "wallet", "sync", "--home", payee.Home); r.code != 0 {
		t.Fatalf("payee sync: %q", r.stderr)
	}
	r = sable(t, "apply-pending", "--home", payee.Home, "--currency", "SGD", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "SGD (1 payments)") {
		t.Fatalf("apply-pending committed but exit %d: %q %q", r.code, r.stdout, r.stderr)
	}
	wantWarning(t, r.stderr, payee.Home)
	syncAfterCommit = func(ctx context.Context, s *session) error { _, err := s.Wallet.Sync(ctx, s.Client); return err }

	// what the warning says to run settles it
	for _, home := range []string{payer.Home, payee.Home} {
		if r := sable(t, "wallet", "sync", "--home", home); r.code != 0 {
			t.Fatalf("wallet sync: exit %d %q", r.code, r.stderr)
		}
	}
	if b := balances(t, payer.Home); b["SGD"] != "987.50" {
		t.Fatalf("payer SGD %s, want 987.50 (paid once)", b["SGD"])
	}
	if b := balances(t, payee.Home); b["SGD"] != "1012.50" {
		t.Fatalf("payee SGD %s, want 1012.50", b["SGD"])
	}
	if r := sable(t, "status", "--home", payer.Home, txid); r.code != 0 || !strings.HasPrefix(r.stdout, "committed at height") {
		t.Fatalf("status: exit %d %q", r.code, r.stdout)
	}

	// several payments: repeated flags, then a file
	r = sable(t, "transfer", "--home", payer.Home, "--to", payee.ID, "--currency", "SGD", "--amount", "1", "--amount", "2.50", "--wait")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("bulk transfer: exit %d %q", r.code, r.stderr)
	}
	amounts := filepath.Join(t.TempDir(), "amounts.txt")
	os.WriteFile(amounts, []byte("# March payroll\n0.50\n\n1.00\n"), 0o644)
	r = sable(t, "transfer", "--home", payer.Home, "--to", payee.ID, "--currency", "SGD", "--amounts-file", amounts, "--wait")
	if r.code != 0 {
		t.Fatalf("transfer --amounts-file: exit %d %q", r.code, r.stderr)
	}
	if b := balances(t, payer.Home); b["SGD"] != "982.50" {
		t.Fatalf("payer SGD %s after 3.50 and 1.50 more, want 982.50", b["SGD"])
	}
	if r := sable(t, "wallet", "sync", "--home", payee.Home); r.code != 0 || !strings.Contains(r.stdout, "4 payments received") {
		t.Fatalf("payee sync: %q %q", r.stdout, r.stderr)
	}

	// a batch file: two banks, two currencies, one transaction
	other := l.Banks[2]
	batch := filepath.Join(t.TempDir(), "batch.csv")
	os.WriteFile(batch, []byte("receiver,currency,amount\n"+payee.ID+",SGD,2.00\n# the USD desk\n"+other.ID+",USD,3.25\n"+payee.ID+",USD,1.00\n"), 0o644)
	r = sable(t, "transfer", "--home", payer.Home, "--batch", batch, "--wait")
	if r.code != 0 || !strings.Contains(r.stderr, "batch of 3 payments") || len(strings.Fields(r.stdout)) != 1 {
		t.Fatalf("transfer --batch: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if b := balances(t, payer.Home); b["SGD"] != "980.50" || b["USD"] != "995.75" {
		t.Fatalf("payer after the batch: %v, want SGD 980.50 and USD 995.75", b)
	}
	for home, want := range map[string]string{payee.Home: "2 payments received", other.Home: "1 payments received"} {
		if r := sable(t, "wallet", "sync", "--home", home); r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Fatalf("sync %s: %q %q, want %q", home, r.stdout, r.stderr, want)
		}
	}

	// --batch-window: lines streamed through a pipe, two apart by more
	// than the window, make two batches
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		defer pw.Close()
		fmt.Fprintf(pw, `{"receiver": %q, "currency": "SGD", "amount": "0.10"}`+"\n", payee.ID)
		fmt.Fprintf(pw, `{"receiver": %q, "currency": "SGD", "amount": "0.20"}`+"\n", other.ID)
		time.Sleep(1500 * time.Millisecond)
		fmt.Fprintf(pw, `{"receiver": %q, "currency": "USD", "amount": "0.30"}`+"\n", payee.ID)
	}()
	r = sable(t, "transfer", "--home", payer.Home, "--batch", fmt.Sprintf("/dev/fd/%d", pr.Fd()), "--batch-window", "300ms", "--wait")
	if r.code != 0 || !strings.Contains(r.stderr, "batch of 2 payments") || !strings.Contains(r.stderr, "batch of 1 payments") || len(strings.Fields(r.stdout)) != 2 {
		t.Fatalf("transfer --batch-window: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if b := balances(t, payer.Home); b["SGD"] != "980.20" || b["USD"] != "995.45" {
		t.Fatalf("payer after the streamed batches: %v", b)
	}
}

func wantWarning(t *testing.T, stderr, home string) {
	t.Helper()
	want := "sable: warning: the transaction is committed, but the wallet is not synced (ledger: node unreachable); run 'sable wallet sync --home " + home + "'\n"
	if !strings.Contains(stderr, "committed at height ") || !strings.HasSuffix(stderr, want) || strings.Contains(stderr, "sable: error") {
		t.Fatalf("stderr %q, want the commit and then %q", stderr, want)
	}
}

// TestWalletDamageCLI: a damaged, missing or busy wallet stops a command
// with one line saying which, naming the file and the recovery, and the
// wallet's files are the same afterwards; restored, it opens with every
// opening.
func TestWalletDamageCLI(t *testing.T) {
	l, _ := network(t)
	home := l.Banks[2].Home
	dir := party.WalletDir(home)
	want := balances(t, home)

	files := func(t *testing.T) map[string]string {
		t.Helper()
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		m := map[string]string{}
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			m[e.Name()] = string(b)
		}
		return m
	}
	oneLine := func(t *testing.T, r result, mentions ...string) {
		t.Helper()
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "sable: error: ledger: wallet "+dir+" is ") {
			t.Fatalf("exit %d, stderr %q; want exit 1 and one line about the wallet", r.code, r.stderr)
		}
		for _, m := range mentions {
			if !strings.Contains(r.stderr, m) {
				t.Fatalf("stderr %q does not mention %q", r.stderr, m)
			}
		}
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
			t.Fatalf("stack trace: %q", r.stderr)
		}
	}
	manifest := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "CURRENT"))
		return filepath.Join(dir, strings.TrimSpace(string(b)))
	}
	for _, tc := range []struct {
		name     string
		damage   func(t *testing.T) (undo func())
		mentions func() []string
	}{
		{"CURRENT deleted", func(t *testing.T) func() {
			p := filepath.Join(dir, "CURRENT")
			b, _ := os.ReadFile(p)
			os.Remove(p)
			return func() { os.WriteFile(p, b, 0o644) }
		}, func() []string { return []string{"is corrupt: CURRENT missing", "cp -a BACKUP/wallet " + dir} }},
		{"wallet directory deleted", func(t *testing.T) func() {
			os.Rename(dir, dir+".aside")
			return func() { os.Rename(dir+".aside", dir) }
		}, func() []string { return []string{"is missing: no such directory", "cp -a BACKUP/wallet " + dir} }},
		{"MANIFEST truncated", func(t *testing.T) func() {
			p := manifest()
			b, _ := os.ReadFile(p)
			os.Truncate(p, int64(len(b)/2))
			return func() { os.WriteFile(p, b, 0o644) }
		}, func() []string {
			return []string{"is corrupt: " + filepath.Base(manifest()) + " is truncated or damaged", "cp -a BACKUP/wallet " + dir}
		}},
		{"locked by another command", func(t *testing.T) func() {
			s, err := party.Open(home, "")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // let Pebble finish removing what its open made obsolete
			return func() { s.Close() }
		}, func() []string {
			return []string{"is locked by another sable command: LOCK is held", "wait for the other command"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			undo := tc.damage(t)
			before := files(t)
			for _, args := range [][]string{
				{"balance", "--home", home},
				{"transfer", "--home", home, "--to", l.Banks[0].ID, "--currency", "SGD", "--amount", "1", "--wait"},
				{"wallet", "sync", "--home", home},
			} {
				oneLine(t, sable(t, args...), tc.mentions()...)
			}
			if after := files(t); !reflect.DeepEqual(before, after) {
				t.Fatalf("the refused commands changed the wallet's files")
			}
			undo()
			if got := balances(t, home); !reflect.DeepEqual(got, want) {
				t.Fatalf("restored wallet: %v, want %v", got, want)
			}
		})
	}
}

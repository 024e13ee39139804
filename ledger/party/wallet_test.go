package party

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
)

var usd = ledger.Currency{'U', 'S', 'D'}

// seededHome writes a party's home with a wallet holding one opening, as
// 'sable testnet' does, and dates it an hour back: a home written by an
// earlier process, like every home a command opens.
func seededHome(t *testing.T) (*Identity, ledger.Opening) {
	t.Helper()
	id, err := NewIdentity(Config{ID: "bank-sg", Role: "bank", ChainID: "sable-test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Write(filepath.Join(t.TempDir(), "bank-sg")); err != nil {
		t.Fatal(err)
	}
	w, err := CreateWallet(id)
	if err != nil {
		t.Fatal(err)
	}
	o := ledger.Opening{Value: 125050, Blinding: big.NewInt(4242)}
	if err := w.SetBase(usd, o); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// a second session, so the wallet has been reopened (new MANIFEST) once
	w, err = OpenWallet(id)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(id.Home, partyFile), old, old); err != nil {
		t.Fatal(err)
	}
	return id, o
}

// snapshot is every file under dir with its bytes; nil if dir is absent.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	m, ok := trySnapshot(dir)
	if !ok {
		t.Fatalf("cannot read %s", dir)
	}
	return m
}

// settled is the snapshot of a wallet that is open elsewhere, once Pebble
// has finished removing the files its open made obsolete.
func settled(t *testing.T, dir string) map[string]string {
	t.Helper()
	var last map[string]string
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		if m, ok := trySnapshot(dir); ok && reflect.DeepEqual(m, last) {
			return m
		} else if ok {
			last = m
		}
	}
	t.Fatal("the open wallet's files did not settle")
	return nil
}

func trySnapshot(dir string) (m map[string]string, ok bool) {
	m = map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	return m, err == nil
}

func currentManifest(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "CURRENT"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, strings.TrimSpace(string(raw)))
}

// TestOpenWalletDamaged: each way a wallet can be damaged or busy gives one
// line that says which, names the file and says what to run, never
// panics, and leaves every file of the wallet as it was.
func TestOpenWalletDamaged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		kind    error
		damage  func(t *testing.T, dir string) (file string, undo func())
		mention string
	}{
		{"CURRENT deleted", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			p := filepath.Join(dir, "CURRENT")
			b, _ := os.ReadFile(p)
			os.Remove(p)
			return "CURRENT", func() { os.WriteFile(p, b, 0o644) }
		}, "CURRENT missing"},
		{"CURRENT garbage", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			p := filepath.Join(dir, "CURRENT")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte("\x00\x00\x00"), 0o644)
			return "CURRENT", func() { os.WriteFile(p, b, 0o644) }
		}, "does not name a MANIFEST"},
		{"wallet directory deleted", ErrWalletMissing, func(t *testing.T, dir string) (string, func()) {
			aside := dir + ".aside"
			if err := os.Rename(dir, aside); err != nil {
				t.Fatal(err)
			}
			return dir, func() { os.Rename(aside, dir) }
		}, "no such directory"},
		{"wallet directory emptied", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			aside := dir + ".aside"
			os.Rename(dir, aside)
			os.Mkdir(dir, 0o700)
			return "CURRENT", func() { os.Remove(dir); os.Rename(aside, dir) }
		}, "CURRENT missing"},
		{"MANIFEST truncated to half", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			p := currentManifest(t, dir)
			b, _ := os.ReadFile(p)
			os.Truncate(p, int64(len(b)/2))
			return filepath.Base(p), func() { os.WriteFile(p, b, 0o644) }
		}, "truncated or damaged"},
		{"MANIFEST's last bytes cut", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			// Pebble alone would stop quietly at the torn record and drop
			// whatever the tail added.
			p := currentManifest(t, dir)
			b, _ := os.ReadFile(p)
			os.Truncate(p, int64(len(b)-3))
			return filepath.Base(p), func() { os.WriteFile(p, b, 0o644) }
		}, "truncated or damaged"},
		{"MANIFEST emptied", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			p := currentManifest(t, dir)
			b, _ := os.ReadFile(p)
			os.Truncate(p, 0)
			return filepath.Base(p), func() { os.WriteFile(p, b, 0o644) }
		}, "is empty"},
		{"MANIFEST deleted", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			p := currentManifest(t, dir)
			b, _ := os.ReadFile(p)
			os.Remove(p)
			return filepath.Base(p), func() { os.WriteFile(p, b, 0o644) }
		}, "missing"},
		{"wallet is a file", ErrWalletCorrupt, func(t *testing.T, dir string) (string, func()) {
			aside := dir + ".aside"
			os.Rename(dir, aside)
			os.WriteFile(dir, []byte("x"), 0o600)
			return dir, func() { os.Remove(dir); os.Rename(aside, dir) }
		}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, o := seededHome(t)
			dir := WalletDir(id.Home)
			file, undo := tc.damage(t, dir)
			before := snapshot(t, dir)
			w, err := OpenWallet(id)
			if err == nil {
				w.Close()
				t.Fatal("a damaged wallet opened")
			}
			wantWalletError(t, err, tc.kind, file, tc.mention)
			if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
				t.Fatalf("the failed open changed the wallet's files:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
			// opening again fails the same way: nothing was recreated
			if _, err2 := OpenWallet(id); err2 == nil || err2.Error() != err.Error() {
				t.Fatalf("second open: %v, first: %v", err2, err)
			}
			undo()
			requireOpening(t, id, o)
		})
	}
}

// TestOpenWalletLocked: a second open while another holds the wallet is
// "locked", names LOCK, and changes nothing.
func TestOpenWalletLocked(t *testing.T) {
	id, o := seededHome(t)
	dir := WalletDir(id.Home)
	first, err := OpenWallet(id)
	if err != nil {
		t.Fatal(err)
	}
	before := settled(t, dir)
	_, err = OpenWallet(id)
	wantWalletError(t, err, ErrWalletLocked, "LOCK", "is held")
	if !strings.Contains(err.Error(), "wait for the other command") {
		t.Errorf("no recovery in %q", err)
	}
	if after := settled(t, dir); !reflect.DeepEqual(before, after) {
		t.Fatalf("the refused open changed the wallet's files")
	}
	if got, err := first.Base(usd); err != nil || got.Value != o.Value {
		t.Fatalf("the first holder's wallet: %v %v", got, err)
	}
	first.Close()
	requireOpening(t, id, o)
}

func wantWalletError(t *testing.T, err error, kind error, file, mention string) {
	t.Helper()
	var we *WalletError
	if !errors.As(err, &we) || !errors.Is(err, kind) {
		t.Fatalf("error %v (%T), want a WalletError of kind %v", err, err, kind)
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{"wallet " + we.Dir + " is " + kind.Error() + ": ", file, mention} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if kind != ErrWalletLocked && !strings.Contains(msg, "cp -a BACKUP/wallet "+we.Dir) {
		t.Errorf("error %q gives no recovery command", msg)
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") || strings.Contains(msg, "nil pointer") {
		t.Errorf("error is not one line: %q", msg)
	}
}

func requireOpening(t *testing.T, id *Identity, o ledger.Opening) {
	t.Helper()
	w, err := OpenWallet(id)
	if err != nil {
		t.Fatalf("the restored wallet does not open: %v", err)
	}
	defer w.Close()
	got, err := w.Base(usd)
	if err != nil || got.Value != o.Value || got.Blinding.Cmp(o.Blinding) != 0 {
		t.Fatalf("the restored wallet opens %v (%v), want %v", got, err, o)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s(%d bytes)", k, len(v)))
	}
	sort.Strings(out)
	return out
}

// TestCreateWalletRefusesExisting: CreateWallet never starts a fresh
// wallet over anything at the wallet's path.
func TestCreateWalletRefusesExisting(t *testing.T) {
	id, _ := seededHome(t)
	dir := WalletDir(id.Home)
	before := snapshot(t, dir)
	_, err := CreateWallet(id)
	if !errors.Is(err, ErrWalletExists) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("CreateWallet over a wallet: %v", err)
	}
	if !reflect.DeepEqual(before, snapshot(t, dir)) {
		t.Fatal("CreateWallet changed the existing wallet")
	}
	os.Remove(filepath.Join(dir, "CURRENT"))
	if _, err := CreateWallet(id); !errors.Is(err, ErrWalletExists) {
		t.Fatalf("CreateWallet over a damaged wallet: %v", err)
	}
}

// panicFS makes Pebble panic while opening.
type panicFS struct{ vfs.FS }

func (panicFS) List(string) ([]string, error) { panic("disk on fire") }

func TestPebbleOpenRecoversPanic(t *testing.T) {
	db, err := pebblekv.Open(filepath.Join(t.TempDir(), "db"), &pebble.Options{FS: panicFS{vfs.Default}})
	if db != nil || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("openPebble: %v %v", db, err)
	}
}

const holdEnv = "SABLE_TEST_HOLD_WALLET"

// TestHoldWallet is the other process of TestOpenWalletLockedByAnotherProcess:
// it holds the wallet open until its stdin closes.
func TestHoldWallet(t *testing.T) {
	home := os.Getenv(holdEnv)
	if home == "" {
		t.Skip("run by TestOpenWalletLockedByAnotherProcess")
	}
	w, err := OpenWallet(&Identity{Home: home})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin)
}

// TestOpenWalletLockedByAnotherProcess: the lock another process holds is
// reported as "locked by another sable command".
func TestOpenWalletLockedByAnotherProcess(t *testing.T) {
	id, o := seededHome(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldWallet$")
	cmd.Env = append(os.Environ(), holdEnv+"="+id.Home)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "held\n" {
		t.Fatalf("the other process did not open the wallet: %q %v", line, err)
	}
	dir := WalletDir(id.Home)
	before := settled(t, dir)
	_, err = OpenWallet(id)
	wantWalletError(t, err, ErrWalletLocked, "LOCK", "is held")
	if after := settled(t, dir); !reflect.DeepEqual(before, after) {
		t.Fatal("the refused open changed the wallet's files")
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the other process: %v", err)
	}
	requireOpening(t, id, o)
}

// An in-flight record never claims more applied payments than an
// apply-pending may name: the count is checked before any is read, so a
// record that decodes re-encodes to the same bytes.
func TestInflightRecordBoundsApplies(t *testing.T) {
	for _, n := range []int{ledger.MaxApplyPayments, ledger.MaxApplyPayments + 1} {
		f := &inflight{Kind: ledger.KindApplyPending, Debit: ledger.ZeroOpening(), Credit: ledger.ZeroOpening()}
		for i := 0; i < n; i++ {
			f.Applies = append(f.Applies, ledger.TxID{byte(i), byte(i >> 8)})
		}
		raw := f.encode()
		g, err := decodeInflight(raw)
		switch {
		case n <= ledger.MaxApplyPayments && (err != nil || string(g.encode()) != string(raw)):
			t.Fatalf("%d applies: %v", n, err)
		case n > ledger.MaxApplyPayments && err == nil:
			t.Fatalf("%d applies accepted", n)
		}
	}
}

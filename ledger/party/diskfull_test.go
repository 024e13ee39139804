package party_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger/party"
)

// ledgerNonce is bank 0's nonce on the ledger.
func ledgerNonce(t *testing.T, n *localnet.Net, s *session) uint64 {
	t.Helper()
	p, err := s.Client.Party(context.Background(), n.Layout.Banks[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Nonce
}

// oneLine fails the test unless err is a one-line error of what kind.
func oneLine(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%s: want a one-line error, got %v", what, err)
	}
	t.Logf("%s: %v", what, err)
}

// TestTransferDiskFull: a transfer on a wallet whose disk is full fails
// before anything leaves, in one line naming the disk; the failed record
// is never read back nor sent by the same process, whose wallet refuses
// every later use; reopened once there is space, the wallet is as before
// and the bank pays normally, at the nonce the failed transfer would have
// used.
func TestTransferDiskFull(t *testing.T) {
	n := oneNode(t, 100*time.Millisecond)
	ctx := context.Background()
	to := n.Layout.Banks[1].ID
	rpc := n.Layout.Validators[0].RPC
	full, restore := party.WalletDiskFull(party.WalletDir(n.Layout.Banks[0].Home))
	t.Cleanup(restore)

	bank := openBank(t, n, 0, rpc)
	base, err := bank.Wallet.Base(sgd)
	if err != nil {
		t.Fatal(err)
	}
	nonce := ledgerNonce(t, n, bank)

	full.Store(true)
	_, err = bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 700})
	oneLine(t, err, "a transfer on a full disk")
	if !errors.Is(err, syscall.ENOSPC) || !errors.Is(err, party.ErrWalletWrite) || !strings.Contains(err.Error(), "nothing was sent") ||
		!strings.Contains(err.Error(), "check 'sable status ") {
		t.Fatalf("a transfer on a full disk: %v", err)
	}
	if _, err := bank.Wallet.Projected(sgd); !errors.Is(err, party.ErrWalletWrite) {
		t.Fatalf("the projected balance read after a failed write: %v", err) // Pebble's memtable holds the record the disk does not
	}

	// Space is back, but this process's wallet met a failed write: it
	// sends nothing (above all not the transfer it said it did not send).
	full.Store(false)
	_, err = bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 800})
	oneLine(t, err, "a transfer after a failed write")
	if !errors.Is(err, party.ErrWalletWrite) {
		t.Fatalf("a transfer after a failed write: %v", err)
	}
	bank.Close()

	again := openBank(t, n, 0, rpc)
	if got := ledgerNonce(t, n, again); got != nonce {
		t.Fatalf("ledger nonce %d, want %d: a transaction reached the node", got, nonce)
	}
	if proj, err := again.Wallet.Projected(sgd); err != nil || proj.Value != base.Value {
		t.Fatalf("reopened: projected %d (%v), want %d", proj.Value, err, base.Value)
	}
	id := pay(t, again, to, 900)
	committed(t, again.Client, id)
	settle(t, again, base.Value-900)
	if got := ledgerNonce(t, n, again); got != nonce+1 {
		t.Fatalf("ledger nonce %d, want %d: one transfer", got, nonce+1)
	}
}

// fillOnBroadcast is an RPC proxy in front of a node that, once armed,
// fills the wallet's disk as the next broadcast reaches the node.
func fillOnBroadcast(t *testing.T, rpc string, full *atomic.Bool) (url string, arm *atomic.Bool) {
	t.Helper()
	u, err := neturl(rpc)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	arm = new(atomic.Bool)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("broadcast_tx")) && arm.CompareAndSwap(true, false) {
			full.Store(true)
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, arm
}

func neturl(rpc string) (*url.URL, error) {
	return url.Parse(strings.Replace(rpc, "tcp://", "http://", 1))
}

// TestTransferDiskFullAfterBroadcast: a disk that fills while a transfer
// is on its way to the node loses nothing and pays nothing twice. The
// transfer reports, in one line, that it was sent; it commits once; a
// wallet opened while the disk is still full says so (not that it is
// corrupt); once there is space a sync folds it, the balances match the
// ledger and nothing is left in flight. Likewise for a disk that fills
// after a commit, before the sync that folds it.
func TestTransferDiskFullAfterBroadcast(t *testing.T) {
	n := oneNode(t, 100*time.Millisecond)
	ctx := context.Background()
	to := n.Layout.Banks[1].ID
	rpc := n.Layout.Validators[0].RPC
	full, restore := party.WalletDiskFull(party.WalletDir(n.Layout.Banks[0].Home))
	t.Cleanup(restore)
	proxy, arm := fillOnBroadcast(t, rpc, full)

	bank := openBank(t, n, 0, proxy)
	base, err := bank.Wallet.Base(sgd)
	if err != nil {
		t.Fatal(err)
	}
	nonce := ledgerNonce(t, n, bank)

	arm.Store(true)
	id, err := bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 700})
	oneLine(t, err, "a transfer whose disk filled as it was sent")
	var ue *party.UnrecordedError
	if !errors.As(err, &ue) || ue.TxID != id || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "was sent") {
		t.Fatalf("a transfer whose disk filled as it was sent: id %s, %v", id, err)
	}
	committed(t, bank.Client, id)
	if _, err := bank.Wallet.Sync(ctx, bank.Client); !errors.Is(err, party.ErrWalletWrite) {
		t.Fatalf("a sync after a failed write: %v", err)
	}
	bank.Close()

	if _, err := party.Open(n.Layout.Banks[0].Home, rpc); !errors.Is(err, party.ErrWalletDiskFull) || errors.Is(err, party.ErrWalletCorrupt) {
		t.Fatalf("opening a wallet on a full disk: %v", err)
	} else {
		oneLine(t, err, "opening a wallet on a full disk")
	}

	full.Store(false)
	again := openBank(t, n, 0, rpc)
	settle(t, again, base.Value-700)
	if got := ledgerNonce(t, n, again); got != nonce+1 {
		t.Fatalf("ledger nonce %d, want %d: the transfer committed more than once, or not", got, nonce+1)
	}

	// The disk fills after a commit, before the sync that folds it.
	id = pay(t, again, to, 300)
	committed(t, again.Client, id)
	full.Store(true)
	_, err = again.Wallet.Sync(ctx, again.Client)
	oneLine(t, err, "a sync on a full disk")
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), id.String()+" (nonce") || !strings.Contains(err.Error(), "committed on the ledger") {
		t.Fatalf("a sync on a full disk: %v", err)
	}
	again.Close()
	full.Store(false)
	third := openBank(t, n, 0, rpc)
	settle(t, third, base.Value-700-300)
	if got := ledgerNonce(t, n, third); got != nonce+2 {
		t.Fatalf("ledger nonce %d, want %d", got, nonce+2)
	}
}

package party_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// oneNode starts a one-validator network in this process.
func oneNode(t *testing.T, commit time.Duration) *localnet.Net {
	t.Helper()
	n, err := localnet.New(t.TempDir(), localnet.Options{Options: testnet.Options{Validators: 1, Fund: "1000", NoHE: true, TimeoutCommit: commit, KeysFrom: sharedKeys(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	if err := n.StartAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitHeight(n.All(), 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return n
}

// session is a party's session that closes once.
type session struct {
	*party.Session
	closed bool
}

func (s *session) Close() {
	if !s.closed {
		s.closed = true
		s.Session.Close()
	}
}

// openBank opens bank i's session against rpc; it is closed at the end
// unless the test closes it first.
func openBank(t *testing.T, n *localnet.Net, i int, rpc string) *session {
	t.Helper()
	s, err := party.Open(n.Layout.Banks[i].Home, rpc)
	if err != nil {
		t.Fatal(err)
	}
	out := &session{Session: s}
	t.Cleanup(out.Close)
	return out
}

// deadRPC is an RPC address nothing listens on.
func deadRPC(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

var sgd, _ = ledger.ParseCurrency("SGD")

// pay makes a transfer to bank 1 and fails the test on any error.
func pay(t *testing.T, s *session, to string, amount uint64) ledger.TxID {
	t.Helper()
	id, err := s.Sender.Transfer(context.Background(), party.TransferRequest{To: to, Currency: sgd, Amount: amount})
	if err != nil {
		t.Fatalf("transfer of %d: %v", amount, err)
	}
	return id
}

// committed waits for a transaction and fails the test unless it commits.
func committed(t *testing.T, c *client.Client, id ledger.TxID) {
	t.Helper()
	o, err := c.WaitCommitted(context.Background(), id, 30*time.Second)
	if err != nil || o.State != "committed" {
		t.Fatalf("transaction %s: %s code %d %s (%v)", id, o.State, o.Code, o.Reason, err)
	}
}

// settle syncs the wallet and checks that nothing is in flight and that
// the available balance is want, on the ledger as in the wallet.
func settle(t *testing.T, s *session, want uint64) {
	t.Helper()
	rep, err := s.Wallet.Sync(context.Background(), s.Client)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(rep.Dropped) > 0 {
		t.Fatalf("sync dropped %v", rep.Dropped)
	}
	base, err := s.Wallet.Base(sgd)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := s.Wallet.Projected(sgd)
	if err != nil {
		t.Fatal(err)
	}
	if base.Value != want || proj.Value != want {
		t.Fatalf("available %d, projected %d, want %d", base.Value, proj.Value, want)
	}
}

// notRejected fails the test on a rejection (a code 9 above all): a node
// that cannot be reached must never make the bank's transactions invalid.
func notRejected(t *testing.T, err error) {
	t.Helper()
	var rej *ledger.Rejection
	if errors.As(err, &rej) {
		t.Fatalf("rejected: %v", err)
	}
}

// TestTransferNodeRefused: a bank whose node refuses connections cannot
// pay, is told so in one clear error that says nothing was sent, and is
// left with nothing in flight; pointed at the node again, its next transfer
// commits at once.
func TestTransferNodeRefused(t *testing.T) {
	n := oneNode(t, 100*time.Millisecond)
	ctx := context.Background()
	to := n.Layout.Banks[1].ID
	dead := deadRPC(t)

	// A bank that has never reached the node.
	cold := openBank(t, n, 0, dead)
	base, _ := cold.Wallet.Base(sgd)
	_, err := cold.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 700})
	if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("a transfer to a node nothing listens on: %v", err)
	}
	t.Log(err)
	if proj, _ := cold.Wallet.Projected(sgd); proj.Value != base.Value {
		t.Fatalf("projected %d, base %d: something is in flight", proj.Value, base.Value)
	}
	cold.Close()

	// A bank that has paid through the node, then loses it while its
	// payment is still in flight (not yet folded by a sync).
	bank := openBank(t, n, 0, n.Layout.Validators[0].RPC)
	live := bank.Sender.C
	id := pay(t, bank, to, 1000)
	committed(t, live, id)
	bank.Sender.C, err = client.Dial(dead)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 2000})
	if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("a transfer with the node gone: %v", err)
	}
	notRejected(t, err)
	t.Log(err)

	bank.Sender.C = live
	id = pay(t, bank, to, 3000)
	committed(t, live, id)
	if r := bank.Sender.Reconciled; r.Committed != 1 || len(r.Dropped) != 0 {
		t.Fatalf("the first transfer was not folded before the third: %+v", r)
	}
	settle(t, bank, base.Value-1000-3000)
}

// breaker is an RPC proxy in front of a node that can fail broadcasts
// with HTTP 502, either before they reach the node or after.
type breaker struct {
	fail    atomic.Bool
	forward atomic.Bool // fail after the node has taken the transaction
	srv     *httptest.Server
}

func newBreaker(t *testing.T, rpc string) *breaker {
	t.Helper()
	u, err := url.Parse(strings.Replace(rpc, "tcp://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	b := &breaker{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !b.fail.Load() || !bytes.Contains(body, []byte("broadcast_tx")) {
			p.ServeHTTP(w, r)
			return
		}
		if b.forward.Load() {
			p.ServeHTTP(httptest.NewRecorder(), r) // the node takes it; the answer is lost
		}
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// TestTransferAfterFailedBroadcast: a transfer whose broadcast fails with
// HTTP 502 after it was recorded in flight stays in flight, said so; the
// bank's next transfer first sends it again (the same bytes: it commits
// once), then pays at the next nonce, at once. Both commit, and the balance
// counts each once.
func TestTransferAfterFailedBroadcast(t *testing.T) {
	n := oneNode(t, 100*time.Millisecond)
	to := n.Layout.Banks[1].ID
	for _, forward := range []bool{false, true} {
		name := map[bool]string{false: "lost before the node", true: "answer lost after the node"}[forward]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := newBreaker(t, n.Layout.Validators[0].RPC)
			bank := openBank(t, n, 0, b.srv.URL)
			if _, err := bank.Wallet.Sync(ctx, bank.Client); err != nil {
				t.Fatal(err)
			}
			base, _ := bank.Wallet.Base(sgd)

			b.fail.Store(true)
			b.forward.Store(forward)
			_, err := bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 400})
			if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "stays in flight") {
				t.Fatalf("a broadcast answered 502: %v", err)
			}
			notRejected(t, err)
			t.Log(err)
			if proj, _ := bank.Wallet.Projected(sgd); proj.Value != base.Value-400 {
				t.Fatalf("projected %d, want %d with the first transfer in flight", proj.Value, base.Value-400)
			}

			// Still failing: the next command cannot send the first again,
			// says so, and builds nothing.
			_, err = bank.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 500})
			if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "nothing was sent") {
				t.Fatalf("a transfer while the first cannot be sent again: %v", err)
			}
			notRejected(t, err)
			t.Log(err)

			b.fail.Store(false)
			id := pay(t, bank, to, 600)
			committed(t, bank.Client, id)
			settle(t, bank, base.Value-400-600)
		})
	}
}

// TestTransferAfterNodeRestart: a transfer accepted into the mempool of a
// node that then stops (losing its mempool) blocks nothing. While the node
// is down a transfer fails with a clear, retryable error; once the node is
// back, the next transfer sends the lost one again and then itself, never
// meeting a nonce gap (code 9), and both commit.
func TestTransferAfterNodeRestart(t *testing.T) {
	n := oneNode(t, 3*time.Second) // blocks slow enough for a transfer to sit in the mempool
	ctx := context.Background()
	to := n.Layout.Banks[1].ID
	rpc := n.Layout.Validators[0].RPC

	bank := openBank(t, n, 0, rpc)
	base, _ := bank.Wallet.Base(sgd)
	first := pay(t, bank, to, 100)
	if err := n.Stop(0); err != nil {
		t.Fatal(err)
	}
	bank.Close()

	down := openBank(t, n, 0, rpc)
	_, err := down.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 200})
	if !errors.Is(err, client.ErrUnreachable) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("a transfer with the node stopped: %v", err)
	}
	t.Log(err)
	if proj, _ := down.Wallet.Projected(sgd); proj.Value != base.Value-100 {
		t.Fatalf("projected %d, want %d: only the first transfer is in flight", proj.Value, base.Value-100)
	}
	down.Close()

	if err := n.Start(ctx, 0); err != nil {
		t.Fatal(err)
	}
	up := openBank(t, n, 0, rpc)
	if o, err := up.Client.Settled(ctx, first); err == nil {
		t.Logf("after the restart the first transfer is %s", o.State) // "unknown": lost with the mempool
	}
	var id ledger.TxID
	deadline := time.Now().Add(30 * time.Second)
	for {
		id, err = up.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: sgd, Amount: 300})
		if err == nil {
			break
		}
		notRejected(t, err)
		if !errors.Is(err, client.ErrUnreachable) || time.Now().After(deadline) {
			t.Fatalf("a transfer after the restart: %v", err)
		}
		t.Logf("retrying: %v", err)
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("reconciled before the transfer: %+v", up.Sender.Reconciled)
	committed(t, up.Client, id)
	committed(t, up.Client, first)
	settle(t, up, base.Value-100-300)
}

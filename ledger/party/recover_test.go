package party_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// loseWallet closes the bank's session and deletes its wallet directory.
func loseWallet(t *testing.T, s *session) *party.Identity {
	t.Helper()
	id := s.ID
	s.Close()
	if err := os.RemoveAll(party.WalletDir(id.Home)); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRecoverWaitsForMempool: a bank's wallet is lost right after it sent
// a transfer that is still in the node's mempool (blocks every 3s);
// recover waits for it to commit and rebuilds a wallet that holds its
// debit, checked by a sync against the ledger.
func TestRecoverWaitsForMempool(t *testing.T) {
	n := oneNode(t, 3*time.Second)
	rpc := n.Layout.Validators[0].RPC
	bank := openBank(t, n, 0, rpc)
	base, _ := bank.Wallet.Base(sgd)
	pay(t, bank, n.Layout.Banks[1].ID, 1000)
	held, _ := bank.Client.MempoolFrom(context.Background(), bank.ID.Config.ID)
	id := loseWallet(t, bank)

	start := time.Now()
	rep, err := party.Recover(context.Background(), id, bank.Client, party.RecoverOptions{MempoolWait: time.Minute})
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	t.Logf("%d of the bank's transactions in the mempool; recovered %d in %s", held, rep.Txs, time.Since(start))
	if rep.Txs != 1 || rep.Nonce != 1 {
		t.Fatalf("report %+v: want the one transfer", rep)
	}
	again := openBank(t, n, 0, rpc)
	settle(t, again, base.Value-1000)
}

// TestRecoverForeignSelfMemoOnLedger: validators cannot read a self-memo,
// so a wallet that sealed one to another key gets it committed; recover
// then fails naming the transaction and writes nothing, rather than
// rebuild a wrong balance.
func TestRecoverForeignSelfMemoOnLedger(t *testing.T) {
	n := oneNode(t, 100*time.Millisecond)
	bank := openBank(t, n, 0, n.Layout.Validators[0].RPC)
	_, otherKey, err := ledger.GenerateMemoKey()
	if err != nil {
		t.Fatal(err)
	}
	restore := party.SealSelfMemosWith(func(_ [32]byte, o ledger.Opening, aad []byte) ([]byte, error) {
		return ledger.SealOpening(otherKey, o, aad)
	})
	txid := pay(t, bank, n.Layout.Banks[1].ID, 1000)
	restore()
	committed(t, bank.Client, txid)
	id := loseWallet(t, bank)

	_, err = party.Recover(context.Background(), id, bank.Client, party.RecoverOptions{})
	if !errors.Is(err, party.ErrRecover) || !strings.Contains(err.Error(), "transfer "+txid.String()) ||
		!strings.Contains(err.Error(), "self-memo does not open") {
		t.Fatalf("recover: %v, want ErrRecover naming transfer %s and its self-memo", err, txid)
	}
	t.Log(err)
	if _, err := os.Stat(party.WalletDir(id.Home)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed recovery left a wallet: %v", err)
	}
}

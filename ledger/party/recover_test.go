package party_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
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

// TestRecoverIssuerSupply: on a chain funded by mints alone (a zero
// genesis supply), an issuer that minted, received and burned loses its
// wallet; recover rebuilds its balance and its supply's opening, checked
// against the ledger, and its next mint (proved against that supply)
// commits.
func TestRecoverIssuerSupply(t *testing.T) {
	ctx := context.Background()
	n, err := localnet.New(t.TempDir(), localnet.Options{Options: testnet.Options{Validators: 1, NoHE: true, TimeoutCommit: 100 * time.Millisecond, KeysFrom: sharedKeys(t)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	if err := n.StartAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitHeight(n.All(), 2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	rpc := n.Layout.Validators[0].RPC
	var home string
	for _, p := range n.Layout.Issuers {
		if p.Currency == "SGD" {
			home = p.Home
		}
	}
	open := func(home string) *session {
		s, err := party.Open(home, rpc)
		if err != nil {
			t.Fatal(err)
		}
		out := &session{Session: s}
		t.Cleanup(out.Close)
		return out
	}
	issuer, bank := open(home), openBank(t, n, 0, rpc)
	must := func(id ledger.TxID, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		committed(t, bank.Client, id)
	}
	must(issuer.Sender.Mint(ctx, bank.ID.Config.ID, sgd, 5000))
	bank.Wallet.Sync(ctx, bank.Client)
	id, _, err := bank.Sender.ApplyPending(ctx, sgd)
	must(id, err)
	must(bank.Sender.Transfer(ctx, party.TransferRequest{To: issuer.ID.Config.ID, Currency: sgd, Amount: 2000}))
	issuer.Wallet.Sync(ctx, issuer.Client)
	id, _, err = issuer.Sender.ApplyPending(ctx, sgd)
	must(id, err)
	must(issuer.Sender.Burn(ctx, sgd, 500))

	lost := loseWallet(t, issuer)
	rep, err := party.Recover(ctx, lost, bank.Client, party.RecoverOptions{})
	if err != nil || len(rep.SupplyNotRebuilt) != 0 {
		t.Fatalf("recover: %v (supply not rebuilt: %v)", err, rep.SupplyNotRebuilt)
	}
	again := open(home)
	if base, _ := again.Wallet.Base(sgd); base.Value != 1500 {
		t.Fatalf("issuer available %d, want 1500", base.Value)
	}
	if s, _ := again.Wallet.Supply(sgd); s.Value != 4500 {
		t.Fatalf("supply %d, want 4500", s.Value)
	}
	must(again.Sender.Mint(ctx, bank.ID.Config.ID, sgd, 100))
}

// TestRecoverFXProvider: a provider quotes USD/SGD, two payers fill the
// quote (the provider applies the first fill's leg A, the second's stays
// pending), and the provider's wallet is lost. Recover rebuilds its
// balances in both currencies as they were, and its quote's band as the
// ledger's band commitment opens; a third fill of the same quote and a
// transfer by the recovered provider then commit.
func TestRecoverFXProvider(t *testing.T) {
	ctx := context.Background()
	n := oneNode(t, 100*time.Millisecond)
	rpc := n.Layout.Validators[0].RPC
	usd, _ := ledger.ParseCurrency("USD")
	payerA, provider, payerB := openBank(t, n, 0, rpc), openBank(t, n, 1, rpc), openBank(t, n, 2, rpc)
	rate, err := ledger.ParseRate(usd, sgd, "1.5")
	if err != nil {
		t.Fatal(err)
	}
	qid, err := provider.Sender.Quote(ctx, party.QuoteRequest{Sell: usd, Buy: sgd, Rate: rate, Min: 1, Max: 50000, ValidBlocks: 600})
	if err != nil {
		t.Fatal(err)
	}
	committed(t, provider.Client, qid)
	swap := func(payer, prov *session, amount uint64) {
		t.Helper()
		q, err := prov.Client.Quote(ctx, qid)
		if err != nil {
			t.Fatal(err)
		}
		res, err := party.Swap(ctx, payer.Sender, prov.Sender, party.SwapRequest{Quote: q, Amount: amount})
		if err != nil {
			t.Fatalf("swap of USD %d: %v", amount, err)
		}
		committed(t, payer.Client, res.TxID)
		if _, err := prov.Wallet.Sync(ctx, prov.Client); err != nil {
			t.Fatal(err)
		}
	}
	swap(payerA, provider, 10000) // USD 100.00 for SGD 150.00
	applied, _, err := provider.Sender.ApplyPending(ctx, usd)
	if err != nil {
		t.Fatal(err)
	}
	committed(t, provider.Client, applied)
	swap(payerB, provider, 5000) // USD 50.00 for SGD 75.00, left pending
	if _, err := provider.Wallet.Sync(ctx, provider.Client); err != nil {
		t.Fatal(err)
	}

	// balances are the commitments and values of the provider's available
	// SGD and USD and its pending USD.
	balances := func(w *party.Wallet) (commitments [3]string, values [3]uint64) {
		t.Helper()
		s, err1 := w.Base(sgd)
		u, err2 := w.Base(usd)
		p, err3 := w.PendingSum(usd)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatal(err)
		}
		return [3]string{s.Commitment().String(), u.Commitment().String(), p.Commitment().String()}, [3]uint64{s.Value, u.Value, p.Value}
	}
	before, beforeValues := balances(provider.Wallet)
	if beforeValues != [3]uint64{100000 - 15000 - 7500, 100000 + 10000, 5000} {
		t.Fatalf("provider holds SGD %d, USD %d (%d pending) before the loss", beforeValues[0], beforeValues[1], beforeValues[2])
	}

	id := loseWallet(t, provider)
	rep, err := party.Recover(ctx, id, payerA.Client, party.RecoverOptions{})
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if rep.Fills != 2 || rep.Quotes != 1 || rep.Pending != 1 {
		t.Fatalf("report %+v: want 2 fills, 1 live quote, 1 payment pending", rep)
	}
	again := openBank(t, n, 1, rpc)
	if after, values := balances(again.Wallet); after != before || values != beforeValues {
		t.Fatalf("recovered SGD %d, USD %d (%d pending), before SGD %d, USD %d (%d pending), or the blindings differ",
			values[0], values[1], values[2], beforeValues[0], beforeValues[1], beforeValues[2])
	}
	band, err := again.Wallet.Band(qid)
	if err != nil {
		t.Fatal(err)
	}
	q, err := again.Client.Quote(ctx, qid)
	if err != nil {
		t.Fatal(err)
	}
	if band.Value != 50000-15000-7500 || band.Commitment().String() != q.Band {
		t.Fatalf("recovered band %d, want 27500 opening the ledger's band commitment", band.Value)
	}

	swap(payerA, again, 2000) // USD 20.00 for SGD 30.00, proved against the recovered band
	committed(t, again.Client, pay(t, again, n.Layout.Banks[0].ID, 1000))
	if _, err := again.Wallet.Sync(ctx, again.Client); err != nil {
		t.Fatal(err)
	}
	if s, _ := again.Wallet.Base(sgd); s.Value != 100000-15000-7500-3000-1000 {
		t.Fatalf("recovered provider holds SGD %d after the third fill and a transfer", s.Value)
	}
}

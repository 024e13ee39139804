package party_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/node"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp"
)

// devKeys writes a fresh development setup of every circuit to a new
// directory: valid keys, but not the ones a testnet's genesis pins.
func devKeys(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := writeDevKeys(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSenderPinsGenesisKeys: a bank whose key directory holds a valid
// setup other than the one the chain's genesis pins cannot pay: the
// transfer fails, naming the key and both hashes, before any proof is made
// or anything is broadcast.
func TestSenderPinsGenesisKeys(t *testing.T) {
	l, err := localnet.Write(t.TempDir(), testnet.Options{Validators: 1, Fund: "1000", NoHE: true, TimeoutCommit: 100 * time.Millisecond, KeysFrom: sharedKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := node.Start(ctx, l.Validators[0].Home, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()

	home := l.Banks[0].Home
	id, err := party.LoadIdentity(home)
	if err != nil {
		t.Fatal(err)
	}
	genesisKeys := id.Config.ZKKeys
	id.Config.ZKKeys = devKeys(t)
	if err := id.Write(home); err != nil {
		t.Fatal(err)
	}
	bank, err := party.Open(home, n.RPCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if bank != nil {
			bank.Close() // the session open at the end
		}
	}()
	if _, _, err := localnet.WaitHeight(bank.Client, 2, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	sgd, _ := ledger.ParseCurrency("SGD")
	s := bank.Sender
	_, err = s.Transfer(ctx, party.TransferRequest{To: l.Banks[1].ID, Currency: sgd, Amount: 12345})
	if !errors.Is(err, zkp.ErrVKNotPinned) {
		t.Fatalf("a transfer with keys the genesis does not pin: %v", err)
	}
	_, vkPath := zkp.KeyPaths(id.Config.ZKKeys, zkp.Transfer)
	for _, want := range []string{"genesis", vkPath, l.Genesis.VKHashes.Transfer} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("the error does not say %q: %v", want, err)
		}
	}
	t.Log(err)

	if st := s.P.Stats(zkp.Transfer); st.GnarkProofs+st.TableProofs != 0 {
		t.Fatalf("%d proofs made", st.GnarkProofs+st.TableProofs)
	}
	if s.Sent != 0 {
		t.Fatalf("%d bytes broadcast", s.Sent)
	}
	me, err := bank.Client.Party(ctx, id.Config.ID)
	if err != nil || me.Nonce != 0 {
		t.Fatalf("the bank's nonce on the ledger is %d (%v), want 0", me.Nonce, err)
	}
	base, _ := bank.Wallet.Base(sgd)
	if proj, err := bank.Wallet.Projected(sgd); err != nil || proj.Value != base.Value {
		t.Fatalf("projected %d against base %d (%v): something is in flight", proj.Value, base.Value, err)
	}

	// With the keys the genesis pins back, the same payment goes out.
	bank.Close()
	id.Config.ZKKeys = genesisKeys
	if err := id.Write(home); err != nil {
		t.Fatal(err)
	}
	if bank, err = party.Open(home, n.RPCAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := bank.Sender.Transfer(ctx, party.TransferRequest{To: l.Banks[1].ID, Currency: sgd, Amount: 12345}); err != nil {
		t.Fatalf("with the genesis keys: %v", err)
	}
}

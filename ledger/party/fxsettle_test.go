package party_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/sable-settlement/sable/ledger"
)

// A provider's fill whose quote the node does not hold is settled only
// when the node shows the quote gone (it holds the quote's own
// transaction, so the quote expired and was pruned): a node behind the
// quote keeps the fill, which may still commit, instead of forgetting it.
// Pruning itself (64 blocks past the window) is ledger/state's
// TestQuotePruned; here a committed transfer's id stands for a pruned
// quote's: a transaction the node holds with no quote in state.
func TestSettleFillsPrunedOrUnknownQuote(t *testing.T) {
	ctx := context.Background()
	n := oneNode(t, 100*time.Millisecond)
	rpc := n.Layout.Validators[0].RPC
	payer, provider := openBank(t, n, 0, rpc), openBank(t, n, 1, rpc)
	gone := pay(t, provider, payer.ID.Config.ID, 100)
	committed(t, provider.Client, gone)
	var unknown, fillA, fillB ledger.TxID
	rand.Read(unknown[:])
	rand.Read(fillA[:])
	rand.Read(fillB[:])
	const farNonce = 1 << 40 // the payer's nonce does not settle these fills
	for _, err := range []error{
		provider.Wallet.PutFill(fillA, unknown, sgd, 100, payer.ID.Config.ID, farNonce),
		provider.Wallet.PutFill(fillB, gone, sgd, 100, payer.ID.Config.ID, farNonce),
		provider.Wallet.SettleFills(ctx, provider.Client),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if held, err := provider.Wallet.HasFill(fillA); err != nil || !held {
		t.Fatalf("a fill of a quote the node does not know was forgotten (held %v, %v)", held, err)
	}
	if held, err := provider.Wallet.HasFill(fillB); err != nil || held {
		t.Fatalf("a fill of a pruned quote is still held (held %v, %v)", held, err)
	}
}

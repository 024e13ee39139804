package receipt_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/receipt"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// chain is a running 4-validator network (in this process) with the banks
// that pay on it.
type chain struct {
	net     *localnet.Net
	genesis *types.GenesisDoc
	c       *client.Client
	banks   map[string]*party.Session
}

func startChain(t *testing.T) *chain {
	t.Helper()
	start := time.Now()
	n, err := localnet.New(filepath.Join(t.TempDir(), "net"), localnet.Options{Options: testnet.Options{
		// Without the regulator's HE key (no flow ciphertexts): its key
		// generation would triple the set-up. TestReceiptCLI pays with flows.
		Validators: 4, Fund: "1000000", ChainID: "sable-receipt", TimeoutCommit: 100 * time.Millisecond, NoHE: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("testnet written in %s", time.Since(start).Round(time.Millisecond))
	t.Cleanup(n.Close)
	if err := n.StartAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("validators started in %s", time.Since(start).Round(time.Millisecond))
	if err := n.WaitHeight(n.All(), 2, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	g, err := types.GenesisDocFromFile(n.Layout.GenesisFile)
	if err != nil {
		t.Fatal(err)
	}
	ch := &chain{net: n, genesis: g, c: n.Client(0), banks: map[string]*party.Session{}}
	for _, b := range n.Layout.Banks[:3] {
		s, err := party.Open(b.Home, n.Layout.Validators[0].RPC)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ch.banks[b.ID] = s
	}
	return ch
}

// receiptOf builds the receipt of payment j of id, opened by party who.
func (ch *chain) receiptOf(t *testing.T, who string, id ledger.TxID, j int) *receipt.Receipt {
	t.Helper()
	ctx := context.Background()
	if _, err := ch.c.WaitCommitted(ctx, id, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	raw, err := ch.c.RawTx(ctx, id)
	for end := time.Now().Add(5 * time.Second); err != nil && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond) // the tx index follows the commit
		raw, err = ch.c.RawTx(ctx, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		t.Fatal(err)
	}
	me := ch.banks[who].ID
	o, err := receipt.Open(tx, j, me.Config.ChainID, me.Config.ID, me.MemoKey)
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Build(ctx, ch.c, id, j, o)
	if err != nil {
		t.Fatal(err)
	}
	// Round trip through the file format, as a customer receives it.
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.Write(path); err != nil {
		t.Fatal(err)
	}
	back, err := receipt.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// clone copies a receipt through its encoding, for tampering.
func clone(t *testing.T, r *receipt.Receipt) *receipt.Receipt {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c, err := receipt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestReceiptOnNetwork: on four real validators, a payer's receipt of a
// transfer and a receiver's receipt of one payment of a bulk transfer
// verify from genesis alone and say who paid whom what; each tampering the
// issue lists, and a few more, is refused.
func TestReceiptOnNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four validators; skipped with -short")
	}
	start := time.Now()
	ch := startChain(t)
	t.Logf("network up in %s", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	sgd := ledger.Currency{'S', 'G', 'D'}
	const amt = 125050 // SGD 1250.50

	// Two transfers from two banks at once: they often share a block.
	var single, other ledger.TxID
	var wg sync.WaitGroup
	var errs [2]error
	wg.Add(2)
	go func() {
		defer wg.Done()
		single, errs[0] = ch.banks["bank-sg"].Sender.Transfer(ctx, party.TransferRequest{To: "bank-hk", Currency: sgd, Amount: amt})
	}()
	go func() {
		defer wg.Done()
		other, errs[1] = ch.banks["bank-us"].Sender.Transfer(ctx, party.TransferRequest{To: "bank-hk", Currency: sgd, Amount: 777})
	}()
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	bulkAmounts := []uint64{1001, 20002, 300003}
	bulk, err := ch.banks["bank-sg"].Sender.BulkTransfer(ctx, "bank-hk", sgd, bulkAmounts)
	if err != nil {
		t.Fatal(err)
	}

	r := ch.receiptOf(t, "bank-sg", single, 0)
	start = time.Now()
	p, err := receipt.Verify(r, ch.genesis, time.Now())
	if err != nil {
		t.Fatalf("a genuine receipt: %v", err)
	}
	size, _ := r.Marshal()
	t.Logf("receipt of a transfer: %d bytes, verified from genesis in %s", len(size), time.Since(start).Round(time.Microsecond))
	if p.Amount != amt || p.Sender != "bank-sg" || p.To != "bank-hk" || p.Currency != sgd || p.Kind != ledger.KindTransfer ||
		p.Signers < 3 || p.Validators != 4 || p.TxID != single.String() {
		t.Fatalf("proved %+v", p)
	}

	t.Run("bulk payment opened by the receiver", func(t *testing.T) {
		rb := ch.receiptOf(t, "bank-hk", bulk, 2)
		p, err := receipt.Verify(rb, ch.genesis, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if p.Amount != bulkAmounts[2] || p.Payment != 2 || p.Payments != 3 || p.Kind != ledger.KindBatchTransfer {
			t.Fatalf("proved %+v", p)
		}
		// Only payment 2's opening is in the receipt.
		raw, _ := rb.Marshal()
		for _, a := range bulkAmounts[:2] {
			if strings.Contains(string(raw), `"`+strconv.FormatUint(a, 10)+`"`) {
				t.Fatalf("the receipt of payment 2 names another payment's amount %d", a)
			}
		}
		// The same receipt claiming payment 1 is refused.
		c := clone(t, rb)
		c.Payment = 1
		refused(t, ch, c, "does not open payment 1")
	})

	t.Run("a third bank cannot open it", func(t *testing.T) {
		loc, _ := ch.c.Locate(ctx, single)
		tx, _ := ledger.DecodeTx(loc.Raw)
		me := ch.banks["bank-us"].ID
		if _, err := receipt.Open(tx, 0, me.Config.ChainID, me.Config.ID, me.MemoKey); !errors.Is(err, receipt.ErrCannotOpen) {
			t.Fatalf("bank-us opened bank-sg's payment to bank-hk: %v", err)
		}
	})

	t.Run("amount changed in the opening", func(t *testing.T) {
		c := clone(t, r)
		c.Opening.Value = strconv.Itoa(amt + 100)
		refused(t, ch, c, "does not open payment 0")
	})

	t.Run("one byte of the transaction changed", func(t *testing.T) {
		for _, at := range []int{5, len(r.Tx) / 2, len(r.Tx) - 1} {
			c := clone(t, r)
			c.Tx[at] ^= 0x01
			refused(t, ch, c, "hash to")
			id := sha256.Sum256(c.Tx) // and with the id made to match
			c.TxID = hex.EncodeToString(id[:])
			refused(t, ch, c, "not in block")
		}
	})

	t.Run("signatures removed below 2/3", func(t *testing.T) {
		c := clone(t, r)
		keep(c, 3) // 30 of 40: more than 2/3
		if _, err := receipt.Verify(c, ch.genesis, time.Now()); err != nil {
			t.Fatalf("3 of 4 signatures are more than 2/3 and must verify: %v", err)
		}
		keep(c, 2)
		refused(t, ch, c, "does not verify from the genesis validators")
		c = clone(t, r)
		keep(c, 3)
		for i := range c.Commit.Commit.Signatures {
			if s := &c.Commit.Commit.Signatures[i]; s.BlockIDFlag == types.BlockIDFlagCommit {
				s.Signature[3] ^= 1 // one of the three forged
				break
			}
		}
		refused(t, ch, c, "does not verify")
	})

	t.Run("a result proof for another transaction", func(t *testing.T) {
		ro := ch.receiptOf(t, "bank-us", other, 0)
		c := clone(t, r)
		c.ResultProof, c.Result = ro.ResultProof, ro.Result
		switch {
		case ro.Height == r.Height:
			t.Logf("both transfers in block %d: the other's proof is at index %d, this one at %d", r.Height, ro.TxProof.Index, r.TxProof.Index)
			refused(t, ch, c, "the result proof is for transaction")
		case ro.TxProof.Total == 1 && r.TxProof.Total == 1:
			// Alone in their blocks, both results say "transaction 0 of 1
			// applied": the same leaf and the same proof, so the swap
			// changes nothing. TestReceiptAgainstForgedChains lifts proofs
			// within one block.
			if _, err := receipt.Verify(c, ch.genesis, time.Now()); err != nil {
				t.Fatalf("an identical result proof: %v", err)
			}
		default:
			refused(t, ch, c, "")
		}
	})

	t.Run("a result that claims another code", func(t *testing.T) {
		c := clone(t, r)
		c.Result.Code = ledger.CodeBadProof
		refused(t, ch, c, "is not block")
	})

	t.Run("a header from another block", func(t *testing.T) {
		later, err := ch.c.SignedHeader(ctx, r.Height+2)
		for end := time.Now().Add(20 * time.Second); err != nil && time.Now().Before(end); {
			time.Sleep(200 * time.Millisecond)
			later, err = ch.c.SignedHeader(ctx, r.Height+2)
		}
		if err != nil {
			t.Fatal(err)
		}
		c := clone(t, r)
		c.Commit = later
		refused(t, ch, c, "the signed header is at height")
		c.Height++ // and the receipt made to claim the block before it
		refused(t, ch, c, "is not the block that signed header")
	})

	t.Run("another chain's genesis", func(t *testing.T) {
		g := *ch.genesis
		g.ChainID = "sable-other"
		if _, err := receipt.Verify(r, &g, time.Now()); !errors.Is(err, receipt.ErrInvalid) {
			t.Fatalf("verified against another chain: %v", err)
		}
		g = *ch.genesis
		g.Validators = g.Validators[:3] // a genesis whose validators did not sign
		if _, err := receipt.Verify(r, &g, time.Now()); !errors.Is(err, receipt.ErrInvalid) {
			t.Fatalf("verified against other validators: %v", err)
		}
	})

	t.Run("no receipt for a transaction in no block", func(t *testing.T) {
		var id ledger.TxID
		id[0] = 1
		_, err := receipt.Build(ctx, ch.c, id, 0, ledger.Opening{Value: 1})
		if !errors.Is(err, client.ErrNotFound) {
			t.Fatalf("built a receipt for an unknown transaction: %v", err)
		}
	})
}

// keep drops commit signatures until n are left, as a header signed by
// fewer validators would carry them.
func keep(r *receipt.Receipt, n int) {
	sigs := r.Commit.Commit.Signatures
	have := 0
	for _, s := range sigs {
		if s.BlockIDFlag == types.BlockIDFlagCommit {
			have++
		}
	}
	for i := range sigs {
		if have > n && sigs[i].BlockIDFlag == types.BlockIDFlagCommit {
			sigs[i] = types.NewCommitSigAbsent()
			have--
		}
	}
}

func refused(t *testing.T, ch *chain, r *receipt.Receipt, why string) {
	t.Helper()
	_, err := receipt.Verify(r, ch.genesis, time.Now())
	if !errors.Is(err, receipt.ErrInvalid) || !strings.Contains(err.Error(), why) {
		t.Fatalf("want refused (%q), got %v", why, err)
	}
}

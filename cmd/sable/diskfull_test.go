package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger/party"
)

// TestLedgerErrorDiskFull: a wallet write that failed (a full disk) is one
// error line and a hint to free space and sync.
func TestLedgerErrorDiskFull(t *testing.T) {
	err := ledgerError(fmt.Errorf("%w in /h/wallet: %w; nothing was sent", party.ErrWalletWrite, syscall.ENOSPC))
	var ce *cliError
	if !errors.As(err, &ce) || !strings.Contains(ce.hint, "free space") || !strings.Contains(ce.hint, "sable wallet sync") {
		t.Fatalf("ledgerError of a full disk: %#v", err)
	}
	if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("ledgerError of a full disk: %q", err)
	}
}

// TestTransferOnFullDisk: a bank whose wallet's disk is full pays nothing
// and is told so in one line with what to do; with space again it pays
// normally, once. The wallet is on a real tmpfs with almost no room (where
// this process may mount; skipped otherwise).
func TestTransferOnFullDisk(t *testing.T) {
	l, c := network(t)
	payer, payee := l.Banks[0], l.Banks[1]
	wallet := party.WalletDir(payer.Home)
	// Room to open the wallet, not to record a transfer (its signed
	// bytes, with an HE flow of 95 KB).
	disk, err := localnet.SmallDisk(wallet, 64<<10)
	if errors.Is(err, localnet.ErrNoMount) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(disk.Unmount)
	ctx := context.Background()
	before, err := c.Party(ctx, payer.ID)
	if err != nil {
		t.Fatal(err)
	}

	r := sable(t, "transfer", "--home", payer.Home, "--to", payee.ID, "--currency", "SGD", "--amount", "12.50", "--wait")
	wantError(t, r, 1, "no space left on device")
	if p, err := c.Party(ctx, payer.ID); err != nil || p.Nonce != before.Nonce {
		t.Fatalf("the ledger saw a transaction from a bank whose disk was full: nonce %d → %d (%v)", before.Nonce, p.Nonce, err)
	}
	t.Logf("on a full disk: %s", strings.TrimSpace(r.stderr))

	if err := disk.Free(); err != nil {
		t.Fatal(err)
	}
	if r := sable(t, "transfer", "--home", payer.Home, "--to", payee.ID, "--currency", "SGD", "--amount", "12.50", "--wait"); r.code != 0 {
		t.Fatalf("transfer with space again: exit %d %q", r.code, r.stderr)
	}
	if p, err := c.Party(ctx, payer.ID); err != nil || p.Nonce != before.Nonce+1 {
		t.Fatalf("nonce %d → %d (%v), want one payment", before.Nonce, p.Nonce, err)
	}
	if b := balances(t, payer.Home); b["SGD"] != "987.50" {
		t.Fatalf("payer SGD %s after one payment of 12.50, want 987.50", b["SGD"])
	}
}

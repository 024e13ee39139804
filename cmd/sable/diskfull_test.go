package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

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

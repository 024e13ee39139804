package main

import (
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestMintWithinTheCap: a mint of 2^64 − 1 minor units (which would once
// overflow the receiver's balance after commit) is refused before anything
// is sent; minting exactly what is left to the cap commits, the bank applies
// it, its balance is exact and the audit is consistent; one cent more is
// refused.
func TestMintWithinTheCap(t *testing.T) {
	l, _ := network(t)
	usd := ledger.Currency{'U', 'S', 'D'}
	issuer, _ := l.Issuer(usd)
	bank := l.Banks[0]
	mint := func(amount string, wait bool) result {
		args := []string{"mint", "--home", issuer.Home, "--to", bank.ID, "--currency", "USD", "--amount", amount}
		if wait {
			args = append(args, "--wait")
		}
		return sable(t, args...)
	}

	wantError(t, mint("184467440737095516.15", false), 1, "past its cap")

	// The testnet funds each bank with 1000.00 USD: the supply is 4 × 1000.00.
	left := ledger.SupplyCap - uint64(len(l.Banks))*100000
	if r := mint(ledger.FormatAmount(usd, left), true); r.code != 0 {
		t.Fatalf("mint to the cap: exit %d %q", r.code, r.stderr)
	}
	wantError(t, mint("0.01", false), 1, "0.00 can still be minted")

	if r := sable(t, "wallet", "sync", "--home", bank.Home); r.code != 0 {
		t.Fatalf("sync: %q", r.stderr)
	}
	if r := sable(t, "apply-pending", "--home", bank.Home, "--currency", "USD", "--wait"); r.code != 0 {
		t.Fatalf("apply-pending: exit %d %q", r.code, r.stderr)
	}
	if got, want := balances(t, bank.Home)["USD"], ledger.FormatAmount(usd, left+100000); got != want {
		t.Fatalf("bank USD %s, want %s", got, want)
	}
	if r := sable(t, "audit", "--node", l.Validators[0].RPC, "--keys", l.Regulator.Home); r.code != 0 {
		t.Fatalf("audit with the supply at the cap: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

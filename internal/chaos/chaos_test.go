package chaos

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
)

// A short chaos run: every kind of fault strikes at least once while the
// banks pay, and afterwards every check holds — acknowledged payments
// exactly once, none twice, supply conserved, wallets agreeing, one app
// hash, a consistent audit, each crash in Commit replayed.
func TestShortChaosRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 4-validator network of processes for about a minute")
	}
	sable, err := localnet.BuildSable(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{
		Duration: 40 * time.Second,
		Seed:     20261201,
		Sable:    sable,
		Dir:      t.TempDir(),
		FaultGap: [2]time.Duration{3 * time.Second, 5 * time.Second},
		CLIKill:  0.25,
		Log:      slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if res != nil {
		var b strings.Builder
		res.WriteText(&b)
		t.Log("\n" + b.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	f := res.Faults
	if f.Validator < 1 || f.Two < 1 || f.Commit < 1 || f.CLI < 1 {
		t.Errorf("faults %+v: want every kind at least once", f)
	}
	if res.Payments.Acked < 10 || res.CLI.Hung > 0 {
		t.Errorf("payments %+v, %d hung commands: want at least 10 acknowledged and none hung", res.Payments, res.CLI.Hung)
	}
}

// The exactly-once tally works from the ledger, not from the CLIs' word:
// an acknowledged payment missing, a payment found twice, one found under
// another id than its CLI printed, and one that no command sent are each
// counted and named; an unacknowledged payment on the ledger is fine.
func TestTally(t *testing.T) {
	sgd := ledger.Currencies[1].Code
	id := func(b byte) ledger.TxID { return ledger.TxID{b} }
	pay := func(txid ledger.TxID, amt uint64) found {
		return found{in: ledger.IncomingInfo{TxID: txid.String(), Sender: "bank-sg", Currency: sgd.String()}, to: "bank-hk", amount: amt}
	}
	run := func(txid ledger.TxID, acked bool, amts ...uint64) *cliRun {
		return &cliRun{Bank: "bank-sg", Kind: "transfer", To: "bank-hk", Cur: sgd, Amounts: amts, TxID: txid, Printed: true, Acked: acked}
	}
	runs := []*cliRun{
		run(id(1), true, 1001),       // fine
		run(id(2), true, 2001),       // acknowledged, missing
		run(id(3), false, 3001),      // killed, yet on the ledger: fine
		run(id(4), false, 4001),      // twice
		run(id(5), true, 5001),       // under another id
		run(id(6), true, 6001, 6002), // a bulk transfer, fine
		{Bank: "bank-sg", Kind: "apply-pending"},
	}
	ledgerHas := map[uint64][]found{
		1001: {pay(id(1), 1001)},
		3001: {pay(id(3), 3001)},
		4001: {pay(id(4), 4001), pay(id(9), 4001)},
		5001: {pay(id(8), 5001)},
		6001: {pay(ledger.PaymentID(id(6), 0), 6001)},
		6002: {pay(ledger.PaymentID(id(6), 1), 6002)},
		7001: {pay(id(7), 7001)}, // sent by no command
	}
	got := tally(runs, ledgerHas)
	want := Payments{Transfers: 6, AckedTransfers: 4, Launched: 7, Acked: 5, Applied: 5, AppliedUnacked: 1, Twice: 1, AckedMissing: 1, Unexplained: 1}
	if got.Payments != want {
		t.Errorf("tally %+v\nwant  %+v", got.Payments, want)
	}
	if len(got.twice) != 1 || len(got.missing) != 1 || len(got.wrong) != 1 || len(got.stray) != 1 {
		t.Errorf("named: twice %v, missing %v, wrong %v, stray %v", got.twice, got.missing, got.wrong, got.stray)
	}
}

// Failures group by reason: transaction ids are elided.
func TestShorten(t *testing.T) {
	for in, want := range map[string]string{
		"ledger: transaction 57ec122d37d21370bc4619c9ea9055243f5da589ba7103e5f0adc4fa5a117297 not committed after 1m0s":                                                         "ledger: transaction … not committed after 1m0s",
		`ledger: receiver "bank-us": ledger: node unreachable: query /party: post failed: Post "http://127.0.0.1:27397": dial tcp 127.0.0.1:27397: connect: connection refused`: `ledger: receiver "…": ledger: node unreachable: query /party: post failed: Post "…": dial tcp 127.0.0.1:…: connect: connection refused`,
	} {
		if got := shorten(in); got != want {
			t.Errorf("shorten(%q) = %q, want %q", in, got, want)
		}
	}
}

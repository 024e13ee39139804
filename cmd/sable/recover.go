package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// newWalletRecoverCmd is 'sable wallet recover': a lost wallet rebuilt
// from the ledger and the party's own keys (party.Recover).
func newWalletRecoverCmd() *cobra.Command {
	var home, node string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "recover --home DIR [--node URL]",
		Short: "Rebuild a lost wallet from the ledger and the party's own keys",
		Long: `Rebuild a lost wallet from the ledger and the party's own keys.

Every opening comes from memos sealed to the party's memo key: the genesis
balances', the incoming payments', and the self-memos of its own transfers,
bulk payments and burns; its own transactions are read from the node's tx
index (tx_search). An FX provider's fills (leg B, out of its balance and
its quote's band) come from the provider memos of the swaps that paid it
leg A, read from their blocks. The rebuilt balances must match the ledger's commitments
exactly, or nothing is written. recover never writes over a wallet: move a
damaged one aside first. It waits for the party's transactions in the
node's mempool to commit (--mempool-wait).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRecover(cmd, home, node, wait)
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().DurationVar(&wait, "mempool-wait", 30*time.Second, "how long to wait for the party's own transactions in the node's mempool to commit")
	return cmd
}

func runRecover(cmd *cobra.Command, home, node string, wait time.Duration) error {
	if home == "" {
		return withHint(failf("--home is required"), "a bank's home is written by 'sable testnet', e.g. DIR/banks/bank-sg")
	}
	id, err := party.LoadIdentity(home)
	if err != nil {
		return failf("%v", err)
	}
	if node == "" {
		node = id.Config.Node
	}
	c, err := client.Dial(node)
	if err != nil {
		return failf("%v", err)
	}
	ctx, cancel := commandContext()
	defer cancel()
	start := time.Now()
	rep, err := party.Recover(ctx, id, c, party.RecoverOptions{MempoolWait: wait})
	if err != nil {
		return recoverError(err, home)
	}
	printRecovered(cmd, rep, time.Since(start))
	return nil
}

func printRecovered(cmd *cobra.Command, rep party.RecoverReport, took time.Duration) {
	for _, b := range rep.Bad {
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: warning: payment %s; it stays pending on the ledger, outside the wallet\n", b)
	}
	for _, c := range rep.SupplyNotRebuilt {
		fmt.Fprintf(cmd.ErrOrStderr(), "sable: note: the %s supply's opening is not rebuilt (the genesis funds it without a supply memo for this issuer): minting %s needs the wallet's backup\n", c, c)
	}
	var curs []string
	for _, c := range rep.Accounts {
		curs = append(curs, c.String())
	}
	fx := ""
	if rep.Fills > 0 || rep.Quotes > 0 {
		fx = fmt.Sprintf(", %d swaps filled as FX provider, %d live quote bands", rep.Fills, rep.Quotes)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "recovered %s: %d own transactions, %d payments received (%d pending), accounts %s%s, in %s\n",
		rep.Dir, rep.Txs, rep.Received, rep.Pending, strings.Join(curs, " "), fx, took.Round(time.Millisecond))
}

// recoverError gives a failed recovery its hint.
func recoverError(err error, home string) error {
	switch {
	case errors.Is(err, party.ErrWalletExists):
		return withHint(failf("%v", err), "recover only rebuilds a lost wallet and never writes over one; nothing was changed")
	case errors.Is(err, client.ErrUnreachable):
		return withHint(failf("%v", err), "check that the node is up and --node is its RPC address; nothing was written")
	case errors.Is(err, party.ErrRecover):
		return withHint(failf("%v", err), "nothing was written; if the ledger cannot rebuild the wallet, restore it from a backup: cp -a BACKUP/wallet "+party.WalletDir(home))
	case errors.Is(err, context.Canceled):
		return failf("interrupted; nothing was written")
	}
	return failf("%v", err)
}

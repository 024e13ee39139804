package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger/testnet"
)

func newTestnetCmd() *cobra.Command {
	var opts testnet.Options
	var out string
	cmd := &cobra.Command{
		Use:   "testnet --validators N [--fund AMOUNT] --out DIR",
		Short: "Write a local network: validator homes, one genesis, and the home of every bank, issuer and the regulator",
		Long: `Write a local network on loopback ports into DIR:

  DIR/genesis.json          the chain's genesis (app_state: parties, accounts, verifying-key hashes)
  DIR/keys/                 proving and verifying keys: development ones (NOT for production),
                            or the ceremony's with --keys (its ceremony.json hash in the genesis)
  DIR/validators/<n>        validator homes; run each with 'sable node --home DIR/validators/<n>'
  DIR/banks/<bank-id>       bank-sg, bank-hk, bank-us, bank-th
  DIR/issuers/<CURRENCY>    one issuer per currency
  DIR/regulator             the regulator
  DIR/testnet.json          where everything is

Validator n listens for peers on BASE+10n+6 and serves CometBFT's RPC on BASE+10n+7.
--fund gives each bank that balance in every currency at genesis, as a commitment on the
ledger with its opening in the bank's wallet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return failf("--out is required")
			}
			if opts.Validators < 1 {
				return withHint(failf("--validators must be at least 1"), "4 validators tolerate one faulty or stopped node")
			}
			start := time.Now()
			l, err := testnet.Write(out, opts)
			if err != nil {
				return failf("%v", err)
			}
			w := cmd.OutOrStdout()
			if l.Ceremony == "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "sable: WARNING: single-party development setup. Whoever ran it can forge proofs: never use these keys in production.")
			} else {
				fmt.Fprintf(w, "keys from the setup ceremony %s (pinned in the genesis)\n", l.Ceremony)
			}
			fmt.Fprintf(w, "testnet %s: %d validators, chain %s (%s)\n", l.Dir, len(l.Validators), l.ChainID, time.Since(start).Round(time.Millisecond))
			for _, v := range l.Validators {
				fmt.Fprintf(w, "  %-12s rpc %-24s p2p %-20s %s\n", v.Name, v.RPC, v.P2P, rel(l.Dir, v.Home))
			}
			parties := append(append(append([]testnet.Party{}, l.Banks...), l.Issuers...), l.Regulator)
			for _, p := range parties {
				fmt.Fprintf(w, "  %-12s %-9s %s  node %-24s %s\n", p.ID, p.Role, p.Country, p.Node, rel(l.Dir, p.Home))
			}
			if l.Fund != nil {
				fmt.Fprintf(w, "  each bank funded with %s in every currency\n", opts.Fund)
			}
			for _, h := range l.Regulators {
				fmt.Fprintf(w, "  regulator party %s: a share of the %d-of-%d HE key\n", rel(l.Dir, h), opts.Threshold, len(l.Regulators))
			}
			fmt.Fprintf(w, "start each validator with: sable node --home %s\n", filepath.Join(l.Dir, "validators", "<n>"))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Validators, "validators", 4, "number of validators")
	f.StringVar(&opts.Fund, "fund", "", "each bank's genesis balance in every currency, in major units (e.g. 1000000)")
	f.StringVar(&out, "out", "", "directory to write the network into")
	f.IntVar(&opts.BasePort, "base-port", testnet.DefaultBasePort, "first port; validator n uses BASE+10n+6 (p2p) and BASE+10n+7 (RPC)")
	f.StringVar(&opts.ChainID, "chain-id", "sable-testnet", "chain id")
	f.StringVar(&opts.KeysFrom, "keys", "", "reuse the proving and verifying keys in DIR (from 'sable ceremony finalize', whose record the genesis then pins, or 'sable setup --dev') instead of a fresh setup")
	f.StringVar(&opts.Identities, "identities", "", "reuse the parties' identity keys from an earlier testnet in DIR (the homes whose keys signed the ceremony) instead of fresh ones")
	f.DurationVar(&opts.TimeoutCommit, "timeout-commit", 300*time.Millisecond, "CometBFT's timeout_commit")
	f.StringSliceVar(&opts.Regulators, "regulators", nil, "share the regulator's HE key among one party per jurisdiction, e.g. SG,HK,US,TH (homes DIR/regulators/<J>); needs --threshold")
	f.IntVar(&opts.Threshold, "threshold", 3, "with --regulators: how many parties decrypt together")
	return cmd
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}

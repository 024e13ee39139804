package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

func newAuditCmd() *cobra.Command {
	var node, keys, fx, regulators string
	var asJSON, closeEpoch bool
	cmd := &cobra.Command{
		Use:   "audit --node URL (--keys DIR | --regulators DIR,…|URL,…) [--json] [--fx SGD=0.74,…]",
		Short: "Decrypt the encrypted aggregates and check them against the on-ledger commitments (regulator)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if node == "" || (keys == "" && regulators == "") {
				return withHint(failf("--node and --keys are required"), "--keys is the regulator's home (it holds he.sk), e.g. DIR/regulator of 'sable testnet'; --regulators lists t regulator parties' homes or endpoints")
			}
			rates, err := audit.ParseFXRates(fx)
			if err != nil {
				return failf("--fx: %v", err)
			}
			c, err := client.Dial(node)
			if err != nil {
				return failf("%v", err)
			}
			ctx, cancel := commandContext()
			defer cancel()
			op, err := auditOpener(ctx, keys, regulators, c)
			if err != nil {
				return err
			}
			rep, err := audit.NewWith(c, op, rates).Run(ctx)
			if err != nil {
				return failf("%v", err)
			}
			if asJSON {
				b, _ := json.MarshalIndent(rep, "", "  ")
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			} else {
				printAudit(cmd.OutOrStdout(), rep)
			}
			if !rep.Consistent {
				return &cliError{err: fmt.Errorf("audit failed: %d aggregates inconsistent with their commitments, %d flows named, %d figures not computed",
					countInconsistent(rep), len(rep.Culprits), len(rep.Failures)), code: 1,
					hint: "the named transactions' senders encrypted flows that are not their payments or carry excess noise; keep this report before closing the epoch"}
			}
			if closeEpoch {
				if keys == "" {
					return withHint(failf("--close needs --keys"), "--keys is the regulator's home: it signs the epoch close")
				}
				return closeAll(cmd, ctx, keys, node, op, rates, rep)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&node, "node", "", "a validator's RPC address, e.g. http://127.0.0.1:26607")
	cmd.Flags().StringVar(&keys, "keys", "", "the regulator's key directory (holds he.sk)")
	cmd.Flags().StringVar(&regulators, "regulators", "", "decrypt with t regulator parties' shares instead of he.sk: their homes (DIR/regulators/SG,…) or endpoints ('sable regulator serve', http://127.0.0.1:PORT,…)")
	cmd.Flags().StringVar(&fx, "fx", "", "USD rates overriding the defaults, e.g. SGD=0.74,JPY=0.0067")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	cmd.Flags().BoolVar(&closeEpoch, "close", false, "after a consistent audit, close the epoch: re-encrypt every currency's book (each aggregate's group sums) and submit it, signed by the regulator")
	return cmd
}

// auditOpener decrypts with --regulators' shares, else with --keys' he.sk.
func auditOpener(ctx context.Context, keys, regulators string, src audit.Source) (audit.Opener, error) {
	if regulators != "" {
		op, _, err := regulatorsOpener(ctx, regulators, src)
		if err != nil {
			return nil, withHint(failf("--regulators: %v", err), "list t regulator parties: homes written by 'sable testnet --regulators' or endpoints of 'sable regulator serve'")
		}
		return op, nil
	}
	sk, err := party.LoadHESecretKey(keys)
	if err != nil {
		return nil, failf("%v", err)
	}
	return audit.NewKeyOpener(sk), nil
}

func countInconsistent(rep *audit.Report) int {
	n := 0
	for _, a := range rep.Aggregates {
		if !a.Consistent && !a.Sealed {
			n++
		}
	}
	return n
}

func printAudit(w io.Writer, rep *audit.Report) {
	fmt.Fprintf(w, "%-28s %22s %6s  %s\n", "aggregate", "amount", "flows", "check")
	for _, a := range rep.Aggregates {
		check := "consistent"
		switch {
		case a.Sealed:
			check = "sealed"
		case !a.Consistent:
			check = "INCONSISTENT"
		}
		fmt.Fprintf(w, "%-28s %22s %6d  %s\n", a.Key, a.Amount, a.Flows, check)
	}
	fmt.Fprintln(w, "\npositions (inflow − outflow)")
	printPositions(w, rep.Positions)
	fmt.Fprintln(w, "\ncorridors (sender country → receiver country)")
	for _, c := range rep.Corridors {
		fmt.Fprintf(w, "  %s→%s %s %22s\n", c.From, c.To, c.Currency, c.Volume)
	}
	printFX(w, rep)
	fmt.Fprintln(w, "\ntotals per currency (funded + minted − burned)")
	for _, k := range ledger.Currencies {
		if v, ok := rep.Totals[k.Code.String()]; ok {
			fmt.Fprintf(w, "  %s %22s\n", k.Code, v)
		}
	}
	fmt.Fprintf(w, "  USD-equivalent total %s (computed on ciphertexts, decrypted once)\n", rep.USDTotal)
	fmt.Fprintf(w, "HE bytes per transfer: %d\n", rep.FlowBytes)
	for _, c := range rep.Culprits {
		fmt.Fprintf(w, "CULPRIT %s: transaction %s from %s: %s\n", c.Aggregate, c.TxID, c.Sender, culpritReason(c))
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(w, "FAILED %s: %s\n", f.Figure, f.Reason)
		for _, c := range f.Culprits {
			fmt.Fprintf(w, "  named: transaction %s from %s: %s\n", c.TxID, c.Sender, culpritReason(c))
		}
	}
}

// printFX prints the FX volumes per pair and the providers' net FX
// positions, when the ledger has FX aggregates.
func printFX(w io.Writer, rep *audit.Report) {
	if len(rep.FX) == 0 && len(rep.FXPositions) == 0 {
		return
	}
	fmt.Fprintln(w, "\nFX volumes per pair (paid to providers / delivered by them)")
	for _, v := range rep.FX {
		fmt.Fprintf(w, "  %-8s %s %22s  %s %22s\n", v.Pair, v.Sell, v.SellVolume, v.Buy, v.BuyVolume)
	}
	fmt.Fprintln(w, "\nFX providers' net positions (bought − sold)")
	printPositions(w, rep.FXPositions)
}

// printPositions prints one line per party, in name order, with its
// figure in each currency it has one in, in the ledger's currency order.
func printPositions(w io.Writer, positions map[string]map[string]string) {
	parties := make([]string, 0, len(positions))
	for p := range positions {
		parties = append(parties, p)
	}
	sort.Strings(parties)
	for _, p := range parties {
		fmt.Fprintf(w, "  %-12s", p)
		for _, k := range ledger.Currencies {
			if v, ok := positions[p][k.Code.String()]; ok {
				fmt.Fprintf(w, " %s %s", k.Code, v)
			}
		}
		fmt.Fprintln(w)
	}
}

func culpritReason(c audit.Culprit) string {
	if c.Reason == "" {
		return "encrypted a flow that does not match its commitment"
	}
	return c.Reason
}

// closeAll submits epoch closes for the books of every aggregate of a
// consistent audit, signed with the regulator's key from its home.
func closeAll(cmd *cobra.Command, ctx context.Context, home, node string, op audit.Opener, rates audit.FXRates, rep *audit.Report) error {
	s, err := openSession(home, node)
	if err != nil {
		return err
	}
	defer s.Close()
	var keys []string
	books := map[ledger.Currency]bool{}
	for _, a := range rep.Aggregates {
		if !a.Sealed {
			keys = append(keys, a.Key)
			if c, ok := ledger.AggCurrencyOf(a.Key); ok {
				books[c] = true
			}
		}
	}
	ids, err := audit.NewWith(s.Client, op, rates).Close(ctx, s.Sender, keys)
	if err != nil {
		return ledgerError(err)
	}
	for _, id := range ids {
		if err := waitFor(cmd, ctx, s, id); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "epoch closed: %d books (%d aggregates) re-encrypted in %d transactions\n", len(books), len(keys), len(ids))
	return nil
}

package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var keep, regulators string
	var payments, contributors, threshold int
	cmd := &cobra.Command{
		Use:   "demo [--keep DIR] [--contributors N] [--regulators J,… --threshold T]",
		Short: "Run the main job on an embedded 4-validator network: ceremony keys, mint, 50+ cross-border payments, balances, threshold audit, disk check",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir := keep
			if dir == "" {
				tmp, err := os.MkdirTemp("", "sable-demo-")
				if err != nil {
					return failf("%v", err)
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return failf("--keep %s is not empty; give a new or empty directory", dir)
			} else if err := os.MkdirAll(dir, 0o700); err != nil {
				return failf("--keep: %v", err)
			}
			opts := demo.Options{Dir: dir, Payments: payments, Seed: 1, Contributors: contributors}
			if regulators != "" {
				opts.Regulators, opts.Threshold = strings.Split(regulators, ","), threshold
			}
			ctx, cancel := commandContext()
			defer cancel()
			demoHeader(cmd.OutOrStdout(), opts)
			if _, err := demo.Run(ctx, cmd.OutOrStdout(), opts); err != nil {
				return failf("%v", err)
			}
			if keep != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "files     kept in %s (validators/, banks/, issuers/, regulator/, regulators/, keys/, ceremony/)\n", keep)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&keep, "keep", "", "keep the network's files in DIR for inspection")
	f.IntVar(&payments, "payments", 56, "cross-border payments to make (at least 50)")
	f.IntVar(&contributors, "contributors", 3, "banks contributing to each phase of the setup ceremony (1 to 4); 0 takes the single-party development setup")
	f.StringVar(&regulators, "regulators", "SG,HK,US,TH", "jurisdictions whose regulator parties share the HE key; empty: one regulator holds the whole key")
	f.IntVar(&threshold, "threshold", 3, "regulator parties needed to decrypt (with --regulators)")
	return cmd
}

// demoHeader says what the run is and which trust setup it stands on.
func demoHeader(w io.Writer, opts demo.Options) {
	fmt.Fprintln(w, "== Sable demo: confidential cross-border settlement on a 4-validator BFT network")
	keys := "single-party development keys"
	if opts.Contributors > 0 {
		keys = fmt.Sprintf("keys from a %d-contributor setup ceremony", opts.Contributors)
	}
	he := "one regulator's HE key"
	if len(opts.Regulators) > 0 {
		he = fmt.Sprintf("a %d-of-%d regulators' HE key", opts.Threshold, len(opts.Regulators))
	}
	fmt.Fprintf(w, "   (%s, %s; all on one machine, not for production)\n", keys, he)
}

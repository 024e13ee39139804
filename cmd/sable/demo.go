package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/demo"
)

func newDemoCmd() *cobra.Command {
	var keep string
	var payments int
	cmd := &cobra.Command{
		Use:   "demo [--keep DIR]",
		Short: "Run the main job on an embedded 4-validator network: mint, 50+ cross-border payments, balances, disk check",
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
			}
			ctx, cancel := commandContext()
			defer cancel()
			fmt.Fprintln(cmd.OutOrStdout(), "== Sable demo: confidential cross-border settlement on a 4-validator BFT network")
			fmt.Fprintln(cmd.OutOrStdout(), "   (development setup: single-party keys, not for production)")
			if _, err := demo.Run(ctx, cmd.OutOrStdout(), demo.Options{Dir: dir, Payments: payments, Seed: 1}); err != nil {
				return failf("%v", err)
			}
			if keep != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "files     kept in %s (validators/, banks/, issuers/, regulator/, keys/)\n", keep)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "", "keep the network's files in DIR for inspection")
	cmd.Flags().IntVar(&payments, "payments", 56, "cross-border payments to make (at least 50)")
	return cmd
}

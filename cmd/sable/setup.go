package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

func newSetupCmd() *cobra.Command {
	var dev bool
	var out string
	cmd := &cobra.Command{
		Use:   "setup --dev --out DIR",
		Short: "Generate Groth16 proving and verifying keys for every circuit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dev {
				return withHint(failf("only a development setup exists"), "run 'sable setup --dev --out DIR'; production keys come from 'sable ceremony' (see its --help)")
			}
			if out == "" {
				return failf("--out is required")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return failf("cannot create %s: %v", out, err)
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "sable: WARNING: single-party development setup. Whoever ran it can forge proofs: never use these keys in production.")
			for _, c := range zkp.Circuits() {
				if err := setupOne(cmd, c, out); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dev, "dev", false, "single-party setup for development (NOT for production)")
	cmd.Flags().StringVar(&out, "out", "", "directory for <circuit>.pk, <circuit>.vk and the prover's <circuit>.tables")
	return cmd
}

func setupOne(cmd *cobra.Command, c zkp.Circuit, dir string) error {
	start := time.Now()
	pk, vk, err := zkp.SetupDev(c)
	if err != nil {
		return failf("%v", err)
	}
	pkPath, vkPath := zkp.KeyPaths(dir, c)
	if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
		return failf("%v", err)
	}
	if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
		return failf("%v", err)
	}
	// Tables beside the keys let one-shot commands prove with the faster
	// engine from their first proof (batch's are built when they pay).
	if c.TablesAtSetup() {
		if err := zkp.OpenProver(dir).WriteTables(c); err != nil {
			return failf("%v", err)
		}
	}
	ccs, _ := c.Compile()
	fmt.Fprintf(cmd.OutOrStdout(), "%-8s %5d constraints  vk %s  (%s, %s)  %s\n",
		c, ccs.GetNbConstraints(), vk.HashHex(), pkPath, vkPath, time.Since(start).Round(time.Millisecond))
	return nil
}

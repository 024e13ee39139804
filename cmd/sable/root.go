package main

import (
	"io"

	"github.com/spf13/cobra"
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "sable",
		Short:         "Confidential interbank settlement: proofs, keys and verification",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cliError{err: err, hint: "see 'sable " + c.Name() + " --help'", code: 2}
	})
	root.AddCommand(
		newSetupCmd(),
		newCircuitsCmd(),
		newCommitCmd(),
		newProveCmd(),
		newVerifyCmd(),
		newExportCmd(),
		newDemoCmd(),
		newNodeCmd(),
		newTestnetCmd(),
		newWalletCmd(),
		newBalanceCmd(),
		newTransferCmd(),
		newApplyPendingCmd(),
		newStatusCmd(),
		newBeneficiaryCmd(),
		newMintCmd(false),
		newMintCmd(true),
		newAuditCmd(),
		newMonitorCmd(),
		newBenchCmd(),
	)
	return root
}

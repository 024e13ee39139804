package main

import (
	"io"

	"github.com/spf13/cobra"
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sable",
		Short: "Confidential interbank settlement on a BFT ledger",
		Long: `Sable settles payments between banks with every amount hidden: Groth16
proofs show each hidden amount is in range and affordable, the regulator's
homomorphic key aggregates flows blind, and a CometBFT network is the ledger.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cliError{err: err, hint: "see '" + c.CommandPath() + " --help'", code: 2}
	})
	for _, g := range commandGroups() {
		root.AddGroup(&cobra.Group{ID: g.id, Title: g.title})
		for _, c := range g.cmds {
			c.GroupID = g.id
			root.AddCommand(c)
		}
	}
	addMetricsFlag(root) // metrics.go
	requireSubcommands(root)
	return root
}

type commandGroup struct {
	id, title string
	cmds      []*cobra.Command
}

// commandGroups lists the commands by who runs them, as 'sable --help'
// shows them.
func commandGroups() []commandGroup {
	return []commandGroup{
		{"proofs", "Keys and proofs:", []*cobra.Command{
			newSetupCmd(), newCeremonyCmd(), newCircuitsCmd(), newCommitCmd(), newProveCmd(), newVerifyCmd(), newExportCmd()}},
		{"bank", "A bank or an issuer on the network:", []*cobra.Command{
			newWalletCmd(), newBalanceCmd(), newTransferCmd(), newPayCmd(), newApplyPendingCmd(), newStatusCmd(),
			newBeneficiaryCmd(), newMintCmd(false), newMintCmd(true), newReceiptCmd(), newISOCmd()}},
		{"fx", "FX between banks:", []*cobra.Command{newFXCmd()}},
		{"regulator", "The regulator:", []*cobra.Command{newAuditCmd(), newMonitorCmd(), newRegulatorCmd()}},
		{"operator", "Validator operators:", []*cobra.Command{newNodeCmd(), newTestnetCmd(), newDemoCmd()}},
		{"engineer", "Measuring:", []*cobra.Command{newBenchCmd()}},
	}
}

package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/ledger"
)

var beneficiaryClasses = map[string]uint8{
	"corporate": ledger.ClassCorporate,
	"consumer":  ledger.ClassConsumer,
	"virtual":   ledger.ClassVirtual,
}

func newBeneficiaryCmd() *cobra.Command {
	var home, node, currency, class string
	var wait bool
	cmd := &cobra.Command{
		Use:   "beneficiary --home DIR --currency CUR --class corporate|consumer|virtual [--wait]",
		Short: "Publish a beneficiary token for one of the bank's customer accounts; prints the token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := ledger.ParseCurrency(currency)
			if err != nil {
				return failf("--currency: %v", err)
			}
			cl, ok := beneficiaryClasses[class]
			if !ok {
				return failf("--class %q: want corporate, consumer or virtual", class)
			}
			s, ctx, done, err := begin(home, node)
			if err != nil {
				return err
			}
			defer done()
			token, id, err := s.Sender.RegisterBeneficiary(ctx, c, cl)
			if err != nil {
				return ledgerError(err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(token[:]))
			fmt.Fprintf(cmd.ErrOrStderr(), "registration %s\n", id)
			if wait {
				return waitFor(cmd, ctx, s, id)
			}
			return nil
		},
	}
	partyFlags(cmd, &home, &node)
	cmd.Flags().StringVar(&currency, "currency", "", "currency of the customer account")
	cmd.Flags().StringVar(&class, "class", "corporate", "corporate, consumer or virtual")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until committed")
	return cmd
}

// parseBeneficiary reads a beneficiary token (64 hex digits) as the
// receiving bank registered it; what names the input for the error
// (--beneficiary, or a batch file's line).
func parseBeneficiary(what, token string) ([32]byte, error) {
	var ben [32]byte
	b, err := hex.DecodeString(strings.TrimSpace(token))
	if err != nil || len(b) != len(ben) {
		return ben, failf("%s is not a 32-byte hex token", what)
	}
	copy(ben[:], b)
	return ben, nil
}

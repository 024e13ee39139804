package main

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

func newCommitCmd() *cobra.Command {
	var value, blinding string
	cmd := &cobra.Command{
		Use:   "commit --value V [--blinding HEX]",
		Short: "Print the Pedersen commitment to a value, and the blinding used",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := parseValue("value", value)
			if err != nil {
				return err
			}
			var r *big.Int
			if blinding == "" {
				if r, err = zkp.RandomBlinding(); err != nil {
					return failf("%v", err)
				}
			} else if r, err = parseBlinding("blinding", blinding, 0); err != nil {
				return err
			}
			out, _ := json.Marshal(struct {
				Commitment string `json:"commitment"`
				Blinding   string `json:"blinding"`
			}{zkp.Commit(v, r).String(), zkp.BlindingHex(r)})
			fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return nil
		},
	}
	cmd.Flags().StringVar(&value, "value", "", "value in minor units, 0 to 2^64-1")
	cmd.Flags().StringVar(&blinding, "blinding", "", "blinding as hex, below the group order (default: random)")
	return cmd
}

package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

func newDemoCmd() *cobra.Command {
	var keep string
	cmd := &cobra.Command{
		Use:   "demo [--keep DIR]",
		Short: "Run the main job on an embedded default: dev setup, a transfer proof, its verification",
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
			} else if err := os.MkdirAll(dir, 0o755); err != nil {
				return failf("cannot create %s: %v", dir, err)
			}
			return runDemo(cmd.OutOrStdout(), dir)
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "", "keep the demo's files in DIR")
	return cmd
}

// runDemo: a bank holding 1,000,000.00 pays 1,250.50 and a regulator
// verifies the proof with the verifying key alone.
func runDemo(w io.Writer, dir string) error {
	fmt.Fprintln(w, "== Sable demo: a confidential transfer, proved by the bank, verified by the regulator")
	fmt.Fprintln(w, "   (development setup: single-party keys, not for production)")
	start := time.Now()
	pk, vk, err := zkp.SetupDev(zkp.Transfer)
	if err != nil {
		return failf("%v", err)
	}
	pkPath, vkPath := zkp.KeyPaths(dir, zkp.Transfer)
	if err := zkp.WriteProvingKey(pkPath, pk); err != nil {
		return failf("%v", err)
	}
	if err := zkp.WriteVerifyingKey(vkPath, vk); err != nil {
		return failf("%v", err)
	}
	ccs, _ := zkp.Transfer.Compile()
	fmt.Fprintf(w, "setup     transfer circuit, %d constraints, vk %s… (%s)\n", ccs.GetNbConstraints(), vk.HashHex()[:16], time.Since(start).Round(time.Millisecond))

	rbal, err := zkp.RandomBlinding()
	if err != nil {
		return failf("%v", err)
	}
	ramt, err := zkp.RandomAmountBlinding()
	if err != nil {
		return failf("%v", err)
	}
	ctx := zkp.NewContext("sable/demo/v1", []byte("bank-sg"), []byte("bank-hk"), []byte("SGD"), []byte{1})
	in := zkp.TransferInput{Balance: 100_000_000, BalanceBlinding: rbal, Amount: 125_050, AmountBlinding: ramt, Context: ctx}
	start = time.Now()
	pub, proof, err := pk.ProveTransfer(in, nil)
	if err != nil {
		return failf("%v", err)
	}
	fmt.Fprintf(w, "prove     bank-sg pays bank-hk SGD 1,250.50 from SGD 1,000,000.00 (%s)\n", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(w, "          public: available %s…, amount %s…, %d-byte proof\n", pub.Available.String()[:16], pub.Amount.String()[:16], zkp.ProofSize)
	bundle := zkp.NewBundle(vk, pub, proof)
	path := dir + "/transfer.bundle.json"
	if err := os.WriteFile(path, bundle.Marshal(), 0o644); err != nil {
		return failf("%v", err)
	}

	// The regulator reads the bundle with nothing but the verifying key.
	vk2, err := zkp.ReadVerifyingKey(vkPath, zkp.Transfer)
	if err != nil {
		return failf("%v", err)
	}
	start = time.Now()
	if err := bundle.Verify(vk2); err != nil {
		return failf("demo proof does not verify: %v", err)
	}
	fmt.Fprintf(w, "verify    valid (%s)\n", time.Since(start).Round(time.Microsecond))

	tampered := bundle
	tampered.Public.Context = zkp.NewContext("sable/demo/v1", []byte("another transaction")).String()
	if err := tampered.Verify(vk2); err == nil {
		return failf("demo proof verifies against another context")
	}
	fmt.Fprintln(w, "verify    the same proof with another transaction's context: rejected")
	fmt.Fprintf(w, "files     %s\n", dir)
	return nil
}

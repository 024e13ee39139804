package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/zkp"
	"github.com/sable-settlement/sable/zkp/export"
)

func newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export {snarkjs|solidity} ...",
		Short: "Export keys and proofs for verifiers that share no code with Sable",
	}
	cmd.AddCommand(newExportSnarkJSCmd(), newExportSolidityCmd())
	return cmd
}

func newExportSnarkJSCmd() *cobra.Command {
	var keys, out string
	cmd := &cobra.Command{
		Use:   "snarkjs --keys DIR BUNDLE.json --out DIR2",
		Short: "Write vk.json, proof.json and public.json for 'snarkjs groth16 verify'",
		Args:  exactArgs(1, "BUNDLE.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return failf("--out is required")
			}
			b, vk, err := readBundle(keys, args[0])
			if err != nil {
				return err
			}
			pub, proof, err := b.Statement()
			if err != nil {
				return failf("%s: %v", args[0], err)
			}
			vkJSON, proofJSON, publicJSON, err := export.SnarkJS(vk.Groth16(), proof.Groth16(), pub.Vector())
			if err != nil {
				return failf("%v", err)
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return failf("cannot create %s: %v", out, err)
			}
			for name, data := range map[string][]byte{"vk.json": vkJSON, "proof.json": proofJSON, "public.json": publicJSON} {
				if err := atomicfile.Write(filepath.Join(out, name), data, 0o644); err != nil {
					return failf("%v", err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s/{vk,proof,public}.json; check with: snarkjs groth16 verify vk.json public.json proof.json\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "", "key directory holding <circuit>.vk")
	cmd.Flags().StringVar(&out, "out", "", "output directory")
	return cmd
}

func newExportSolidityCmd() *cobra.Command {
	var keys, circuit, out string
	cmd := &cobra.Command{
		Use:   "solidity --keys DIR --circuit transfer --out Verifier.sol",
		Short: "Write a Solidity verifier contract for a circuit's verifying key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := zkp.ParseCircuit(circuit)
			if err != nil {
				return failf("--circuit: %v", err)
			}
			if keys == "" {
				return failf("--keys is required")
			}
			if err := checkWritable("out", out); err != nil {
				return err
			}
			vk, err := loadVK(keys, c)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := export.Solidity(vk.Groth16(), &buf); err != nil {
				return failf("%v", err)
			}
			if err := atomicfile.Write(out, buf.Bytes(), 0o644); err != nil {
				return failf("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s verifier)\n", out, c)
			return nil
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "", "key directory holding <circuit>.vk")
	cmd.Flags().StringVar(&circuit, "circuit", "transfer", "circuit: transfer, mint, fx or batch")
	cmd.Flags().StringVar(&out, "out", "", "Solidity file to write")
	return cmd
}

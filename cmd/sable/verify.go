package main

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

func newVerifyCmd() *cobra.Command {
	var keys, vkHash string
	cmd := &cobra.Command{
		Use:   "verify --keys DIR [--vk-hash HEX] BUNDLE.json",
		Short: "Verify a proof bundle: exit 0 valid, 1 invalid, 2 unusable input",
		Args:  exactArgs(1, "BUNDLE.json"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pin, err := parseVKHash(vkHash)
			if err != nil {
				return unusable(err)
			}
			b, vk, err := readBundle(keys, args[0])
			if err != nil {
				return unusable(err)
			}
			if err := checkPin(vk, pin, keys); err != nil {
				return unusable(err)
			}
			if err := b.Verify(vk); err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "invalid: %s\n", strings.TrimPrefix(err.Error(), "zkp: "))
				return &cliError{code: 1}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "valid")
			return nil
		},
	}
	cmd.Flags().StringVar(&keys, "keys", "", "key directory holding <circuit>.vk")
	cmd.Flags().StringVar(&vkHash, "vk-hash", "", "refuse a verifying key whose hash is not this hex (the chain's genesis vk_hashes)")
	return cmd
}

// checkPin refuses a verifying key whose hash is not pin (when given): a
// proof that verifies under keys someone swapped in proves nothing about
// the chain.
func checkPin(vk *zkp.VerifyingKey, pin *[32]byte, dir string) error {
	if pin == nil {
		return nil
	}
	if h := vk.Hash(); subtle.ConstantTimeCompare(h[:], pin[:]) != 1 {
		return withHint(failf("the %s verifying key in %s has hash %s, not the pinned %x", vk.Circuit(), dir, vk.HashHex(), pin[:]),
			"'sable circuits --keys "+dir+"' prints the hashes of the keys there; verify with the keys whose hash the chain's genesis pins")
	}
	return nil
}

// readBundle parses a bundle file and loads the verifying key it names.
func readBundle(keys, path string) (zkp.Bundle, *zkp.VerifyingKey, error) {
	if keys == "" {
		return zkp.Bundle{}, nil, failf("--keys is required")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return zkp.Bundle{}, nil, failf("%v", err)
	}
	b, err := zkp.ParseBundle(data)
	if err != nil {
		return b, nil, failf("%s: %v", path, err)
	}
	vk, err := loadVK(keys, b.Circuit)
	return b, vk, err
}

// unusable gives an error exit code 2.
func unusable(err error) error {
	var ce *cliError
	if errors.As(err, &ce) {
		return &cliError{err: ce.err, hint: ce.hint, code: 2}
	}
	return &cliError{err: err, code: 2}
}

func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &cliError{err: fmt.Errorf("want %s, got %d arguments", names, len(args)), hint: "see 'sable " + cmd.CommandPath()[len("sable "):] + " --help'", code: 2}
		}
		return nil
	}
}

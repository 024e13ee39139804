package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

type circuitInfo struct {
	Name         string `json:"name"`
	Constraints  int    `json:"constraints"`
	PublicInputs int    `json:"public_inputs"`
	VKHash       string `json:"vk_hash,omitempty"`
}

func newCircuitsCmd() *cobra.Command {
	var asJSON bool
	var keys string
	cmd := &cobra.Command{
		Use:   "circuits [--json] [--keys DIR]",
		Short: "List the circuits with their constraint counts (and verifying-key hashes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			infos, err := circuitInfos(keys)
			if err != nil {
				return err
			}
			if asJSON {
				out, _ := json.Marshal(infos)
				fmt.Fprintln(cmd.OutOrStdout(), string(out))
				return nil
			}
			for _, i := range infos {
				fmt.Fprintf(cmd.OutOrStdout(), "%-8s %5d constraints  %d public inputs  %s\n", i.Name, i.Constraints, i.PublicInputs, i.VKHash)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&keys, "keys", "", "key directory: add each verifying key's hash")
	return cmd
}

func circuitInfos(keys string) ([]circuitInfo, error) {
	var infos []circuitInfo
	for _, c := range zkp.Circuits() {
		ccs, err := c.Compile()
		if err != nil {
			return nil, failf("%v", err)
		}
		info := circuitInfo{Name: string(c), Constraints: ccs.GetNbConstraints(), PublicInputs: c.PublicInputs()}
		if keys != "" {
			vk, err := loadVK(keys, c)
			if err != nil {
				return nil, err
			}
			info.VKHash = vk.HashHex()
		}
		infos = append(infos, info)
	}
	return infos, nil
}

func loadVK(dir string, c zkp.Circuit) (*zkp.VerifyingKey, error) {
	_, path := zkp.KeyPaths(dir, c)
	vk, err := zkp.ReadVerifyingKey(path, c)
	if err != nil {
		return nil, keyFileHint(err, dir)
	}
	return vk, nil
}

// keyFileHint says what to do about a key file that cannot be read. Only a
// directory with no keys at all is a reason to run a setup: a damaged key
// file is copied again from where it came from, since a network's genesis
// pins its keys and fresh ones would prove nothing it accepts.
func keyFileHint(err error, dir string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return withHint(err, "no keys in "+dir+": copy the keys your network pins (its keys/ directory), or for development run 'sable setup --dev --out "+dir+"'")
	}
	return withHint(err, "the key file is damaged: copy it again from the setup's output or the network's keys/ directory; do not run a new setup for an existing network, whose genesis pins its keys")
}

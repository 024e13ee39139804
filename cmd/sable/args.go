package main

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sable-settlement/sable/zkp"
)

// parseAmount reads a positive integer amount in minor units below 2^64.
func parseAmount(flag, s string) (uint64, error) {
	v, err := parseValue(flag, s)
	if err == nil && v == 0 {
		err = failf("--%s is 0; an amount must be at least 1", flag)
	}
	return v, err
}

// parseValue reads a non-negative integer below 2^64.
func parseValue(flag, s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, failf("--%s is required", flag)
	}
	if strings.HasPrefix(s, "-") {
		return 0, failf("--%s %s is negative; values are whole minor units from 0 to 2^64-1", flag, s)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, failf("--%s %s is too large; values must be below 2^64", flag, s)
		}
		return 0, failf("--%s %q is not a whole number of minor units", flag, s)
	}
	return v, nil
}

// parseBlinding reads a hex blinding; bits = 0 means below ℓ.
func parseBlinding(flag, s string, bits int) (*big.Int, error) {
	r, err := zkp.ParseBlinding(strings.TrimPrefix(s, "0x"), bits)
	if err != nil {
		return nil, failf("--%s: %v", flag, err)
	}
	return r, nil
}

func parseContext(s string) (zkp.Context, error) {
	if s == "" {
		return zkp.Context{}, withHint(failf("--context is required"), "give the 32-byte hex hash of the transaction's other fields")
	}
	c, err := zkp.ParseContext(strings.TrimPrefix(s, "0x"))
	if err != nil {
		return c, failf("--context: %v", err)
	}
	return c, nil
}

// checkWritable fails early, before any slow work, when an output's directory
// does not exist.
func checkWritable(flag, path string) error {
	if path == "" {
		return failf("--%s is required", flag)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return failf("--%s %s: directory %s does not exist", flag, path, dir)
	}
	return nil
}

// onceValue is a string flag that may be given once: a second value is an
// error, not a silent replacement of the first (--amount 10 --amount 20
// must not mint 20).
type onceValue struct {
	v   *string
	set bool
}

func (o *onceValue) String() string {
	if o.v == nil {
		return ""
	}
	return *o.v
}

func (o *onceValue) Set(s string) error {
	if o.set {
		return errors.New("given more than once; this command takes one")
	}
	*o.v, o.set = s, true
	return nil
}

func (o *onceValue) Type() string { return "string" }

// subcommandsOnly makes cmd, a group of subcommands, refuse to run by itself
// or with a word that names none of them: cobra would print the group's
// help and exit 0, so a script's typo ('sable prove burn') would pass.
func subcommandsOnly(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return &cliError{err: fmt.Errorf("unknown command %q for %q; want %s", args[0], c.CommandPath(), subcommandNames(c)),
				hint: "see '" + c.CommandPath() + " --help'", code: 2}
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		return &cliError{err: fmt.Errorf("%q needs a subcommand: %s", c.CommandPath(), subcommandNames(c)),
			hint: "see '" + c.CommandPath() + " --help'", code: 2}
	}
	return cmd
}

// requireSubcommands applies subcommandsOnly to every group under root
// that cannot run by itself.
func requireSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			subcommandsOnly(c)
		}
		requireSubcommands(c)
	}
}

func subcommandNames(c *cobra.Command) string {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	switch len(names) {
	case 0:
		return "none"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Command sable is the command-line interface to Sable for every role: keys
// and proofs (setup, ceremony, circuits, commit, prove, verify, export), a
// bank's or an issuer's commands on the network (wallet sync and recover,
// balance, transfer, apply-pending, status, beneficiary, mint, burn, iso,
// receipt), the regulator's (audit, monitor), the operator's (node,
// testnet, demo) and the engineer's (bench, including bench chaos). It
// parses flags and calls the packages.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process's exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ce *cliError
	if !errors.As(err, &ce) {
		ce = &cliError{err: err, code: 2} // cobra's own: unknown command or flag
	}
	if ce.err != nil {
		fmt.Fprintf(stderr, "sable: error: %v\n", ce.err)
	}
	if ce.hint != "" {
		fmt.Fprintf(stderr, "sable: hint: %s\n", ce.hint)
	}
	return ce.code
}

// cliError carries the exit code and an optional hint saying what to do.
type cliError struct {
	err  error
	hint string
	code int
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

// failf is an error that exits 1.
func failf(format string, a ...any) *cliError {
	return &cliError{err: fmt.Errorf(format, a...), code: 1}
}

// withHint attaches a hint to an error.
func withHint(err error, hint string) *cliError {
	var ce *cliError
	if errors.As(err, &ce) {
		return &cliError{err: ce.err, hint: hint, code: ce.code}
	}
	return &cliError{err: err, hint: hint, code: 1}
}

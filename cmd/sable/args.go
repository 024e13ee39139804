package main

import (
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

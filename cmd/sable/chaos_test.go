package main

import (
	"strings"
	"testing"
)

// 'sable bench chaos' parses its flags; the run itself is internal/chaos's
// test and 'make chaos'.
func TestBenchChaosCommand(t *testing.T) {
	r := sable(t, "bench", "chaos", "--help")
	if r.code != 0 {
		t.Fatalf("bench chaos --help: exit %d: %s", r.code, r.stderr)
	}
	for _, flag := range []string{"--duration", "--seed", "--dir", "--results"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("bench chaos --help does not mention %s", flag)
		}
	}
	if r := sable(t, "bench", "chaos", "--seed", "x"); r.code != 2 {
		t.Errorf("a bad --seed exits %d, want 2", r.code)
	}
}

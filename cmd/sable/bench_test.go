package main

import (
	"strings"
	"testing"
)

// The bench commands parse their flags; running them is for 'make bench'.
func TestBenchCommands(t *testing.T) {
	r := sable(t, "bench", "--help")
	if r.code != 0 {
		t.Fatalf("bench --help: exit %d: %s", r.code, r.stderr)
	}
	for _, sub := range []string{"prove", "he", "ledger", "--json", "--quick", "--results"} {
		if !strings.Contains(r.stdout, sub) {
			t.Errorf("bench --help does not mention %s", sub)
		}
	}
	if r := sable(t, "bench", "ledger", "--help"); r.code != 0 || !strings.Contains(r.stdout, "--validators") || !strings.Contains(r.stdout, "--duration") {
		t.Errorf("bench ledger --help: exit %d\n%s", r.code, r.stdout)
	}
	if r := sable(t, "bench", "prove", "--rounds", "many"); r.code != 2 {
		t.Errorf("a bad flag exits %d, want 2", r.code)
	}
	if r := sable(t, "bench", "nonsense"); r.code == 0 {
		t.Error("an unknown bench command succeeds")
	}
}

package ledger_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestGenesisCeremony: vk_hashes.ceremony is absent (development keys) or
// the 32-byte hash of a ceremony record, in hex.
func TestGenesisCeremony(t *testing.T) {
	parse := func(c string) (*ledger.Genesis, error) {
		g := fuzzGenesis()
		g.VKHashes.Ceremony = c
		b, _ := json.Marshal(g)
		return ledger.ParseGenesis(b)
	}
	for _, good := range []string{"", strings.Repeat("ab", 32)} {
		g, err := parse(good)
		if err != nil || g.VKHashes.Ceremony != good {
			t.Fatalf("ceremony %q: %v", good, err)
		}
	}
	for _, bad := range []string{"zz", strings.Repeat("ab", 31), strings.Repeat("ab", 33)} {
		if _, err := parse(bad); err == nil || !strings.Contains(err.Error(), "vk_hashes.ceremony") {
			t.Fatalf("ceremony %q: %v", bad, err)
		}
	}
	raw, _ := json.Marshal(fuzzGenesis())
	if strings.Contains(string(raw), "ceremony") {
		t.Fatal("a genesis without a ceremony writes the field")
	}
}

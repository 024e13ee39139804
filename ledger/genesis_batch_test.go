package ledger_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sable-settlement/sable/ledger"
)

// TestGenesisBatchKey: vk_hashes.batch is absent (a chain from before batch
// proofs) or the 32-byte hash of the batch circuit's verifying key, in hex.
func TestGenesisBatchKey(t *testing.T) {
	parse := func(h string) (*ledger.Genesis, error) {
		g := fuzzGenesis()
		g.VKHashes.Batch = h
		b, _ := json.Marshal(g)
		return ledger.ParseGenesis(b)
	}
	for _, good := range []string{"", strings.Repeat("cd", 32)} {
		g, err := parse(good)
		if err != nil || g.VKHashes.Batch != good {
			t.Fatalf("batch %q: %v", good, err)
		}
	}
	for _, bad := range []string{"zz", strings.Repeat("cd", 31), strings.Repeat("cd", 33)} {
		if _, err := parse(bad); err == nil || !strings.Contains(err.Error(), "vk_hashes.batch") {
			t.Fatalf("batch %q: %v", bad, err)
		}
	}
	raw, _ := json.Marshal(fuzzGenesis())
	if strings.Contains(string(raw), `"batch"`) {
		t.Fatal("a genesis without a batch key writes the field")
	}
}

package demo

import (
	"context"
	"io"
	"testing"
)

// The demo as make demo runs it, on production-shaped trust: keys from a
// setup ceremony pinned in the genesis, and an audit through t of n
// regulator parties' shares that finds every opened aggregate consistent
// and totals matching what was minted.
func TestDemoCeremonyThreshold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a setup ceremony and starts a 4-validator network")
	}
	// Independent of the package's other demo (its own directory, free
	// ports): one's wait on consensus overlaps the other's setup.
	t.Parallel()
	res, err := Run(context.Background(), io.Discard, Options{Dir: t.TempDir(), Payments: 50, Seed: 7,
		Contributors: testContributors, Regulators: []string{"SG", "HK", "US", "TH"}, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.AmountsSeen != 0 || len(res.Ceremony) != 64 || res.Audit == nil || !res.Audit.Consistent {
		t.Fatalf("result %+v", res)
	}
	if opened := len(res.Audit.Aggregates) - len(res.Audit.Sealed); opened == 0 {
		t.Fatalf("the regulator parties opened no aggregate: %+v", res.Audit)
	}
	// Sparse groups are masked, not whole books sealed: every currency's
	// total and the USD total are read.
	if res.Audit.USDTotal == "" || len(res.Audit.Sealed) >= len(res.Audit.Aggregates)/2 {
		t.Fatalf("USD total %q, %d of %d aggregates sealed: %v", res.Audit.USDTotal, len(res.Audit.Sealed), len(res.Audit.Aggregates), res.Audit.Sealed)
	}
	t.Logf("%d of %d aggregates sealed (%v); USD total %s", len(res.Audit.Sealed), len(res.Audit.Aggregates), res.Audit.Sealed, res.Audit.USDTotal)
}

// testContributors is how many banks contribute to each ceremony phase in
// the test: one shows the ceremony's keys reach the network and prove
// there; zkp/ceremony tests the chain of three contributors. make demo
// takes three.
const testContributors = 1

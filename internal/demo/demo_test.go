package demo

import (
	"context"
	"io"
	"testing"
)

// The main job, end to end: a real 4-validator network, 50 payments, every
// balance adding up, validators agreeing, no amount on their disks.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-validator network")
	}
	// Independent of the package's other demo (its own directory, free
	// ports): one's wait on consensus overlaps the other's setup.
	t.Parallel()
	res, err := Run(context.Background(), io.Discard, Options{Dir: t.TempDir(), Payments: 50, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.AmountsSeen != 0 || res.Height < 3 || len(res.AppHash) != 64 || len(res.Balances) != 4 {
		t.Fatalf("result %+v", res)
	}
}

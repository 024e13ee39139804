package client

import (
	"context"
	"strconv"

	"github.com/sable-settlement/sable/ledger"
)

// Epoch returns the regulators' key epoch in force: the HE key flows are
// encrypted to and the epoch transactions are signed for
// (ledger.EpochDomain). ErrNotFound: the chain has no HE key.
func (c *Client) Epoch(ctx context.Context) (ledger.EpochInfo, error) {
	var e ledger.EpochInfo
	err := c.query(ctx, "/epoch", "", &e)
	return e, err
}

// EpochAt returns key epoch n, up to the one in force.
func (c *Client) EpochAt(ctx context.Context, n uint32) (ledger.EpochInfo, error) {
	var e ledger.EpochInfo
	err := c.query(ctx, "/epoch", strconv.FormatUint(uint64(n), 10), &e)
	return e, err
}

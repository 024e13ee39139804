package client

import (
	"context"

	"github.com/sable-settlement/sable/ledger"
)

// Quotes lists the live FX quotes (/fx/quotes), by pair, then best rate
// first. A quote is live up to and including its valid-until height; its
// band is what the provider can still fill, as a commitment (the liquidity
// proof showed the provider held the max when it quoted).
func (c *Client) Quotes(ctx context.Context) ([]ledger.QuoteInfo, error) {
	var out []ledger.QuoteInfo
	return out, c.query(ctx, "/fx/quotes", "", &out)
}

// Quote reads one quote by id (/fx/quote), live or expired.
func (c *Client) Quote(ctx context.Context, id ledger.TxID) (ledger.QuoteInfo, error) {
	var out ledger.QuoteInfo
	return out, c.query(ctx, "/fx/quote", id.String(), &out)
}

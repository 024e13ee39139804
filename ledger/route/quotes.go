package route

import "github.com/sable-settlement/sable/ledger"

// LedgerScale is S of the ledger's rates: a quote's R stands for R / 10^S
// minor units of B per minor unit of A (zkp.FXScale = 10^8).
const LedgerScale = 8

// FromLedger turns the ledger's live quotes (client.Quotes) into the
// planner's. The ledger keeps what is left of a quote's band as a
// commitment, which hides it: each quote is given its whole band (Max) less
// used[id], what the caller knows it filled itself (nil: nothing). A fill
// past what other payers left is refused by the provider when it fills
// (its band proof would fail), before anything moves. Every quote on the
// ledger had its liquidity proof accepted when it was published. A quote
// whose pair does not parse is left out.
func FromLedger(infos []ledger.QuoteInfo, used map[string]uint64) []Quote {
	var out []Quote
	for _, q := range infos {
		a, b := q.SellCurrency(), q.BuyCurrency()
		if !a.Known() || !b.Known() {
			continue
		}
		out = append(out, Quote{
			ID: q.ID, Provider: q.Provider, From: a, To: b,
			Rate: q.Rate, Scale: LedgerScale,
			Min: q.Min, Max: q.Max, Remaining: q.Max - min(used[q.ID], q.Max),
			Expiry: q.ValidUntil, Proven: true,
		})
	}
	return out
}

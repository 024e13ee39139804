package route

import (
	"math/rand/v2"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// TestLedgerQuotesRoundAsTheSwap: the planner's legs deliver exactly what
// the swap proves, ⌊a·R / zkp.FXScale⌋, at the ledger's scale, at the
// edges of the range and for JPY; a ledger quote becomes the planner's with
// its whole band less what the caller filled.
func TestLedgerQuotesRoundAsTheSwap(t *testing.T) {
	if pow10(LedgerScale) != zkp.FXScale {
		t.Fatalf("LedgerScale %d is not the ledger's scale %d", LedgerScale, zkp.FXScale)
	}
	usdjpy, err := ledger.ParseRate(ledger.Currency{'U', 'S', 'D'}, ledger.Currency{'J', 'P', 'Y'}, "150.12")
	if err != nil {
		t.Fatal(err)
	}
	qs := FromLedger([]ledger.QuoteInfo{
		{ID: "q1", Provider: "bank-jp", Pair: "USD/JPY", Rate: usdjpy, Min: 1, Max: 1000, ValidUntil: 90},
		{ID: "q2", Provider: "bank-jp", Pair: "USD/JPY", Rate: usdjpy, Min: 1, Max: 1000, ValidUntil: 90},
		{ID: "bad", Provider: "bank-x", Pair: "USD", Rate: 1, Min: 1, Max: 1, ValidUntil: 90},
	}, map[string]uint64{"q1": 400, "q2": 5000})
	if len(qs) != 2 || qs[0].From.String() != "USD" || qs[0].To.String() != "JPY" || qs[0].Remaining != 600 ||
		qs[1].Remaining != 0 || qs[0].Expiry != 90 || !qs[0].Proven || qs[0].Rate != usdjpy || qs[0].Scale != LedgerScale {
		t.Fatalf("planner quotes %+v", qs)
	}
	// 1 cent buys 1.5012 yen: R = 150.12 × 10^8 / 100.
	if usdjpy != 150_120_000 {
		t.Fatalf("USD/JPY 150.12 is R = %d", usdjpy)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for n := 0; n < 20000; n++ {
		q := Quote{Rate: 1 + rng.Uint64N(1<<40), Scale: LedgerScale}
		if n%3 == 0 {
			q.Rate = usdjpy
		}
		a := 1 + rng.Uint64N(1<<uint(1+rng.IntN(63)))
		got, ok := q.Convert(a)
		want, err := zkp.FXAmount(a, q.Rate)
		if err == nil && (!ok || got != want) || err != nil && ok && got != 0 {
			t.Fatalf("a=%d R=%d: planner %d (%v), swap %d (%v)", a, q.Rate, got, ok, want, err)
		}
	}
}

// Package route chooses how a payment in one currency is delivered from a
// bank's balances in others: directly, through one FX quote, split across
// several providers, or through two hops. It is pure: it reads the inputs it
// is given (the payer's balances, the live quotes, the height) and returns a
// plan; it never talks to a node, reads a wallet or signs anything.
//
// # Quotes and rounding
//
// A [Quote] is a provider's offer to deliver currency To for currency From at
// rate R, an integer at scale 10^S, in minor units of To per minor unit of
// From (the currencies' minor-unit exponents are folded into R; JPY has
// none). Paying a minor units of From through it delivers
//
//	b = ⌊a·R / 10^S⌋
//
// minor units of To, the floor rounding the swap proves in zero knowledge. A
// quote fills a leg whose b lies in its band: Min ≤ b ≤ min(Max, Remaining),
// with b ≥ 1 and a ≥ 1. It is usable at height h if it expires at a height
// of at least h+1 (the swap lands in a later block) and its provider's
// liquidity was proven on the ledger. Every amount is a uint64 of minor
// units and every product is computed exactly in 128 bits: there is no
// floating point in any amount.
//
// To deliver at least n through one quote, a leg pays a = ⌈n·10^S / R⌉, the
// least amount whose floor reaches n; it may deliver a little more than n
// when one minor unit of From buys more than one of To (USD cents to JPY).
// A route therefore delivers at least the amount asked, never less, and the
// plan says exactly how much. Legs of a split are sized by rate, then any
// surplus a minimum or a rounding forced is given back, worst rate first;
// the floors' fractions can still leave a split one minor unit of the
// source per extra leg above the integer optimum (a brute force in the
// tests bounds it).
//
// # Routes
//
//   - direct: the payer holds the target currency; one transfer, no FX, cost 0.
//     It is chosen whenever it is allowed and the balance covers the amount.
//   - fx: one hop, one quote.
//   - split: one hop through several quotes of the same pair, when one band
//     cannot fill the size. Legs are filled best rate first, each from its
//     band's minimum up to its maximum; every subset of a pair's best 10
//     quotes is tried, so a minimum fill never blocks a route that exists.
//   - two-hop: From → Via back to the payer, then Via → target to the
//     beneficiary (each hop possibly split), when no quote joins the two
//     currencies or when crossing through Via is cheaper. The first hop
//     delivers the whole intermediate amount the second needs; it does not
//     spend an intermediate balance the payer already holds.
//
// The two hops are searched one after the other: the cheapest fill of the
// second hop is the one that needs the least of the intermediate currency,
// since what the source pays for it never falls as the need grows. A full
// book (ten quotes on each of twelve pairs, every quote with a minimum)
// plans in about 15 ms (BenchmarkPlan); searching every pair of fills of
// the two hops took 20 s on the same book.
//
// One route spends one source currency. Every hop is one swap transaction
// per leg, so a two-hop route is at least two transactions: if the second
// hop fails, the payer holds the intermediate currency and nothing is lost.
//
// # Cost
//
// The cost of a route that spends s of its source X to deliver the amount n
// asked in T is the share of the spent value lost at a reference rate P:
//
//	cost = 1 − n / (s·P),  in basis points, rounded up
//
// P is the best fair rate the live quotes imply from X to T: for a pair
// quoted both ways, the mid rate ((best X→T) + 1/(best T→X)) / 2; for a pair
// quoted one way, its best rate; and the best of X's direct pair and every
// X → Y → T cross of such rates. The cost therefore counts the spread paid
// (where the book shows both sides), the slippage of filling worse quotes
// when a band is too small, rounding, and the loss of a worse path. It is
// computed with exact rationals and can be negative only when a quote beats
// the mid (a crossed book). Costs of routes from different sources are
// comparable: each is a share of what the spent money is worth.
//
// # Choice
//
// Among the feasible routes the plan takes the direct one if there is one;
// otherwise the least cost, then the fewest transactions, then the earlier
// source in the payer's order of preference, then the quotes in order of
// their ids. Nothing depends on map order. A route whose cost exceeds
// [Request.MaxCostBps] is refused with [ErrCostTooHigh].
//
// # The ledger's quotes
//
// [FromLedger] turns the ledger's quotes into the planner's, at the
// ledger's scale (10^8). The ledger hides what is left of a band (it keeps
// a commitment), so a quote counts its whole band less what the caller
// knows it filled itself; a provider refuses a fill past what others left
// before anything moves, and the caller plans again without that quote.
//
// # Failures
//
// [Plan] returns an error wrapping one of [ErrNoQuote] (no usable quote
// joins a source to the target in one or two hops), [ErrBandTooSmall]
// (quotes exist, their bands cannot fill the size), [ErrBalanceShort] (a
// route exists, the payer cannot afford it) or [ErrCostTooHigh], reporting
// the most useful one: cost before balance before band before quote.
package route

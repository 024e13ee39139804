package route

import (
	"math"
	"math/bits"
	"sort"
)

// maxQuotesPerPair bounds the quotes of one pair the planner combines: every
// subset of the best ones is tried, 2^10 at most.
const maxQuotesPerPair = 10

// pow10 returns 10^s for s ≤ 19 (the largest power below 2^64).
func pow10(s uint8) uint64 {
	p := uint64(1)
	for i := uint8(0); i < s; i++ {
		p *= 10
	}
	return p
}

// mulDiv returns ⌊x·y / d⌋ and whether it fits in 64 bits.
func mulDiv(x, y, d uint64) (uint64, bool) {
	hi, lo := bits.Mul64(x, y)
	if hi >= d {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, d)
	return q, true
}

// mulDivCeil returns ⌈x·y / d⌉ and whether it fits in 64 bits.
func mulDivCeil(x, y, d uint64) (uint64, bool) {
	hi, lo := bits.Mul64(x, y)
	if hi >= d {
		return 0, false
	}
	q, rem := bits.Div64(hi, lo, d)
	if rem != 0 {
		if q == math.MaxUint64 {
			return 0, false
		}
		q++
	}
	return q, true
}

// Convert returns what paying a through q delivers, ⌊a·R / 10^S⌋, and
// whether it fits in 64 bits.
func (q *Quote) Convert(a uint64) (uint64, bool) { return mulDiv(a, q.Rate, pow10(q.Scale)) }

// payFor returns the least a with ⌊a·R / 10^S⌋ ≥ n: ⌈n·10^S / R⌉.
func (q *Quote) payFor(n uint64) (uint64, bool) { return mulDivCeil(n, pow10(q.Scale), q.Rate) }

// payAtMost returns the greatest a with ⌊a·R / 10^S⌋ ≤ c, that is
// a·R ≤ (c+1)·10^S − 1, saturated at 2^64 − 1.
func (q *Quote) payAtMost(c uint64) uint64 {
	d := pow10(q.Scale)
	hi, lo := bits.Mul64(c, d)
	lo, carry := bits.Add64(lo, d, 0)
	hi += carry
	lo, borrow := bits.Sub64(lo, 1, 0)
	hi -= borrow
	if hi >= q.Rate {
		return math.MaxUint64
	}
	a, _ := bits.Div64(hi, lo, q.Rate)
	return a
}

// capacity is the most one leg may deliver: the band's maximum, less what
// earlier fills took.
func (q *Quote) capacity() uint64 { return min(q.Max, q.Remaining) }

// minFill is the least one leg may deliver: the band's minimum, and at
// least one minor unit (the swap proves b ≥ 1).
func (q *Quote) minFill() uint64 { return max(q.Min, 1) }

// better orders quotes of one pair: higher rate first (compared exactly
// across scales), then larger capacity, then id.
func better(x, y *Quote) bool {
	xh, xl := bits.Mul64(x.Rate, pow10(y.Scale))
	yh, yl := bits.Mul64(y.Rate, pow10(x.Scale))
	if xh != yh {
		return xh > yh
	}
	if xl != yl {
		return xl > yl
	}
	if x.capacity() != y.capacity() {
		return x.capacity() > y.capacity()
	}
	return x.ID < y.ID
}

// sortBook orders the usable quotes from one currency to another, best first,
// at most maxQuotesPerPair of them.
func sortBook(qs []*Quote) []*Quote {
	sort.SliceStable(qs, func(i, j int) bool { return better(qs[i], qs[j]) })
	if len(qs) > maxQuotesPerPair {
		qs = qs[:maxQuotesPerPair]
	}
	return qs
}

// fill is one way to deliver at least some amount through quotes of one
// pair: one leg per quote used, best rate first.
type fill struct {
	n            int // legs
	quotes       [maxQuotesPerPair]*Quote
	pays, recvs  [maxQuotesPerPair]uint64
	pay, receive uint64
	mask         uint32 // the quotes used, as bits of the sorted book
}

// legs returns the fill's legs, each with a copy of its quote.
func (f *fill) legs() []Leg {
	out := make([]Leg, f.n)
	for i := range out {
		out[i] = Leg{Quote: *f.quotes[i], Pay: f.pays[i], Receive: f.recvs[i]}
	}
	return out
}

// less reports whether f is the better fill: it pays less, then uses fewer
// quotes, then delivers less surplus, then uses earlier quotes of the book.
func (f *fill) less(g *fill) bool {
	if f.pay != g.pay {
		return f.pay < g.pay
	}
	if f.n != g.n {
		return f.n < g.n
	}
	if f.receive != g.receive {
		return f.receive < g.receive
	}
	return earlier(f.mask, g.mask)
}

// earlier reports whether the quotes in x, listed in book order, come
// before those in y (x and y name as many quotes).
func earlier(x, y uint32) bool {
	for x != y {
		i, j := bits.TrailingZeros32(x), bits.TrailingZeros32(y)
		if i != j {
			return i < j
		}
		x &= x - 1
		y &= y - 1
	}
	return false
}

// fillWith delivers at least need through the quotes of book named by mask,
// in book order: each leg takes what the others' minimums leave of the need,
// clamped to its band, and pays the least amount that delivers it. It
// reports false if the quotes cannot deliver need within their bands.
func fillWith(book []*Quote, mask uint32, need uint64) (fill, bool) {
	f := fill{mask: mask}
	var reserve uint64 // minimums of the legs still to come
	for i, q := range book {
		if mask&(1<<i) != 0 {
			reserve += q.minFill() // ≤ 10 values, each below 2^64: checked below
			if reserve < q.minFill() {
				return f, false
			}
		}
	}
	left := need
	for i, q := range book {
		if mask&(1<<i) == 0 {
			continue
		}
		reserve -= q.minFill()
		want := uint64(0)
		if left > reserve {
			want = left - reserve
		}
		want = min(max(want, q.minFill()), q.capacity())
		a, ok := q.payFor(want)
		if !ok {
			return f, false
		}
		b, ok := q.Convert(a)
		if !ok {
			return f, false
		}
		if b > q.capacity() {
			// One minor unit of From buys several of To: the least a that
			// reaches want overshoots the band. Take the most that fits.
			a = q.payAtMost(q.capacity())
			if b, ok = q.Convert(a); !ok {
				return f, false
			}
		}
		if a == 0 || b < q.minFill() {
			return f, false
		}
		var carry uint64
		if f.pay, carry = bits.Add64(f.pay, a, 0); carry != 0 {
			return f, false
		}
		if f.receive, carry = bits.Add64(f.receive, b, 0); carry != 0 {
			return f, false
		}
		f.quotes[f.n], f.pays[f.n], f.recvs[f.n] = q, a, b
		f.n++
		left -= min(left, b)
	}
	if left != 0 {
		return f, false
	}
	f.trim(need)
	return f, true
}

// trim gives back what the legs deliver beyond need, worst rate first: a
// leg whose minimum or rounding made it deliver more lets an earlier one
// deliver less. Each leg pays the least for what it then delivers.
func (f *fill) trim(need uint64) {
	surplus := f.receive - need
	for i := f.n - 1; i >= 0 && surplus > 0; i-- {
		q := f.quotes[i]
		want := max(f.recvs[i]-min(surplus, f.recvs[i]), q.minFill())
		a, ok := q.payFor(want)
		if !ok || a >= f.pays[i] {
			continue
		}
		b, _ := q.Convert(a) // ≤ f.recvs[i], since a < f.pays[i]
		f.pay -= f.pays[i] - a
		f.receive -= f.recvs[i] - b
		surplus -= f.recvs[i] - b
		f.pays[i], f.recvs[i] = a, b
	}
}

// eachFill calls fn with the fill of every subset of book that delivers at
// least need, in a fixed order.
func eachFill(book []*Quote, need uint64, fn func(fill)) {
	for mask := uint32(1); mask < 1<<len(book); mask++ {
		if f, ok := fillWith(book, mask, need); ok {
			fn(f)
		}
	}
}

// bestFill returns the best fill of book that delivers at least need.
func bestFill(book []*Quote, need uint64) (fill, bool) {
	var best fill
	found := false
	eachFill(book, need, func(f fill) {
		if !found || f.less(&best) {
			best, found = f, true
		}
	})
	return best, found
}

// capacityOf is the most the book can deliver (saturating).
func capacityOf(book []*Quote) uint64 {
	var sum uint64
	for _, q := range book {
		s, carry := bits.Add64(sum, q.capacity(), 0)
		if carry != 0 {
			return math.MaxUint64
		}
		sum = s
	}
	return sum
}

package monitor

import (
	"context"
	"strings"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
)

// flowBook knows which flows (transaction IDs) each aggregate holds, in the
// order they entered it. The ledger lists only an aggregate's transactions
// since its last epoch close, so the book keeps the earlier ones itself; an
// aggregate closed over flows the book never saw is lost: what it holds is
// unknown, and the monitor never shows it again.
//
// Positions below are absolute: flow i is the i-th to enter the aggregate
// since genesis, whether or not the book still keeps it.
type flowBook struct {
	aggs map[string]*aggFlows
}

type aggFlows struct {
	flows      []string // entry order, from position dropped on
	dropped    int      // flows forgotten (all shown at an anchor)
	epoch      int      // position of the first flow since the last close
	commitment string   // the commitment sum when last read
	base       string   // the base commitment when last read
	lost       bool
	// reported is how many flows the audit report's figure rests on (its
	// first reported flows), or -1 when that is not known this round.
	reported int
}

func newFlowBook() *flowBook { return &flowBook{aggs: map[string]*aggFlows{}} }

// AggregateReader reads one aggregate with its transactions since its
// last epoch close; *ledger/client.Client is one.
type AggregateReader interface {
	Aggregate(ctx context.Context, key string) (ledger.AggregateInfo, error)
}

// update brings the book to the ledger's state after rep's audit: list is
// the aggregate list read after the audit, so every flow a report figure
// holds is already in it. Aggregates whose commitment sum and count did
// not move are not read again.
func (b *flowBook) update(ctx context.Context, node AggregateReader, rep *audit.Report, list []ledger.AggregateInfo) error {
	counts := map[string]int{}
	for _, r := range rep.Aggregates {
		counts[r.Key] = r.Flows
	}
	for _, a := range b.aggs {
		a.reported = -1
	}
	for _, entry := range list {
		n, inReport := counts[entry.Key]
		if !inReport {
			n = -1
		}
		a := b.aggs[entry.Key]
		if a != nil && a.lost {
			continue
		}
		if a != nil && entry.Commitment == a.commitment && n == a.count() {
			a.reported = a.epoch + n
			continue
		}
		info, err := node.Aggregate(ctx, entry.Key)
		if err != nil {
			return err
		}
		if a == nil {
			a = &aggFlows{reported: -1}
			b.aggs[entry.Key] = a
			a.first(entry.Key, info)
		} else if a.read(info) {
			continue // closed since the last read: which epoch the audit saw is unknown
		}
		if !a.lost && n >= 0 && n <= a.count() {
			a.reported = a.epoch + n
		}
	}
	return nil
}

// count is the number of flows since the last close.
func (a *aggFlows) count() int { return a.dropped + len(a.flows) - a.epoch }

// first takes an aggregate the book has never read. One that was closed
// before is lost, unless it only ever holds genesis balances.
func (a *aggFlows) first(key string, info ledger.AggregateInfo) {
	a.commitment, a.base = info.Commitment, info.BaseCommitment
	if info.BaseCommitment != "" && !strings.HasSuffix(key, "/funded") {
		a.lost = true
		return
	}
	a.flows = append([]string{}, info.Txs...)
}

// read takes a newer listing and reports whether the aggregate was closed
// since the last one. A close is followed only when it stands for exactly
// the state last read (its base commitment is the commitment sum then);
// otherwise flows entered and were closed unseen, and the aggregate is lost.
func (a *aggFlows) read(info ledger.AggregateInfo) (closed bool) {
	defer func() { a.commitment, a.base = info.Commitment, info.BaseCommitment }()
	if a.lost {
		return false
	}
	if info.BaseCommitment != a.base {
		if info.BaseCommitment != a.commitment {
			a.lost = true
			return true
		}
		a.epoch = a.dropped + len(a.flows)
		a.flows = append(a.flows, info.Txs...)
		return true
	}
	// Same epoch: the listing extends the one the book holds.
	skip := max(0, a.dropped-a.epoch) // listed flows the book forgot
	held := a.flows[max(0, a.epoch-a.dropped):]
	if len(info.Txs) < skip+len(held) {
		a.lost = true
		return false
	}
	for i, id := range held {
		if info.Txs[skip+i] != id {
			a.lost = true
			return false
		}
	}
	a.flows = append(a.flows, info.Txs[skip+len(held):]...)
	return false
}

// reportedSet returns how many flows the report's figure for key rests on.
func (b *flowBook) reportedSet(key string) (int, bool) {
	a := b.aggs[key]
	if a == nil || a.lost || a.reported < 0 {
		return 0, false
	}
	return a.reported, true
}

// lost reports whether key's content is unknown for good.
func (b *flowBook) lost(key string) bool {
	a := b.aggs[key]
	return a != nil && a.lost
}

// length is the number of flows key holds as last read.
func (b *flowBook) length(key string) int {
	a := b.aggs[key]
	if a == nil {
		return 0
	}
	return a.dropped + len(a.flows)
}

// slice returns the flows at positions [from, to) of key.
func (b *flowBook) slice(key string, from, to int) []string {
	a := b.aggs[key]
	if a == nil || to <= from {
		return nil
	}

	return a.flows[from-a.dropped : to-a.dropped]
}

// abandon stops following key: the monitor will never show it again.
func (b *flowBook) abandon(key string) {
	if a := b.aggs[key]; a != nil {
		a.lost, a.flows = true, nil
	}
}

// forget drops the flows before position n of key: they are all shown.
func (b *flowBook) forget(key string, n int) {
	if a := b.aggs[key]; a != nil && !a.lost && n > a.dropped {
		a.flows = append([]string{}, a.flows[n-a.dropped:]...)
		a.dropped = n
	}
}

// keys lists the aggregates of currency cur the book knows.
func (b *flowBook) keys(cur string) []string {
	var out []string
	for k := range b.aggs {
		if currencyOf(k) == cur {
			out = append(out, k)
		}
	}
	return out
}

// currencyOf is the currency of aggregate key.
func currencyOf(key string) string {
	parts := strings.SplitN(key, "/", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

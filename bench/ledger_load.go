package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// load is one run of the banks' payments: when each accepted transfer was
// sent, and how many were refused at pre-validation, per phase (0: all
// validators up; 1: after the kill at half time).
type load struct {
	opt              LedgerOptions
	machine          Machine
	start, half, end time.Time

	mu       sync.Mutex
	sent     []sentTx
	rejected [2]int
	sample   ledger.TxID // the first accepted transfer, for its bytes
}

type sentTx struct {
	id    ledger.TxID
	at    time.Time
	phase int
}

func (ld *load) phaseOf(t time.Time) int {
	if ld.opt.Kill && !t.Before(ld.half) {
		return 1
	}
	return 0
}

// runLoad has every bank pay, pipelined, until the run's end, and kills
// one validator at half time.
func runLoad(net *localnet.Net, banks []*bank, opt LedgerOptions, pr Progress) (*load, error) {
	start := time.Now()
	ld := &load{opt: opt, machine: ThisMachine(), start: start, half: start.Add(opt.Duration / 2), end: start.Add(opt.Duration)}
	pr.Stage(fmt.Sprintf("ledger: %d banks paying for %s", len(banks), opt.Duration), int(opt.Duration/time.Second))
	ctx, cancel := context.WithDeadline(context.Background(), ld.end.Add(5*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for i := range banks {
		wg.Add(1)
		go func() { defer wg.Done(); ld.pay(ctx, banks, i) }()
	}
	err := ld.clock(net, pr)
	if err != nil {
		cancel()
	}
	wg.Wait()
	return ld, err
}

// pay sends bank i's transfers to the other banks in turn, in random
// currencies and amounts, until the run's end; a transport failure is
// tried again.
func (ld *load) pay(ctx context.Context, banks []*bank, i int) {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	for k := 0; time.Now().Before(ld.end); k++ {
		to := banks[(i+1+k%(len(banks)-1))%len(banks)].id
		cur := ledger.Currencies[r.IntN(len(ledger.Currencies))].Code
		id, err := banks[i].Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: cur, Amount: 1 + r.Uint64N(1_000_000)})
		if ld.record(id, err) {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// record notes a transfer accepted or refused at pre-validation; false is
// neither (a transport failure).
func (ld *load) record(id ledger.TxID, err error) bool {
	now := time.Now()
	ld.mu.Lock()
	defer ld.mu.Unlock()
	var rej *ledger.Rejection
	switch {
	case err == nil:
		ld.sent = append(ld.sent, sentTx{id, now, ld.phaseOf(now)})
		if ld.sample == (ledger.TxID{}) {
			ld.sample = id
		}
	case errors.As(err, &rej):
		ld.rejected[ld.phaseOf(now)]++
	default:
		return false
	}
	return true
}

// clock steps the progress every second until the end, killing one
// validator at half time.
func (ld *load) clock(net *localnet.Net, pr Progress) error {
	killed := false
	for now := time.Now(); now.Before(ld.end); now = time.Now() {
		time.Sleep(min(time.Second, ld.end.Sub(now)))
		pr.Step()
		if ld.opt.Kill && !killed && !time.Now().Before(ld.half) {
			if err := killOneValidator(net); err != nil {
				return err
			}
			killed = true
		}
	}
	return nil
}

// killOneValidator SIGKILLs the last validator, which no bank talks to.
func killOneValidator(net *localnet.Net) error {
	if err := net.Kill(net.Validators() - 1); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// waitForLastCommits lets the transfers still in flight at the end commit.
func waitForLastCommits(ld *load, obs *observer, pr Progress) {
	pr.Stage("ledger: waiting for the last commits", 1)
	ld.mu.Lock()
	ids := make([]ledger.TxID, len(ld.sent))
	for i := range ld.sent {
		ids[i] = ld.sent[i].id
	}
	ld.mu.Unlock()
	obs.waitAll(ids, 20*time.Second)
	pr.Step()
}

// measure turns the run into figures: per phase and overall, transfers
// submitted, committed and rejected, throughput in each phase's window,
// and submit→commit latency.
func measure(ld *load, obs *observer) *LedgerResult {
	opt := ld.opt
	res := &LedgerResult{Machine: ld.machine, Validators: opt.Validators, DurationS: round(opt.Duration.Seconds(), 1),
		Note: "Latency runs from the broadcast's return (pre-validated, after proving) to the block seen committed by validator 0, polled every 20 ms"}
	phases, windows := ld.phases()
	lat := make([]samples, len(phases))
	var total samples
	committedIn := make([]int, len(phases))
	for _, s := range ld.sent {
		ph := &phases[s.phase]
		ph.Submitted++
		res.Submitted++
		at, ok := obs.get(s.id)
		if !ok {
			res.Lost++
			continue
		}
		res.Committed++
		ph.Committed++
		d := at.Sub(s.at)
		lat[s.phase] = append(lat[s.phase], d)
		total = append(total, d)
		for w := range windows {
			if !at.Before(windows[w][0]) && at.Before(windows[w][1]) {
				committedIn[w]++
			}
		}
	}
	// Transfers rejected in a block (the observer sees no id for them).
	for _, at := range obs.rejectedAt() {
		phases[ld.phaseOf(at)].Rejected++
		res.Rejected++
	}
	for i := range phases {
		phases[i].Rejected += ld.rejected[i]
		phases[i].TPS = round(float64(committedIn[i])/windows[i][1].Sub(windows[i][0]).Seconds(), 1)
		phases[i].P50Ms, phases[i].P99Ms = ms(lat[i].p50()), ms(lat[i].quantile(0.99))
	}
	res.Rejected += ld.rejected[0] + ld.rejected[1]
	res.Phases = phases
	sum := 0
	for _, n := range committedIn {
		sum += n
	}
	res.TPS = round(float64(sum)/opt.Duration.Seconds(), 1)
	res.P50Ms, res.P99Ms = ms(total.p50()), ms(total.quantile(0.99))
	return res
}

// phases are the run's parts and their time windows: the whole run, or
// with Kill its halves before and after the kill.
func (ld *load) phases() ([]LedgerPhase, [][2]time.Time) {
	opt := ld.opt
	if !opt.Kill {
		return []LedgerPhase{{Name: "all validators", Validators: opt.Validators, DurationS: round(opt.Duration.Seconds(), 1)}},
			[][2]time.Time{{ld.start, ld.end}}
	}
	return []LedgerPhase{
			{Name: "all validators", Validators: opt.Validators, DurationS: round(ld.half.Sub(ld.start).Seconds(), 1)},
			{Name: "one validator killed", Validators: opt.Validators - 1, DurationS: round(ld.end.Sub(ld.half).Seconds(), 1)},
		},
		[][2]time.Time{{ld.start, ld.half}, {ld.half, ld.end}}
}

// observer records when each transaction is seen in a committed block of
// validator 0.
type observer struct {
	mu     sync.Mutex
	seen   map[ledger.TxID]time.Time
	failed []time.Time // transactions rejected in a block, when seen
	dups   int         // transactions seen committed (code 0) a second time
	blocks []blockSeen
	stop   func()
}

// watchCommits follows validator 0's blocks from its current height,
// every 20 ms, until stop.
func watchCommits(net *localnet.Net) (*observer, error) {
	from, _, err := net.Height(0)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	o := &observer{seen: map[ledger.TxID]time.Time{}}
	rpc := net.RPC(0)
	o.stop = localnet.Follow(rpc, from, 20*time.Millisecond, func(ctx context.Context, h int64, at time.Time) error {
		return o.block(ctx, rpc, h, at)
	})
	return o, nil
}

// block reads the results of block h: a committed transfer's events name
// its id (blocks themselves, megabytes of HE ciphertexts, are not fetched).
func (o *observer) block(ctx context.Context, rpc *rpchttp.HTTP, h int64, at time.Time) error {
	res, err := rpc.BlockResults(ctx, &h)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.blocks = append(o.blocks, blockSeen{height: h, at: at, txs: len(res.TxResults)})
	for _, r := range res.TxResults {
		if r.Code != ledger.CodeOK {
			o.failed = append(o.failed, at)
			continue
		}
		for _, ev := range r.Events {
			for _, a := range ev.Attributes {
				if ev.Type == "sable" && a.Key == "txid" {
					if id, err := ledger.ParseTxID(a.Value); err == nil {
						if _, again := o.seen[id]; again {
							o.dups++
							continue
						}
						o.seen[id] = at
					}
				}
			}
		}
	}
	return nil
}

func (o *observer) get(id ledger.TxID) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.seen[id]
	return t, ok
}

// blockSeen is a block as the observer saw it committed.
type blockSeen struct {
	height int64
	at     time.Time
	txs    int
}

// blocksIn returns the blocks seen committed in [from, to).
func (o *observer) blocksIn(from, to time.Time) []blockSeen {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []blockSeen
	for _, b := range o.blocks {
		if !b.at.Before(from) && b.at.Before(to) {
			out = append(out, b)
		}
	}
	return out
}

// doubles is how many transactions were seen committed more than once.
func (o *observer) doubles() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dups
}

func (o *observer) rejectedAt() []time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.failed)
}

// waitAll waits until every id is seen committed, or the timeout.
func (o *observer) waitAll(ids []ledger.TxID, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !slices.ContainsFunc(ids, func(id ledger.TxID) bool { _, ok := o.get(id); return !ok }) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

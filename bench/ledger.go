package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
)

// LedgerOptions configures Ledger.
type LedgerOptions struct {
	Quick      bool
	Validators int           // default 4
	Duration   time.Duration // default 30s (quick: 12s)
	// Kill stops the last validator halfway through the run (it is never a
	// bank's node), so the second half runs on the others.
	Kill bool
	Dir  string // where to write the network; default a temporary directory, removed after
	// Node is the command that runs a validator given "--home DIR", e.g.
	// the sable binary and "node": every validator is its own process, so
	// that one can be killed (SIGKILL) like a crashed machine.
	Node     []string
	Progress Progress
}

// LedgerResult is what `sable bench ledger --json` prints.
type LedgerResult struct {
	Machine    Machine       `json:"machine"`
	Validators int           `json:"validators"`
	Banks      int           `json:"banks"`
	DurationS  float64       `json:"duration_s"`
	TPS        float64       `json:"tps"` // transfers in blocks committed during the run ÷ its length
	P50Ms      float64       `json:"p50_ms"`
	P99Ms      float64       `json:"p99_ms"`
	Submitted  int           `json:"submitted"` // accepted at pre-validation
	Committed  int           `json:"committed"` // of those, committed (possibly after the run's end)
	Rejected   int           `json:"rejected"`  // refused at pre-validation or in a block
	Lost       int           `json:"lost"`      // accepted but not seen committed 20 s after the end (or rejected in a block)
	Phases     []LedgerPhase `json:"phases"`
	Bytes      TxBytes       `json:"bytes_per_transfer"`
	Note       string        `json:"note"`
}

// LedgerPhase is one part of the run: all validators up, or one killed.
type LedgerPhase struct {
	Name       string  `json:"name"`
	Validators int     `json:"validators"`
	DurationS  float64 `json:"duration_s"`
	Submitted  int     `json:"submitted"`
	Committed  int     `json:"committed"`
	Rejected   int     `json:"rejected"`
	TPS        float64 `json:"tps"` // transfers in blocks committed within the phase ÷ its length
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
}

// TxBytes splits a transfer's encoding.
type TxBytes struct {
	Total       int `json:"total"`
	Proof       int `json:"proof"`
	Commitments int `json:"commitments"` // C_avail and C_amt
	Memo        int `json:"memo"`        // the opening sealed to the receiver
	AuditMemo   int `json:"audit_memo"`  // the opening sealed to the regulator
	HE          int `json:"he_ciphertext"`
	Other       int `json:"other"` // kind, ids, nonce, currency, beneficiary, signature, lengths
}

// Ledger runs a local network of validators (each its own process), has every
// testnet bank send pipelined transfers through its own validator for the
// duration, and measures committed transfers per second and submit→commit
// latency, as seen by polling a validator for new blocks (every 20 ms).
// Banks prove with the wallet's prover (zkp.ProvingKey.ProveTransfer).
func Ledger(opt LedgerOptions) (*LedgerResult, error) {
	pr := orSilent(opt.Progress)
	if opt.Validators <= 0 {
		opt.Validators = 4
	}
	if opt.Duration <= 0 {
		opt.Duration = 30 * time.Second
		if opt.Quick {
			opt.Duration = 12 * time.Second
		}
	}
	if opt.Kill && opt.Validators < 4 {
		return nil, errors.New("bench: killing a validator needs at least 4 (BFT tolerates f < n/3)")
	}
	dir := opt.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "sable-bench-net-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	pr.Stage(fmt.Sprintf("ledger: writing a %d-validator testnet (dev setup)", opt.Validators), 1)
	base, err := freeBasePort(opt.Validators)
	if err != nil {
		return nil, err
	}
	l, err := testnet.Write(dir, testnet.Options{Validators: opt.Validators, Fund: "1000000000", BasePort: base})
	if err != nil {
		return nil, err
	}
	pr.Step()

	if len(opt.Node) == 0 {
		return nil, errors.New("bench: no command to run a validator (want e.g. sable node)")
	}
	pr.Stage("ledger: starting validators", opt.Validators)
	procs := make([]*exec.Cmd, len(l.Validators))
	defer func() {
		for _, p := range procs {
			if p != nil {
				p.Process.Signal(syscall.SIGTERM)
				p.Wait()
			}
		}
	}()
	for i, v := range l.Validators {
		args := append(append([]string(nil), opt.Node[1:]...), "--home", v.Home, "--log-level", "error")
		cmd := exec.Command(opt.Node[0], args...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("bench: start validator %d: %w", i, err)
		}
		procs[i] = cmd
		pr.Step()
	}
	obs, err := newObserver(l.Validators[0].RPC)
	if err != nil {
		return nil, err
	}
	if err := obs.waitHeight(2, time.Minute); err != nil {
		return nil, err
	}
	stopObs := obs.run()
	defer stopObs()

	// The banks, each on a validator that stays up.
	up := len(l.Validators)
	if opt.Kill {
		up--
	}
	type bank struct {
		id     string
		sender *party.Sender
		wallet *party.Wallet
	}
	var banks []*bank
	defer func() {
		for _, b := range banks {
			b.wallet.Close()
		}
	}()
	for i, tp := range l.Banks {
		id, err := party.LoadIdentity(tp.Home)
		if err != nil {
			return nil, err
		}
		w, err := party.OpenWallet(id)
		if err != nil {
			return nil, err
		}
		c, err := client.Dial(l.Validators[i%up].RPC)
		if err != nil {
			w.Close()
			return nil, err
		}
		banks = append(banks, &bank{id: tp.ID, wallet: w, sender: &party.Sender{W: w, C: c, P: party.NewProver(id.ZKKeysDir())}})
	}

	// Warm-up, off the clock: every bank's first transfer loads its proving
	// keys and the chain's genesis (megabytes with the HE key).
	pr.Stage("ledger: warm-up, one transfer per bank", len(banks))
	var warm []ledger.TxID
	for i, b := range banks {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		id, err := b.sender.Transfer(ctx, party.TransferRequest{To: banks[(i+1)%len(banks)].id, Currency: ledger.Currencies[0].Code, Amount: 1})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("bench: warm-up transfer from %s: %w", b.id, err)
		}
		warm = append(warm, id)
		pr.Step()
	}
	obs.waitAll(warm, time.Minute)

	res := &LedgerResult{Machine: ThisMachine(), Validators: opt.Validators, Banks: len(banks),
		Note: "Latency runs from the broadcast's return (pre-validated, after proving) to the block seen committed by validator 0, polled every 20 ms"}
	type sent struct {
		id    ledger.TxID
		at    time.Time
		phase int
	}
	var mu sync.Mutex
	var all []sent
	rejected := make([]int, 2)
	var sample ledger.TxID
	start := time.Now()
	half := start.Add(opt.Duration / 2)
	end := start.Add(opt.Duration)
	phaseOf := func(t time.Time) int {
		if opt.Kill && !t.Before(half) {
			return 1
		}
		return 0
	}
	pr.Stage(fmt.Sprintf("ledger: %d banks paying for %s", len(banks), opt.Duration), int(opt.Duration/time.Second))
	ctx, cancel := context.WithDeadline(context.Background(), end.Add(5*time.Second))
	defer cancel()
	var wg sync.WaitGroup
	for i, b := range banks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for k := 0; time.Now().Before(end); k++ {
				to := banks[(i+1+k%(len(banks)-1))%len(banks)].id
				cur := ledger.Currencies[r.IntN(len(ledger.Currencies))].Code
				id, err := b.sender.Transfer(ctx, party.TransferRequest{To: to, Currency: cur, Amount: 1 + r.Uint64N(1_000_000)})
				now := time.Now()
				mu.Lock()
				var rej *ledger.Rejection
				switch {
				case err == nil:
					all = append(all, sent{id, now, phaseOf(now)})
					if sample == (ledger.TxID{}) {
						sample = id
					}
				case errors.As(err, &rej):
					rejected[phaseOf(now)]++
				default:
					mu.Unlock()
					if ctx.Err() != nil {
						return
					}
					time.Sleep(50 * time.Millisecond) // a transport failure: try again
					continue
				}
				mu.Unlock()
			}
		}()
	}
	// Progress, and the kill at half time.
	killed := false
	for now := time.Now(); now.Before(end); now = time.Now() {
		time.Sleep(min(time.Second, end.Sub(now)))
		pr.Step()
		if opt.Kill && !killed && !time.Now().Before(half) {
			last := len(procs) - 1
			if err := procs[last].Process.Kill(); err != nil {
				return nil, fmt.Errorf("bench: kill validator %d: %w", last, err)
			}
			procs[last].Wait()
			procs[last], killed = nil, true
		}
	}
	wg.Wait()
	// Let the last transfers commit.
	pr.Stage("ledger: waiting for the last commits", 1)
	mu.Lock()
	ids := make([]ledger.TxID, len(all))
	for i := range all {
		ids[i] = all[i].id
	}
	mu.Unlock()
	obs.waitAll(ids, 20*time.Second)
	pr.Step()

	// Figures.
	res.DurationS = round(opt.Duration.Seconds(), 1)
	phases := []LedgerPhase{{Name: "all validators", Validators: opt.Validators, DurationS: round(opt.Duration.Seconds(), 1)}}
	windows := [][2]time.Time{{start, end}}
	if opt.Kill {
		phases = []LedgerPhase{
			{Name: "all validators", Validators: opt.Validators, DurationS: round(half.Sub(start).Seconds(), 1)},
			{Name: "one validator killed", Validators: opt.Validators - 1, DurationS: round(end.Sub(half).Seconds(), 1)},
		}
		windows = [][2]time.Time{{start, half}, {half, end}}
	}
	lat := make([]samples, len(phases))
	var total samples
	committedIn := make([]int, len(phases))
	for _, s := range all {
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
	obs.mu.Lock()
	for _, at := range obs.failed {
		phases[phaseOf(at)].Rejected++
		res.Rejected++
	}
	obs.mu.Unlock()
	for i := range phases {
		phases[i].Rejected += rejected[i]
		phases[i].TPS = round(float64(committedIn[i])/windows[i][1].Sub(windows[i][0]).Seconds(), 1)
		phases[i].P50Ms, phases[i].P99Ms = ms(lat[i].p50()), ms(lat[i].quantile(0.99))
	}
	res.Rejected += rejected[0] + rejected[1]
	res.Phases = phases
	sum := 0
	for _, n := range committedIn {
		sum += n
	}
	res.TPS = round(float64(sum)/opt.Duration.Seconds(), 1)
	res.P50Ms, res.P99Ms = ms(total.p50()), ms(total.quantile(0.99))

	if sample != (ledger.TxID{}) {
		if b, err := txBytes(banks[0].sender.C, sample); err == nil {
			res.Bytes = b
		}
	}
	return res, nil
}

// txBytes splits a committed transfer's encoding.
func txBytes(c *client.Client, id ledger.TxID) (TxBytes, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := c.RawTx(ctx, id)
	if err != nil {
		return TxBytes{}, err
	}
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return TxBytes{}, err
	}
	t, ok := tx.Body.(*ledger.Transfer)
	if !ok {
		return TxBytes{}, errors.New("bench: not a transfer")
	}
	b := TxBytes{Total: len(raw), Proof: len(t.Proof), Commitments: 64, Memo: len(t.Memo), AuditMemo: len(t.AuditMemo), HE: len(t.Flow)}
	b.Other = b.Total - b.Proof - b.Commitments - b.Memo - b.AuditMemo - b.HE
	return b, nil
}

// freeBasePort finds a base port whose validator ports are free.
func freeBasePort(validators int) (int, error) {
	for range 50 {
		base := 20000 + 100*rand.IntN(400)
		ok := true
		var ls []net.Listener
		for i := range validators {
			for _, p := range []int{base + 10*i + 6, base + 10*i + 7} {
				l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
				if err != nil {
					ok = false
					break
				}
				ls = append(ls, l)
			}
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("bench: no free ports for a local testnet")
}

// observer records when each transaction is seen in a committed block.
type observer struct {
	rpc    *rpchttp.HTTP
	mu     sync.Mutex
	height int64
	seen   map[ledger.TxID]time.Time
	failed []time.Time // transactions rejected in a block, when seen
}

func newObserver(addr string) (*observer, error) {
	c, err := rpchttp.New(addr)
	if err != nil {
		return nil, err
	}
	return &observer{rpc: c, seen: map[ledger.TxID]time.Time{}}, nil
}

func (o *observer) latest(ctx context.Context) (int64, error) {
	st, err := o.rpc.Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

func (o *observer) waitHeight(h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		got, err := o.latest(ctx)
		cancel()
		if err == nil && got >= h {
			o.mu.Lock()
			o.height = got
			o.mu.Unlock()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("bench: the network did not reach height %d in %s", h, timeout)
}

func (o *observer) run() (stop func()) {
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case <-time.After(20 * time.Millisecond):
			}
			o.poll()
		}
	}()
	return func() { close(quit); <-done }
}

// poll reads the results of every new block: a committed transfer's
// events name its id (blocks themselves, megabytes of HE ciphertexts, are
// not fetched).
func (o *observer) poll() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	latest, err := o.latest(ctx)
	if err != nil {
		return
	}
	now := time.Now()
	o.mu.Lock()
	from := o.height + 1
	o.mu.Unlock()
	for h := from; h <= latest; h++ {
		res, err := o.rpc.BlockResults(ctx, &h)
		if err != nil {
			return
		}
		o.mu.Lock()
		for _, r := range res.TxResults {
			if r.Code != ledger.CodeOK {
				o.failed = append(o.failed, now)
				continue
			}
			for _, ev := range r.Events {
				for _, a := range ev.Attributes {
					if ev.Type == "sable" && a.Key == "txid" {
						if id, err := ledger.ParseTxID(a.Value); err == nil {
							o.seen[id] = now
						}
					}
				}
			}
		}
		o.height = h
		o.mu.Unlock()
	}
}

func (o *observer) get(id ledger.TxID) (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t, ok := o.seen[id]
	return t, ok
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

package bench

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// The pre-proved load (LedgerPreproved) measures the validators alone, as
// CometBFT's own load tools do: before the timed window every bank proves,
// seals and signs all the transactions it will send, each bank's nonces and
// available balances chained in advance, so that during the window the
// banks only submit bytes at the offered rate and the validators' CPU is
// the only work on the machine.

// PreprovedResult is what `sable bench ledger --preproved --json` prints.
type PreprovedResult struct {
	Machine    Machine `json:"machine"`
	Validators int     `json:"validators"`
	Banks      int     `json:"banks"`
	PerTx      int     `json:"payments_per_tx"`
	Rate       float64 `json:"offered_payments_per_s"`
	DurationS  float64 `json:"duration_s"`
	PrepareS   float64 `json:"prepare_s"` // proving, sealing and signing everything, before the window
	// The network's consensus settings (testnet defaults where not set).
	TimeoutProposeMs float64 `json:"timeout_propose_ms"`
	TimeoutCommitMs  float64 `json:"timeout_commit_ms"`
	BlockMaxGas      int64   `json:"block_max_gas"`

	Prepared      int `json:"prepared_payments"`
	Submitted     int `json:"submitted_payments"` // accepted at CheckTx
	Committed     int `json:"committed_payments"` // of those, committed (possibly after the window)
	CommittedTxs  int `json:"committed_txs"`
	RejectedCheck int `json:"rejected_check_txs"` // refused at CheckTx
	RejectedBlock int `json:"rejected_block_txs"` // in a block with a non-zero code
	Lost          int `json:"lost_txs"`           // accepted at CheckTx, never seen committed
	DoubleApplied int `json:"double_applied_txs"` // seen committed with code 0 more than once

	PaymentsPerS float64          `json:"payments_per_s"` // committed in the window ÷ its length
	TxPerS       float64          `json:"txs_per_s"`
	P50Ms        float64          `json:"p50_ms"` // submit (broadcast begins) → commit seen on validator 0
	P99Ms        float64          `json:"p99_ms"`
	Phases       []PreprovedPhase `json:"phases"`
	Bytes        PaymentBytes     `json:"bytes_per_payment"`
	// State bytes per committed payment: growth of a validator's app
	// store (Sable's Pebble) and of its CometBFT data (blocks, state,
	// index) over the run, divided by the payments committed.
	AppStateBytesPerPayment  float64     `json:"app_state_bytes_per_payment"`
	ChainDataBytesPerPayment float64     `json:"chain_data_bytes_per_payment"`
	AppHashesEqual           bool        `json:"app_hashes_equal"`
	Profile                  *ProfileTop `json:"profile,omitempty"`
	AppHashHeight            int64       `json:"app_hash_height"`
	Note                     string      `json:"note"`
}

// PreprovedPhase is one part of the window: all validators up, or one
// killed at half time.
type PreprovedPhase struct {
	Name         string  `json:"name"`
	Validators   int     `json:"validators"`
	DurationS    float64 `json:"duration_s"`
	Committed    int     `json:"committed_payments"` // in blocks committed within the phase
	PaymentsPerS float64 `json:"payments_per_s"`
	TxPerS       float64 `json:"txs_per_s"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	// CPU: seconds of CPU each running validator process used in the
	// phase (from /proc/<pid>/stat), their mean per committed payment,
	// and the share of the machine's cores they took together.
	CPUSeconds []float64 `json:"cpu_s_per_validator"`
	// Blocks committed in the phase, their mean interval, and the
	// transactions in the fullest.
	Blocks                 int     `json:"blocks"`
	BlockMs                float64 `json:"block_interval_ms"`
	MaxBlockTx             int     `json:"max_txs_per_block"`
	CPUPerPaymentMs        float64 `json:"cpu_ms_per_payment_per_validator"`
	CoresBusy              float64 `json:"cores_busy"`
	OneValidatorPerCorePPS float64 `json:"payments_per_s_one_validator_per_core"`
}

// PaymentBytes splits a batch transaction's bytes per payment.
type PaymentBytes struct {
	Tx          int     `json:"tx"`    // one transaction's encoding
	Total       float64 `json:"total"` // per payment
	Proof       float64 `json:"proof"`
	Commitments float64 `json:"commitments"` // amount, and the batch's available balance shared
	Memos       float64 `json:"memos"`       // to the receiver, the regulator and the sender itself
	HE          float64 `json:"he"`          // the flow ciphertext shared
	Other       float64 `json:"other"`       // ids, nonce, currency, beneficiary, signature, lengths
}

// LedgerPreproved runs the pre-proved load: a network of validator
// processes, every bank's transactions proved and signed in advance, then
// submitted at opt.Rate payments per second (shared by the banks) for
// opt.Duration, each bank through its own validator.
func LedgerPreproved(opt LedgerOptions) (*PreprovedResult, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	if opt.Rate <= 0 {
		opt.Rate = 100
	}
	if opt.PerTx <= 0 || opt.PerTx > maxPerTx {
		opt.PerTx = maxPerTx
	}
	opt.Testnet.Pprof = opt.Profile > 0
	pr := orSilent(opt.Progress)
	net, obs, banks, stop, err := bringUp(opt, pr)
	defer stop()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	payers, err := preparePayers(banks, opt, pr)
	if err != nil {
		return nil, err
	}
	res := &PreprovedResult{Machine: ThisMachine(), Validators: opt.Validators, Banks: len(banks), PerTx: opt.PerTx,
		Rate: opt.Rate, DurationS: round(opt.Duration.Seconds(), 1), PrepareS: round(time.Since(start).Seconds(), 1)}
	res.TimeoutProposeMs, res.TimeoutCommitMs, res.BlockMaxGas = consensusOf(net)
	before := diskUse(net)
	run, err := submitAll(net, payers, opt, pr)
	if err != nil {
		return nil, err
	}
	waitForPayers(run, obs, pr)
	res.Profile = run.profile
	if run.profileErr != nil {
		return nil, run.profileErr
	}
	after := diskUse(net)
	run.account(res, obs)
	res.Bytes = paymentBytes(payers)
	if res.Committed > 0 {
		res.AppStateBytesPerPayment = round(float64(after.app-before.app)/float64(res.Committed), 1)
		res.ChainDataBytesPerPayment = round(float64(after.data-before.data)/float64(res.Committed), 1)
	}
	res.AppHashHeight, res.AppHashesEqual, err = sameAppHash(net, opt.Kill)
	if err != nil {
		return res, err
	}
	res.Note = "Transactions proved and signed before the window; latency from the broadcast's start to the block seen committed by validator 0 (polled every 20 ms); CPU from /proc/<pid>/stat of each validator process"
	return res, nil
}

// maxPerTx is the most payments one transaction carries.
const maxPerTx = ledger.MaxBatchPayments

// payer is one bank's pre-proved transactions and the validator it sends
// them through.
type payer struct {
	id  string
	c   *client.Client
	txs [][]byte
	n   []int // payments in each
}

// preparePayers proves, seals and signs every bank's transactions for the
// window, the banks in parallel.
func preparePayers(banks []*bank, opt LedgerOptions, pr Progress) ([]*payer, error) {
	perBank := opt.Rate * opt.Duration.Seconds() / float64(len(banks))
	txs := max(1, int(perBank+float64(opt.PerTx)-1)/opt.PerTx)
	pr.Stage(fmt.Sprintf("ledger: proving %d transactions of %d payments per bank, before the window", txs, opt.PerTx), txs*len(banks))
	payers := make([]*payer, len(banks))
	errs := make([]error, len(banks))
	var wg sync.WaitGroup
	var step sync.Mutex
	for i := range banks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payers[i], errs[i] = prepare(banks, i, txs, opt.PerTx, func() { step.Lock(); pr.Step(); step.Unlock() })
		}()
	}
	wg.Wait()
	return payers, errors.Join(errs...)
}

// prepare builds bank i's txs transactions of perTx payments each, paying
// the other banks in turn, in every currency in turn, chaining its nonce
// and each currency's available balance from what the chain holds now.
func prepare(banks []*bank, i, txs, perTx int, step func()) (*payer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b := banks[i]
	if _, err := b.Sender.Reconcile(ctx); err != nil {
		return nil, err
	}
	g, err := b.Client.Genesis(ctx)
	if err != nil {
		return nil, err
	}
	me, err := b.Client.Party(ctx, b.id)
	if err != nil {
		return nil, err
	}
	s := &signer{id: b.ID, p: b.Sender.P, nonce: me.Nonce, avail: map[ledger.Currency]ledger.Opening{}, memoKeys: map[string][32]byte{},
		layouts: map[ledger.Currency]ledger.LayoutInfo{}}
	if s.audit, err = g.Regulator().MemoPublicKey(); err != nil {
		return nil, err
	}
	if g.HEPublicKey != "" {
		pk, err := g.HEKey()
		if err != nil {
			return nil, err
		}
		s.flows = party.NewHESealer(pk)
		for _, k := range ledger.Currencies {
			if s.layouts[k.Code], err = b.Client.Layout(ctx, k.Code); err != nil {
				return nil, err
			}
		}
	}
	for _, o := range banks {
		if o.id == b.id {
			continue
		}
		info, err := b.Client.Party(ctx, o.id)
		if err != nil {
			return nil, err
		}
		s.memoKeys[o.id] = [32]byte(info.MemoKey)
	}
	for _, k := range ledger.Currencies {
		if s.avail[k.Code], err = b.Wallet.Projected(k.Code); err != nil {
			return nil, err
		}
	}
	p := &payer{id: b.id, c: b.Client}
	r := rand.New(rand.NewPCG(uint64(i), 11))
	for k := range txs {
		to := banks[(i+1+k%(len(banks)-1))%len(banks)].id
		cur := ledger.Currencies[k%len(ledger.Currencies)].Code
		amounts := make([]uint64, perTx)
		for j := range amounts {
			amounts[j] = 1 + r.Uint64N(1000)
		}
		raw, err := s.payments(to, cur, amounts)
		if err != nil {
			return nil, fmt.Errorf("bench: %s's transaction %d: %w", b.id, k, err)
		}
		p.txs, p.n = append(p.txs, raw), append(p.n, perTx)
		step()
	}
	return p, nil
}

// signer builds one bank's transactions offline: its identity, its prover
// (pinned to the chain's keys by the warm-up), the next nonce and each
// currency's available balance as the transactions built so far leave it.
type signer struct {
	id       *party.Identity
	p        *zkp.Prover
	flows    *party.HESealer // nil: the chain has no HE key
	audit    [32]byte        // the regulator's memo key
	memoKeys map[string][32]byte
	nonce    uint64
	avail    map[ledger.Currency]ledger.Opening
	layouts  map[ledger.Currency]ledger.LayoutInfo // each currency's book, where flows go
}

// payments builds, proves and signs one transaction paying amounts to one
// bank in currency c, and advances the nonce and the balance. It is the
// one place that knows the transaction's kind (a batch transfer).
func (s *signer) payments(to string, c ledger.Currency, amounts []uint64) ([]byte, error) {
	me := s.id.Config
	avail := s.avail[c]
	body := &ledger.BatchTransfer{Books: []ledger.BatchBook{{Currency: c, Available: avail.Commitment(),
		Proofs: make([][zkp.ProofSize]byte, ledger.BatchChunks(len(amounts)))}}, Payments: make([]ledger.BatchPayment, len(amounts))}
	amts := make([]ledger.Opening, len(amounts))
	for j, a := range amounts {
		r, err := zkp.RandomAmountBlinding()
		if err != nil {
			return nil, err
		}
		amts[j] = ledger.Opening{Value: a, Blinding: r}
		pay := &body.Payments[j]
		pay.To, pay.Currency, pay.Amount = to, c, amts[j].Commitment()
		aad := ledger.BulkMemoAAD(me.ChainID, me.ID, to, c, s.nonce, j)
		if pay.Memo, err = ledger.SealOpening(s.memoKeys[to], amts[j], aad); err != nil {
			return nil, err
		}
		if pay.AuditMemo, err = ledger.SealOpening(s.audit, amts[j], aad); err != nil {
			return nil, err
		}
		if pay.SelfMemo, err = ledger.SealOpening(s.id.MemoPub, amts[j], ledger.SelfMemoAAD(me.ChainID, me.ID, c, s.nonce, j)); err != nil {
			return nil, err
		}
	}
	if s.flows != nil {
		var err error
		if body.Books[0].Flow, err = s.seal(c, to, amts); err != nil {
			return nil, err
		}
	}
	tx := &ledger.Tx{Kind: ledger.KindBatchTransfer, Sender: me.ID, Nonce: s.nonce, Body: body}
	contexts := tx.ChunkContexts(me.ChainID)
	left := avail
	for n, idx := range body.Chunks()[0] {
		in := zkp.BatchInput{Balance: left.Value, BalanceBlinding: left.Blinding, Context: contexts[0][n]}
		for _, j := range idx {
			in.Amounts = append(in.Amounts, amts[j].Value)
			in.AmountBlindings = append(in.AmountBlindings, amts[j].Blinding)
			var err error
			if left, err = left.Minus(amts[j]); err != nil {
				return nil, err
			}
		}
		_, proof, err := s.p.ProveBatch(in)
		if err != nil {
			return nil, err
		}
		body.Books[0].Proofs[n] = proof.Bytes()
	}
	tx.Sign(me.ChainID, s.id.Sign)
	s.avail[c], s.nonce = left, s.nonce+1
	return tx.Encode(), nil
}

// seal encrypts payments to one bank in c into c's book, each in the
// groups its aggregates have in the layout.
func (s *signer) seal(c ledger.Currency, to string, amts []ledger.Opening) ([]byte, error) {
	info := s.layouts[c]
	l, err := ledger.LayoutOf(c, info.Keys)
	if err != nil {
		return nil, err
	}
	from, dst := info.Countries[s.id.Config.ID], info.Countries[to]
	if len(from) != 2 || len(dst) != 2 {
		return nil, fmt.Errorf("bench: %s or %s has no %s account in the layout", s.id.Config.ID, to, c)
	}
	keys := ledger.TransferKeys(c, s.id.Config.ID, [2]byte{from[0], from[1]}, to, [2]byte{dst[0], dst[1]})
	entries := make([]ledger.FlowEntry, len(amts))
	for j, a := range amts {
		entries[j] = ledger.FlowEntry{Amount: a, Keys: keys}
	}
	sums, err := ledger.FlowSums(l, entries)
	if err != nil {
		return nil, err
	}
	return s.flows.SealBook(sums, uint64(len(amts)))
}

// paymentBytes splits the first prepared transaction's bytes per payment.
func paymentBytes(payers []*payer) PaymentBytes {
	if len(payers) == 0 || len(payers[0].txs) == 0 {
		return PaymentBytes{}
	}
	raw := payers[0].txs[0]
	tx, err := ledger.DecodeTx(raw)
	if err != nil {
		return PaymentBytes{}
	}
	b, ok := tx.Body.(*ledger.BatchTransfer)
	if !ok {
		return PaymentBytes{}
	}
	he, proof := 0, 0
	for _, k := range b.Books {
		he += len(k.Flow)
		proof += len(k.Proofs) * zkp.ProofSize // the books' chunk proofs, shared by their payments
	}
	n := float64(len(b.Payments))
	var memos int
	for _, p := range b.Payments {
		memos += len(p.Memo) + len(p.AuditMemo) + len(p.SelfMemo)
	}
	commitments := zkp.CommitmentSize * (len(b.Books) + len(b.Payments))
	other := len(raw) - proof - memos - commitments - he
	per := func(v int) float64 { return round(float64(v)/n, 1) }
	return PaymentBytes{Tx: len(raw), Total: per(len(raw)), Proof: per(proof), Commitments: per(commitments),
		Memos: per(memos), HE: per(he), Other: per(other)}
}

// submission is one pre-proved transaction's fate in the window.
type submission struct {
	id       ledger.TxID
	at       time.Time // broadcast began
	payments int
	phase    int
	accepted bool
}

// preRun is the window: what each bank submitted, and each validator's CPU
// time at its start, half time and end.
type preRun struct {
	opt              LedgerOptions
	start, half, end time.Time
	mu               sync.Mutex
	subs             []submission
	cpu              [3][]time.Duration // per validator; 0 once not running
	killed           int                // the validator killed at half time, or −1
	profile          *ProfileTop
	profileErr       error
}

func (r *preRun) phaseOf(t time.Time) int {
	if r.opt.Kill && !t.Before(r.half) {
		return 1
	}
	return 0
}

// submitAll has every bank submit its transactions, spread evenly over the
// window at its share of the offered rate, and kills the last validator at
// half time.
func submitAll(net *localnet.Net, payers []*payer, opt LedgerOptions, pr Progress) (*preRun, error) {
	start := time.Now()
	r := &preRun{opt: opt, start: start, half: start.Add(opt.Duration / 2), end: start.Add(opt.Duration), killed: -1}
	r.cpu[0] = validatorCPU(net)
	pr.Stage(fmt.Sprintf("ledger: %d banks submitting %.0f payments/s for %s", len(payers), opt.Rate, opt.Duration), int(opt.Duration/time.Second))
	var wg sync.WaitGroup
	for _, p := range payers {
		wg.Add(1)
		go func() { defer wg.Done(); r.submit(p) }()
	}
	if opt.Profile > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); r.takeProfile(net) }()
	}
	var err error
	for now := time.Now(); now.Before(r.end); now = time.Now() {
		time.Sleep(min(time.Second, r.end.Sub(now)))
		pr.Step()
		if opt.Kill && r.killed < 0 && !time.Now().Before(r.half) {
			r.cpu[1] = validatorCPU(net)
			r.killed = net.Validators() - 1
			if err = killOneValidator(net); err != nil {
				break
			}
		}
	}
	r.cpu[2] = validatorCPU(net)
	if !opt.Kill {
		r.cpu[1] = r.cpu[2]
	}
	wg.Wait()
	return r, err
}

// takeProfile profiles validator 0 for opt.Profile in the middle of the
// window, or of its first half when a validator is killed at half time.
func (r *preRun) takeProfile(net *localnet.Net) {
	span := r.end.Sub(r.start)
	if r.opt.Kill {
		span /= 2
	}
	d := min(r.opt.Profile, span)
	time.Sleep(time.Until(r.start.Add((span - d) / 2)))
	r.profile, r.profileErr = takeProfile(net.Layout.Validators[0].Pprof, 0, d, os.TempDir())
}

// submit sends p's transactions in order, the k-th at start + k·interval
// (at once when behind), until they run out or the window ends. A
// transaction refused at CheckTx is counted and the next one sent all the
// same (it will then be refused for its nonce: the refusals show it).
func (r *preRun) submit(p *payer) {
	if len(p.txs) == 0 {
		return
	}
	interval := r.end.Sub(r.start) / time.Duration(len(p.txs))
	for k, raw := range p.txs {
		at := r.start.Add(time.Duration(k) * interval)
		if !at.Before(r.end) {
			return
		}
		time.Sleep(time.Until(at))
		s := submission{id: ledger.TxID(sha256.Sum256(raw)), at: time.Now(), payments: p.n[k]}
		s.phase = r.phaseOf(s.at)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := p.c.BroadcastRaw(ctx, raw)
		cancel()
		s.accepted = err == nil
		r.mu.Lock()
		r.subs = append(r.subs, s)
		r.mu.Unlock()
	}
}

// waitForPayers lets the transactions in flight at the end commit.
func waitForPayers(r *preRun, obs *observer, pr Progress) {
	pr.Stage("ledger: waiting for the last commits", 1)
	var ids []ledger.TxID
	for _, s := range r.subs {
		if s.accepted {
			ids = append(ids, s.id)
		}
	}
	obs.waitAll(ids, 30*time.Second)
	pr.Step()
}

// account fills in the run's figures: the accounting (lost, double
// applied), rates per phase and latency.
func (r *preRun) account(res *PreprovedResult, obs *observer) {
	names := []string{"all validators", "one validator killed"}
	phases := 1
	bounds := []time.Time{r.start, r.end}
	if r.opt.Kill {
		phases, bounds = 2, []time.Time{r.start, r.half, r.end}
	}
	lat := make([]samples, phases)
	var all samples
	committedIn := make([]int, phases)
	txsIn := make([]int, phases)
	for _, s := range r.subs {
		res.Prepared += s.payments
		if !s.accepted {
			res.RejectedCheck++
			continue
		}
		res.Submitted += s.payments
		at, ok := obs.get(s.id)
		if !ok {
			res.Lost++
			continue
		}
		res.Committed += s.payments
		res.CommittedTxs++
		d := at.Sub(s.at)
		lat[s.phase] = append(lat[s.phase], d)
		all = append(all, d)
		for ph := range phases {
			if !at.Before(bounds[ph]) && at.Before(bounds[ph+1]) {
				committedIn[ph] += s.payments
				txsIn[ph]++
			}
		}
	}
	res.RejectedBlock = len(obs.rejectedAt())
	res.DoubleApplied = obs.doubles()
	total, totalTxs := 0, 0
	for ph := range phases {
		secs := bounds[ph+1].Sub(bounds[ph]).Seconds()
		p := PreprovedPhase{Name: names[ph], Validators: r.opt.Validators - ph, DurationS: round(secs, 1), Committed: committedIn[ph],
			PaymentsPerS: round(float64(committedIn[ph])/secs, 1), TxPerS: round(float64(txsIn[ph])/secs, 2),
			P50Ms: ms(lat[ph].p50()), P99Ms: ms(lat[ph].quantile(0.99))}
		r.cpuOf(&p, ph, secs)
		blocks := obs.blocksIn(bounds[ph], bounds[ph+1])
		p.Blocks = len(blocks)
		if len(blocks) > 1 {
			p.BlockMs = ms(blocks[len(blocks)-1].at.Sub(blocks[0].at) / time.Duration(len(blocks)-1))
		}
		for _, b := range blocks {
			p.MaxBlockTx = max(p.MaxBlockTx, b.txs)
		}
		res.Phases = append(res.Phases, p)
		total += committedIn[ph]
		totalTxs += txsIn[ph]
	}
	secs := r.end.Sub(r.start).Seconds()
	res.PaymentsPerS, res.TxPerS = round(float64(total)/secs, 1), round(float64(totalTxs)/secs, 2)
	res.P50Ms, res.P99Ms = ms(all.p50()), ms(all.quantile(0.99))
}

// cpuOf fills in phase ph's CPU figures from the validators' CPU times at
// its two ends.
func (r *preRun) cpuOf(p *PreprovedPhase, ph int, secs float64) {
	from, to := r.cpu[0], r.cpu[1]
	if ph == 1 {
		from, to = r.cpu[1], r.cpu[2]
	} else if !r.opt.Kill {
		to = r.cpu[2]
	}
	var sum float64
	n := 0
	for v := range from {
		if v >= len(to) || (ph == 1 && v == r.killed) || to[v] == 0 {
			continue
		}
		d := (to[v] - from[v]).Seconds()
		p.CPUSeconds = append(p.CPUSeconds, round(d, 2))
		sum += d
		n++
	}
	if n == 0 {
		return
	}
	p.CoresBusy = round(sum/secs, 2)
	if p.Committed > 0 {
		perPayment := sum / float64(n) / float64(p.Committed)
		p.CPUPerPaymentMs = round(perPayment*1000, 3)
		p.OneValidatorPerCorePPS = round(1/perPayment, 0)
	}
}

// validatorCPU reads each validator process's CPU time (0: not running).
func validatorCPU(net *localnet.Net) []time.Duration {
	out := make([]time.Duration, net.Validators())
	for i := range out {
		if pid := net.PID(i); pid > 0 {
			out[i] = processCPU(pid)
		}
	}
	return out
}

// disk is a validator's bytes on disk: Sable's app store and CometBFT's
// data directory.
type disk struct{ app, data int64 }

// diskUse is validator 0's disk use now.
func diskUse(net *localnet.Net) disk {
	home := net.Home(0)
	return disk{app: dirBytes(filepath.Join(home, "app")), data: dirBytes(filepath.Join(home, "data"))}
}

func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// sameAppHash waits for the running validators to reach one height and
// compares their app hashes there.
func sameAppHash(net *localnet.Net, killed bool) (int64, bool, error) {
	up := net.All()
	if killed {
		up = up[:len(up)-1]
	}
	h, err := net.MaxHeight(up)
	if err != nil {
		return 0, false, fmt.Errorf("bench: %w", err)
	}
	h++ // the app hash after block h−1 is in header h: wait for one more
	if err := net.WaitHeight(up, h, time.Minute); err != nil {
		return 0, false, fmt.Errorf("bench: %w", err)
	}
	var first []byte
	for _, i := range up {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := net.RPC(i).Commit(ctx, &h)
		cancel()
		if err != nil {
			return 0, false, fmt.Errorf("bench: validator %d's commit at %d: %w", i, h, err)
		}
		if first == nil {
			first = c.AppHash
		} else if string(first) != string(c.AppHash) {
			return h - 1, false, nil
		}
	}
	return h - 1, true, nil
}

// consensusOf reads validator 0's consensus timeouts and the chain's block
// gas limit, as the network runs them.
func consensusOf(net *localnet.Net) (propose, commit float64, maxGas int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if p, err := net.RPC(0).ConsensusParams(ctx, nil); err == nil {
		maxGas = p.ConsensusParams.Block.MaxGas
	}
	if raw, err := os.ReadFile(filepath.Join(net.Home(0), "config", "config.toml")); err == nil {
		propose, commit = ms(tomlDuration(raw, "timeout_propose")), ms(tomlDuration(raw, "timeout_commit"))
	}
	return propose, commit, maxGas
}

// tomlDuration reads a line `key = "1s"` of a CometBFT config file.
func tomlDuration(raw []byte, key string) time.Duration {
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key {
			d, _ := time.ParseDuration(strings.Trim(strings.TrimSpace(v), `"`))
			return d
		}
	}
	return 0
}

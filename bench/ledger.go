package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp"
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
	// Sable is the sable binary: every validator runs as its own 'sable
	// node' process, so that one can be killed (SIGKILL) like a crashed
	// machine.
	Sable    string
	Progress Progress

	// The pre-proved load (LedgerPreproved): Rate is the offered payments
	// per second, shared by the banks (default 100); PerTx the payments in
	// each transaction (default and most: ledger.MaxBulkPayments).
	Rate  float64
	PerTx int
	// Profile takes a CPU profile of validator 0 this long, in the middle
	// of the window (of its first half with Kill); 0: none.
	Profile time.Duration
	// Testnet tunes the network's consensus (ledger/testnet); Validators
	// and Fund are the benchmark's.
	Testnet testnet.Options
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
	// Prover says which engine of zkp's one proving path served the banks'
	// transfer proofs, and how many each: read from their provers' stats.
	Prover ProverUse `json:"prover"`
	Note   string    `json:"note"`
}

// ProverUse counts the banks' transfer proofs per engine.
type ProverUse struct {
	TableProofs int64  `json:"table_proofs"`
	GnarkProofs int64  `json:"gnark_proofs"`
	Tables      string `json:"tables,omitempty"` // where the tables came from: cache or built
}

func proverUse(banks []*bank) ProverUse {
	var u ProverUse
	for _, b := range banks {
		st := b.Sender.P.Stats(zkp.Transfer)
		u.TableProofs += st.TableProofs
		u.GnarkProofs += st.GnarkProofs
		if st.Tables != "" {
			u.Tables = st.Tables
		}
	}
	return u
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
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	pr := orSilent(opt.Progress)
	net, obs, banks, stop, err := bringUp(opt, pr)
	defer stop()
	if err != nil {
		return nil, err
	}
	run, err := runLoad(net, banks, opt, pr)
	if err != nil {
		return nil, err
	}
	waitForLastCommits(run, obs, pr)
	return report(run, obs, banks), nil
}

// bringUp starts a load's network (validators, the commit watcher, the
// banks' clients, warmed up); stop undoes whatever was started, in reverse
// order, and is to be called even when err is set.
func bringUp(opt LedgerOptions, pr Progress) (net *localnet.Net, obs *observer, banks []*bank, stop func(), err error) {
	var undo []func()
	stop = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	dir, cleanup, err := networkDir(opt.Dir)
	if err != nil {
		return nil, nil, nil, stop, err
	}
	undo = append(undo, cleanup)
	if net, err = startNetwork(dir, opt, pr); err != nil {
		return nil, nil, nil, stop, err
	}
	undo = append(undo, func() { net.StopAll() })
	if obs, err = watchCommits(net); err != nil {
		return nil, nil, nil, stop, err
	}
	undo = append(undo, obs.stop)
	banks, err = openBanks(net, opt.Kill)
	undo = append(undo, func() { closeBanks(banks) })
	if err != nil {
		return nil, nil, nil, stop, err
	}
	if err := warmUp(banks, obs, pr); err != nil {
		return nil, nil, nil, stop, err
	}
	return net, obs, banks, stop, nil
}

func (opt LedgerOptions) withDefaults() (LedgerOptions, error) {
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
		return opt, errors.New("bench: killing a validator needs at least 4 (BFT tolerates f < n/3)")
	}
	if opt.Sable == "" {
		return opt, errors.New("bench: no sable binary to run the validators (want the path of sable)")
	}
	return opt, nil
}

// networkDir is dir, or a temporary directory that cleanup removes.
func networkDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", "sable-bench-net-")
	if err != nil {
		return "", nil, err
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// startNetwork writes a testnet whose banks are funded for the whole run,
// starts every validator as a process, and waits for the chain to start.
func startNetwork(dir string, opt LedgerOptions, pr Progress) (*localnet.Net, error) {
	pr.Stage(fmt.Sprintf("ledger: writing a %d-validator testnet (dev setup)", opt.Validators), 1)
	tn := opt.Testnet
	tn.Validators, tn.Fund = opt.Validators, "1000000000"
	net, err := localnet.New(dir, localnet.Options{Options: tn, Sable: opt.Sable, LogLevel: "error"})
	if err != nil {
		return nil, err
	}
	pr.Step()
	pr.Stage("ledger: starting validators", opt.Validators)
	for i := range opt.Validators {
		if err := net.Start(context.Background(), i); err != nil {
			net.Close()
			return nil, err
		}
		pr.Step()
	}
	// Every validator: a node answers queries from the state of its first
	// committed block on, and the banks talk to several.
	if err := net.WaitHeight(net.All(), 2, time.Minute); err != nil {
		net.Close()
		return nil, fmt.Errorf("bench: %w", err)
	}
	return net, nil
}

// bank is a testnet bank's session, on a validator that stays up.
type bank struct {
	id string
	*party.Session
}

// openBanks opens every bank's session, bank i on validator i, skipping
// the last validator when it is to be killed.
func openBanks(net *localnet.Net, kill bool) ([]*bank, error) {
	up := net.Validators()
	if kill {
		up--
	}
	var banks []*bank
	for i, tp := range net.Layout.Banks {
		s, err := party.Open(tp.Home, net.Layout.Validators[i%up].RPC)
		if err != nil {
			return banks, err
		}
		banks = append(banks, &bank{id: tp.ID, Session: s})
	}
	return banks, nil
}

func closeBanks(banks []*bank) {
	for _, b := range banks {
		b.Close()
	}
}

// warmUp has every bank make one transfer, off the clock: the first loads
// its proving keys and the chain's genesis (megabytes with the HE key).
func warmUp(banks []*bank, obs *observer, pr Progress) error {
	pr.Stage("ledger: warm-up, one transfer per bank", len(banks))
	var warm []ledger.TxID
	for i, b := range banks {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		id, err := b.Sender.Transfer(ctx, party.TransferRequest{To: banks[(i+1)%len(banks)].id, Currency: ledger.Currencies[0].Code, Amount: 1})
		cancel()
		if err != nil {
			return fmt.Errorf("bench: warm-up transfer from %s: %w", b.id, err)
		}
		warm = append(warm, id)
		pr.Step()
	}
	obs.waitAll(warm, time.Minute)
	return nil
}

// report is the result of a run: its figures, and the split of one
// committed transfer's bytes.
func report(run *load, obs *observer, banks []*bank) *LedgerResult {
	res := measure(run, obs)
	res.Banks = len(banks)
	res.Prover = proverUse(banks)
	if run.sample != (ledger.TxID{}) {
		if b, err := txBytes(banks[0].Client, run.sample); err == nil {
			res.Bytes = b
		}
	}
	return res
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

// Package demo runs Sable's main job end to end on an embedded network:
// four validators on loopback, four banks in four countries, seven
// currencies, issuers minting, cross-border payments, wallets that open
// their memos, the regulator's audit, and a check that no amount reached
// a validator's disk. Optionally the keys come from a multi-party setup
// ceremony and the regulator's HE key is shared t-of-n among regulator
// parties, as in production.
package demo

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/testnet"
	"github.com/sable-settlement/sable/zkp/ceremony"
)

// Options shape a demo run.
type Options struct {
	Dir      string // where the network lives; the caller removes it or keeps it
	Payments int    // cross-border payments, at least 50
	Seed     uint64 // amounts and routes; fixed for a reproducible run
	// Contributors is how many banks contribute to each phase of the
	// Groth16 setup ceremony that makes the network's keys (1 to 4); 0
	// keeps the development setup (single-party keys).
	Contributors int
	// Regulators shares the regulator's HE key Threshold-of-n among one
	// regulator party per jurisdiction, and the audit decrypts through
	// Threshold of them; empty: the regulator alone holds the key.
	Regulators []string
	Threshold  int
}

// Result is what the demo measured, for tests and the summary.
type Result struct {
	Height      int64
	AppHash     string
	Payments    int
	Elapsed     time.Duration
	Balances    map[string]map[string]string // bank → currency → major units
	AmountsSeen int                          // places amounts were found, when more than chance explains (Run fails)
	Audit       *audit.Report
	Ceremony    string // the ceremony record's hash the genesis pins; empty for development keys
}

// demo is one run's state.
type demo struct {
	w         io.Writer
	opts      Options
	net       *localnet.Net
	layout    *testnet.Layout
	parties   map[string]*member
	minted    map[ledger.Currency]uint64
	amounts   []uint64            // every amount that moved, for the disk scan
	fxTallies map[string]*fxTally // per pair "SELL/BUY": what the swaps moved, to check the audit's FX volumes
	mu        sync.Mutex
	// ceremonyHash is the keys' ceremony record hash, empty for
	// development keys.
	ceremonyHash string
	// identities holds the parties' homes made before the ceremony, whose
	// keys signed it and go into the genesis; empty for development keys.
	identities string
	signed     []ceremony.Party // the contributors and the keys they signed with
}

type member struct {
	id string
	*party.Session
}

// Run runs the demo and prints a readable account of it to w.
func Run(ctx context.Context, w io.Writer, opts Options) (*Result, error) {
	if opts.Payments < 50 {
		opts.Payments = 50
	}
	start := time.Now()
	d := &demo{w: w, opts: opts, parties: map[string]*member{}, minted: map[ledger.Currency]uint64{}, fxTallies: map[string]*fxTally{}}
	defer d.stop()
	steps := []func(context.Context) error{d.start, d.open, d.mint, d.applyAll, d.pay, d.fx, d.applyAll}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	res, err := d.report(ctx)
	if err != nil {
		return nil, err
	}
	res.Ceremony = d.ceremonyHash
	if res.Audit, err = d.audit(ctx); err != nil {
		return nil, err
	}
	d.stop()
	scan, err := d.scanDisks()
	if err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	if err := scan.Leak(); err != nil {
		res.AmountsSeen = len(scan.Hits)
		return res, fmt.Errorf("demo: %w", err)
	}
	d.printf("disk      no amount in the clear in any validator's files (%d amounts searched as decimal and 8-byte integers%s)\n",
		len(d.amounts), chanceNote(scan))
	d.printf("done      %d payments in %s; network shut down cleanly\n", res.Payments, res.Elapsed.Round(time.Millisecond))
	return res, nil
}

func (d *demo) printf(format string, a ...any) { fmt.Fprintf(d.w, format, a...) }

// start makes the keys (a ceremony, or the development setup), writes a
// 4-validator testnet on them and starts every validator in this process.
func (d *demo) start(ctx context.Context) error {
	keys, err := d.ceremony()
	if err != nil {
		return err
	}
	t0 := time.Now()
	n, err := localnet.New(d.opts.Dir, localnet.Options{Options: testnet.Options{Validators: 4, ChainID: "sable-demo",
		KeysFrom: keys, Identities: d.identities, Regulators: d.opts.Regulators, Threshold: d.opts.Threshold}})
	if err != nil {
		return err
	}
	d.net, d.layout = n, n.Layout
	if err := d.checkSigners(); err != nil {
		return err
	}
	if err := n.StartAll(ctx); err != nil {
		return err
	}
	setup := "dev setup"
	if d.layout.Ceremony != "" {
		setup = "ceremony keys pinned in the genesis"
	}
	d.printf("network   4 validators on loopback (chain %s), %s, genesis with %d banks and %d issuers (%s)\n",
		d.layout.ChainID, setup, len(d.layout.Banks), len(d.layout.Issuers), time.Since(t0).Round(time.Millisecond))
	d.printRegulators()
	// Every validator, not only the first: a node answers queries from
	// the state of its first committed block on, and every party talks to
	// its own.
	return n.WaitHeight(n.All(), 2, 30*time.Second)
}

// stop closes the parties' wallets and stops the network.
func (d *demo) stop() {
	for _, p := range d.parties {
		p.Close()
	}
	d.parties = map[string]*member{}
	if d.net != nil {
		d.net.Close()
	}
}

// open opens every bank's and issuer's session.
func (d *demo) open(context.Context) error {
	for _, tp := range append(append([]testnet.Party{}, d.layout.Banks...), d.layout.Issuers...) {
		s, err := party.Open(tp.Home, tp.Node)
		if err != nil {
			return err
		}
		d.parties[tp.ID] = &member{id: tp.ID, Session: s}
	}
	return nil
}

// each runs fn for every party in ids concurrently (each party pipelines
// its own transactions) and returns the first error.
func (d *demo) each(ids []string, fn func(p *member) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(d.parties[id])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) bankIDs() []string {
	var ids []string
	for _, b := range d.layout.Banks {
		ids = append(ids, b.ID)
	}
	return ids
}

// mint has every currency's issuer mint an opening float into every bank.
func (d *demo) mint(ctx context.Context) error {
	t0 := time.Now()
	var issuers []string
	for _, is := range d.layout.Issuers {
		issuers = append(issuers, is.ID)
	}
	rng := rand.New(rand.NewPCG(d.opts.Seed, 1))
	plan := map[string][]uint64{}
	for _, is := range d.layout.Issuers {
		for range d.layout.Banks {
			plan[is.ID] = append(plan[is.ID], 50_000_000+rng.Uint64N(40_000_000)) // 500,000–900,000 major units (cents)
		}
	}
	err := d.each(issuers, func(p *member) error {
		c, _ := ledger.ParseCurrency(issuerCurrency(d.layout, p.id))
		var last ledger.TxID
		for i, b := range d.layout.Banks {
			amt := plan[p.id][i]
			if c.String() == "JPY" {
				amt *= 10 // yen have no minor unit: mint a comparable float
			}
			id, err := p.Sender.Mint(ctx, b.ID, c, amt)
			if err != nil {
				return fmt.Errorf("demo: %s mints %s to %s: %w", p.id, c, b.ID, err)
			}
			last = id
			d.record(amt)
			d.mu.Lock()
			d.minted[c] += amt
			d.mu.Unlock()
		}
		return d.await(ctx, p, last)
	})
	if err != nil {
		return err
	}
	d.printf("mint      7 issuers minted a float into each of 4 banks in every currency: 28 mints, each with a proof (%s)\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

func issuerCurrency(l *testnet.Layout, id string) string {
	for _, is := range l.Issuers {
		if is.ID == id {
			return is.Currency
		}
	}
	return ""
}

func (d *demo) record(amt uint64) {
	d.mu.Lock()
	d.amounts = append(d.amounts, amt)
	d.mu.Unlock()
}

// await waits for a party's transaction and syncs its wallet.
func (d *demo) await(ctx context.Context, p *member, id ledger.TxID) error {
	o, err := p.Client.WaitCommitted(ctx, id, 60*time.Second)
	if err != nil {
		return err
	}
	if o.State != "committed" {
		return fmt.Errorf("demo: %s's transaction %s rejected (code %d): %s", p.id, id, o.Code, o.Reason)
	}
	_, err = p.Wallet.Sync(ctx, p.Client)
	return err
}

// applyAll has every bank open its memos and move received payments into
// its available balance.
func (d *demo) applyAll(ctx context.Context) error {
	t0 := time.Now()
	moved := 0
	var mu sync.Mutex
	err := d.each(d.bankIDs(), func(p *member) error {
		rep, err := p.Wallet.Sync(ctx, p.Client)
		if err != nil {
			return err
		}
		if len(rep.Bad) > 0 {
			return fmt.Errorf("demo: %s received memos that do not open: %v", p.id, rep.Bad)
		}
		var last ledger.TxID
		for _, k := range ledger.Currencies {
			id, n, err := p.Sender.ApplyPending(ctx, k.Code)
			if err != nil {
				return err
			}
			if n > 0 {
				last = id
				mu.Lock()
				moved += n
				mu.Unlock()
			}
		}
		if last == (ledger.TxID{}) {
			return nil
		}
		return d.await(ctx, p, last)
	})
	if err != nil {
		return err
	}
	d.printf("apply     banks opened their memos (each opening checked against its commitment) and applied %d payments (%s)\n", moved, time.Since(t0).Round(time.Millisecond))
	return nil
}

// pay runs the cross-border payments: every bank pays the next one round
// the ring in every currency in turn, two payments at a time (so that, at
// 56 payments, every aggregate a payment enters holds two or more and
// threshold regulators open every book), all of a bank's payments in one
// batch transaction (or several, ledger.MaxBatchPayments each): one batch
// proof per 16 of a currency's payments, one HE flow ciphertext per
// currency in the batch, pipelining its own batches.
func (d *demo) pay(ctx context.Context) error {
	t0 := time.Now()
	banks := d.bankIDs()
	rng := rand.New(rand.NewPCG(d.opts.Seed, 2))
	plan := map[string][]party.TransferRequest{}
	cs := len(ledger.Currencies)
	for i := 0; i < d.opts.Payments; i++ {
		pair := i / 2
		if i == d.opts.Payments-1 && i%2 == 0 && i > 0 {
			pair-- // an odd last payment joins the pair before it
		}
		round := pair / cs
		from := banks[round%len(banks)]
		to := banks[(round+1)%len(banks)]
		cur := ledger.Currencies[pair%cs].Code
		amount := 1_000_000 + rng.Uint64N(9_000_000) // 10,000.00–100,000.00
		plan[from] = append(plan[from], party.TransferRequest{To: to, Currency: cur, Amount: amount})
	}
	var sent int64 // bytes broadcast for the payments
	for _, id := range banks {
		sent -= d.parties[id].Sender.Sent
	}
	var txs atomic.Int64
	err := d.each(banks, func(p *member) error {
		var last ledger.TxID
		for reqs := plan[p.id]; len(reqs) > 0; {
			n := min(len(reqs), ledger.MaxBatchPayments)
			id, err := p.Sender.Batch(ctx, reqs[:n])
			if err != nil {
				return fmt.Errorf("demo: %s's batch of %d payments: %w", p.id, n, err)
			}
			for _, r := range reqs[:n] {
				d.record(r.Amount)
			}
			txs.Add(1)
			last, reqs = id, reqs[n:]
		}
		if last == (ledger.TxID{}) {
			return nil
		}
		return d.await(ctx, p, last)
	})
	if err != nil {
		return err
	}
	el := time.Since(t0)
	for _, id := range banks {
		sent += d.parties[id].Sender.Sent
	}
	d.printf("pay       %d cross-border payments across %d currencies in %d batch transactions (each bank's payments to any banks in any currencies in one batch, one HE flow ciphertext per currency and one batch proof per 16 of its payments), proved, pipelined per bank and committed (%s, %.1f payments/s, %d bytes per payment)\n",
		d.opts.Payments, len(ledger.Currencies), txs.Load(), el.Round(time.Millisecond), float64(d.opts.Payments)/el.Seconds(), sent/int64(max(1, d.opts.Payments)))
	return nil
}

// report prints the banks' balances from their wallets, checks that each
// currency's balances add up to what was minted, and that all validators
// agree on the app hash.
func (d *demo) report(ctx context.Context) (*Result, error) {
	res := &Result{Payments: d.opts.Payments, Balances: map[string]map[string]string{}}
	d.printf("\nbalances (from each bank's wallet, checked against the ledger's commitments)\n%-8s", "")
	for _, k := range ledger.Currencies {
		d.printf(" %15s", k.Code)
	}
	d.printf("\n")
	totals := map[ledger.Currency]uint64{}
	for _, id := range d.bankIDs() {
		p := d.parties[id]
		if err := p.Wallet.Check(ctx, p.Client); err != nil {
			return nil, err
		}
		res.Balances[id] = map[string]string{}
		d.printf("%-8s", id)
		for _, k := range ledger.Currencies {
			o, err := p.Wallet.Projected(k.Code)
			if err != nil {
				return nil, err
			}
			totals[k.Code] += o.Value
			res.Balances[id][k.Code.String()] = ledger.FormatAmount(k.Code, o.Value)
			d.printf(" %15s", ledger.FormatAmount(k.Code, o.Value))
		}
		d.printf("\n")
	}
	for _, k := range ledger.Currencies {
		if totals[k.Code] != d.minted[k.Code] {
			return nil, fmt.Errorf("demo: %s balances sum to %d, minted %d", k.Code, totals[k.Code], d.minted[k.Code])
		}
	}
	d.printf("every currency's balances add up to what its issuer minted\n\n")
	return res, d.agree(res)
}

// agree waits until all validators have been seen at the latest height
// with the same app hash.
func (d *demo) agree(res *Result) error {
	top, err := d.net.MaxHeight(d.net.All())
	if err != nil {
		return err
	}
	h, hash, err := d.net.SameAppHash(d.net.All(), top, 20*time.Second)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	res.Height, res.AppHash = h, fmt.Sprintf("%X", hash)
	d.printf("chain     all 4 validators at height %d, app hash %s\n", res.Height, res.AppHash)
	return nil
}

// scanDisks searches every validator's files for every amount that moved
// (localnet.ScanForAmounts) and prints where it found any.
func (d *demo) scanDisks() (localnet.DiskScan, error) {
	scan, err := d.net.ScanDisks(d.amounts)
	if err != nil {
		return scan, err
	}
	for _, hit := range scan.Hits {
		d.printf("disk      %s: %s\n", hit.Path, hit.What)
	}
	return scan, nil
}

// chanceNote says how many amounts the scan found where chance explains
// them (a hash's bytes that read as an amount), if any.
func chanceNote(scan localnet.DiskScan) string {
	if n := scan.Chance(); n > 0 {
		return fmt.Sprintf("; %d found only as often as decoy amounts are, by chance", n)
	}
	return ""
}

// audit runs the regulator's audit of the network: decrypt every aggregate
// (with the regulator's key, or through t regulator parties' shares),
// check it against the commitments, total per currency.
func (d *demo) audit(ctx context.Context) (*audit.Report, error) {
	t0 := time.Now()
	op, who, err := d.opener()
	if err != nil {
		return nil, err
	}
	c, err := client.Dial(d.layout.Regulator.Node)
	if err != nil {
		return nil, err
	}
	rep, err := audit.NewWith(c, op, audit.DefaultFXRates()).Run(ctx)
	if err != nil {
		return nil, err
	}
	consistent := 0
	kinds := map[string]int{}
	for _, a := range rep.Aggregates {
		if a.Sealed {
			continue // masked: its group holds too few payments to decrypt
		}
		if a.Consistent {
			consistent++
		}
		kinds[strings.SplitN(a.Key, "/", 2)[0]]++
	}
	opened := len(rep.Aggregates) - len(rep.Sealed)
	sealed := ""
	if len(d.layout.Regulators) > 0 {
		sealed = fmt.Sprintf(", %d sealed (groups of fewer payments than the parties' k, masked in their books)", len(rep.Sealed))
	}
	d.printf("\naudit     %s decrypted %d encrypted aggregates (%d account inflows, %d outflows, %d corridors, %d per currency, %d FX providers' bought and %d sold)\n",
		who, opened, kinds["in"], kinds["out"], kinds["corridor"], kinds["currency"], kinds["fxin"], kinds["fxout"])
	d.printf("          and checked each against the sum of its public amount commitments: %d of %d consistent%s (%s)\n",
		consistent, opened, sealed, time.Since(t0).Round(time.Millisecond))
	isSealed := map[string]bool{}
	for _, k := range rep.Sealed {
		isSealed[k] = true
	}
	d.printf("%-8s", "totals")
	for _, k := range ledger.Currencies {
		total := rep.Totals[k.Code.String()]
		if isSealed[ledger.AggCurrency(k.Code, "minted")] {
			total = "sealed"
		}
		d.printf(" %15s", total)
	}
	usd := rep.USDTotal
	if usd == "" && len(rep.Sealed) > 0 {
		usd = "sealed (it rests on a sealed total group)"
	}
	d.printf("\n          USD-equivalent total %s, computed on ciphertexts and decrypted once\n", usd)
	d.printf("          HE data: one flow ciphertext of %d bytes per transaction and currency (a single transfer's whole HE cost; a batch's payments in a currency share one)\n", rep.FlowBytes)
	if !rep.Consistent {
		return rep, fmt.Errorf("demo: the audit found %d inconsistent aggregates", len(rep.Aggregates)-consistent)
	}
	if err := d.auditFX(rep); err != nil {
		return rep, err
	}
	for _, k := range ledger.Currencies {
		if isSealed[ledger.AggCurrency(k.Code, "minted")] {
			continue // the parties opened none of this book: nothing to check
		}
		if rep.Totals[k.Code.String()] != ledger.FormatAmount(k.Code, d.minted[k.Code]) {
			return rep, fmt.Errorf("demo: audit total %s %s, minted %s", k.Code, rep.Totals[k.Code.String()], ledger.FormatAmount(k.Code, d.minted[k.Code]))
		}
	}
	return rep, nil
}

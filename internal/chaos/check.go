package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sable-settlement/sable/internal/localnet"
	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// Check is one property the run must leave true.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// checker holds what the checks share: the network, the banks' sessions
// (opened once every CLI has ended) and the result they fill in.
type checker struct {
	net      *localnet.Net
	res      *Result
	sessions []*party.Session
	c        *client.Client
}

// check settles every bank's wallet and then runs every check into res.
// The error is for a check that could not be made at all.
func check(ctx context.Context, net *localnet.Net, res *Result, before map[ledger.Currency]string) error {
	ck := &checker{net: net, res: res, c: net.Client(0)}
	defer ck.close()
	for _, b := range net.Layout.Banks {
		s, err := party.Open(b.Home, net.Layout.Validators[0].RPC)
		if err != nil {
			return fmt.Errorf("chaos: %w", err)
		}
		ck.sessions = append(ck.sessions, s)
	}
	settled := ck.settle(ctx)
	ck.add("every bank's in-flight transactions settled (committed or dropped) after the run", settled == nil, errText(settled, "all wallets synced with nothing in flight"))
	ck.appHash()
	ck.supply(ctx, before)
	ck.wallets(ctx)
	if err := ck.payments(ctx); err != nil {
		return err
	}
	ck.audit(ctx)
	ck.crashes()
	ck.logs()
	return nil
}

func (ck *checker) close() {
	for _, s := range ck.sessions {
		s.Close()
	}
}

func (ck *checker) add(name string, ok bool, detail string) {
	ck.res.Checks = append(ck.res.Checks, Check{Name: name, OK: ok, Detail: detail})
}

func errText(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

// settle syncs every wallet until none has a transaction in flight: a
// killed CLI may have left one that the sync sends again, and it may then
// commit. A last sync after two more blocks opens every incoming memo.
func (ck *checker) settle(ctx context.Context) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		busy, err := ck.syncAll(ctx)
		if err == nil && busy == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("chaos: %d banks still have transactions in flight after 3 minutes (last error: %v)", busy, err)
		}
		_ = sleep(ctx, time.Second)
	}
	h, _, err := ck.net.Height(0)
	if err != nil {
		return err
	}
	if err := ck.net.WaitHeight([]int{0}, h+2, time.Minute); err != nil {
		return err
	}
	_, err = ck.syncAll(ctx)
	return err
}

// syncAll syncs every wallet once and counts those with transactions in
// flight.
func (ck *checker) syncAll(ctx context.Context) (int, error) {
	busy := 0
	var errs []error
	for _, s := range ck.sessions {
		if _, err := s.Wallet.Sync(ctx, s.Client); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.ID.Config.ID, err))
		}
		if inFlight(s.Wallet) {
			busy++
		}
	}
	return busy, errors.Join(errs...)
}

// inFlight reports whether a wallet projects a balance other than its
// committed one in some currency: a transaction of its own is in flight.
func inFlight(w *party.Wallet) bool {
	for _, k := range ledger.Currencies {
		p, err1 := w.Projected(k.Code)
		b, err2 := w.Base(k.Code)
		if err1 != nil || err2 != nil || !p.Commitment().Equal(b.Commitment()) {
			return true
		}
	}
	return false
}

// appHash checks that all validators reach one app hash at the latest
// height.
func (ck *checker) appHash() {
	top, err := ck.net.MaxHeight(ck.net.All())
	if err == nil {
		ck.res.Height = top
		var hash []byte
		ck.res.Height, hash, err = ck.net.SameAppHash(ck.net.All(), top, time.Minute)
		ck.res.AppHash = fmt.Sprintf("%X", hash)
	}
	ck.add("all validators reach one app hash", err == nil, errText(err, fmt.Sprintf("all %d at height %d, app hash %.16s…", ck.net.Validators(), ck.res.Height, ck.res.AppHash)))
}

// supply checks, on every validator, that each currency's supply is the
// one genesis funded and that its accounts sum to it (the turnstile).
func (ck *checker) supply(ctx context.Context, before map[ledger.Currency]string) {
	var bad []string
	for i := range ck.net.Validators() {
		for _, k := range ledger.Currencies {
			s, err := ck.net.Client(i).Supply(ctx, k.Code)
			switch {
			case err != nil:
				bad = append(bad, fmt.Sprintf("validator %d %s: %v", i, k.Code, err))
			case !s.Turnstile:
				bad = append(bad, fmt.Sprintf("validator %d %s: turnstile broken", i, k.Code))
			case s.Supply != before[k.Code]:
				bad = append(bad, fmt.Sprintf("validator %d %s: supply changed", i, k.Code))
			}
		}
	}
	ck.add("per-currency supply conserved (turnstile on every validator, supply as at genesis)", len(bad) == 0,
		orOK(bad, fmt.Sprintf("%d currencies × %d validators", len(ledger.Currencies), ck.net.Validators())))
}

func orOK(bad []string, ok string) string {
	if len(bad) == 0 {
		return ok
	}
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
	}
	return strings.Join(bad, "; ")
}

// wallets checks every bank's wallet against the ledger: its opening of
// each available balance and of its pending payments, and that the
// banks' balances add up to what genesis funded, currency by currency.
func (ck *checker) wallets(ctx context.Context) {
	var bad []string
	sums := map[ledger.Currency]uint64{}
	for _, s := range ck.sessions {
		id := s.ID.Config.ID
		if err := s.Wallet.Check(ctx, s.Client); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", id, err))
		}
		for _, k := range ledger.Currencies {
			base, err1 := s.Wallet.Base(k.Code)
			pend, err2 := s.Wallet.PendingSum(k.Code)
			a, err3 := s.Client.Account(ctx, id, k.Code)
			if err := errors.Join(err1, err2, err3); err != nil {
				bad = append(bad, fmt.Sprintf("%s %s: %v", id, k.Code, err))
				continue
			}
			if pend.Commitment().String() != a.Pending {
				bad = append(bad, fmt.Sprintf("%s %s: pending on the ledger is not the wallet's received payments", id, k.Code))
			}
			sums[k.Code] += base.Value + pend.Value
		}
	}
	ck.add("every bank's wallet agrees with the ledger (available and pending)", len(bad) == 0, orOK(bad, fmt.Sprintf("%d banks, %d currencies each", len(ck.sessions), len(ledger.Currencies))))
	var off []string
	for _, k := range ledger.Currencies {
		want := ck.net.Layout.Fund[k.Code.String()] * uint64(len(ck.sessions))
		if sums[k.Code] != want {
			off = append(off, fmt.Sprintf("%s: wallets hold %s, genesis funded %s", k.Code, ledger.FormatAmount(k.Code, sums[k.Code]), ledger.FormatAmount(k.Code, want)))
		}
	}
	ck.add("the banks' wallets sum to the genesis funding in every currency", len(off) == 0, orOK(off, "value neither created nor lost"))
}

// audit runs the regulator's audit: every aggregate consistent, nothing
// failed, and each currency's total the funding.
func (ck *checker) audit(ctx context.Context) {
	l := ck.net.Layout
	sk, err := party.LoadHESecretKey(l.Regulator.Home)
	if err != nil {
		ck.add("the regulator's audit is consistent", false, err.Error())
		return
	}
	rep, err := audit.New(ck.c, sk, audit.DefaultFXRates()).Run(ctx)
	if err != nil {
		ck.add("the regulator's audit is consistent", false, err.Error())
		return
	}
	var bad []string
	for _, a := range rep.Aggregates {
		if !a.Consistent {
			bad = append(bad, "aggregate "+a.Key+" inconsistent")
		}
	}
	for _, f := range rep.Failures {
		bad = append(bad, f.Figure+": "+f.Reason)
	}
	for _, k := range ledger.Currencies {
		want := ledger.FormatAmount(k.Code, l.Fund[k.Code.String()]*uint64(len(l.Banks)))
		if got := rep.Totals[k.Code.String()]; got != want {
			bad = append(bad, fmt.Sprintf("%s total %s, funded %s", k.Code, got, want))
		}
	}
	ok := rep.Consistent && len(bad) == 0
	ck.add("the regulator's audit is consistent", ok, orOK(bad, fmt.Sprintf("%d aggregates decrypted and checked against their commitments; totals equal the funding", len(rep.Aggregates))))
}

// crashes checks that every self-kill in Commit was the hook's SIGKILL
// and that the restart replayed the block.
func (ck *checker) crashes() {
	var bad []string
	for _, c := range ck.res.crashes {
		if !c.sigkill || !c.replayed {
			bad = append(bad, fmt.Sprintf("validator %d at height %d: %s", c.validator, c.height, c.detail))
		}
	}
	ck.add("every validator killed between FinalizeBlock and Commit replayed that block on restart", len(bad) == 0,
		orOK(bad, fmt.Sprintf("%d crashes, each replayed exactly one block", len(ck.res.crashes))))
}

// logs checks that no validator panicked or declared a consensus failure
// in any of its runs (a SIGKILL leaves no trace in its log).
func (ck *checker) logs() {
	var bad []string
	for i := range ck.net.Validators() {
		log := ck.net.Log(i)
		for _, sign := range []string{"panic:", "CONSENSUS FAILURE"} {
			if n := strings.Count(log, sign); n > 0 {
				bad = append(bad, fmt.Sprintf("validator %d: %d× %q in %s", i, n, sign, ck.net.LogPath(i)))
			}
		}
	}
	ck.add("no validator panicked or reported a consensus failure", len(bad) == 0, orOK(bad, fmt.Sprintf("%d validators' logs, every run", ck.net.Validators())))
}

// found is a payment on the ledger, read from its receiver's incoming
// entries and opened with the receiver's memo key.
type found struct {
	in     ledger.IncomingInfo
	to     string
	amount uint64
}

// onLedger reads every payment into every bank and opens it.
func (ck *checker) onLedger(ctx context.Context) (map[uint64][]found, []string, error) {
	byAmount := map[uint64][]found{}
	var bad []string
	for _, s := range ck.sessions {
		ins, err := incoming(ctx, ck.c, s.ID.Config.ID)
		if err != nil {
			return nil, nil, err
		}
		for _, in := range ins {
			amt, err := open(s.ID, in)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s from %s: %v", in.TxID, in.Sender, err))
				continue
			}
			byAmount[amt] = append(byAmount[amt], found{in: in, to: s.ID.Config.ID, amount: amt})
		}
	}
	return byAmount, bad, nil
}

// incoming pages through every incoming entry of a party.
func incoming(ctx context.Context, c *client.Client, id string) ([]ledger.IncomingInfo, error) {
	seen := map[string]bool{}
	var out []ledger.IncomingInfo
	for from := int64(0); ; {
		page, err := c.Incoming(ctx, id, from)
		if err != nil {
			return nil, fmt.Errorf("chaos: incoming of %s: %w", id, err)
		}
		fresh := 0
		for _, in := range page {
			if !seen[in.TxID] {
				seen[in.TxID] = true
				out = append(out, in)
				fresh++
			}
			from = in.Height
		}
		if fresh == 0 || len(page) < ledger.MaxIncoming {
			return out, nil
		}
	}
}

// open opens an incoming payment's memo with its receiver's key and checks
// the opening against the payment's amount commitment.
func open(id *party.Identity, in ledger.IncomingInfo) (uint64, error) {
	cur, err := ledger.ParseCurrency(in.Currency)
	if err != nil {
		return 0, err
	}
	chain, me := id.Config.ChainID, id.Config.ID
	aad := ledger.MemoAAD(chain, in.Sender, me, cur, in.Nonce)
	if in.Kind == ledger.KindBatchTransfer.String() {
		aad = ledger.BulkMemoAAD(chain, in.Sender, me, cur, in.Nonce, int(in.Payment))
	}
	op, err := ledger.OpenMemo(id.MemoKey, in.Memo, aad)
	if err != nil {
		return 0, fmt.Errorf("memo does not open: %w", err)
	}
	c, err := zkp.ParseCommitment(in.Amount)
	if err != nil || !op.Commitment().Equal(c) {
		return 0, errors.New("memo's opening does not match the amount commitment")
	}
	return op.Value, nil
}

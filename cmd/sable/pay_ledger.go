package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
)

// sessionLedger is payLedger over a party's session: its wallet, its
// sender and its node; and the providers' homes under providersDir, opened
// when a swap needs their fill (pay_fx.go).
type sessionLedger struct {
	s            *session
	providersDir string
	providers    map[string]*session
	quotes       map[string]ledger.QuoteInfo // by id, as last read
}

func newSessionLedger(s *session, providersDir string) *sessionLedger {
	return &sessionLedger{s: s, providersDir: providersDir, providers: map[string]*session{}}
}

func (l *sessionLedger) Self() string { return l.s.ID.Config.ID }
func (l *sessionLedger) Home() string { return l.s.ID.Home }

func (l *sessionLedger) Balances(ctx context.Context) (map[ledger.Currency]uint64, error) {
	curs, err := l.s.Wallet.Accounts(ctx, l.s.Client)
	if err != nil {
		return nil, err
	}
	out := map[ledger.Currency]uint64{}
	for _, c := range curs {
		o, err := l.s.Wallet.Projected(c)
		if err != nil {
			return nil, err
		}
		out[c] = o.Value
	}
	return out, nil
}

func (l *sessionLedger) Transfer(ctx context.Context, to string, c ledger.Currency, amount uint64) (ledger.TxID, error) {
	return l.s.Sender.Transfer(ctx, party.TransferRequest{To: to, Currency: c, Amount: amount})
}

func (l *sessionLedger) Commit(ctx context.Context, id ledger.TxID) (int64, error) {
	o, err := l.s.Client.WaitCommitted(ctx, id, 60*time.Second)
	if err != nil {
		return 0, withHint(failf("%v", err), fmt.Sprintf("it may still commit: run 'sable status %s --home %s' before paying again", id, l.s.ID.Home))
	}
	if o.State == "rejected" {
		return o.Height, failf("transaction %s rejected at height %d (code %d): %s", id, o.Height, o.Code, o.Reason)
	}
	return o.Height, nil
}

func (l *sessionLedger) Synced(ctx context.Context) error { return syncAfterCommit(ctx, l.s) }

// ApplyPending syncs the wallet (to open what was received), moves every
// payment received in c into available and waits for that to commit.
func (l *sessionLedger) ApplyPending(ctx context.Context, c ledger.Currency) error {
	if err := l.s.sync(ctx); err != nil {
		return err
	}
	id, n, err := l.s.Sender.ApplyPending(ctx, c)
	if err != nil {
		return ledgerError(err)
	}
	if n == 0 {
		return failf("nothing received in %s is pending in the wallet", c)
	}
	if _, err := l.Commit(ctx, id); err != nil {
		return err
	}
	return l.s.sync(ctx)
}

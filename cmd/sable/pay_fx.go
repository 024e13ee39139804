package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/ledger/route"
)

// Quotes reads the node's height, then its live quotes; each is kept by id
// for the swaps that use it.
func (l *sessionLedger) Quotes(ctx context.Context) ([]route.Quote, int64, error) {
	h, _, err := l.s.Client.Height(ctx)
	if err != nil {
		return nil, 0, err
	}
	infos, err := l.s.Client.Quotes(ctx)
	if err != nil {
		return nil, 0, err
	}
	l.quotes = map[string]ledger.QuoteInfo{}
	for _, q := range infos {
		l.quotes[q.ID] = q
	}
	return route.FromLedger(infos, nil), h, nil
}

// Swap makes one leg: the payer's request, the provider's fill (the
// provider's home opened from --providers, in this process) and the
// payer's submission (party.Swap). The leg's amounts are checked against
// the swap's own rounding before anything is proved.
func (l *sessionLedger) Swap(ctx context.Context, leg route.Leg, to string) (ledger.TxID, error) {
	info, ok := l.quotes[leg.Quote.ID]
	if !ok {
		return ledger.TxID{}, fmt.Errorf("sable: quote %s was not read from the node", leg.Quote.ID)
	}
	req := party.SwapRequest{Quote: info, Amount: leg.Pay, To: to}
	b, err := req.Delivered()
	if err != nil {
		return ledger.TxID{}, err
	}
	if b != leg.Receive {
		return ledger.TxID{}, fmt.Errorf("sable: quote %s delivers %d for %d, the route planned %d", info.ID, b, leg.Pay, leg.Receive)
	}
	prov, err := l.provider(ctx, info.Provider)
	if err != nil {
		return ledger.TxID{}, err
	}
	res, err := party.Swap(ctx, l.s.Sender, prov.Sender, req)
	if err != nil {
		return ledger.TxID{}, err
	}
	return res.TxID, nil
}

// provider opens a provider's home under --providers once, synced so that
// it fills against the balance the ledger holds.
func (l *sessionLedger) provider(ctx context.Context, id string) (*session, error) {
	if s, ok := l.providers[id]; ok {
		return s, nil
	}
	if l.providersDir == "" {
		return nil, withHint(failf("the route's swaps need their providers' fills, and --providers is not given"),
			"a swap is signed by its provider too: give --providers DIR, the directory of the providers' homes (DIR/"+id+"); or make each leg of the --dry-run route with 'sable fx request', the provider's 'sable fx fill' and 'sable fx submit'")
	}
	home := filepath.Join(l.providersDir, id)
	if _, err := os.Stat(filepath.Join(home, "party.json")); err != nil {
		return nil, withHint(failf("provider %s: no home at %s", id, home), "--providers is the directory of the providers' homes, e.g. net/banks of 'sable testnet'")
	}
	s, err := openSession(home, "")
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx); err != nil {
		s.Close()
		return nil, err
	}
	l.providers[id] = s
	return s, nil
}

// close closes the providers' homes.
func (l *sessionLedger) close() {
	for _, s := range l.providers {
		s.Close()
	}
}

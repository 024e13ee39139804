package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/zkp"
)

// Query serves committed state.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	v := view{newOverlay(a.store)}
	out, code, msg := a.query(v, req.Path, string(req.Data))
	resp := &abci.QueryResponse{Code: code, Log: msg, Height: a.height, Codespace: "sable"}
	if code == 0 {
		resp.Value, _ = json.Marshal(out)
	}
	return resp, nil
}

func (a *App) query(v view, path, data string) (any, uint32, string) {
	switch path {
	case "/account":
		return queryAccount(v, data)
	case "/party":
		return queryParty(v, data)
	case "/status":
		return queryStatus(v, data)
	case "/incoming":
		return queryIncoming(v, data)
	case "/supply":
		return querySupply(v, data)
	case "/aggregates":
		return queryAggregates(v)
	case "/fx/quotes": // live: a swap in the next block can still fill it
		return queryQuotes(v, a.height+1)
	case "/fx/quote":
		return queryQuote(v, a.height+1, data)
	case "/aggregate":
		return queryAggregate(v, data)
	case "/epoch":
		return a.exec.queryEpoch(v, data)
	case "/layout":
		return a.queryLayout(v, data)
	case "/genesis":
		raw, err := v.o.get(keyGenesis)
		if err != nil || raw == nil {
			return nil, ledger.QueryCodeNotFound, "no genesis yet"
		}
		return json.RawMessage(raw), 0, ""
	}
	return nil, ledger.QueryCodeBadQuery, "unknown query path " + strconv.Quote(path)
}

func queryAccount(v view, data string) (any, uint32, string) {
	id, cur, _ := strings.Cut(data, "/")
	c, err := ledger.ParseCurrency(cur)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	acct, err := v.account(c, id)
	if err != nil || acct == nil {
		return nil, ledger.QueryCodeNotFound, "no account " + data
	}
	p, err := v.party(id)
	if err != nil || p == nil {
		return nil, ledger.QueryCodeNotFound, "no party " + id
	}
	return ledger.AccountInfo{Available: acct.Available.String(), Pending: acct.Pending.String(), Nonce: p.Nonce}, 0, ""
}

func queryParty(v view, id string) (any, uint32, string) {
	p, err := v.party(id)
	if err != nil || p == nil {
		return nil, ledger.QueryCodeNotFound, "no party " + strconv.Quote(id)
	}
	return ledger.PartyInfo{ID: p.ID, Role: p.Role, Country: string(p.Country[:]), SignKey: p.SignKey[:], MemoKey: p.MemoKey[:], Nonce: p.Nonce}, 0, ""
}

func queryStatus(v view, data string) (any, uint32, string) {
	id, err := ledger.ParseTxID(data)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	s, err := v.status(id)
	if err != nil || s == nil {
		return nil, ledger.QueryCodeNotFound, "transaction " + data + " is not committed"
	}
	info := ledger.StatusInfo{Height: s.Height, Index: s.Index, Kind: s.Kind.String(), Sender: s.Sender, To: s.To, Applied: s.Applied}
	if s.Currency != (ledger.Currency{}) {
		info.Currency = s.Currency.String()
	}
	return info, 0, ""
}

func queryIncoming(v view, data string) (any, uint32, string) {
	id, from, _ := strings.Cut(data, "/")
	fromHeight, err := strconv.ParseInt(from, 10, 64)
	if err != nil || !ledger.ValidID(id) {
		return nil, ledger.QueryCodeBadQuery, "want <party>/<fromHeight>"
	}
	entries, err := v.o.scan(incomingPrefix(id))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	out := []ledger.IncomingInfo{}
	for _, e := range entries {
		in, err := decodeIncoming(e.Value)
		if err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
		if in.Height < fromHeight {
			continue
		}
		out = append(out, ledger.IncomingInfo{TxID: in.TxID.String(), Kind: in.Kind.String(), Sender: in.Sender, Nonce: in.Nonce,
			Currency: in.Currency.String(), Amount: in.Amount.String(), Memo: in.Memo, Height: in.Height, Payment: in.Payment})
		if len(out) == ledger.MaxIncoming {
			break
		}
	}
	return out, 0, ""
}

func querySupply(v view, data string) (any, uint32, string) {
	c, err := ledger.ParseCurrency(data)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	s, err := v.supply(c)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	ok, err := v.turnstile(c)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	return ledger.SupplyInfo{Currency: c.String(), Supply: s.String(), Cap: ledger.FormatAmount(c, ledger.SupplyCap),
		Headroom: ledger.Headroom(s).String(), Turnstile: ok}, 0, ""
}

func queryAggregates(v view) (any, uint32, string) {
	entries, err := v.o.scan([]byte("hc/"))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	out := []ledger.AggregateInfo{}
	for _, e := range entries {
		c, err := zkp.DecodeStoredCommitment(e.Value)
		if err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
		out = append(out, ledger.AggregateInfo{Key: e.Key[len("hc/"):], Commitment: c.String()})
	}
	return out, 0, ""
}

func queryAggregate(v view, key string) (any, uint32, string) {
	c, ok := ledger.AggCurrencyOf(key)
	if !ok || !ledger.ValidAggregateKey(key) {
		return nil, ledger.QueryCodeBadQuery, "not an aggregate key: " + strconv.Quote(key)
	}
	l, err := v.layout(c)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	g, ok := l.Group(key)
	ct, err := v.o.get(bookKey(c))
	if err != nil || ct == nil || !ok {
		return nil, ledger.QueryCodeNotFound, "no aggregate " + key
	}
	sum, err := v.commitmentAt(aggSumKey(key))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	countries, err := layoutCountries(v, l)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	n, err := v.count(aggLoadKey(key))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	info := ledger.AggregateInfo{Key: key, Commitment: sum.String(), Ciphertext: ct, Group: g, Layout: l.Keys, Countries: countries, Payments: n}
	for _, k := range l.Keys {
		m, err := v.count(aggLoadKey(k))
		if err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
		info.BookPayments = append(info.BookPayments, m)
	}
	if raw, err := v.o.get(bookBaseKey(c)); err == nil && raw != nil {
		base, err := v.commitmentAt(aggBaseKey(key))
		if err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
		info.Base, info.BaseCommitment = raw, base.String()
	}
	txs, err := v.o.scan(aggTxPrefix(key))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	for _, t := range txs {
		info.Txs = append(info.Txs, ledger.TxID(t.Value).String())
	}
	if info.BookTxs, err = bookTxs(v, c); err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	return info, 0, ""
}

// bookTxs lists the transactions in c's book since its last epoch close,
// by height and index: every payment is in exactly one of the currency
// totals, so their lists together hold them all.
func bookTxs(v view, c ledger.Currency) ([]string, error) {
	type at struct {
		pos  string // height and index, big-endian
		txid string
	}
	var all []at
	seen := map[string]bool{}
	for _, w := range []string{"funded", "transfers", "minted", "burned"} {
		k := ledger.AggCurrency(c, w)
		entries, err := v.o.scan(aggTxPrefix(k))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			id := ledger.TxID(e.Value).String()
			if !seen[id] {
				seen[id] = true
				all = append(all, at{e.Key[len(aggTxPrefix(k)):], id})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.txid
	}
	return out, nil
}

// layoutCountries maps each party with an account in l to its country.
func layoutCountries(v view, l *ledger.Layout) (map[string]string, error) {
	out := map[string]string{}
	pre := "in/" + l.Currency.String() + "/"
	for _, k := range l.Keys {
		id, ok := strings.CutPrefix(k, pre)
		if !ok {
			continue
		}
		p, err := v.party(id)
		if err != nil || p == nil {
			return nil, fmt.Errorf("ledger: layout names party %q: %v", id, err)
		}
		out[id] = string(p.Country[:])
	}
	return out, nil
}

// queryLayout answers a currency's book: its layout, load, capacity,
// commitment sum and the payments in each group.
func (a *App) queryLayout(v view, data string) (any, uint32, string) {
	c, err := ledger.ParseCurrency(data)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	if a.exec.flows == nil {
		return nil, ledger.QueryCodeNotFound, "this chain has no regulator HE key, and no books"
	}
	l, err := v.layout(c)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	countries, err := layoutCountries(v, l)
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	info := ledger.LayoutInfo{Currency: c.String(), Keys: l.Keys, Countries: countries, Capacity: a.exec.flows.capacity, Payments: map[string]uint64{}}
	if info.Load, err = v.count(bookLoadKey(c)); err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	sum, err := v.commitmentAt(bookSumKey(c))
	if err != nil {
		return nil, ledger.QueryCodeBadQuery, err.Error()
	}
	info.Commitment = sum.String()
	for _, k := range l.Keys {
		if info.Payments[k], err = v.count(aggLoadKey(k)); err != nil {
			return nil, ledger.QueryCodeBadQuery, err.Error()
		}
	}
	return info, 0, ""
}

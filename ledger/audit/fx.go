package audit

import (
	"math/big"
	"sort"

	"github.com/sable-settlement/sable/ledger"
)

// fxSum is a figure summed from FX aggregates: its amount, the swaps it
// holds, and the aggregates it could not count.
type fxSum struct {
	amount *big.Int
	txs    int
	sealed bool
	bad    []*opened
}

func (s *fxSum) add(o *opened, sign int) {
	switch {
	case o.sealed:
		s.sealed = true
	case !o.ok:
		s.bad = append(s.bad, o)
	case sign > 0:
		s.amount.Add(s.amount, o.amount)
	default:
		s.amount.Sub(s.amount, o.amount)
	}
	s.txs += len(o.info.Txs)
}

// text formats the figure under the report's disclosure rule: a sum of
// one swap is withheld, one resting on a sealed aggregate is sealed, and
// one resting on an aggregate that does not check is empty, with a
// failure recorded under figure.
func (s *fxSum) text(rep *Report, c ledger.Currency, figure string) (string, bool) {
	switch {
	case len(s.bad) > 0:
		rep.Failures = append(rep.Failures, failure(figure, s.bad))
		return "", false
	case s.sealed:
		return Sealed, false
	case s.txs == 1:
		return Withheld, true
	}
	return ledger.FormatBig(c, s.amount), true
}

// fxFigures derives the FX volume per pair (summed over providers) and
// each provider's net FX position per currency from the fxin and fxout
// aggregates; only decrypted aggregates that check are counted.
func fxFigures(rep *Report, byKey map[string]*opened) {
	type pair struct{ sell, buy ledger.Currency }
	sells, buys := map[pair]*fxSum{}, map[pair]*fxSum{}
	net := map[string]map[ledger.Currency]*fxSum{}
	get := func(m map[pair]*fxSum, p pair) *fxSum {
		if m[p] == nil {
			m[p] = &fxSum{amount: new(big.Int)}
		}
		return m[p]
	}
	for _, key := range sortedKeys(byKey) {
		k, ok := ledger.ParseFXKey(key)
		if !ok {
			continue
		}
		o := byKey[key]
		if net[k.Provider] == nil {
			net[k.Provider] = map[ledger.Currency]*fxSum{}
		}
		if net[k.Provider][k.Currency] == nil {
			net[k.Provider][k.Currency] = &fxSum{amount: new(big.Int)}
		}
		if k.Bought { // fxin/A/B: leg A of pair A/B
			get(sells, pair{k.Currency, k.Other}).add(o, 1)
			net[k.Provider][k.Currency].add(o, 1)
		} else { // fxout/B/A: leg B of pair A/B
			get(buys, pair{k.Other, k.Currency}).add(o, 1)
			net[k.Provider][k.Currency].add(o, -1)
		}
	}
	pairs := map[pair]bool{}
	for p := range sells {
		pairs[p] = true
	}
	for p := range buys {
		pairs[p] = true
	}
	for p := range pairs {
		name := p.sell.String() + "/" + p.buy.String()
		v := FXVolume{Pair: name, Sell: p.sell.String(), Buy: p.buy.String()}
		v.SellVolume, _ = get(sells, p).text(rep, p.sell, "fx/"+name+"/"+p.sell.String())
		v.BuyVolume, _ = get(buys, p).text(rep, p.buy, "fx/"+name+"/"+p.buy.String())
		rep.FX = append(rep.FX, v)
	}
	sort.Slice(rep.FX, func(i, j int) bool { return rep.FX[i].Pair < rep.FX[j].Pair })
	for prov, m := range net {
		for c, s := range m {
			if t, ok := s.text(rep, c, "fxposition/"+prov+"/"+c.String()); ok {
				if rep.FXPositions == nil {
					rep.FXPositions = map[string]map[string]string{}
				}
				if rep.FXPositions[prov] == nil {
					rep.FXPositions[prov] = map[string]string{}
				}
				rep.FXPositions[prov][c.String()] = t
			}
		}
	}
}

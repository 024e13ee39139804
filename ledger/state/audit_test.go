package state

import (
	"context"
	"math/big"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/audit"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// appSource serves the audit from a test fixture's app.
type appSource struct {
	f   *fixture
	txs map[ledger.TxID][]byte
}

func (s *appSource) Aggregates(context.Context) ([]ledger.AggregateInfo, error) {
	var out []ledger.AggregateInfo
	s.f.query("/aggregates", "", &out)
	return out, nil
}

func (s *appSource) Aggregate(_ context.Context, key string) (ledger.AggregateInfo, error) {
	var out ledger.AggregateInfo
	if code := s.f.query("/aggregate", key, &out); code != 0 {
		return out, client.ErrNotFound
	}
	return out, nil
}

func (s *appSource) RawTx(_ context.Context, id ledger.TxID) ([]byte, error) {
	raw, ok := s.txs[id]
	if !ok {
		return nil, client.ErrNotFound
	}
	return raw, nil
}

func (s *appSource) Genesis(context.Context) (*ledger.Genesis, error) {
	return ledger.ParseGenesis(s.f.genesis)
}

// cheatSealer encrypts one more minor unit than the payment.
type cheatSealer struct{ honest *party.HESealer }

func (c cheatSealer) SealFlow(amount uint64, blinding *big.Int) ([]byte, error) {
	return c.honest.SealFlow(amount+1, blinding)
}

func TestAuditNamesCheater(t *testing.T) {
	sk, pk := heKeys()
	f := newFixtureWith(t, pk)
	src := &appSource{f: f, txs: map[ledger.TxID][]byte{}}
	send := func(amount uint64, cheat bool) ledger.TxID {
		honest := f.flows
		if cheat {
			f.flows = cheatSealer{honest.(*party.HESealer)}
		}
		tx, amt := f.transfer(f.a, f.b, amount)
		f.flows = honest
		f.a.spend(amt)
		if res := f.block(tx.Encode()); res.TxResults[0].Code != ledger.CodeOK {
			t.Fatalf("block: %s", res.TxResults[0].Log)
		}
		src.txs[tx.ID()] = tx.Encode()
		return tx.ID()
	}
	for _, amt := range []uint64{500, 1250, 75} {
		send(amt, false)
	}
	rep, err := audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Consistent || rep.Totals["USD"] != "1000.00" || rep.USDTotal != "1000.00" || rep.Positions["bank-b"]["USD"] != "18.25" {
		t.Fatalf("honest audit: %+v", rep)
	}
	cheat := send(300, true)
	send(40, false)
	rep, err = audit.New(src, sk, audit.DefaultFXRates()).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Consistent {
		t.Fatal("audit misses a flow that does not match its commitment")
	}
	if len(rep.Culprits) == 0 {
		t.Fatal("no culprit named")
	}
	for _, c := range rep.Culprits {
		if c.TxID != cheat.String() || c.Sender != "bank-a" {
			t.Fatalf("culprit %+v, want %s from bank-a", c, cheat)
		}
	}
	inconsistent := 0
	for _, a := range rep.Aggregates {
		if !a.Consistent {
			inconsistent++
		}
	}
	if inconsistent != 4 || len(rep.Culprits) != 4 {
		t.Fatalf("%d inconsistent aggregates, %d culprits; want the transfer's 4", inconsistent, len(rep.Culprits))
	}
}

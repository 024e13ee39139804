package monitor

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// figureOf is the figure shown for aggregate key (zero if absent).
func figureOf(s *Snapshot, key string) Figure {
	for _, a := range s.Aggregates {
		if a.Key == key {
			return a.Figure
		}
	}
	return Figure{}
}

func positionOf(s *Snapshot, party, cur string) Figure {
	for _, p := range s.Positions {
		if p.Party == party && p.Currency == cur {
			return p.Figure
		}
	}
	return Figure{}
}

// sgdNet is three SGD banks, two in Singapore, each funded with
// 1,000,000.00, and Singapore's SGD issuer.
func sgdNet(l *fakeLedger) {
	for _, p := range []struct{ id, country string }{{"bank-sg", "SG"}, {"bank-dbs", "SG"}, {"bank-hk", "HK"}, {"bank-th", "TH"}, {"issuer-sgd", "SG"}} {
		l.party(p.id, p.country)
		if strings.HasPrefix(p.id, "bank-") {
			l.fund(p.id, "SGD", "1000000.00")
		}
	}
}

// payN pays n payments of amount from one bank to another.
func payN(l *fakeLedger, n int, from, to, amount string) {
	for range n {
		l.pay(from, to, "SGD", amount)
	}
}

// scene is one attack on the disclosure rule: a network, then steps, each
// followed by one block the monitor audits. After every step nothing the
// page has shown so far, in any snapshot, may single out a flow, and no
// amount in never may appear in anything the server sent.
type scene struct {
	name  string
	steps []func(l *fakeLedger, n *ledgerNode)
	check func(t *testing.T, step int, s *Snapshot)
	never []string
}

func TestSubtractionAttacks(t *testing.T) {
	scenes := []scene{{
		// The example: transfers (71 flows, 1320.50) minus the
		// SG-HK corridor (70 flows, 1319.50) is the SG-SG payment.
		name: "currency total minus the shown corridors",
		steps: []func(*fakeLedger, *ledgerNode){func(l *fakeLedger, _ *ledgerNode) {
			payN(l, 70, "bank-sg", "bank-hk", "18.85")
			l.pay("bank-sg", "bank-dbs", "SGD", "1.00")
		}},
		check: func(t *testing.T, _ int, s *Snapshot) {
			if f := figureOf(s, "corridor/SGD/SG-HK"); f.Value != "1319.50" {
				t.Errorf("SG-HK corridor %+v, want 1319.50", f)
			}
			if f := figureOf(s, "corridor/SGD/SG-SG"); !f.Withheld {
				t.Errorf("SG-SG corridor %+v, want withheld", f)
			}
			if f := s.Totals[0].Transfers; !f.Withheld || f.Pending != 71 {
				t.Errorf("SGD transfers %+v, want withheld with 71 flows pending", f)
			}
		},
		never: []string{"1320.50", "998679.50", "1000001.00"},
	}, {
		name: "the corridor total moves by one payment",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) { payN(l, 70, "bank-sg", "bank-hk", "18.85") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-dbs", "SGD", "1.00") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-dbs", "SGD", "2.00") },
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			want := []Figure{{Value: "1319.50"}, {Value: "1319.50", Pending: 1}, {Value: "1322.50"}}[step]
			if f := s.Totals[0].Transfers; f.Value != want.Value || f.Pending != want.Pending {
				t.Errorf("step %d: SGD transfers %+v, want %+v", step, f, want)
			}
			if f := figureOf(s, "corridor/SGD/SG-SG"); step == 1 && (f.Value != "0.00" || f.Pending != 1) {
				t.Errorf("a new one-flow corridor %+v, want 0.00 with 1 pending", f)
			}
		},
		never: []string{"1320.50", "1000001.00"},
	}, {
		// bank-hk's inflow minus the SG-HK corridor is bank-th's payment.
		name: "an account's inflow minus a corridor",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) {
				for _, a := range []string{"10.00", "11.00", "12.00", "13.00", "14.00"} {
					l.pay("bank-sg", "bank-hk", "SGD", a)
				}
				l.pay("bank-th", "bank-hk", "SGD", "7.77")
			},
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "15.00") },
		},
		check: func(t *testing.T, _ int, s *Snapshot) {
			if f := figureOf(s, "corridor/SGD/TH-HK"); f.Value != "" {
				t.Errorf("TH-HK corridor %+v, want withheld", f)
			}
		},
		never: []string{"7.77", "999992.23"},
	}, {
		// pos(bank-hk) + pos(bank-dbs) is bank-sg's payment to bank-hk:
		// every other flow between them cancels.
		name: "positions add up to one payment",
		steps: []func(*fakeLedger, *ledgerNode){func(l *fakeLedger, _ *ledgerNode) {
			l.party("bank-hk2", "HK")
			l.fund("bank-hk2", "SGD", "1000000.00")
			l.pay("bank-sg", "bank-hk", "SGD", "5.55")
			payN(l, 3, "bank-dbs", "bank-hk", "20.00")
			payN(l, 3, "bank-sg", "bank-hk2", "30.00")
		}},
		check: func(t *testing.T, _ int, s *Snapshot) {
			if f := figureOf(s, "corridor/SGD/SG-HK"); f.Value != "155.55" {
				t.Errorf("SG-HK corridor %+v, want 155.55 (7 flows)", f)
			}
			hk, dbs := positionOf(s, "bank-hk", "SGD"), positionOf(s, "bank-dbs", "SGD")
			if hk.Value == "1000065.55" && dbs.Value == "999940.00" {
				t.Error("both positions shown: their sum is bank-sg's payment of 5.55")
			}
		},
		never: []string{"5.55", "1000005.55", "999994.45"},
	}, {
		name: "a change of one flow waits for a second",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "4321.87") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "2718.28") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "1000.00") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "500.00") },
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			want := []Figure{{Withheld: true, Pending: 1}, {Value: "7040.15"}, {Value: "7040.15", Pending: 1}, {Value: "8540.15"}}[step]
			for _, key := range []string{"corridor/SGD/SG-HK", "currency/SGD/transfers", "out/SGD/bank-sg", "in/SGD/bank-hk"} {
				f := figureOf(s, key)
				if key == "in/SGD/bank-hk" && want.Value != "" {
					want.Value = map[string]string{"7040.15": "1007040.15", "8540.15": "1008540.15"}[want.Value]
				}
				if f.Value != want.Value || f.Withheld != want.Withheld || f.Pending != want.Pending {
					t.Errorf("step %d: %s %+v, want %+v", step, key, f, want)
				}
			}
		},
		never: []string{"4321.87", "2718.28", "8040.15", "1000.00", "500.00"},
	}, {
		name: "mints, burns and the USD total",
		steps: []func(*fakeLedger, *ledgerNode){
			func(*fakeLedger, *ledgerNode) {}, // the monitor starts before the mints
			func(l *fakeLedger, _ *ledgerNode) { l.mint("bank-th", "SGD", "3141.59") },
			func(l *fakeLedger, _ *ledgerNode) { l.mint("bank-th", "SGD", "1618.03") },
			func(l *fakeLedger, _ *ledgerNode) { l.burn("issuer-sgd", "SGD", "100.00") },
			func(l *fakeLedger, _ *ledgerNode) { l.burn("issuer-sgd", "SGD", "23.00") },
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			supply := []Figure{{Value: "4000000.00"}, {Value: "4000000.00", Pending: 1}, {Value: "4004759.62"}, {Value: "4004759.62", Pending: 1}, {Value: "4004636.62"}}[step]
			usd := []Figure{{Value: "2960000.00"}, {Value: "2960000.00", Pending: 1}, {Value: "2963522.11"}, {Value: "2963522.11", Pending: 1}, {Value: "2963431.09"}}[step]
			if f := s.Totals[0].Supply; f.Value != supply.Value || f.Pending != supply.Pending {
				t.Errorf("step %d: SGD supply %+v, want %+v", step, f, supply)
			}
			if f := s.USDTotal; f.Value != usd.Value || f.Pending != usd.Pending {
				t.Errorf("step %d: USD total %+v, want %+v", step, f, usd)
			}
		},
		never: []string{"3141.59", "1003141.59", "100.00"},
	}, {
		// The audit reads the corridor before a payment and the currency
		// total after it: their difference is that payment.
		name: "a report read across two blocks",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) { payN(l, 2, "bank-sg", "bank-hk", "50.00") },
			func(l *fakeLedger, n *ledgerNode) {
				before := l.now()
				l.pay("bank-sg", "bank-hk", "SGD", "9.99")
				n.read = func(key string) int {
					if key < "currency/SGD/transfers" {
						return before
					}
					return l.now()
				}
			},
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			if f := s.Totals[0].Transfers; step == 1 && (f.Value != "100.00" || f.Pending != 1) {
				t.Errorf("SGD transfers %+v, want 100.00 with 1 pending", f)
			}
		},
		never: []string{"109.99", "9.99"},
	}, {
		name: "an epoch close the monitor saw",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) { payN(l, 2, "bank-sg", "bank-hk", "50.00") },
			func(l *fakeLedger, _ *ledgerNode) { l.close() },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "7.00") },
			func(l *fakeLedger, _ *ledgerNode) { l.pay("bank-sg", "bank-hk", "SGD", "8.00") },
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			want := []Figure{{Value: "100.00"}, {Value: "100.00"}, {Value: "100.00", Pending: 1}, {Value: "115.00"}}[step]
			if f := figureOf(s, "corridor/SGD/SG-HK"); f.Value != want.Value || f.Pending != want.Pending {
				t.Errorf("step %d: corridor %+v, want %+v", step, f, want)
			}
		},
		never: []string{"107.00"},
	}, {
		// Flows enter and are closed over before the monitor reads them:
		// it cannot know what the closed aggregates hold, so they freeze.
		name: "an epoch close the monitor did not see",
		steps: []func(*fakeLedger, *ledgerNode){
			func(l *fakeLedger, _ *ledgerNode) { payN(l, 2, "bank-sg", "bank-hk", "50.00") },
			func(l *fakeLedger, _ *ledgerNode) {
				l.pay("bank-sg", "bank-hk", "SGD", "7.00")
				l.close()
			},
			func(l *fakeLedger, _ *ledgerNode) { payN(l, 3, "bank-sg", "bank-hk", "8.00") },
		},
		check: func(t *testing.T, step int, s *Snapshot) {
			f := figureOf(s, "corridor/SGD/SG-HK")
			if f.Value != "100.00" || f.Frozen != (step > 0) {
				t.Errorf("step %d: corridor %+v, want 100.00, frozen after the unseen close", step, f)
			}
		},
		never: []string{"107.00", "131.00"},
	}}
	for _, sc := range scenes {
		t.Run(sc.name, func(t *testing.T) {
			l := newFakeLedger()
			sgdNet(l)
			srv, n := newLedgerServer(t, l)
			k := newKnowledge(l)
			for i, step := range sc.steps {
				n.read = nil
				step(l, n)
				s, raw := n.step(t, srv)
				if s.Status != "live" {
					t.Fatalf("step %d: status %q %s", i, s.Status, s.Error)
				}
				k.add(t, s)
				k.safe(t, fmt.Sprintf("step %d", i))
				for _, bad := range sc.never {
					if strings.Contains(raw, `"`+bad+`"`) {
						t.Errorf("step %d: the server sent %s", i, bad)
					}
				}
				sc.check(t, i, s)
			}
		})
	}
}

// TestStartAfterClose: a monitor started after an epoch close cannot know
// which flows the closed aggregates hold; it shows only what holds none.
func TestStartAfterClose(t *testing.T) {
	l := newFakeLedger()
	sgdNet(l)
	payN(l, 3, "bank-sg", "bank-hk", "10.00")
	l.close()
	l.pay("bank-sg", "bank-hk", "SGD", "1.00")
	srv, n := newLedgerServer(t, l)
	s, _ := n.step(t, srv)
	for _, key := range []string{"corridor/SGD/SG-HK", "in/SGD/bank-hk", "in/SGD/bank-th"} {
		if f := figureOf(s, key); !f.Withheld || !f.Frozen {
			t.Errorf("%s %+v, want withheld for good", key, f)
		}
	}
	if f := s.Totals[0].Supply; f.Value != "4000000.00" {
		t.Errorf("supply %+v: the funded aggregate holds genesis balances only", f)
	}
}

// TestDisclosureProperty: random networks, random flows (transfers, mints,
// burns) in random blocks, epoch closes the monitor saw or not, audits
// read across blocks: after every block, no rational combination of all
// the values the page showed, in that snapshot and every earlier one,
// equals a single flow.
func TestDisclosureProperty(t *testing.T) {
	seeds := 150
	if testing.Short() {
		seeds = 30
	}
	shown, total := 0, 0
	for seed := int64(1); seed <= int64(seeds); seed++ {
		r := rand.New(rand.NewSource(seed))
		l := newFakeLedger()
		countries := []string{"SG", "HK", "TH"}[:2+r.Intn(2)]
		var banks []string
		for i := range 3 + r.Intn(3) {
			id := fmt.Sprintf("bank-%d", i)
			banks = append(banks, id)
			l.party(id, countries[r.Intn(len(countries))])
			l.fund(id, "SGD", "1000000.00")
		}
		l.party("issuer-sgd", "SG")
		srv, n := newLedgerServer(t, l)
		k := newKnowledge(l)
		amount := func() string { return fmt.Sprintf("%d.%02d", r.Intn(500), 1+r.Intn(99)) }
		for step := range 12 + r.Intn(10) {
			before := l.now()
			for range r.Intn(4) {
				switch x := r.Intn(20); {
				case x == 0:
					l.burn("issuer-sgd", "SGD", amount())
				case x < 3:
					l.mint(banks[r.Intn(len(banks))], "SGD", amount())
				default:
					from, to := r.Intn(len(banks)), r.Intn(len(banks)-1)
					if to >= from {
						to++
					}
					l.pay(banks[from], banks[to], "SGD", amount())
				}
			}
			if r.Intn(12) == 0 {
				l.close() // seen if no flow entered since the last block
			}
			n.read = nil
			if r.Intn(3) == 0 { // the audit reads each aggregate at its own moment
				keys := l.keys(l.now())
				at := map[string]int{}
				when := before
				for _, key := range keys {
					when += r.Intn(l.now() - when + 1)
					at[key] = when
				}
				n.read = func(key string) int { return at[key] }
			}
			s, _ := n.step(t, srv)
			k.add(t, s)
			k.safe(t, fmt.Sprintf("seed %d, block %d", seed, step))
			for _, a := range s.Aggregates {
				total++
				if a.Value != "" && a.Pending == 0 {
					shown++
				}
			}
		}
	}
	t.Logf("%d of %d aggregate figures current when shown", shown, total)
}

package chaos

import (
	"context"
	"fmt"

	"github.com/sable-settlement/sable/ledger"
)

// Payments counts the run's payments (a bulk transfer's each), from the
// CLIs' side and from the ledger's.
type Payments struct {
	Transfers      int `json:"transfers"`       // transfer commands run
	AckedTransfers int `json:"acked_transfers"` // of those, acknowledged committed
	Launched       int `json:"launched"`        // payments in those commands
	Acked          int `json:"acked"`           // payments whose command acknowledged them committed
	Applied        int `json:"applied"`         // payments found on the ledger
	AppliedUnacked int `json:"applied_unacked"` // of those, whose command was killed or failed
	Twice          int `json:"twice"`           // payments on the ledger more than once: must be 0
	AckedMissing   int `json:"acked_missing"`   // acknowledged but not on the ledger: must be 0
	Unexplained    int `json:"unexplained"`     // on the ledger, sent by no command: must be 0
}

// payments checks exactly-once from the chain: every payment's amount is
// unique in the run, so the receivers' opened incoming entries name it.
func (ck *checker) payments(ctx context.Context) error {
	byAmount, unopened, err := ck.onLedger(ctx)
	if err != nil {
		return err
	}
	t := tally(ck.res.runs, byAmount)
	for _, c := range ck.res.runs {
		if c.Kind == "transfer" && c.Acked {
			t.wrong = append(t.wrong, ck.status(ctx, c)...)
		}
	}
	p := t.Payments
	ck.res.Payments = p
	ck.add("every acknowledged payment is on the ledger exactly once, under the id its CLI printed", len(t.missing) == 0 && len(t.wrong) == 0,
		orOK(append(t.missing, t.wrong...), fmt.Sprintf("%d acknowledged payments (%d commands), each found once", p.Acked, p.AckedTransfers)))
	ck.add("no payment is on the ledger twice", len(t.twice) == 0, orOK(t.twice, fmt.Sprintf("%d payments launched, %d on the ledger, none twice", p.Launched, p.Applied)))
	ck.add("nothing on the ledger that no CLI sent, and every memo opens to its commitment", len(t.stray) == 0 && len(unopened) == 0,
		orOK(append(t.stray, unopened...), "every incoming payment is one a command sent"))
	return nil
}

// tallied is the payments counted, and what is wrong with them.
type tallied struct {
	Payments
	twice, missing, wrong, stray []string
}

// tally matches the commands' payments with those found on the ledger,
// by amount.
func tally(runs []*cliRun, byAmount map[uint64][]found) tallied {
	var t tallied
	p := &t.Payments
	claimed := map[uint64]bool{}
	for _, c := range runs {
		if c.Kind != "transfer" {
			continue
		}
		p.Transfers++
		if c.Acked {
			p.AckedTransfers++
		}
		for j, amt := range c.Amounts {
			claimed[amt] = true
			p.Launched++
			if c.Acked {
				p.Acked++
			}
			fs := byAmount[amt]
			switch {
			case len(fs) > 1:
				p.Twice++
				t.twice = append(t.twice, fmt.Sprintf("%s → %s %s %s: %d times", c.Bank, c.To, c.Cur, ledger.FormatAmount(c.Cur, amt), len(fs)))
			case len(fs) == 0 && c.Acked:
				p.AckedMissing++
				t.missing = append(t.missing, fmt.Sprintf("%s → %s %s %s (tx %s)", c.Bank, c.To, c.Cur, ledger.FormatAmount(c.Cur, amt), c.TxID))
			case len(fs) == 1:
				p.Applied++
				if !c.Acked {
					p.AppliedUnacked++
				}
				if msg := matches(c, j, fs[0]); msg != "" {
					t.wrong = append(t.wrong, msg)
				}
			}
		}
	}
	for amt, fs := range byAmount {
		if !claimed[amt] {
			p.Unexplained += len(fs)
			t.stray = append(t.stray, fmt.Sprintf("%s from %s to %s", fs[0].in.TxID, fs[0].in.Sender, fs[0].to))
		}
	}
	return t
}

// status checks an acknowledged command's transaction on the ledger.
func (ck *checker) status(ctx context.Context, c *cliRun) []string {
	s, err := ck.c.Status(ctx, c.TxID)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("acknowledged %s: %v", c.TxID, err)}
	case s.Sender != c.Bank || s.To != c.To || s.Currency != c.Cur.String():
		return []string{fmt.Sprintf("acknowledged %s is on the ledger as %s from %s to %s in %s", c.TxID, s.Kind, s.Sender, s.To, s.Currency)}
	}
	return nil
}

// matches says how a payment found on the ledger differs from the
// command's payment j, or "".
func matches(c *cliRun, j int, f found) string {
	if f.in.Sender != c.Bank || f.to != c.To || f.in.Currency != c.Cur.String() {
		return fmt.Sprintf("payment %s: on the ledger from %s to %s in %s, sent from %s to %s in %s", f.in.TxID, f.in.Sender, f.to, f.in.Currency, c.Bank, c.To, c.Cur)
	}
	if !c.Printed {
		return ""
	}
	want := c.TxID
	if len(c.Amounts) > 1 {
		want = ledger.PaymentID(c.TxID, j)
	}
	if f.in.TxID != want.String() {
		return fmt.Sprintf("payment of %s's %s is on the ledger as %s, not under the id it printed", c.Bank, c.TxID, f.in.TxID)
	}
	return ""
}

package iso

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
)

// Payer sends payments; party.Sender is one (SenderPayer).
type Payer interface {
	// Pay sends one payment.
	Pay(ctx context.Context, in Instruction) (ledger.TxID, error)
	// PayBulk sends 2 to ledger.MaxBatchPayments payments to one bank in
	// one currency as one bulk transfer.
	PayBulk(ctx context.Context, ins []Instruction) (ledger.TxID, error)
}

// SenderPayer pays through a party's Sender, each payment to its
// beneficiary token.
type SenderPayer struct{ S *party.Sender }

// Pay sends in as a transfer.
func (p SenderPayer) Pay(ctx context.Context, in Instruction) (ledger.TxID, error) {
	return p.S.Transfer(ctx, party.TransferRequest{To: in.To, Currency: in.Currency, Amount: in.Amount, Beneficiary: in.Beneficiary})
}

// PayBulk sends ins as one bulk transfer.
func (p SenderPayer) PayBulk(ctx context.Context, ins []Instruction) (ledger.TxID, error) {
	amounts, bens := make([]uint64, len(ins)), make([][32]byte, len(ins))
	for j, in := range ins {
		amounts[j], bens[j] = in.Amount, in.Beneficiary
	}
	return p.S.BulkTransferTo(ctx, ins[0].To, ins[0].Currency, amounts, bens)
}

// batches groups a message's transactions by receiver and currency, in
// the order each pair first appears, at most ledger.MaxBatchPayments to a
// group: each group is one ledger transaction.
func batches(tx []Instruction) [][]int {
	var out [][]int
	open := map[string]int{} // "to currency" → index in out of its open group
	for i, in := range tx {
		key := in.To + " " + in.Currency.String()
		g, ok := open[key]
		if !ok || len(out[g]) == ledger.MaxBatchPayments {
			g = len(out)
			out = append(out, nil)
			open[key] = g
		}
		out[g] = append(out[g], i)
	}
	return out
}

// Submit reads a pacs.008 sent by bank me (home is its home), checks it,
// records it in the store and, if nothing in it is refused, pays each
// credit transfer. The record returned says what became of each; it is
// saved, except for a message refused because its message id is already
// recorded (the recorded one is left as it was).
func Submit(ctx context.Context, home, me string, raw []byte, pay Payer, now time.Time) (*Record, error) {
	m, err := LoadMapping(home)
	if err != nil {
		return nil, err
	}
	st, err := LoadStore(home)
	if err != nil {
		return nil, err
	}
	msg := Parse(raw, me, m)
	if _, dup := st.Messages[msg.MsgID]; dup && msg.MsgID != NoRef {
		msg.Refused = refuse(ReasonDuplicate, "message id %s was received before", msg.MsgID)
		msg.refuseWhole()
		return newRecord(msg, now), nil
	}
	checkUETRs(st, msg)
	rec := newRecord(msg, now)
	if msg.MsgID == NoRef {
		return rec, nil // nothing to key it by, and nothing paid
	}
	st.Messages[rec.MsgID] = rec
	if err := st.Save(); err != nil { // before the first payment leaves
		return nil, err
	}
	if !msg.Payable() {
		return rec, nil
	}
	return rec, payAll(ctx, st, rec, msg, pay)
}

// checkUETRs refuses a message carrying a UETR already recorded.
func checkUETRs(st *Store, msg *Message) {
	for i := range msg.Tx {
		t := &msg.Tx[i]
		if t.UETR != "" && t.Refused == nil && st.UETRSeen(t.UETR) {
			t.Refused = refuse(ReasonDuplicate, "UETR %s was received before", t.UETR)
			msg.refuseWhole()
		}
	}
}

func newRecord(msg *Message, now time.Time) *Record {
	r := &Record{MsgID: msg.MsgID, Created: msg.Created.UTC(), Received: now.UTC()}
	if msg.Refused != nil {
		r.Reason, r.Info = msg.Refused.Reason, msg.Refused.Info
	}
	for _, in := range msg.Tx {
		t := &TxRecord{InstrID: in.InstrID, EndToEndID: in.EndToEndID, TxID: in.TxID, UETR: in.UETR,
			To: in.To, Account: in.Account, Status: StatusReceived}
		if in.Currency.Known() {
			t.Currency = in.Currency.String()
		}
		if in.Refused != nil {
			t.Status, t.Reason, t.Info = StatusRejected, in.Refused.Reason, in.Refused.Info
		}
		r.Tx = append(r.Tx, t)
	}
	return r
}

// payAll pays each batch in turn and records each outcome. After a
// failure that leaves the node's state unknown it sends nothing more.
func payAll(ctx context.Context, st *Store, rec *Record, msg *Message, pay Payer) error {
	stopped := ""
	for _, b := range batches(msg.Tx) {
		if stopped != "" {
			for _, i := range b {
				t := rec.Tx[i]
				t.Status, t.Reason, t.Info = StatusRejected, ReasonNarrative, clip("not sent: "+stopped)
			}
		} else {
			stopped = payBatch(ctx, rec, msg, b, pay)
		}
		if err := st.Save(); err != nil {
			return err
		}
	}
	return nil
}

// payBatch sends one batch, a transfer or a bulk transfer, and records
// its outcome on each of its transactions.
func payBatch(ctx context.Context, rec *Record, msg *Message, b []int, pay Payer) (stop string) {
	var id ledger.TxID
	var err error
	if len(b) == 1 {
		id, err = pay.Pay(ctx, msg.Tx[b[0]])
	} else {
		ins := make([]Instruction, len(b))
		for j, i := range b {
			ins[j] = msg.Tx[i]
		}
		id, err = pay.PayBulk(ctx, ins)
	}
	for j, i := range b {
		t := rec.Tx[i]
		stop = outcome(t, id, err)
		if (err == nil || maybeSent(err)) && len(b) > 1 {
			t.Bulk, t.Payment = true, j
		}
	}
	return stop
}

// outcome records a payment's result, and says why to stop when the
// node's state is unknown.
func outcome(t *TxRecord, id ledger.TxID, err error) (stop string) {
	var rej *ledger.Rejection
	switch {
	case err == nil:
		t.Status, t.LedgerTx = StatusAccepted, id.String()
	case errors.As(err, &rej):
		t.Status, t.Reason, t.Info = StatusRejected, LedgerReason(rej.Code), clip(fmt.Sprintf("sable code %d: %s", rej.Code, rej.Msg))
	case errors.Is(err, party.ErrInsufficient):
		t.Status, t.Reason, t.Info = StatusRejected, ReasonFunds, "insufficient available balance"
	case errors.Is(err, client.ErrNotFound):
		t.Status, t.Reason, t.Info = StatusRejected, ReasonBank, clip(oneLine(err))
	case maybeSent(err):
		t.Status, t.Reason, t.Info = StatusPending, ReasonNarrative, "may have reached the node; run sable wallet sync, then sable iso status"
		var ms *party.MaybeSentError
		if errors.As(err, &ms) {
			t.LedgerTx = ms.TxID.String() // iso status follows it to its outcome
		}
		return "an earlier transaction's fate is unknown"
	default:
		t.Status, t.Reason, t.Info = StatusRejected, ReasonNarrative, clip("not sent: "+oneLine(err))
		return "an earlier transaction could not be sent"
	}
	return ""
}

// maybeSent is a broadcast whose fate is unknown: party keeps it in flight.
func maybeSent(err error) bool {
	var ms *party.MaybeSentError
	return errors.As(err, &ms)
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// clip keeps a text within Max105Text.
func clip(s string) string {
	if len(s) > 105 {
		return s[:102] + "..."
	}
	return s
}

// Tracker finds a transaction on the ledger; *client.Client is one.
type Tracker interface {
	Track(ctx context.Context, id ledger.TxID) (client.Outcome, error)
}

// Refresh asks the ledger about every transaction of rec that is sent and
// not yet final, and records what it says: committed is ACSC with its
// height, rejected in a block is RJCT with the mapped reason.
func Refresh(ctx context.Context, tr Tracker, rec *Record) error {
	for _, t := range rec.Tx {
		if t.LedgerTx == "" || (t.Status != StatusAccepted && t.Status != StatusPending) {
			continue
		}
		id, err := ledger.ParseTxID(t.LedgerTx)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrStore, err)
		}
		o, err := tr.Track(ctx, id)
		if err != nil {
			return err
		}
		switch o.State {
		case "committed":
			t.Status, t.Height, t.Reason, t.Info = StatusSettled, o.Height, "", ""
		case "rejected":
			t.Status, t.Height, t.Reason, t.Info = StatusRejected, o.Height, LedgerReason(o.Code), clip(fmt.Sprintf("sable code %d: %s", o.Code, o.Reason))
		}
	}
	return nil
}

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

// Payer sends one payment; party.Sender is one (SenderPayer).
type Payer interface {
	Pay(ctx context.Context, in Instruction) (ledger.TxID, error)
}

// SenderPayer pays through a party's Sender, one transfer per instruction
// with its beneficiary token.
type SenderPayer struct{ S *party.Sender }

// Pay sends in as a transfer.
func (p SenderPayer) Pay(ctx context.Context, in Instruction) (ledger.TxID, error) {
	return p.S.Transfer(ctx, party.TransferRequest{To: in.To, Currency: in.Currency, Amount: in.Amount, Beneficiary: in.Beneficiary})
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

// payAll pays each instruction in turn and records each outcome. After a
// failure that leaves the node's state unknown it sends nothing more.
func payAll(ctx context.Context, st *Store, rec *Record, msg *Message, pay Payer) error {
	stopped := ""
	for i, in := range msg.Tx {
		t := rec.Tx[i]
		if stopped != "" {
			t.Status, t.Reason, t.Info = StatusRejected, ReasonNarrative, clip("not sent: "+stopped)
		} else {
			id, err := pay.Pay(ctx, in)
			stopped = outcome(t, id, err)
		}
		if err := st.Save(); err != nil {
			return err
		}
	}
	return nil
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
		return "an earlier transaction's fate is unknown"
	default:
		t.Status, t.Reason, t.Info = StatusRejected, ReasonNarrative, clip("not sent: "+oneLine(err))
		return "an earlier transaction could not be sent"
	}
	return ""
}

// maybeSent is a broadcast whose fate is unknown: party keeps it in flight
// and says so (its error type is unexported; its wording is the contract).
func maybeSent(err error) bool { return strings.Contains(err.Error(), "may have reached the node") }

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

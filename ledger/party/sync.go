package party

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/zkp"
)

// SyncReport says what a sync found.
type SyncReport struct {
	Committed int      // own transactions folded into the balance
	Dropped   []string // own transactions the ledger will not commit, with why
	Received  int      // new payments whose memo opened and matched
	Bad       []string // payments whose memo did not open or did not match
}

// Sync brings the wallet up to the ledger: it folds committed own
// transactions into the balance, drops rejected ones, opens new incoming
// memos (checking each opening against the on-ledger commitment), and then
// checks every account's available balance against its opening.
func (w *Wallet) Sync(ctx context.Context, c *client.Client) (SyncReport, error) {
	var rep SyncReport
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = w.settleInflight(ctx, c, &rep); err != nil {
			return rep, err
		}
		if err = w.SettleFills(ctx, c); err != nil { // a provider's swaps (fx.go)
			return rep, err
		}
		if err = w.scanIncoming(ctx, c, &rep); err != nil {
			return rep, err
		}
		if err = w.Check(ctx, c); err == nil {
			return rep, nil
		}
		time.Sleep(200 * time.Millisecond) // a block may have landed between queries
	}
	return rep, err
}

func (w *Wallet) settleInflight(ctx context.Context, c *client.Client, rep *SyncReport) error {
	return w.reconcile(ctx, c, rep, true)
}

// reconcile settles the wallet's in-flight transactions with the node, in
// nonce order, so that the next transaction's nonce follows ones the node
// holds:
//
//   - committed: folded into the balance;
//   - rejected in a block, or its nonce used on the ledger by another
//     transaction: dropped;
//   - neither, and a transaction before it was dropped: dropped too (its
//     nonce would gap, and its proof counts on the dropped one's debit);
//   - otherwise its signed bytes are sent again (the same transaction: it
//     commits at most once). Accepted, or already held by the node: kept
//     in flight. Rejected: dropped, with every later one. A transport
//     failure: an ErrUnreachable error, and nothing is dropped.
//
// Without all, a transaction a node has already accepted is taken to be in
// its mempool and not asked about; should a later one meet a nonce gap (a
// restarted node has lost its mempool), the pass runs again with all.
// Only a rejection, a nonce provably used, or a record from before records
// kept the transaction's bytes (after inflightGrace, when the node's
// mempool does not hold it) ever drops a transaction.
func (w *Wallet) reconcile(ctx context.Context, c *client.Client, rep *SyncReport, all bool) error {
	fs, err := w.inflights()
	if err != nil || len(fs) == 0 {
		return err
	}
	// The nonce is read before any status: a transaction that commits in
	// between shows as committed, never as a nonce used by another.
	me, err := c.Party(ctx, w.id.Config.ID)
	if err != nil {
		return err
	}
	broken := ""         // a dropped transaction that later ones depend on
	unconfirmed := false // a transaction before this one is kept without the node having confirmed it holds it
	for _, f := range fs {
		pending := f.Nonce >= me.Nonce
		if pending && broken != "" {
			if err := w.drop(f, rep, fmt.Sprintf("its nonce %d follows %s, which will not commit", f.Nonce, broken)); err != nil {
				return err
			}
			continue
		}
		if pending && !all && (f.Sent || f.Raw == nil) {
			unconfirmed = true
			continue
		}
		o, err := c.Settled(ctx, f.TxID)
		if err != nil {
			return err
		}
		reason := ""
		switch {
		case o.State == "committed":
			if err := w.fold(f); err != nil {
				return fmt.Errorf("%w; %s %s (nonce %d) committed on the ledger and stays in flight in the wallet until a sync folds it in", err, f.Kind, f.TxID, f.Nonce)
			}
			rep.Committed++
			continue
		case o.State == "rejected":
			reason = fmt.Sprintf("rejected at height %d, code %d: %s", o.Height, o.Code, o.Reason)
		case !pending:
			reason = fmt.Sprintf("nonce %d was used by another transaction", f.Nonce)
		case f.Raw == nil: // a version 0 record: it cannot be sent again
			if time.Since(time.Unix(f.Created, 0)) > inflightGrace && !c.InMempool(ctx, f.TxID) {
				reason = fmt.Sprintf("not on the ledger nor in the node's mempool %s after it was sent", inflightGrace)
			} else {
				unconfirmed = true
			}
		default:
			err := c.BroadcastRaw(ctx, f.Raw)
			var rej *ledger.Rejection
			switch {
			case err == nil || errors.As(err, &rej) && rej.Code == ledger.CodeDuplicateTx:
				// held by the node, or committed since the status was read
				if !f.Sent {
					f.Sent = true
					if err := w.putInflight(f); err != nil {
						return err // its record stays, not marked sent: the next command sends it again, harmlessly
					}
				}
			case rej != nil && rej.Code == ledger.CodeInternal:
				return fmt.Errorf("ledger: the node failed to check %s %s (nonce %d), still in flight: %w", f.Kind, f.TxID, f.Nonce, err)
			case rej != nil && rej.Code == ledger.CodeBadNonce && unconfirmed:
				if !all {
					return w.reconcile(ctx, c, rep, true) // an earlier one may be lost: ask about them all
				}
				// an earlier transaction is neither confirmed nor dropped:
				// this one may still follow it
			case rej != nil:
				reason = fmt.Sprintf("sent again, refused: %v", rej)
			default:
				return fmt.Errorf("%w; %s %s (nonce %d) could not be sent again and stays in flight", err, f.Kind, f.TxID, f.Nonce)
			}
		}
		if reason != "" {
			if err := w.drop(f, rep, reason); err != nil {
				return err
			}
			if pending {
				broken = fmt.Sprintf("%s %s", f.Kind, f.TxID)
			}
		}
	}
	return nil
}

// drop forgets an in-flight transaction that will not commit: its debit
// no longer counts against the projected balance.
func (w *Wallet) drop(f *inflight, rep *SyncReport, reason string) error {
	rep.Dropped = append(rep.Dropped, fmt.Sprintf("%s %s: %s", f.Kind, f.TxID, reason))
	return w.write(func(b *pebble.Batch) error { return b.Delete(inflightKey(f.Nonce), nil) })
}

// inflightAt returns the in-flight record of nonce n, or nil.
func (w *Wallet) inflightAt(n uint64) (*inflight, error) {
	raw, err := w.get(inflightKey(n))
	if err != nil || raw == nil {
		return nil, err
	}
	return decodeInflight(raw)
}

// forget deletes f's in-flight record, if it is still f's.
func (w *Wallet) forget(f *inflight) error {
	g, err := w.inflightAt(f.Nonce)
	if err != nil || g == nil || g.TxID != f.TxID {
		return err
	}
	return w.write(func(b *pebble.Batch) error { return b.Delete(inflightKey(f.Nonce), nil) })
}

// putInflight writes an in-flight record.
func (w *Wallet) putInflight(f *inflight) error {
	return w.write(func(b *pebble.Batch) error { return b.Set(inflightKey(f.Nonce), f.encode(), nil) })
}

// fold applies a committed own transaction to the base opening.
func (w *Wallet) fold(f *inflight) error {
	base, err := w.Base(f.Currency)
	if err != nil {
		return err
	}
	if base, err = f.moveAccount(base); err != nil {
		return err
	}
	more := make([]ledger.Opening, len(f.More))
	for i, m := range f.More {
		if more[i], err = w.Base(m.Currency); err != nil {
			return err
		}
		if more[i], err = more[i].Minus(m.Debit); err != nil {
			return err
		}
	}
	return w.write(func(b *pebble.Batch) error {
		wr := &codec.Writer{}
		encodeOpening(wr, base)
		if err := b.Set(baseKey(f.Currency), wr.B, nil); err != nil {
			return err
		}
		for i, m := range f.More {
			wr := &codec.Writer{}
			encodeOpening(wr, more[i])
			if err := b.Set(baseKey(m.Currency), wr.B, nil); err != nil {
				return err
			}
		}
		if err := w.foldSupply(b, f); err != nil {
			return err
		}
		for _, id := range f.Applies {
			if err := b.Delete(receivedKey(f.Currency, id), nil); err != nil {
				return err
			}
		}
		return b.Delete(inflightKey(f.Nonce), nil)
	})
}

// inflightGrace is how long an own transaction that no node knows of is
// kept: it may sit in another validator's mempool meanwhile.
const inflightGrace = 2 * time.Minute

var keyScan = []byte("m/scan")

func (w *Wallet) scanIncoming(ctx context.Context, c *client.Client, rep *SyncReport) error {
	from := int64(0)
	if raw, err := w.get(keyScan); err != nil {
		return err
	} else if raw != nil {
		from = int64(binary.BigEndian.Uint64(raw))
	}
	from, err := c.EachIncoming(ctx, w.id.Config.ID, from, func(in ledger.IncomingInfo) (bool, error) {
		if done, err := w.get(scannedKey(in.TxID)); err != nil || done != nil {
			return false, err
		}
		return true, w.Accept(in, rep)
	})
	if err != nil {
		return err
	}
	return w.write(func(b *pebble.Batch) error {
		return b.Set(keyScan, binary.BigEndian.AppendUint64(nil, uint64(from)), nil)
	})
}

// OpenIncoming opens the memo of a payment into id, in currency cur, and
// checks it against the payment's amount commitment. bad says why the
// payment is not id's to hold: "" when the memo opened to the amount.
func OpenIncoming(id *Identity, in ledger.IncomingInfo, cur ledger.Currency, amount zkp.Commitment) (o ledger.Opening, bad string) {
	aad := ledger.MemoAAD(id.Config.ChainID, in.Sender, id.Config.ID, cur, in.Nonce)
	if in.Kind == ledger.KindBatchTransfer.String() {
		aad = ledger.BulkMemoAAD(id.Config.ChainID, in.Sender, id.Config.ID, cur, in.Nonce, int(in.Payment))
	}
	o, err := ledger.OpenMemo(id.MemoKey, in.Memo, aad)
	switch {
	case err != nil:
		return o, "memo does not open"
	case !o.Commitment().Equal(amount):
		return o, "memo's opening does not match the amount commitment"
	}
	return o, ""
}

func scannedKey(txid string) []byte { return []byte("s/" + txid) }

// Accept opens one incoming memo and, if it matches the commitment, books
// the payment into pending.
func (w *Wallet) Accept(in ledger.IncomingInfo, rep *SyncReport) error {
	cur, err := ledger.ParseCurrency(in.Currency)
	if err != nil {
		return err
	}
	id, err := ledger.ParseTxID(in.TxID)
	if err != nil {
		return err
	}
	op, bad := OpenIncoming(w.id, in, cur, mustCommitment(in.Amount))
	return w.write(func(b *pebble.Batch) error {
		if err := b.Set(scannedKey(in.TxID), []byte{1}, nil); err != nil {
			return err
		}
		if bad != "" {
			rep.Bad = append(rep.Bad, fmt.Sprintf("%s from %s: %s", in.TxID, in.Sender, bad))
			return nil
		}
		rep.Received++
		p := &received{TxID: id, Currency: cur, Opening: op, Height: in.Height}
		return b.Set(receivedKey(cur, id), p.encode(), nil)
	})
}

func mustCommitment(s string) zkp.Commitment {
	c, err := zkp.ParseCommitment(s)
	if err != nil {
		return zkp.Commitment{}
	}
	return c
}

// Check compares every account's committed available balance with the
// wallet's opening of it.
func (w *Wallet) Check(ctx context.Context, c *client.Client) error {
	curs, err := w.Accounts(ctx, c)
	if err != nil {
		return err
	}
	fs, err := w.inflights()
	if err != nil {
		return err
	}
	for _, cur := range curs {
		a, err := c.Account(ctx, w.id.Config.ID, cur)
		if err != nil {
			return err
		}
		base, err := w.Base(cur)
		if err != nil {
			return err
		}
		if base.Commitment().String() != a.Available {
			if len(fs) > 0 {
				return fmt.Errorf("%w: %s available differs while %d transactions are in flight; sync again", ErrWalletSync, cur, len(fs))
			}
			return fmt.Errorf("%w: %s available balance on the ledger is not the wallet's", ErrWalletSync, cur)
		}
	}
	return nil
}

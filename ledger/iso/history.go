package iso

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/party"
	"github.com/sable-settlement/sable/zkp"
)

// Entry is one movement of a bank's account in one currency, read back
// from the ledger: an own payment out (its self-memo opened) or a payment
// in (its memo opened), each checked against its amount commitment.
type Entry struct {
	Height       int64
	TxID         ledger.TxID // the transaction
	Payment      ledger.TxID // the payment: TxID, or PaymentID(TxID, j) of a bulk transfer's payment j
	Index        int         // j
	Credit       bool
	Amount       uint64
	Counterparty string // the other bank (or issuer)
}

// Signed is the entry's effect on the book balance.
func (e Entry) Signed() *big.Int {
	v := new(big.Int).SetUint64(e.Amount)
	if !e.Credit {
		v.Neg(v)
	}
	return v
}

// History reads every committed movement of id's account in cur from the
// node, oldest first. A payment in whose memo does not open, or opens to
// another amount, is left out, as the wallet leaves it out.
func History(ctx context.Context, c *client.Client, id *party.Identity, cur ledger.Currency) ([]Entry, error) {
	out, err := ownEntries(ctx, c, id, cur)
	if err != nil {
		return nil, err
	}
	in, err := incomingEntries(ctx, c, id, cur)
	if err != nil {
		return nil, err
	}
	out = append(out, in...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Height != out[j].Height {
			return out[i].Height < out[j].Height
		}
		return out[i].Payment.String() < out[j].Payment.String()
	})
	return out, nil
}

func ownEntries(ctx context.Context, c *client.Client, id *party.Identity, cur ledger.Currency) ([]Entry, error) {
	var out []Entry
	err := c.EachSentBlock(ctx, id.Config.ID, func(block []client.SentTx) error {
		for _, st := range block {
			es, err := debits(id, st, cur)
			if err != nil {
				return err
			}
			out = append(out, es...)
		}
		return nil
	})
	return out, err
}

// debits are the payments out of one own committed transaction.
func debits(id *party.Identity, st client.SentTx, cur ledger.Currency) ([]Entry, error) {
	if st.Code != ledger.CodeOK {
		return nil, nil
	}
	tx, err := ledger.DecodeTx(st.Raw)
	if err != nil {
		return nil, fmt.Errorf("iso: own transaction at height %d does not decode: %w", st.Height, err)
	}
	txid := tx.ID()
	one := func(j int, to string, memo []byte, amount zkp.Commitment) (Entry, error) {
		o, err := party.OpenSelfMemo(id, cur, tx.Nonce, j, memo, amount)
		if err != nil {
			return Entry{}, fmt.Errorf("iso: own transaction %s payment %d: %w", txid, j, err)
		}
		e := Entry{Height: st.Height, TxID: txid, Payment: txid, Index: j, Amount: o.Value, Counterparty: to}
		if tx.Kind == ledger.KindBatchTransfer {
			e.Payment = ledger.PaymentID(txid, j)
		}
		return e, nil
	}
	var out []Entry
	switch b := tx.Body.(type) {
	case *ledger.Transfer:
		if b.Currency == cur {
			e, err := one(0, b.To, b.SelfMemo, b.Amount)
			return append(out, e), err
		}
	case *ledger.BatchTransfer:
		for j := range b.Payments {
			if b.Payments[j].Currency != cur {
				continue
			}
			e, err := one(j, b.Payments[j].To, b.Payments[j].SelfMemo, b.Payments[j].Amount)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	}
	return out, nil
}

func incomingEntries(ctx context.Context, c *client.Client, id *party.Identity, cur ledger.Currency) ([]Entry, error) {
	seen := map[string]bool{}
	var out []Entry
	_, err := c.EachIncoming(ctx, id.Config.ID, 0, func(in ledger.IncomingInfo) (bool, error) {
		if seen[in.TxID] {
			return false, nil
		}
		seen[in.TxID] = true
		if e, ok := credit(id, in, cur); ok {
			out = append(out, e)
		}
		return true, nil
	})
	return out, err
}

// credit opens one incoming payment's memo; ok is false for another
// currency or a memo that does not open to the amount.
func credit(id *party.Identity, in ledger.IncomingInfo, cur ledger.Currency) (Entry, bool) {
	if in.Currency != cur.String() {
		return Entry{}, false
	}
	pid, err := ledger.ParseTxID(in.TxID)
	if err != nil {
		return Entry{}, false
	}
	amount, err := zkp.ParseCommitment(in.Amount)
	if err != nil {
		return Entry{}, false
	}
	o, bad := party.OpenIncoming(id, in, cur, amount)
	if bad != "" {
		return Entry{}, false
	}
	return Entry{Height: in.Height, TxID: pid, Payment: pid, Index: int(in.Payment), Credit: true, Amount: o.Value, Counterparty: in.Sender}, true
}

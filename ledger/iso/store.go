package iso

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sable-settlement/sable/internal/atomicfile"
	"github.com/sable-settlement/sable/ledger"
)

// Transaction statuses (ExternalPaymentTransactionStatus1Code).
const (
	StatusReceived = "RCVD" // recorded, not yet sent
	StatusAccepted = "ACSP" // sent and accepted by the node; settlement in process
	StatusSettled  = "ACSC" // committed in a block
	StatusPending  = "PDNG" // the node did not answer: it may or may not hold the payment
	StatusRejected = "RJCT"
)

// Record is one received pacs.008 and what became of it. It holds no
// amount.
type Record struct {
	MsgID    string      `json:"msg_id"`
	Created  time.Time   `json:"created"`  // the message's CreDtTm
	Received time.Time   `json:"received"` // when Sable read it
	Reason   string      `json:"reason,omitempty"`
	Info     string      `json:"info,omitempty"`
	Tx       []*TxRecord `json:"transactions"`
}

// TxRecord is one credit transfer's identifiers and status.
type TxRecord struct {
	InstrID    string `json:"instr_id,omitempty"`
	EndToEndID string `json:"end_to_end_id"`
	TxID       string `json:"tx_id,omitempty"`
	UETR       string `json:"uetr,omitempty"`
	To         string `json:"to,omitempty"`
	Currency   string `json:"currency,omitempty"`
	Account    string `json:"account,omitempty"`
	LedgerTx   string `json:"txid,omitempty"` // the Sable transaction
	Bulk       bool   `json:"bulk,omitempty"` // LedgerTx is a bulk transfer, this its payment Payment
	Payment    int    `json:"payment,omitempty"`
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	Info       string `json:"info,omitempty"`
	Height     int64  `json:"height,omitempty"`
}

// PaymentRef is the Sable payment id: the transaction's id, or a bulk
// transfer's ledger.PaymentID; "" when nothing was sent.
func (t *TxRecord) PaymentRef() string {
	if t.LedgerTx == "" || !t.Bulk {
		return t.LedgerTx
	}
	id, err := ledger.ParseTxID(t.LedgerTx)
	if err != nil {
		return ""
	}
	return ledger.PaymentID(id, t.Payment).String()
}

// Refused reports whether the whole message was refused.
func (r *Record) Refused() bool { return r.Reason != "" }

// Store is the bank's message store, iso20022/store.json. It is read
// whole and written whole (temp file and rename, mode 0600) after every
// change. Commands that change it hold the bank's wallet lock, so two
// never write it at once.
type Store struct {
	path     string
	Messages map[string]*Record `json:"messages"`
	Notified map[string]bool    `json:"notified,omitempty"` // incoming payment ids already sent as camt.054
}

// ErrStore is a store that cannot be read.
var ErrStore = errors.New("iso: bad message store")

// LoadStore reads home's store; a missing one is empty.
func LoadStore(home string) (*Store, error) {
	s := &Store{path: filepath.Join(Dir(home), "store.json"), Messages: map[string]*Record{}, Notified: map[string]bool{}}
	raw, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iso: %w", err)
	}
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrStore, s.path, err)
	}
	if s.Messages == nil {
		s.Messages = map[string]*Record{}
	}
	if s.Notified == nil {
		s.Notified = map[string]bool{}
	}
	return s, nil
}

// Save writes the store atomically.
func (s *Store) Save() error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("iso: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("iso: %w", err)
	}
	return atomicfile.Write(s.path, append(raw, '\n'), 0o600)
}

// UETRSeen reports whether a recorded message carries uetr.
func (s *Store) UETRSeen(uetr string) bool {
	for _, r := range s.Messages {
		for _, t := range r.Tx {
			if t.UETR == uetr {
				return true
			}
		}
	}
	return false
}

// Find returns the records and transaction indexes that match: by UETR,
// by Sable transaction or payment id, or every transaction of a message id. An empty
// query matches everything. Records come in received order.
func (s *Store) Find(uetr, txid, msgID string) []Match {
	var out []Match
	for _, r := range s.sorted() {
		if msgID != "" && r.MsgID != msgID {
			continue
		}
		var idx []int
		for i, t := range r.Tx {
			if (uetr == "" || t.UETR == uetr) && (txid == "" || t.LedgerTx == txid || t.PaymentRef() == txid) {
				idx = append(idx, i)
			}
		}
		if len(idx) > 0 || (uetr == "" && txid == "") {
			out = append(out, Match{Record: r, Tx: idx})
		}
	}
	return out
}

// Match is a record and the indexes of its matching transactions.
type Match struct {
	Record *Record
	Tx     []int
}

func (s *Store) sorted() []*Record {
	out := make([]*Record, 0, len(s.Messages))
	for _, r := range s.Messages {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Received.Equal(out[j].Received) {
			return out[i].Received.Before(out[j].Received)
		}
		return out[i].MsgID < out[j].MsgID
	})
	return out
}

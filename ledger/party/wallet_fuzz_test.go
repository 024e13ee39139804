package party

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/internal/codec"
)

// FuzzWalletRecords: the decoders of the wallet's records (in-flight
// transactions, received payments, the openings of balances) never panic
// on a damaged record, and accept only what their encoder writes: decode
// then encode gives back the input.
func FuzzWalletRecords(f *testing.F) {
	usd, _ := ledger.ParseCurrency("USD")
	o := ledger.Opening{Value: 1_000_000, Blinding: new(big.Int).Lsh(big.NewInt(0xabcdef), 200)}
	fl := &inflight{Nonce: 7, TxID: ledger.TxID{1, 2, 3}, Kind: ledger.KindTransfer, Currency: usd,
		Debit: o, Credit: ledger.ZeroOpening(), Created: 1_700_000_000}
	ap := &inflight{Nonce: 8, TxID: ledger.TxID{4}, Kind: ledger.KindApplyPending, Currency: usd,
		Debit: ledger.ZeroOpening(), Credit: o, Applies: []ledger.TxID{{5}, {6}}, Created: -1}
	rc := &received{TxID: ledger.TxID{9}, Currency: usd, Opening: o, Height: 42}
	wr := &codec.Writer{}
	encodeOpening(wr, o)
	f.Add(fl.encode())
	f.Add(ap.encode())
	f.Add(rc.encode())
	f.Add(wr.B)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if fl, err := decodeInflight(raw); err == nil {
			if out := fl.encode(); !bytes.Equal(out, raw) {
				t.Fatalf("in-flight record %x re-encodes as %x", raw, out)
			}
		}
		if rc, err := decodeReceived(raw); err == nil {
			if out := rc.encode(); !bytes.Equal(out, raw) {
				t.Fatalf("received record %x re-encodes as %x", raw, out)
			}
		}
		// an opening record, as Wallet.Base reads it
		r := codec.NewReader(raw)
		o := decodeOpening(r)
		if corrupt("wallet opening", r.Done()) == nil {
			w := &codec.Writer{}
			encodeOpening(w, o)
			if !bytes.Equal(w.B, raw) {
				t.Fatalf("opening record %x re-encodes as %x", raw, w.B)
			}
		}
	})
}

package party

import (
	"math/big"

	"github.com/sable-settlement/sable/ledger"
)

// SealSelfMemosWith makes the package's senders seal their self-memos with
// seal until the returned function restores the real one.
func SealSelfMemosWith(seal func(to [32]byte, o ledger.Opening, aad []byte) ([]byte, error)) (restore func()) {
	saved := sealSelf
	sealSelf = seal
	return func() { sealSelf = saved }
}

// Band returns the wallet's opening of a quote's band.
func (w *Wallet) Band(id ledger.TxID) (ledger.Opening, error) { return w.band(id) }

// PutFill records a fill of quote by payer at nonce, as FillSwap does
// once it has signed one.
func (w *Wallet) PutFill(tx, quote ledger.TxID, cur ledger.Currency, amount uint64, payer string, nonce uint64) error {
	return w.putFill(&fill{TxID: tx, Quote: quote, Currency: cur, Amount: ledger.Opening{Value: amount, Blinding: big.NewInt(1)}, Payer: payer, Nonce: nonce})
}

// HasFill reports whether the wallet still holds a fill.
func (w *Wallet) HasFill(tx ledger.TxID) (bool, error) {
	fs, err := w.fills()
	for _, f := range fs {
		if f.TxID == tx {
			return true, err
		}
	}
	return false, err
}

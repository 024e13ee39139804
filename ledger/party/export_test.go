package party

import "github.com/sable-settlement/sable/ledger"

// SealSelfMemosWith makes the package's senders seal their self-memos with
// seal until the returned function restores the real one.
func SealSelfMemosWith(seal func(to [32]byte, o ledger.Opening, aad []byte) ([]byte, error)) (restore func()) {
	saved := sealSelf
	sealSelf = seal
	return func() { sealSelf = saved }
}

// Band returns the wallet's opening of a quote's band.
func (w *Wallet) Band(id ledger.TxID) (ledger.Opening, error) { return w.band(id) }

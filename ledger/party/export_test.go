package party

import (
	"math/big"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/vfs"
	"github.com/cockroachdb/pebble/vfs/errorfs"

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

// WalletDiskFull puts under the wallets opened from now on, until restore,
// a filesystem on which every write under dir fails with ENOSPC while full
// is set: a full disk.
func WalletDiskFull(dir string) (full *atomic.Bool, restore func()) {
	full = new(atomic.Bool)
	saved := walletFS
	walletFS = errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op, path string) error {
		switch op {
		case errorfs.OpCreate, errorfs.OpLink, errorfs.OpReuseForRewrite, errorfs.OpMkdirAll, errorfs.OpFileWrite,
			errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileFlush, errorfs.OpFilePreallocate:
			if full.Load() && strings.HasPrefix(path, dir) {
				return syscall.ENOSPC
			}
		}
		return nil
	}))
	return full, func() { walletFS = saved }
}

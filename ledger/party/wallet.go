package party

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/sable-settlement/sable/ledger"
	"github.com/sable-settlement/sable/ledger/client"
	"github.com/sable-settlement/sable/ledger/internal/codec"
	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
)

// Wallet is a party's private book: the openings of its commitments. It is
// its own Pebble database under the party's home, written with Sync.
//
//	o/<CUR>            opening of the account's committed available balance
//	f/<nonce>          an own transaction in flight, its effect on available and its signed bytes
//	p/<CUR>/<txid>     a received payment whose memo opened and checked out
//	s/<txid>           an incoming payment already scanned
//	m/scan             the height the next scan starts at
//	u/<CUR>            an issuer's opening of the currency's committed supply (supply.go)
type Wallet struct {
	id   *Identity
	db   *pebble.DB
	lock *pebble.Lock // held from before the open until Close

	// failed is the first write that failed (a full disk, an I/O error).
	// From then on the wallet refuses every read and write until it is
	// reopened: Pebble keeps a failed batch in its memtable, readable
	// though not on disk, and panics on the next write after a failed WAL
	// write (pebble v1.1.5 commitWrite), with its commit pipeline locked.
	failed error
}

// ErrWalletSync reports a wallet whose openings do not match the ledger.
var ErrWalletSync = errors.New("ledger: wallet does not match the ledger")

// What is wrong with a wallet that cannot be opened or created: a
// [WalletError] is one of these (errors.Is).
var (
	ErrWalletLocked     = errors.New("locked by another sable command")
	ErrWalletMissing    = errors.New("missing")
	ErrWalletCorrupt    = errors.New("corrupt")
	ErrWalletUnreadable = errors.New("unreadable")
	ErrWalletExists     = errors.New("already there")
	ErrWalletDiskFull   = errors.New("on a full disk")
)

// ErrWalletWrite marks a wallet write that failed (errors.Is); the cause,
// such as syscall.ENOSPC, is wrapped too.
var ErrWalletWrite = errors.New("ledger: wallet write failed")

// WalletError says why a party's wallet cannot be opened (or created), the
// file at fault, and what to run. Its message is one line. Opening never
// changes a wallet that fails to open: its files are left as they were.
type WalletError struct {
	Kind   error  // ErrWalletLocked, ErrWalletMissing, ErrWalletCorrupt, ErrWalletUnreadable, ErrWalletExists or ErrWalletDiskFull
	Dir    string // the wallet directory
	Detail string // what was found, naming the file
	Fix    string // what to do
}

func (e *WalletError) Error() string {
	return fmt.Sprintf("ledger: wallet %s is %v: %s; %s", e.Dir, e.Kind, e.Detail, e.Fix)
}

// Is makes errors.Is(err, ErrWalletCorrupt) and the like work.
func (e *WalletError) Is(target error) bool { return target == e.Kind }

// WalletDir is the wallet's directory in a party's home.
func WalletDir(home string) string { return filepath.Join(home, walletDirName) }

const (
	walletDirName = "wallet"
	lockFile      = "LOCK" // Pebble's lock file
)

// walletFS is the filesystem under every wallet's Pebble; tests put one
// that fails writes (a full disk) here.
var walletFS = vfs.Default

func walletOptions() *pebble.Options {
	// Pebble calls every failed commit fatal (pebble v1.1.5
	// DB.applyInternal), a full disk included: QuietLogger's panic, which
	// Wallet.commit turns back into the error.
	return &pebble.Options{Logger: pebblekv.QuietLogger{}, FS: walletFS}
}

// restoreFix is the recovery for a wallet that is gone or damaged: a
// backup, or a rebuild from the ledger and the party's keys (Recover).
func restoreFix(dir string, damaged bool) string {
	rec := fmt.Sprintf("sable wallet recover --home %s", filepath.Dir(dir))
	if damaged {
		return fmt.Sprintf("its files are left as they are; keep them, move them aside and restore the wallet from a backup or rebuild it from the ledger: mv %s %s.damaged && cp -a BACKUP/%s %s (or: %s)",
			dir, dir, walletDirName, dir, rec)
	}
	return fmt.Sprintf("sable never recreates a wallet silently; restore it from a backup: cp -a BACKUP/%s %s, or rebuild it from the ledger: %s",
		walletDirName, dir, rec)
}

// OpenWallet opens the existing wallet in the party's home. It never
// creates one (CreateWallet does, once, when the home is written) and never
// lets Pebble start a fresh database over a damaged one: before Pebble sees
// the directory it takes the wallet's lock and checks that CURRENT names a
// MANIFEST that reads to its end. Every failure is a *WalletError.
func OpenWallet(id *Identity) (*Wallet, error) {
	dir := WalletDir(id.Home)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, &WalletError{Kind: ErrWalletMissing, Dir: dir, Detail: "no such directory", Fix: restoreFix(dir, false)}
	case err != nil:
		return nil, unreadable(dir, err)
	case !st.IsDir():
		return nil, &WalletError{Kind: ErrWalletCorrupt, Dir: dir, Detail: "not a directory", Fix: restoreFix(dir, true)}
	}
	if _, err := os.Stat(filepath.Join(dir, lockFile)); errors.Is(err, os.ErrNotExist) {
		// No Pebble has the directory open (it keeps LOCK from its first
		// open on): check it before taking the lock creates LOCK.
		if err := checkWalletFiles(dir); err != nil {
			return nil, err
		}
	}
	lock, err := lockWallet(dir)
	if err != nil {
		return nil, err
	}
	if err := checkWalletFiles(dir); err != nil {
		lock.Close()
		return nil, err
	}
	opts := walletOptions()
	opts.ErrorIfNotExists = true
	opts.Lock = lock
	db, err := pebblekv.Open(dir, opts)
	if err != nil {
		lock.Close()
		if errors.Is(err, os.ErrPermission) {
			return nil, unreadable(dir, err)
		}
		if pebblekv.DiskFull(err) { // opening writes: a new log, a new manifest
			return nil, &WalletError{Kind: ErrWalletDiskFull, Dir: dir, Detail: pebblekv.OneLine(err),
				Fix: "its files are left as they are; free space on its disk and run the command again"}
		}
		return nil, &WalletError{Kind: ErrWalletCorrupt, Dir: dir, Detail: pebblekv.OneLine(err), Fix: restoreFix(dir, true)}
	}
	return &Wallet{id: id, db: db, lock: lock}, nil
}

// CreateWallet creates the empty wallet of a party whose home has just
// been written ('sable testnet', identity creation). It refuses when
// anything is already at the wallet's path.
func CreateWallet(id *Identity) (*Wallet, error) {
	dir := WalletDir(id.Home)
	if err := os.Mkdir(dir, 0o700); err != nil { // fails if anything is there: never over an existing wallet
		if errors.Is(err, os.ErrExist) {
			return nil, &WalletError{Kind: ErrWalletExists, Dir: dir, Detail: "refusing to create a fresh wallet over " + dir,
				Fix: "open it instead; a wallet is created once, when the party's home is written"}
		}
		return nil, fmt.Errorf("ledger: create wallet: %w", err)
	}
	return createWalletAt(id, dir)
}

// createWalletAt creates an empty wallet database in the empty directory
// dir (the wallet's own, or one Recover renames into place).
func createWalletAt(id *Identity, dir string) (*Wallet, error) {
	lock, err := lockWallet(dir)
	if err != nil {
		return nil, err
	}
	opts := walletOptions()
	opts.ErrorIfExists = true
	opts.Lock = lock
	db, err := pebblekv.Open(dir, opts)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("ledger: create wallet %s: %s", dir, pebblekv.OneLine(err))
	}
	return &Wallet{id: id, db: db, lock: lock}, nil
}

// lockWallet takes the wallet's LOCK, as Pebble would, so that the checks
// before the open see no other writer.
func lockWallet(dir string) (*pebble.Lock, error) {
	lock, err := pebble.LockDirectory(dir, walletFS)
	if err == nil {
		return lock, nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) { // the LOCK file itself could not be opened
		return nil, unreadable(dir, err)
	}
	return nil, &WalletError{Kind: ErrWalletLocked, Dir: dir, Detail: fmt.Sprintf("%s is held (%v)", lockFile, err),
		Fix: "wait for the other command (sable wallet sync, transfer, a demo…) to finish, or stop it, then run this one again"}
}

func unreadable(dir string, err error) error {
	return &WalletError{Kind: ErrWalletUnreadable, Dir: dir, Detail: pebblekv.OneLine(err),
		Fix: "check the ownership and mode of the party's home and run the command again as its owner"}
}

// checkWalletFiles refuses a wallet whose files Pebble would misread (see
// pebblekv.Damage).
func checkWalletFiles(dir string) error {
	problem, err := pebblekv.Damage(dir)
	if err != nil {
		return unreadable(dir, err)
	}
	if problem != "" {
		return &WalletError{Kind: ErrWalletCorrupt, Dir: dir, Detail: problem, Fix: restoreFix(dir, true)}
	}
	return nil
}

// Close closes the wallet and releases its lock.
func (w *Wallet) Close() error {
	err := w.db.Close()
	if w.lock != nil {
		if lerr := w.lock.Close(); err == nil {
			err = lerr
		}
	}
	return err
}

// Identity returns the wallet's owner.
func (w *Wallet) Identity() *Identity { return w.id }

func (w *Wallet) get(key []byte) ([]byte, error) {
	if err := w.refused(); err != nil {
		return nil, err
	}
	v, err := pebblekv.Get(w.db, key)
	if err != nil {
		return nil, fmt.Errorf("ledger: wallet: %w", err)
	}
	return v, nil
}

func (w *Wallet) scan(prefix []byte) ([]pebblekv.Pair, error) {
	if err := w.refused(); err != nil {
		return nil, err
	}
	out, err := pebblekv.Scan(w.db, prefix)
	if err != nil {
		return nil, fmt.Errorf("ledger: wallet: %w", err)
	}
	return out, nil
}

func (w *Wallet) write(fn func(b *pebble.Batch) error) error {
	b := w.db.NewBatch()
	defer b.Close()
	if err := fn(b); err != nil {
		return err
	}
	return w.commit(b)
}

// commit writes b, synced, or keeps the first failure (Wallet.failed).
// Every write is synced: an unsynced write's failure is reported to no
// one, and the next write would meet it as a panic inside Pebble, with
// its commit pipeline locked. A synced write's failure is reported, once
// its batch is through the pipeline, as QuietLogger's panic, recovered
// here; the wallet then never commits again.
func (w *Wallet) commit(b *pebble.Batch) (err error) {
	if err := w.refused(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(*pebblekv.Fatal)
			if !ok {
				panic(r)
			}
			err = f
			if f.Err != nil {
				err = f.Err
			}
		}
		if err != nil {
			w.failed = fmt.Errorf("%w in %s: %w", ErrWalletWrite, WalletDir(w.id.Home), err)
			err = w.failed
		}
	}()
	return b.Commit(pebble.Sync)
}

// refused is the error of a wallet whose write failed earlier, or nil.
func (w *Wallet) refused() error {
	if w.failed == nil {
		return nil
	}
	return fmt.Errorf("%w; the wallet reads and writes nothing more until it is opened again", w.failed)
}

func encodeOpening(wr *codec.Writer, o ledger.Opening) {
	wr.U64(o.Value)
	var b [32]byte
	o.Blinding.FillBytes(b[:])
	wr.Fixed(b[:])
}

func decodeOpening(r *codec.Reader) ledger.Opening {
	o := ledger.Opening{Value: r.U64()}
	o.Blinding = new(big.Int).SetBytes(r.Take(32))
	return o
}

func baseKey(c ledger.Currency) []byte { return []byte("o/" + c.String()) }

// Base returns the opening of the committed available balance in c.
func (w *Wallet) Base(c ledger.Currency) (ledger.Opening, error) {
	raw, err := w.get(baseKey(c))
	if err != nil || raw == nil {
		return ledger.ZeroOpening(), err
	}
	r := codec.NewReader(raw)
	o := decodeOpening(r)
	return o, corrupt("wallet opening", r.Done())
}

// SetBase records the opening of the committed available balance (used at
// genesis, when the balance was funded).
func (w *Wallet) SetBase(c ledger.Currency, o ledger.Opening) error {
	return w.write(func(b *pebble.Batch) error {
		wr := &codec.Writer{}
		encodeOpening(wr, o)
		return b.Set(baseKey(c), wr.B, nil)
	})
}

// inflight is an own transaction that is not yet committed, with what it
// takes from (debit) and adds to (credit) the available balance.
type inflight struct {
	Nonce    uint64
	TxID     ledger.TxID
	Kind     ledger.Kind
	Currency ledger.Currency
	Debit    ledger.Opening
	Credit   ledger.Opening
	Applies  []ledger.TxID // for apply-pending: the payments it moves
	Created  int64         // unix seconds: when it was submitted

	// From record version 1 on (a version 0 record ends after Created, and
	// decodes with Raw nil and Sent false):
	Raw  []byte // the signed transaction, to send again; nil in a version 0 record
	Sent bool   // a node accepted it (into its mempool, or it was already there)

	// More is what a batch debits in currencies past Currency (after the
	// transaction's bytes; absent in a record of one currency).
	More []debitIn
}

// debitIn is a batch's debit in one more currency.
type debitIn struct {
	Currency ledger.Currency
	Debit    ledger.Opening
}

// debitOf returns what f debits in c besides Currency (a batch), and
// whether it touches c that way.
func (f *inflight) debitOf(c ledger.Currency) (ledger.Opening, bool) {
	for _, m := range f.More {
		if m.Currency == c {
			return m.Debit, true
		}
	}
	return ledger.Opening{}, false
}

// inflightV1 is the version byte after Created in a record that carries
// the signed transaction.
const inflightV1 = 1

func inflightKey(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte("f/"), n) }

// encode writes the version 0 fields, then, when the record keeps the
// signed transaction, the version byte, a flags byte (bit 0: Sent) and the
// transaction's bytes.
func (f *inflight) encode() []byte {
	wr := &codec.Writer{}
	f.encodeV0(wr)
	if f.Raw != nil {
		wr.U8(inflightV1)
		flags := uint8(0)
		if f.Sent {
			flags |= 1
		}
		wr.U8(flags)
		wr.Blob(f.Raw)
		if len(f.More) > 0 {
			wr.U8(uint8(len(f.More)))
			for _, m := range f.More {
				wr.Fixed(m.Currency[:])
				encodeOpening(wr, m.Debit)
			}
		}
	}
	return wr.B
}

func (f *inflight) encodeV0(wr *codec.Writer) {
	wr.U64(f.Nonce)
	wr.Fixed(f.TxID[:])
	wr.U8(uint8(f.Kind))
	wr.Fixed(f.Currency[:])
	encodeOpening(wr, f.Debit)
	encodeOpening(wr, f.Credit)
	wr.U64(uint64(len(f.Applies)))
	for _, id := range f.Applies {
		wr.Fixed(id[:])
	}
	wr.U64(uint64(f.Created))
}

func decodeInflight(raw []byte) (*inflight, error) {
	r := codec.NewReader(raw)
	f := &inflight{Nonce: r.U64()}
	r.Fixed(f.TxID[:])
	f.Kind = ledger.Kind(r.U8())
	r.Fixed(f.Currency[:])
	f.Debit = decodeOpening(r)
	f.Credit = decodeOpening(r)
	n := r.U64()
	if n > ledger.MaxApplyPayments {
		return f, corrupt("wallet in-flight", fmt.Errorf("%d applied payments, at most %d", n, ledger.MaxApplyPayments))
	}
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		var id ledger.TxID
		r.Fixed(id[:])
		f.Applies = append(f.Applies, id)
	}
	f.Created = int64(r.U64())
	if r.Err() != nil {
		return f, corrupt("wallet in-flight", r.Err())
	}
	v0 := &codec.Writer{}
	f.encodeV0(v0)
	if len(raw) == len(v0.B) {
		return f, nil // version 0: written before records kept the transaction
	}
	r = codec.NewReader(raw[len(v0.B):])
	if v := r.U8(); r.Err() == nil && v != inflightV1 {
		return f, corrupt("wallet in-flight", fmt.Errorf("record version %d", v))
	}
	flags := r.U8()
	f.Sent = flags&1 != 0
	f.Raw = r.Blob(ledger.MaxTxSize)
	if r.Err() == nil && r.Len() > 0 {
		n := int(r.U8())
		for i := 0; i < n && r.Err() == nil; i++ {
			var m debitIn
			r.Fixed(m.Currency[:])
			m.Debit = decodeOpening(r)
			f.More = append(f.More, m)
		}
	}
	if r.Err() == nil && (flags&^1 != 0 || len(f.Raw) == 0 || ledger.TxID(sha256.Sum256(f.Raw)) != f.TxID) {
		return f, corrupt("wallet in-flight", fmt.Errorf("transaction %s: flags %#x, %d bytes not the transaction", f.TxID, flags, len(f.Raw)))
	}
	return f, corrupt("wallet in-flight", r.Done())
}

func (w *Wallet) inflights() ([]*inflight, error) {
	entries, err := w.scan([]byte("f/"))
	if err != nil {
		return nil, err
	}
	out := make([]*inflight, 0, len(entries))
	for _, e := range entries {
		f, err := decodeInflight(e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// Projected returns the available balance in c after every in-flight
// transaction: what the next proof must be made against.
func (w *Wallet) Projected(c ledger.Currency) (ledger.Opening, error) {
	o, err := w.Base(c)
	if err != nil {
		return o, err
	}
	return w.project(c, o, (*inflight).moveAccount)
}

// project applies move for every in-flight transaction in c to o, in
// nonce order.
func (w *Wallet) project(c ledger.Currency, o ledger.Opening, move func(*inflight, ledger.Opening) (ledger.Opening, error)) (ledger.Opening, error) {
	fs, err := w.inflights()
	if err != nil {
		return o, err
	}
	for _, f := range fs {
		if f.Currency == c {
			if o, err = move(f, o); err != nil {
				return o, err
			}
		} else if d, ok := f.debitOf(c); ok {
			if o, err = move(&inflight{Kind: f.Kind, Currency: c, Debit: d, Credit: ledger.ZeroOpening()}, o); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// received is a payment into pending whose opening the wallet holds.
type received struct {
	TxID     ledger.TxID
	Currency ledger.Currency
	Opening  ledger.Opening
	Height   int64
}

func receivedKey(c ledger.Currency, id ledger.TxID) []byte {
	return append([]byte("p/"+c.String()+"/"), id[:]...)
}

func (p *received) encode() []byte {
	wr := &codec.Writer{}
	wr.Fixed(p.TxID[:])
	wr.Fixed(p.Currency[:])
	encodeOpening(wr, p.Opening)
	wr.U64(uint64(p.Height))
	return wr.B
}

func decodeReceived(raw []byte) (*received, error) {
	r := codec.NewReader(raw)
	p := &received{}
	r.Fixed(p.TxID[:])
	r.Fixed(p.Currency[:])
	p.Opening = decodeOpening(r)
	p.Height = int64(r.U64())
	return p, corrupt("wallet payment", r.Done())
}

// Received lists the payments in c's pending balance that the wallet can
// open, oldest first.
func (w *Wallet) Received(c ledger.Currency) ([]*received, error) {
	entries, err := w.scan([]byte("p/" + c.String() + "/"))
	if err != nil {
		return nil, err
	}
	var out []*received
	for _, e := range entries {
		p, err := decodeReceived(e.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// PendingSum returns the opening of the sum of the received payments in c.
func (w *Wallet) PendingSum(c ledger.Currency) (ledger.Opening, error) {
	ps, err := w.Received(c)
	if err != nil {
		return ledger.ZeroOpening(), err
	}
	sum := ledger.ZeroOpening()
	for _, p := range ps {
		if sum, err = sum.Plus(p.Opening); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// Accounts returns the currencies in which the party has an account on the
// ledger, in Currencies order.
func (w *Wallet) Accounts(ctx context.Context, c *client.Client) ([]ledger.Currency, error) {
	var out []ledger.Currency
	for _, k := range ledger.Currencies {
		_, err := c.Account(ctx, w.id.Config.ID, k.Code)
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, k.Code)
	}
	return out, nil
}

// corrupt marks a damaged record of the wallet's own database.
func corrupt(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("ledger: corrupt %s record in the wallet: %w", what, err)
}

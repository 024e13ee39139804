package node

import (
	"errors"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
)

// errClosed is what a CometBFT database answers once Stop has closed it.
var errClosed = errors.New("ledger: database closed by the node's stop")

// trackedDB closes its database at most once. After that, writes answer
// errClosed and reads answer that nothing is stored. CometBFT's Stop does
// not wait for every goroutine that touches its databases: its tx indexer
// can write the last block's index after Stop closed the database, and a
// peer's consensus routine (queryMaj23Routine) can still load a commit,
// which its block store turns into a panic on any read error, in a
// goroutine nobody can recover. A missing commit it simply does not send.
// A call in progress holds the read lock, so Close waits for it to finish.
type trackedDB struct {
	db     dbm.DB
	mu     sync.RWMutex
	closed bool
}

// do runs fn unless the database is closed.
func (t *trackedDB) do(fn func() error) error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		return errClosed
	}
	return fn()
}

func (t *trackedDB) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	return t.db.Close()
}

func (t *trackedDB) Get(key []byte) (v []byte, err error) {
	err = t.read(func() error { v, err = t.db.Get(key); return err })
	return v, err
}

func (t *trackedDB) Has(key []byte) (ok bool, err error) {
	err = t.read(func() error { ok, err = t.db.Has(key); return err })
	return ok, err
}

// read runs a read unless the database is closed, when it reads nothing.
func (t *trackedDB) read(fn func() error) error {
	if err := t.do(fn); !errors.Is(err, errClosed) {
		return err
	}
	return nil
}

func (t *trackedDB) Set(k, v []byte) error { return t.do(func() error { return t.db.Set(k, v) }) }
func (t *trackedDB) SetSync(k, v []byte) error {
	return t.do(func() error { return t.db.SetSync(k, v) })
}
func (t *trackedDB) Delete(k []byte) error { return t.do(func() error { return t.db.Delete(k) }) }
func (t *trackedDB) DeleteSync(k []byte) error {
	return t.do(func() error { return t.db.DeleteSync(k) })
}
func (t *trackedDB) Print() error { return t.do(t.db.Print) }
func (t *trackedDB) Compact(s, e []byte) error {
	return t.do(func() error { return t.db.Compact(s, e) })
}

func (t *trackedDB) Iterator(start, end []byte) (it dbm.Iterator, err error) {
	it = emptyIterator{start, end}
	err = t.read(func() error { it, err = t.db.Iterator(start, end); return err })
	return it, err
}

func (t *trackedDB) ReverseIterator(start, end []byte) (it dbm.Iterator, err error) {
	it = emptyIterator{start, end}
	err = t.read(func() error { it, err = t.db.ReverseIterator(start, end); return err })
	return it, err
}

// emptyIterator is an iterator of a closed database: it holds nothing.
type emptyIterator struct{ start, end []byte }

func (e emptyIterator) Domain() ([]byte, []byte) { return e.start, e.end }
func (emptyIterator) Valid() bool                { return false }
func (emptyIterator) Next()                      { panic("ledger: Next on an exhausted iterator") }
func (emptyIterator) Key() []byte                { panic("ledger: Key on an exhausted iterator") }
func (emptyIterator) Value() []byte              { panic("ledger: Value on an exhausted iterator") }
func (emptyIterator) Error() error               { return nil }
func (emptyIterator) Close() error               { return nil }

func (t *trackedDB) Stats() map[string]string {
	var s map[string]string
	_ = t.do(func() error { s = t.db.Stats(); return nil })
	return s
}

// NewBatch returns a batch whose writes are refused once the database is
// closed. A batch made after Close only ever fails.
func (t *trackedDB) NewBatch() dbm.Batch {
	var b dbm.Batch
	if t.do(func() error { b = t.db.NewBatch(); return nil }) != nil {
		return closedBatch{}
	}
	return &trackedBatch{Batch: b, db: t}
}

// trackedBatch writes only while its database is open.
type trackedBatch struct {
	dbm.Batch
	db *trackedDB
}

func (b *trackedBatch) Write() error     { return b.db.do(b.Batch.Write) }
func (b *trackedBatch) WriteSync() error { return b.db.do(b.Batch.WriteSync) }

// closedBatch is a batch of a closed database.
type closedBatch struct{}

func (closedBatch) Set(_, _ []byte) error { return errClosed }
func (closedBatch) Delete([]byte) error   { return errClosed }
func (closedBatch) Write() error          { return errClosed }
func (closedBatch) WriteSync() error      { return errClosed }
func (closedBatch) Close() error          { return nil }

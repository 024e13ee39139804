package state

import (
	"fmt"

	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
)

// When Pebble (v1.1.5) cannot write its WAL, at ABCI Commit, it does not
// return an error: a failed write or fsync reaches Batch.Commit, which
// calls its logger's Fatalf ("fatal commit error", db.go:857), and a WAL
// it cannot create when the memtable rotates is a panic (db.go:2679),
// raised with Pebble's mutex held. By then the batch is in the memtable,
// readable though not durable, and the WAL writer's error is sticky. The
// database cannot be trusted again in this process: the Store records the
// failure, answers every later read and commit with it, and calls its
// owner's fatal hook (WithFatal), which in a node ends the process. The
// block is not lost: CometBFT's block store holds it, and the handshake
// re-executes it into the state on restart, reaching the same app hash.
//
// A failed background flush or compaction is different: Pebble reports it
// to its event listener and retries, the blocks are safe in the WAL, and
// commits go on until the memtables fill, when Pebble stalls them until a
// flush succeeds. The App logs it once per Commit, as a warning.

// WithFatal sets the hook called, once, when the state store can no longer
// be written: a commit whose batch did not reach disk (a full disk), or
// Pebble failing in the background. err is one line naming the block, the
// problem and what the operator does. A node's hook logs it and ends the
// process; without a hook the error is only returned, and CometBFT halts
// consensus on it with a panic it recovers and logs.
func WithFatal(f func(err error)) Option { return func(a *App) { a.store.onFatal = f } }

// failure is the store's failure, or nil while it is sound.
func (s *Store) failure() error {
	if p := s.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// fail records why Pebble could not write (r: a panic's value or an
// error) while committing height (0: in the background), calls the fatal
// hook the first time, and returns the store's failure. The first failure
// stands: Fatalf's panic reaches commit's recover already recorded.
func (s *Store) fail(height int64, r any) error {
	if s.failure() == nil {
		cause, ok := r.(error)
		if !ok {
			cause = fmt.Errorf("%v", r)
		}
		var f error = &storeFailure{msg: failureLine(s.dir, height, cause), err: cause}
		s.failed.CompareAndSwap(nil, &f)
	}
	err := s.failure()
	if s.onFatal != nil {
		s.fatalOnce.Do(func() { s.onFatal(err) })
	}
	return err
}

// storeFailure is the one line an operator reads, wrapping Pebble's error
// (errors.Is(err, syscall.ENOSPC) holds on a full disk).
type storeFailure struct {
	msg string
	err error
}

func (f *storeFailure) Error() string { return f.msg }
func (f *storeFailure) Unwrap() error { return f.err }

// failureLine says what failed and what to do. A full disk is named as such.
func failureLine(dir string, height int64, cause error) string {
	problem, fix := "the disk failed a write", "check the disk under "+dir
	if pebblekv.DiskFull(cause) {
		problem, fix = "the disk is full", "free space on the disk under "+dir
	}
	detail := pebblekv.OneLine(cause)
	if height > 0 {
		return fmt.Sprintf("ledger: commit block %d: %s (%s): %s and start the node again; it re-executes block %d from its block store",
			height, problem, detail, fix, height)
	}
	return fmt.Sprintf("ledger: validator state %s: %s (%s): %s and start the node again; it re-executes the blocks after its last commit from its block store",
		dir, problem, detail, fix)
}

// storeLogger keeps Pebble's routine messages quiet, like
// pebblekv.QuietLogger, and once the database is open makes its fatal ones
// the store's failure: the hook runs (a node exits there), then the panic
// Pebble expects of Fatalf, which commit recovers when it is the one
// writing.
type storeLogger struct{ s *Store }

func (storeLogger) Infof(string, ...any) {}

func (l storeLogger) Fatalf(format string, args ...any) {
	if !l.s.opened.Load() {
		// pebblekv.Open recovers it, keeping the cause: openStore tells a
		// full disk (a MANIFEST it cannot write) from a damaged state.
		pebblekv.QuietLogger{}.Fatalf(format, args...)
	}
	panic(l.s.fail(l.s.committing.Load(), pebblekv.NewFatal(format, args...))) // the cause keeps the errno for failureLine
}

// backgroundError is Pebble's event listener for a failed background
// flush or compaction: kept until the App's next Commit reports it.
func (s *Store) backgroundError(err error) { s.background.Store(&err) }

// takeBackgroundError returns, once, the last background failure since
// the previous call, as one line, or nil.
func (s *Store) takeBackgroundError() error {
	p := s.background.Swap(nil)
	if p == nil {
		return nil
	}
	problem := "failed"
	if pebblekv.DiskFull(*p) {
		problem = "failed: the disk is full"
	}
	return fmt.Errorf("ledger: validator state %s: a background flush or compaction %s (%s); committed blocks are safe in its WAL, but commits stall once its memtables fill: free space on the disk",
		s.dir, problem, pebblekv.OneLine(*p))
}

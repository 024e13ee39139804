package state

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/vfs"
	abci "github.com/cometbft/cometbft/abci/types"
)

// fullDisk is the real file system until full is set; then every write,
// sync, preallocation and new file among the names that match fails with
// ENOSPC, as on a disk with no free blocks. Reads still work.
type fullDisk struct {
	vfs.FS
	full     atomic.Bool
	syncOnly bool                   // only fsync fails: the written bytes may reach the disk anyway
	match    func(name string) bool // nil: every file
}

func (d *fullDisk) hit(name string) bool {
	return d.full.Load() && (d.match == nil || d.match(name))
}

func (d *fullDisk) enospc(op, name string) error {
	return &os.PathError{Op: op, Path: name, Err: syscall.ENOSPC}
}

func (d *fullDisk) Create(name string) (vfs.File, error) {
	if d.hit(name) && !d.syncOnly {
		return nil, d.enospc("create", name)
	}
	f, err := d.FS.Create(name)
	return d.wrap(f, name), err
}

func (d *fullDisk) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	if d.hit(newname) && !d.syncOnly {
		return nil, d.enospc("create", newname)
	}
	f, err := d.FS.ReuseForWrite(oldname, newname)
	return d.wrap(f, newname), err
}

func (d *fullDisk) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := d.FS.OpenReadWrite(name, opts...)
	return d.wrap(f, name), err
}

func (d *fullDisk) wrap(f vfs.File, name string) vfs.File {
	if f == nil {
		return nil
	}
	return &fullFile{File: f, disk: d, name: name}
}

type fullFile struct {
	vfs.File
	disk *fullDisk
	name string
}

func (f *fullFile) writeErr(op string) error {
	if f.disk.hit(f.name) && !f.disk.syncOnly {
		return f.disk.enospc(op, f.name)
	}
	return nil
}

func (f *fullFile) syncErr() error {
	if f.disk.hit(f.name) {
		return f.disk.enospc("sync", f.name)
	}
	return nil
}

func (f *fullFile) Write(p []byte) (int, error) {
	if err := f.writeErr("write"); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *fullFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.writeErr("write"); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *fullFile) Preallocate(off, n int64) error {
	if err := f.writeErr("fallocate"); err != nil {
		return err
	}
	return f.File.Preallocate(off, n)
}

func (f *fullFile) Sync() error {
	if err := f.syncErr(); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *fullFile) SyncData() error {
	if err := f.syncErr(); err != nil {
		return err
	}
	return f.File.SyncData()
}

func (f *fullFile) SyncTo(n int64) (bool, error) {
	if err := f.syncErr(); err != nil {
		return false, err
	}
	return f.File.SyncTo(n)
}

// fatalLog records the WithFatal hook's calls.
type fatalLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *fatalLog) hook(err error) { l.mu.Lock(); l.errs = append(l.errs, err); l.mu.Unlock() }

func (l *fatalLog) calls() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// openOn reopens the fixture's app over its state on disk (the real file
// system once the test frees it).
func (f *fixture) openOn(disk vfs.FS, opts ...Option) {
	f.t.Helper()
	f.app.store.Close()
	store, err := openStore(f.dir, disk)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { store.Close() })
	if f.app, err = NewApp(store, testKeys.keys, slog.New(slog.NewTextHandler(io.Discard, nil)), append(f.opts, opts...)...); err != nil {
		f.t.Fatal(err)
	}
}

// twin copies the fixture's state, closed, into a new fixture that runs
// the same blocks on a disk that never fills.
func (f *fixture) twin() *fixture {
	f.t.Helper()
	f.app.store.Close()
	tw := *f
	tw.dir = f.t.TempDir()
	if out, err := exec.Command("cp", "-a", f.dir+"/.", tw.dir).CombinedOutput(); err != nil {
		f.t.Fatalf("copy state: %v %s", err, out)
	}
	tw.open()
	f.open()
	return &tw
}

func (f *fixture) info() *abci.InfoResponse {
	info, err := f.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		f.t.Fatal(err)
	}
	return info
}

// TestDiskFullAtCommit fills the disk between a block's FinalizeBlock and
// its Commit: the commit fails in one line naming the block and the full
// disk, the app stays at the last durable block, serves nothing of the
// failed one and refuses further commits; with space again, the state
// opens at the last durable block and re-executing the block reaches the
// app hash of a twin whose disk never filled. With only fsync failing the
// WAL may hold the block, whole, or not at all.
func TestDiskFullAtCommit(t *testing.T) {
	for _, syncOnly := range []bool{false, true} {
		name := map[bool]string{false: "writes fail", true: "only fsync fails"}[syncOnly]
		t.Run(name, func(t *testing.T) { testDiskFullAtCommit(t, syncOnly) })
	}
}

func testDiskFullAtCommit(t *testing.T, syncOnly bool) {
	f := newFixture(t)
	tx1, amt := f.transfer(f.a, f.b, 100)
	f.block(tx1.Encode())
	f.a.spend(amt)
	tw := f.twin()
	tx2, _ := f.transfer(f.a, f.b, 300)
	next := f.height + 1
	tw.block(tx2.Encode())
	want := tw.info().LastBlockAppHash

	disk := &fullDisk{FS: vfs.Default, syncOnly: syncOnly}
	var fatal fatalLog
	f.openOn(disk, WithFatal(fatal.hook))
	before := f.info()
	res, err := f.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: next, Txs: [][]byte{tx2.Encode()}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.AppHash, want) {
		t.Fatal("FinalizeBlock's app hash differs from the twin's")
	}
	disk.full.Store(true)
	_, err = f.app.Commit(context.Background(), &abci.CommitRequest{})
	if err == nil {
		t.Fatal("Commit on a full disk succeeded")
	}
	msg := err.Error()
	t.Log(msg)
	for _, w := range []string{"commit block 3", "the disk is full", "free space", "re-executes block 3"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not say %q", msg, w)
		}
	}
	if !errors.Is(err, syscall.ENOSPC) || strings.Contains(msg, "\n") {
		t.Errorf("error is not one line wrapping ENOSPC: %q", msg)
	}
	if got := fatal.calls(); len(got) != 1 || got[0].Error() != msg {
		t.Fatalf("fatal hook called with %v, want once with the commit's error", got)
	}
	if info := f.info(); info.LastBlockHeight != before.LastBlockHeight || !bytes.Equal(info.LastBlockAppHash, before.LastBlockAppHash) {
		t.Fatalf("after the failed commit Info says height %d, want %d and its hash", info.LastBlockHeight, before.LastBlockHeight)
	}
	// Pebble's memtable holds the block, not durable: nothing of it is served.
	if code := f.query("/status", f.app.exec.verifier.id(tx2).String(), nil); code == 0 {
		t.Fatal("Query serves the status of a transaction whose block did not commit")
	}
	if code := f.query("/account", "bank-b/USD", nil); code == 0 {
		t.Fatal("Query serves an account from a store that failed a commit")
	}
	if _, err := f.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: next}); err == nil {
		if _, err := f.app.Commit(context.Background(), &abci.CommitRequest{}); err == nil {
			t.Fatal("a store that failed a commit commits again")
		}
	}
	if len(fatal.calls()) != 1 {
		t.Fatal("fatal hook called more than once")
	}

	f.openOn(vfs.Default) // space again: the node restarts
	info := f.info()
	switch {
	case info.LastBlockHeight == before.LastBlockHeight && bytes.Equal(info.LastBlockAppHash, before.LastBlockAppHash):
		f.height = next - 1
		f.block(tx2.Encode()) // CometBFT's handshake re-executes it
	case syncOnly && info.LastBlockHeight == next: // the bytes reached the disk though fsync failed: CometBFT checks the hash
		t.Log("the WAL holds the block whose fsync failed")
	default:
		t.Fatalf("reopened at height %d, want %d (or %d, whole, when only fsync failed)", info.LastBlockHeight, before.LastBlockHeight, next)
	}
	if got := f.info(); got.LastBlockHeight != next || !bytes.Equal(got.LastBlockAppHash, want) {
		t.Fatalf("after recovery height %d hash %X, the twin's %d %X", got.LastBlockHeight, got.LastBlockAppHash, next, want)
	}
	if f.snapshot() != tw.snapshot() {
		t.Fatal("recovered state differs from the twin's")
	}
}

// TestDiskFullInFlush fills the disk for new tables only: the memtable's
// flush fails in the background, Pebble retries it, the blocks stay in the
// WAL and commits go on; the app warns, naming the full disk. With space
// again every block is there.
func TestDiskFullInFlush(t *testing.T) {
	f := newFixture(t)
	disk := &fullDisk{FS: vfs.Default, match: func(name string) bool { return strings.HasSuffix(name, ".sst") }}
	var logged bytes.Buffer
	var mu sync.Mutex
	f.openOn(disk)
	f.app.log = slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &mu}, nil))
	disk.full.Store(true)
	tx, amt := f.transfer(f.a, f.b, 100)
	f.block(tx.Encode())
	f.a.spend(amt)
	if _, err := f.app.store.db.AsyncFlush(); err != nil { // what a full memtable does
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.app.store.background.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	f.block() // commits go on, and report the failed flush
	mu.Lock()
	out := logged.String()
	mu.Unlock()
	if !strings.Contains(out, "background flush or compaction failed: the disk is full") || strings.Count(out, "\n") != 1 {
		t.Fatalf("the app did not warn of the failed flush in one line: %q", out)
	}
	want := f.info()
	disk.full.Store(false)
	f.openOn(vfs.Default)
	if got := f.info(); got.LastBlockHeight != want.LastBlockHeight || !bytes.Equal(got.LastBlockAppHash, want.LastBlockAppHash) {
		t.Fatalf("reopened at height %d, want %d", got.LastBlockHeight, want.LastBlockHeight)
	}
	if got := f.account(f.a); got.Available != f.a.avail[usd].Commitment().String() {
		t.Fatal("the block committed during the failed flush is lost")
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestDiskFullAtOpen: a node restarted on a disk that is still full cannot
// open its state (the WAL's replay is flushed to a new table). It says so
// in one line, naming the full disk and the fix, and not that the state is
// corrupt, which would have the operator move it aside and re-execute
// every block onto the same full disk; with space, it opens where it was.
func TestDiskFullAtOpen(t *testing.T) {
	f := newFixture(t)
	tx, amt := f.transfer(f.a, f.b, 100)
	f.block(tx.Encode()) // in the WAL, not yet in a table
	f.a.spend(amt)
	want := f.info()
	f.app.store.Close()

	// Every file full (the replay's new table fails, returned as an
	// error), or only the MANIFEST (Pebble's Fatalf, a panic in its open).
	for _, match := range []func(string) bool{nil, func(name string) bool { return strings.Contains(name, "MANIFEST") }} {
		disk := &fullDisk{FS: vfs.Default, match: match}
		disk.full.Store(true)
		_, err := openStore(f.dir, disk)
		if err == nil {
			t.Fatal("the state opened on a full disk")
		}
		msg := err.Error()
		if !errors.Is(err, syscall.ENOSPC) && !strings.Contains(msg, "the disk is full") || strings.Contains(msg, "corrupt") ||
			strings.Contains(msg, "move it aside") || strings.Contains(msg, "\n") || !strings.Contains(msg, "free space on the disk under "+f.dir) {
			t.Fatalf("open on a full disk: %q", msg)
		}
	}
	f.openOn(vfs.Default)
	if got := f.info(); got.LastBlockHeight != want.LastBlockHeight || !bytes.Equal(got.LastBlockAppHash, want.LastBlockAppHash) {
		t.Fatalf("reopened at height %d, want %d", got.LastBlockHeight, want.LastBlockHeight)
	}
}

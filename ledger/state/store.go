package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/sable-settlement/sable/ledger/internal/pebblekv"
)

// Store is the application state in its own Pebble database. Reads go
// through a stack of overlays: a transaction writes into its own overlay,
// merged into the block's only if it succeeds; the block's overlay reaches
// Pebble in one synced batch at Commit, with the height and app hash.
//
// A write Pebble fails (a full disk: diskfail.go) leaves its database in a
// state that cannot be trusted: the Store then refuses every read and
// commit, and its owner stops the node.
type Store struct {
	db     *pebble.DB
	lock   *pebble.Lock
	cache  *pebble.Cache
	dir    string
	closed bool

	failed     atomic.Pointer[error] // the first write Pebble failed, as one line (diskfail.go)
	committing atomic.Int64          // the height commit is writing, 0 between commits
	background atomic.Pointer[error] // a background flush or compaction's failure, not yet reported
	onFatal    func(error)           // called once, with failed (WithFatal)
	fatalOnce  sync.Once
	opened     atomic.Bool // Pebble's open returned: its fatal errors are the store's failure
}

var (
	keyHeight  = []byte("m/height")
	keyAppHash = []byte("m/apphash")
)

// OpenStore opens the state database in dir, creating it only when dir
// does not exist or is empty (a new validator, or one whose app/ was moved aside:
// CometBFT's handshake then re-executes the block store into it). An
// existing dir is never started over: damage that Pebble would misread
// (a missing CURRENT, a truncated MANIFEST) or fail on is an error naming
// the file and the recovery, and a panic in Pebble's open is an error.
func OpenStore(dir string) (*Store, error) { return openStore(dir, vfs.Default) }

// openStore opens the state database on fs: vfs.Default, or in tests a
// file system that fails writes as a full disk would.
func openStore(dir string, fs vfs.FS) (*Store, error) {
	existing := false
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("ledger: create state %s: %w", dir, err)
		}
	case err != nil:
		return nil, fmt.Errorf("ledger: open state %s: %w", dir, err)
	case slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() != "LOCK" }):
		existing = true // it holds a database: open it as it is, or not at all
	}
	lock, err := pebble.LockDirectory(dir, fs)
	if err != nil {
		return nil, fmt.Errorf("ledger: state %s is in use by another sable node (%v); stop it first", dir, err)
	}
	if existing {
		problem, err := pebblekv.Damage(dir)
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("ledger: open state %s: %w", dir, err)
		}
		if problem != "" {
			lock.Close()
			return nil, damagedState(dir, problem)
		}
	}
	s := &Store{lock: lock, dir: dir}
	opts := storeOptions()
	opts.ErrorIfNotExists, opts.Lock, opts.FS = existing, lock, fs
	opts.Logger = storeLogger{s} // Pebble's fatal errors become the store's failure
	opts.EventListener = &pebble.EventListener{BackgroundError: s.backgroundError}
	db, err := pebblekv.Open(dir, opts)
	if err != nil {
		opts.Cache.Unref()
		lock.Close()
		if pebblekv.DiskFull(err) { // opening writes: the WAL's replay is flushed to a new table
			return nil, errors.New(failureLine(dir, 0, err))
		}
		return nil, damagedState(dir, pebblekv.OneLine(err))
	}
	s.db, s.cache = db, opts.Cache
	s.opened.Store(true)
	return s, nil
}

// storeOptions sizes Pebble for the state's workload: every block rewrites
// its HE aggregates (about 95 KB each) and reads accounts, parties and
// statuses that are often absent (a new transaction id, the key epoch
// before any rotation). Pebble's defaults (a 4 MB memtable, an 8 MB block
// cache, no filters) flushed a new L0 table every few blocks and made each
// read of an absent key load a block of every table from disk: under load
// 16% of a validator's CPU. Bloom filters answer absent keys from memory;
// a larger memtable and block cache keep the working set there.
func storeOptions() *pebble.Options {
	opts := &pebble.Options{
		Logger:       pebblekv.QuietLogger{},
		Cache:        pebble.NewCache(storeCacheBytes),
		MemTableSize: storeMemTableBytes,
		Levels:       make([]pebble.LevelOptions, 7),
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10) // about 1% false positives
		opts.Levels[i].FilterType = pebble.TableFilter
	}
	return opts
}

const (
	storeCacheBytes    = 64 << 20
	storeMemTableBytes = 32 << 20
)

// damagedState is the one line for a state store that must not be opened.
// A validator's state is a function of its blocks: moved aside, it is
// rebuilt by re-executing them.
func damagedState(dir, problem string) error {
	return fmt.Errorf("ledger: validator state %s is corrupt: %s; stop the node, move it aside (mv %s %s.damaged) and start the node again: it re-executes its blocks from data/ into a new %s",
		dir, problem, dir, dir, filepath.Base(dir))
}

// Close closes the database. A failed store's database is abandoned, not
// closed: Pebble may hold its own mutex from the write that failed, and
// closing would wait forever. Its directory lock is released (both the
// Store's reference and the database's), so that the state can be opened
// again once the disk has room.
func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.failure() != nil {
		s.cache.Unref()
		s.lock.Close()
		return s.lock.Close()
	}
	err := s.db.Close()
	s.cache.Unref()
	if lerr := s.lock.Close(); err == nil {
		err = lerr
	}
	return err
}

// Committed returns the last committed height and app hash.
func (s *Store) Committed() (int64, []byte, error) {
	if err := s.failure(); err != nil {
		return 0, nil, err
	}
	h, err := s.get(keyHeight)
	if err != nil || h == nil {
		return 0, nil, err
	}
	hash, err := s.get(keyAppHash)
	return int64(binary.BigEndian.Uint64(h)), hash, err
}

func (s *Store) get(key []byte) ([]byte, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	v, err := pebblekv.Get(s.db, key)
	if err != nil {
		return nil, fmt.Errorf("ledger: read state: %w", err)
	}
	return v, nil
}

// scan returns the committed key/values under prefix.
func (s *Store) scan(prefix []byte) (map[string][]byte, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	entries, err := pebblekv.Scan(s.db, prefix)
	if err != nil {
		return nil, fmt.Errorf("ledger: scan state: %w", err)
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		out[e.Key] = e.Value
	}
	return out, nil
}

// scanRange returns at most limit committed key/values in [lo, hi), in
// key order.
func (s *Store) scanRange(lo, hi []byte, limit int) ([]pebblekv.Pair, error) {
	if err := s.failure(); err != nil {
		return nil, err
	}
	entries, err := pebblekv.Range(s.db, lo, hi, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger: scan state: %w", err)
	}
	return entries, nil
}

// commit writes the overlay's changes, the height and the app hash in one
// batch, synced: a block the app acknowledged is on disk. Pebble reports a
// write or sync it could not make (a full disk) by a panic, through its
// logger's Fatalf or directly; commit turns it into the store's failure
// (diskfail.go), after which the store serves nothing: the block is in
// Pebble's memtable, readable, but not durable.
func (s *Store) commit(o *overlay, height int64, appHash []byte) (err error) {
	if err := s.failure(); err != nil {
		return err
	}
	b := s.db.NewBatch()
	s.committing.Store(height)
	defer func() {
		s.committing.Store(0)
		if r := recover(); r != nil {
			err = s.fail(height, r) // the batch stays in Pebble's queues: not closed, not reused
			return
		}
		b.Close()
	}()
	for _, k := range o.sortedKeys() {
		v := o.writes[k]
		var err error
		if v == nil {
			err = b.Delete([]byte(k), nil)
		} else {
			err = b.Set([]byte(k), v, nil)
		}
		if err != nil {
			return fmt.Errorf("ledger: commit: %w", err)
		}
	}
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], uint64(height))
	if err := b.Set(keyHeight, h[:], nil); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	if err := b.Set(keyAppHash, appHash, nil); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return s.fail(height, err) // Pebble v1.1.5 panics instead; whatever failed the WAL fails the store
	}
	return nil
}

// overlay is a layer of uncommitted writes over a parent overlay or the
// store. A nil value is a deletion.
type overlay struct {
	store  *Store
	parent *overlay
	writes map[string][]byte
}

func newOverlay(s *Store) *overlay { return &overlay{store: s, writes: map[string][]byte{}} }

func (o *overlay) child() *overlay {
	return &overlay{store: o.store, parent: o, writes: map[string][]byte{}}
}

// merge moves the child's writes into its parent.
func (o *overlay) merge() {
	for k, v := range o.writes {
		o.parent.writes[k] = v
	}
}

func (o *overlay) get(key []byte) ([]byte, error) {
	for l := o; l != nil; l = l.parent {
		if v, ok := l.writes[string(key)]; ok {
			return v, nil
		}
	}
	return o.store.get(key)
}

func (o *overlay) set(key, value []byte) { o.writes[string(key)] = append([]byte{}, value...) }
func (o *overlay) del(key []byte)        { o.writes[string(key)] = nil }

// scan returns the keys and values under prefix as seen through every
// layer, in key order.
func (o *overlay) scan(prefix []byte) ([]pebblekv.Pair, error) {
	merged, err := o.store.scan(prefix)
	if err != nil {
		return nil, err
	}
	for _, l := range o.layers() {
		for k, v := range l.writes {
			if bytes.HasPrefix([]byte(k), prefix) {
				if v == nil {
					delete(merged, k)
				} else {
					merged[k] = v
				}
			}
		}
	}
	return sortedPairs(merged), nil
}

// sortedPairs lists a key/value map in key order.
func sortedPairs(m map[string][]byte) []pebblekv.Pair {
	out := make([]pebblekv.Pair, 0, len(m))
	for k, v := range m {
		out = append(out, pebblekv.Pair{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// scanRange returns the first limit keys and values in [lo, hi) as seen
// through every layer, in key order, reading at most limit keys more than
// the layers delete in the range from the store: its cost is bounded by
// limit, not by what the range holds.
func (o *overlay) scanRange(lo, hi []byte, limit int) ([]pebblekv.Pair, error) {
	writes := map[string][]byte{}
	for _, l := range o.layers() {
		for k, v := range l.writes {
			if k >= string(lo) && k < string(hi) {
				writes[k] = v
			}
		}
	}
	deleted := 0
	for _, v := range writes {
		if v == nil {
			deleted++
		}
	}
	// Each stored key among the view's first limit is preceded in the
	// store only by keys deleted above it or in the view before it.
	stored, err := o.store.scanRange(lo, hi, limit+deleted)
	if err != nil {
		return nil, err
	}
	merged := make(map[string][]byte, len(stored)+len(writes))
	for _, e := range stored {
		merged[e.Key] = e.Value
	}
	for k, v := range writes {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	out := sortedPairs(merged)
	return out[:min(limit, len(out))], nil
}

// layers are o and its parents, bottom (nearest the store) first.
func (o *overlay) layers() []*overlay {
	var ls []*overlay
	for l := o; l != nil; l = l.parent {
		ls = append(ls, l)
	}
	slices.Reverse(ls)
	return ls
}

func (o *overlay) sortedKeys() []string {
	keys := make([]string, 0, len(o.writes))
	for k := range o.writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// touches reports whether the overlay writes a key under prefix.
func (o *overlay) touches(prefix []byte) bool {
	for k := range o.writes {
		if strings.HasPrefix(k, string(prefix)) {
			return true
		}
	}
	return false
}

// nextAppHash chains the previous app hash with this block's state changes
// in key order: H_h = SHA-256(label ‖ H_{h−1} ‖ h ‖ (len ‖ key ‖ flag ‖ len ‖ value)*).
// Equal states reached by equal blocks give equal hashes on every validator;
// no map order, time or randomness enters it. A block that changes nothing
// keeps the previous hash, so CometBFT can tell that no block is needed.
func (o *overlay) nextAppHash(prev []byte, height int64) []byte {
	if len(o.writes) == 0 && prev != nil {
		return prev
	}
	h := sha256.New()
	h.Write([]byte("sable/apphash/v1"))
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(height))
	h.Write(n[:])
	for _, k := range o.sortedKeys() {
		v := o.writes[k]
		writeLen(h, []byte(k))
		if v == nil {
			h.Write([]byte{0})
			continue
		}
		h.Write([]byte{1})
		writeLen(h, v)
	}
	return h.Sum(nil)
}

func writeLen(h interface{ Write([]byte) (int, error) }, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// flatten collapses o and its overlay parents into one overlay over the store.
func (o *overlay) flatten() *overlay {
	var layers []*overlay
	for l := o; l != nil; l = l.parent {
		layers = append(layers, l)
	}
	out := newOverlay(o.store)
	for i := len(layers) - 1; i >= 0; i-- {
		for k, v := range layers[i].writes {
			out.writes[k] = v
		}
	}
	return out
}

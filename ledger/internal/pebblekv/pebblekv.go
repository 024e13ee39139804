// Package pebblekv is the one way the ledger's packages read their Pebble
// databases: a copying point read, and a copying prefix scan and bounded
// range read in key order. Each database's key schema lives with the package that owns it; this
// package knows none of them.
package pebblekv

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/cockroachdb/pebble"
)

// Pair is one key and its value.
type Pair struct {
	Key   string
	Value []byte
}

// Get reads a copy of key's value, or nil if there is none.
func Get(db *pebble.DB, key []byte) ([]byte, error) {
	v, closer, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

// Scan returns copies of the key/values under prefix, in key order.
func Scan(db *pebble.DB, prefix []byte) ([]Pair, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: PrefixEnd(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Pair
	for it.First(); it.Valid(); it.Next() {
		out = append(out, Pair{Key: string(it.Key()), Value: append([]byte(nil), it.Value()...)})
	}
	return out, it.Error()
}

// Range returns copies of at most limit key/values in [lo, hi), in key
// order: a bounded read, whatever the range holds.
func Range(db *pebble.DB, lo, hi []byte, limit int) ([]Pair, error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Pair
	for it.First(); it.Valid() && len(out) < limit; it.Next() {
		out = append(out, Pair{Key: string(it.Key()), Value: append([]byte(nil), it.Value()...)})
	}
	return out, it.Error()
}

// PrefixEnd is the smallest key above every key that starts with p, or nil
// if there is none.
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// QuietLogger keeps Pebble's routine messages (WAL replay and the like) out
// of a command's output; fatal ones still stop the process, as a panic
// with a *Fatal, which keeps Pebble's error for whoever recovers it.
type QuietLogger struct{}

func (QuietLogger) Infof(string, ...interface{}) {}
func (QuietLogger) Fatalf(format string, args ...interface{}) {
	panic(NewFatal("pebble: "+format, args...))
}

// Fatal is one of Pebble's fatal messages and the error it was given, if
// any: errors.Is sees through it to the cause (a full disk's ENOSPC).
type Fatal struct {
	Msg string
	Err error
}

// NewFatal formats a fatal message and keeps its first error argument.
func NewFatal(format string, args ...interface{}) *Fatal {
	f := &Fatal{Msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			f.Err = err
			break
		}
	}
	return f
}

func (f *Fatal) Error() string { return f.Msg }
func (f *Fatal) Unwrap() error { return f.Err }

// DiskFull reports whether err is a full disk or an exhausted quota.
func DiskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

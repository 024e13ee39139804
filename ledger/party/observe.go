package party

import (
	"sync/atomic"
	"time"
)

// Every proof a party makes (transfers, bulk payments, mints and burns)
// goes through spend, which tells the observer set here how long it took.
// That is how a long-running command exports the bank side's proving time
// (cmd/sable's --metrics-addr, sable_party_prove_seconds). The observer is
// told the duration and whether the proof was made: never an amount.
var proofObserver atomic.Pointer[func(took time.Duration, ok bool)]

// ObserveProofs sets the process's proof observer; nil removes it.
func ObserveProofs(f func(took time.Duration, ok bool)) {
	if f == nil {
		proofObserver.Store(nil)
		return
	}
	proofObserver.Store(&f)
}

// observeProof reports a proof started at start.
func observeProof(start time.Time, err error) {
	if f := proofObserver.Load(); f != nil {
		(*f)(time.Since(start), err == nil)
	}
}

package ceremony

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// Replay is a transcript whose every contribution has been checked: the
// last state of each phase, from which the next contribution, the seal or
// the keys are made.
type Replay struct {
	t      *Transcript
	last1  []byte           // the last phase 1 state's encoding
	p1     *mpcsetup.Phase1 // and decoded, or nil until needed
	sealed *mpcsetup.SrsCommons
	phase2 map[string]*phase2State
	full   bool // phase 1 replayed and phase 2's starts derived from it
}

// Contributions is the number of contributions in the transcript's
// current phase.
func (r *Replay) Contributions() int {
	if r.t.Manifest.Phase == 1 {
		return r.t.Manifest.count(KindPhase1)
	}
	return r.t.Manifest.count(KindPhase2)
}

// Verify replays the transcript from its start: every state file must be
// the one the manifest hashed, in canonical encoding and of its circuit's
// shape; every contribution's update proof must hold against the state
// before it (gnark's Phase1.Verify and Phase2.Verify: a proof of knowledge
// of the new secret, bound to the previous state's hash, and the new
// state's points consistent with it); the states sealing phase 1 must be
// the ones its beacon derives. A tampered byte, a reordered or skipped
// contribution, or a transcript for other circuits is refused, with
// ErrTranscript.
func (t *Transcript) Verify() (*Replay, error) { return t.replay(true) }

// replay checks the transcript; with full false and the transcript in
// phase 2, it checks phase 2's contributions from the starts the seal
// entry holds, without deriving them again from phase 1 (Contribute).
func (t *Transcript) replay(full bool) (*Replay, error) {
	r := &Replay{t: t, phase2: map[string]*phase2State{}, full: full || t.Manifest.Phase == 1}
	var err error
	if r.last1, err = initialPhase1(t.Manifest.Powers); err != nil {
		return nil, err
	}
	r.p1 = mpcsetup.NewPhase1(t.Manifest.Powers)
	for i, e := range t.Manifest.Entries[1:] {
		if err := r.entry(e); err != nil {
			return nil, fmt.Errorf("%w: entry %d (%s %d %s): %w", ErrTranscript, i+1, e.Kind, e.Index, e.Name, err)
		}
	}
	return r, nil
}

// entry checks one entry after the start. gnark's checks assume
// well-formed input, which the shape checks before them establish; should
// a crafted state still make one panic, the entry is refused.
func (r *Replay) entry(e Entry) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed contribution: %v", p)
		}
	}()
	switch e.Kind {
	case KindPhase1:
		if r.full {
			return r.phase1(e)
		}
	case KindSeal:
		return r.seal(e)
	case KindPhase2:
		return r.contribution2(e)
	}
	return nil
}

func (r *Replay) phase1(e Entry) error {
	data, err := r.t.readState(e, phase1Path(e.Index))
	if err != nil {
		return err
	}
	if _, ok := verified.Load(e.Hash); ok {
		r.p1, r.last1 = nil, data
		return nil
	}
	prev, err := r.lastPhase1()
	if err != nil {
		return err
	}
	next, err := decodePhase1(data, r.t.Manifest.Powers)
	if err != nil {
		return err
	}
	if err := prev.Verify(next); err != nil {
		return err
	}
	verified.Store(e.Hash, true)
	r.p1, r.last1 = next, data
	return nil
}

// verified remembers, by entry hash, the phase 1 contributions whose
// update proof this process has checked. An entry's hash commits to its
// file's SHA-256 (which every replay checks again) and, through the chain,
// to every state before it, so a remembered entry needs only its file
// read: a replay then decodes one phase 1 state, not all of them.
var verified sync.Map // string → bool

// lastPhase1 returns the last phase 1 state, decoding it if a remembered
// entry left it undecoded.
func (r *Replay) lastPhase1() (*mpcsetup.Phase1, error) {
	if r.p1 == nil {
		p, err := decodePhase1(r.last1, r.t.Manifest.Powers)
		if err != nil {
			return nil, err
		}
		r.p1 = p
	}
	return r.p1, nil
}

func (r *Replay) seal(e Entry) error {
	if !r.full {
		return r.storedStarts(e)
	}
	beacon, err := hex.DecodeString(e.Beacon)
	if err != nil {
		return err
	}
	sealed := func() (*mpcsetup.SrsCommons, error) { // only when a start is not remembered
		if r.sealed == nil {
			p1, err := r.lastPhase1()
			if err != nil {
				return nil, err
			}
			commons := p1.Seal(beacon)
			r.sealed = &commons
		}
		return r.sealed, nil
	}
	for _, c := range smallestFirst(r.t.circuits) { // a bad start is refused sooner
		st, err := cachedPhase2(e.Hash, c, sealed)
		if err != nil {
			return err
		}
		data, err := r.t.readState(e, phase2Path(c.Name, 0))
		if err != nil {
			return err
		}
		if !bytes.Equal(data, st.last) {
			return fmt.Errorf("the %s phase 2 start is not the one phase 1 and the beacon derive", c.Name)
		}
		r.phase2[c.Name] = st
	}
	return nil
}

func (r *Replay) contribution2(e Entry) error {
	for _, c := range r.t.circuits {
		data, err := r.t.readState(e, phase2Path(c.Name, e.Index))
		if err != nil {
			return err
		}
		next, err := decodePhase2(data, c.Shape, hashSize)
		if err != nil {
			return err
		}
		st := r.phase2[c.Name]
		if err := st.p.Verify(next); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		st.p, st.last = next, data
	}
	return nil
}

// storedStarts reads the phase 2 starts the seal entry holds, checked for
// their shape and encoding only.
func (r *Replay) storedStarts(e Entry) error {
	for _, c := range r.t.circuits {
		data, err := r.t.readState(e, phase2Path(c.Name, 0))
		if err != nil {
			return err
		}
		p, err := decodePhase2(data, c.Shape, 0)
		if err != nil {
			return err
		}
		r.phase2[c.Name] = &phase2State{p: p, last: data}
	}
	return nil
}

// smallestFirst orders circuits by domain, smallest first.
func smallestFirst(cs []circuit) []circuit {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b circuit) int { return cmp.Compare(a.Domain, b.Domain) })
	return out
}

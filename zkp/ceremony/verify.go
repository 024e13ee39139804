package ceremony

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
)

// Replay is a transcript whose every contribution has been checked: the
// last state of each phase, from which the next contribution, the seal or
// the keys are made.
type Replay struct {
	t      *Transcript
	last1  []byte           // the last phase 1 state's encoding
	p1     *mpcsetup.Phase1 // and decoded
	phase2 map[string]*phase2State
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
func (t *Transcript) Verify() (*Replay, error) {
	r := &Replay{t: t, phase2: map[string]*phase2State{}}
	var err error
	if r.last1, err = initialPhase1(t.Manifest.Powers); err != nil {
		return nil, err
	}
	r.p1 = mpcsetup.NewPhase1(t.Manifest.Powers)
	for i, e := range t.Manifest.Entries[1:] {
		var err error
		switch e.Kind {
		case KindPhase1:
			err = r.phase1(e)
		case KindSeal:
			err = r.seal(e)
		case KindPhase2:
			err = r.contribution2(e)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d (%s %d %s): %w", ErrTranscript, i+1, e.Kind, e.Index, e.Name, err)
		}
	}
	return r, nil
}

func (r *Replay) phase1(e Entry) error {
	data, err := r.t.readState(e, phase1Path(e.Index))
	if err != nil {
		return err
	}
	next, err := decodePhase1(data, r.t.Manifest.Powers)
	if err != nil {
		return err
	}
	if err := r.p1.Verify(next); err != nil {
		return err
	}
	r.p1, r.last1 = next, data
	return nil
}

func (r *Replay) seal(e Entry) error {
	beacon, err := hex.DecodeString(e.Beacon)
	if err != nil {
		return err
	}
	commons := r.p1.Seal(beacon)
	r.p1 = nil // Seal leaves it without a valid proof
	for _, c := range r.t.circuits {
		st, err := cachedPhase2(e.Hash, c, &commons)
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

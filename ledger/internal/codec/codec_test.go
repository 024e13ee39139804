package codec

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/sable-settlement/sable/zkp"
)

// smallOrder is (0, −1), a point of order 2: on the curve, outside the
// prime-order subgroup. The hex is y = p − 1, little-endian.
func smallOrder(t *testing.T) []byte {
	b, err := hex.DecodeString("000000f093f5e1439170b97948e833285d588181b64550b829a031e1724e6430")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readers are the commitment readers by name.
var readers = map[string]func(*Reader) zkp.Commitment{
	"checked": (*Reader).Commitment,
	"proven":  (*Reader).ProvenCommitment,
	"stored":  (*Reader).StoredCommitment,
}

// The checked reader refuses a point outside the subgroup; the proven
// reader (for a proof's public inputs) and the stored reader (for records
// the state machine wrote from checked values) skip only that check: they
// accept a small-order point, which only the proof, or the store's
// invariant, excludes.
func TestCommitmentReaders(t *testing.T) {
	bad := smallOrder(t)
	r := NewReader(bad)
	r.Commitment()
	if err := r.Done(); !errors.Is(err, ErrPoint) || !errors.Is(err, zkp.ErrNotInSubgroup) {
		t.Fatalf("checked reader on a small-order point: %v, want ErrPoint and ErrNotInSubgroup", err)
	}
	for _, name := range []string{"proven", "stored"} {
		if err := NewReader(bad).commitmentDone(t, readers[name]); err != nil {
			t.Fatalf("%s reader on a small-order point: %v, want it accepted", name, err)
		}
	}

	good := zkp.Commit(42, zkp.Order()).Bytes()
	for name, read := range readers {
		r := NewReader(good[:])
		c := read(r)
		if err := r.Done(); err != nil || c.Bytes() != good {
			t.Fatalf("%s reader on a valid point: %v", name, err)
		}
		// Not canonical (y ≥ p) and off the curve are refused by both.
		for what, b := range map[string][]byte{"y ≥ p": nonCanonical(), "off the curve": offCurve(t)} {
			if err := NewReader(b).commitmentDone(t, read); !errors.Is(err, ErrPoint) {
				t.Fatalf("%s reader on a point %s: %v, want ErrPoint", name, what, err)
			}
		}
	}
}

func (r *Reader) commitmentDone(t *testing.T, read func(*Reader) zkp.Commitment) error {
	t.Helper()
	read(r)
	return r.Done()
}

func nonCanonical() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = 0xff
	}
	b[31] = 0x7f
	return b
}

func offCurve(t *testing.T) []byte {
	b := make([]byte, 32)
	for y := byte(2); y < 255; y++ {
		b[0] = y
		if _, err := zkp.DecodeCommitment(b); errors.Is(err, zkp.ErrNotOnCurve) {
			return b
		}
	}
	t.Fatal("no off-curve y below 255")
	return nil
}

// BenchmarkCommitmentReaders compares the readers on one point: the proven
// and stored readers' saving is the subgroup check.
func BenchmarkCommitmentReaders(b *testing.B) {
	good := zkp.Commit(42, zkp.Order()).Bytes()
	for name, read := range readers {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				read(NewReader(good[:]))
			}
		})
	}
}

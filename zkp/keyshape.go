package zkp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errKeyShape marks a key payload whose declared lengths do not fit the
// circuit or the bytes that follow them.
var errKeyShape = errors.New("declared lengths do not fit the circuit")

// checkVKShape walks a verifying key's payload in gnark's encoding (six
// points, then K as a length-prefixed slice, the committed-wire lists and
// the commitment count) and checks every declared length against circuit
// c before gnark's decoder sees it. gnark-crypto's decoder allocates a
// slice from its declared length before reading it, so a checksummed file
// declaring 2^32 points would otherwise end the process out of memory.
func checkVKShape(payload []byte, c Circuit) error {
	w := keyWalker{b: payload}
	for _, g2 := range []bool{false, false, true, true, false, true} { // α1 β1 β2 γ2 δ1 δ2
		w.point(g2)
	}
	if n := w.u32(); w.err == nil && n != uint32(c.PublicInputs()+1) {
		return fmt.Errorf("%w: K has %d points, the %s circuit has %d public inputs", errKeyShape, n, c, c.PublicInputs())
	}
	for i := 0; i < c.PublicInputs()+1 && w.err == nil; i++ {
		w.point(false)
	}
	if n := w.u32(); w.err == nil && n != 0 {
		return fmt.Errorf("%w: %d committed-wire lists, Sable's circuits have none", errKeyShape, n)
	}
	if n := w.u32(); w.err == nil && n != 0 {
		return fmt.Errorf("%w: %d commitment keys, Sable's circuits have none", errKeyShape, n)
	}
	return w.err
}

// keyWalker reads gnark-crypto's BN254 encoding without decoding points.
type keyWalker struct {
	b   []byte
	off int
	err error
}

func (w *keyWalker) take(n int) []byte {
	if w.err != nil {
		return nil
	}
	if n > len(w.b)-w.off {
		w.err = fmt.Errorf("%w: truncated at byte %d", errKeyShape, w.off)
		return nil
	}
	out := w.b[w.off : w.off+n]
	w.off += n
	return out
}

func (w *keyWalker) u32() uint32 {
	if b := w.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// point skips one point: compressed (32 bytes in G1, 64 in G2) unless the
// top two bits of its first byte say uncompressed (twice that).
func (w *keyWalker) point(g2 bool) {
	size := 32
	if g2 {
		size = 64
	}
	if w.err != nil || w.off >= len(w.b) {
		w.take(size)
		return
	}
	if w.b[w.off]&0b1100_0000 == 0 {
		size *= 2
	}
	w.take(size)
}

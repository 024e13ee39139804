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

// maxDomain bounds a proving key's FFT domain: far above any Sable circuit,
// far below what would exhaust memory when gnark precomputes its twiddles.
const maxDomain = 1 << 20

// checkPKShape walks a proving key's payload in gnark's encoding (the FFT
// domain, then points and length-prefixed point slices, the wire count and
// the infinity flags, the commitment count) and checks that every declared
// length fits the bytes that follow it and the domain is a power of two
// within maxDomain, before gnark's decoder allocates for any of them.
// CheckKeyPair checks the exact shape against the circuit once decoded.
func checkPKShape(payload []byte) error {
	w := keyWalker{b: payload}
	if card := w.u64(); w.err == nil && (card == 0 || card > maxDomain || card&(card-1) != 0) {
		return fmt.Errorf("%w: FFT domain of %d points", errKeyShape, card)
	}
	w.take(5*32 + 1) // the domain's field elements and its precompute flag
	for range 3 {    // α1 β1 δ1
		w.point(false)
	}
	for range 4 { // A, B, Z, K in G1
		w.slice(false)
	}
	w.point(true) // β2
	w.point(true) // δ2
	w.slice(true) // B in G2
	wires := w.u64()
	w.u64() // NbInfinityA
	w.u64() // NbInfinityB
	if w.err == nil && wires > uint64(len(w.b)-w.off)/2 {
		return fmt.Errorf("%w: %d wires, %d bytes left for their flags", errKeyShape, wires, len(w.b)-w.off)
	}
	w.take(2 * int(wires)) // InfinityA, InfinityB
	if n := w.u32(); w.err == nil && n != 0 {
		return fmt.Errorf("%w: %d commitment keys, Sable's circuits have none", errKeyShape, n)
	}
	return w.err
}

func (w *keyWalker) u64() uint64 {
	if b := w.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// slice skips a length-prefixed point slice, refusing a length that the
// bytes left could not hold even compressed.
func (w *keyWalker) slice(g2 bool) {
	n := w.u32()
	min := 32
	if g2 {
		min = 64
	}
	if w.err == nil && uint64(n)*uint64(min) > uint64(len(w.b)-w.off) {
		w.err = fmt.Errorf("%w: %d points declared, %d bytes left", errKeyShape, n, len(w.b)-w.off)
	}
	for i := uint32(0); i < n && w.err == nil; i++ {
		w.point(g2)
	}
}

package tableprover

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"unsafe"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"

	"github.com/sable-settlement/sable/internal/atomicfile"
)

// Table files cache a prover's tables, so that a process can start proving
// without building them. A file is framed as
//
//	magic "SABLETBL" ‖ version 1 ‖ len(name) ‖ name ‖ SHA-256 of the proving
//	key's payload ‖ uint64be(len(payload)) ‖ uint32be(CRC-32C(payload)) ‖
//	payload
//
// and the payload holds the tables A, B1, B2 and KZ, in that order, each as
//
//	uint32be(points n) ‖ uint32be(window c) ‖ n·m points, m = windows(c)
//
// point i's m multiples 2^{c·j}·P_i in order. A coordinate is its four
// 64-bit Montgomery limbs, little-endian: gnark-crypto's form in memory,
// so that loading is a read into the tables' memory. A G1 point is x ‖ y,
// a G2 point x.A0 ‖ x.A1 ‖ y.A0 ‖ y.A1; the point at infinity is all
// zeros.
//
// A cache is never trusted. Read refuses, each with its own error, a file
// that is not a table file, is truncated, fails its checksum, was built
// from another proving key (stale), or whose tables do not fit the key:
// each table's first multiples must be the key's own points, and sampled
// multiples must be 2^c times the one before. zkp verifies every proof
// before it leaves, which catches anything else.
//
// The checksum is CRC-32C, not SHA-256: it is there for accidents (a
// SHA-256 of the transfer tables' 13 MB took 10 ms, half of the load as it
// then was; the CRC takes 1 ms), and neither would stop someone who can
// write the key directory, who could as well replace the proving key.
// Loading the transfer tables takes about 7–10 ms (mint: 4–5 ms): the
// read, the CRC, zeroing the new tables and the checks.
const tablesMagic = "SABLETBL"

const tablesVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors returned when reading table files. A missing file is reported with
// an error wrapping fs.ErrNotExist.
var (
	ErrNotATablesFile  = errors.New("zkp: not a Sable table file")
	ErrTablesTruncated = errors.New("zkp: table file is truncated")
	ErrTablesCorrupted = errors.New("zkp: table file is corrupted")
	ErrTablesStale     = errors.New("zkp: table file was built from another proving key")
)

const (
	g1Bytes = 2 * fp.Bytes
	g2Bytes = 4 * fp.Bytes
)

// Write writes p's tables to path atomically, mode 0600. keyHash is the
// SHA-256 of the proving key's file payload: it binds the file to the key.
func (p *Prover) Write(path string, keyHash [32]byte) error {
	g1s := []*g1Table{p.a, p.b1}
	size := 0
	for _, t := range append(g1s, p.kz) {
		size += 8 + len(t.points)*g1Bytes
	}
	size += 8 + len(p.b2.points)*g2Bytes
	payload := make([]byte, 0, size)
	for _, t := range g1s {
		payload = appendG1Table(payload, t)
	}
	payload = appendG2Table(payload, p.b2)
	payload = appendG1Table(payload, p.kz)

	var b bytes.Buffer
	b.Grow(tablesFrameLen(p.key.Name) + len(payload))
	b.WriteString(tablesMagic)
	b.WriteByte(tablesVersion)
	b.WriteByte(byte(len(p.key.Name)))
	b.WriteString(p.key.Name)
	b.Write(keyHash[:])
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(len(payload))))
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.Checksum(payload, castagnoli)))
	b.Write(payload)
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("zkp: write tables: %w", err)
	}
	return nil
}

// Read returns a prover for k with the tables of the file at path, after
// the checks above; keyHash is as for Write. The tables are read straight
// into their memory; the checksum is computed on the way.
func Read(path string, k Key, keyHash [32]byte) (*Prover, error) {
	p, err := newProver(k)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("zkp: %w", err)
	}
	defer f.Close()
	if err := p.readTables(f, keyHash); err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	return p, nil
}

// readTables reads a table file's frame and tables, then checks the
// checksum and the tables against the key.
func (p *Prover) readTables(f *os.File, keyHash [32]byte) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("zkp: %w", err)
	}
	r := bufio.NewReaderSize(f, 4096)
	size, sum, err := readTablesFrame(r, p.key.Name, keyHash)
	if err != nil {
		return err
	}
	switch rest := uint64(st.Size() - int64(tablesFrameLen(p.key.Name))); {
	case size > rest:
		return ErrTablesTruncated
	case size < rest:
		return fmt.Errorf("%w: trailing bytes", ErrTablesCorrupted)
	}
	crc := crc32.New(castagnoli)
	tr := io.TeeReader(r, crc)
	v := p.vectors()
	if p.a, err = readTable[bn254.G1Affine, bn254.G1Jac, fp.Element, g1](tr, v.a, g1Bytes, decodeG1); err != nil {
		return fmt.Errorf("%w (table A)", err)
	}
	if p.b1, err = readTable[bn254.G1Affine, bn254.G1Jac, fp.Element, g1](tr, v.b1, g1Bytes, decodeG1); err != nil {
		return fmt.Errorf("%w (table B1)", err)
	}
	if p.b2, err = readTable[bn254.G2Affine, bn254.G2Jac, bn254.E2, g2](tr, v.b2, g2Bytes, decodeG2); err != nil {
		return fmt.Errorf("%w (table B2)", err)
	}
	if p.kz, err = readTable[bn254.G1Affine, bn254.G1Jac, fp.Element, g1](tr, v.kz, g1Bytes, decodeG1); err != nil {
		return fmt.Errorf("%w (table KZ)", err)
	}
	if n, _ := tr.Read(make([]byte, 1)); n != 0 {
		return fmt.Errorf("%w: bytes after the tables", ErrTablesCorrupted)
	}
	if crc.Sum32() != sum {
		return fmt.Errorf("%w: checksum mismatch", ErrTablesCorrupted)
	}
	return errors.Join(checkTable(p.a, v.a, doubleG1), checkTable(p.b1, v.b1, doubleG1),
		checkTable(p.b2, v.b2, doubleG2), checkTable(p.kz, v.kz, doubleG1))
}

// tablesFrameLen is the length of a table file before the payload, for
// the circuit named name.
func tablesFrameLen(name string) int { return len(tablesMagic) + 2 + len(name) + 32 + 8 + 4 }

// readTablesFrame reads a table file's frame up to its payload and returns
// the payload's declared size and checksum.
func readTablesFrame(r io.Reader, circuit string, keyHash [32]byte) (size uint64, sum uint32, err error) {
	head := make([]byte, len(tablesMagic)+2)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(tablesMagic)]) != tablesMagic {
		return 0, 0, ErrNotATablesFile
	}
	if v := head[len(tablesMagic)]; v != tablesVersion {
		return 0, 0, fmt.Errorf("%w: version %d", ErrNotATablesFile, v)
	}
	name := make([]byte, head[len(tablesMagic)+1])
	var forKey [32]byte
	var n [8]byte
	var crc [4]byte
	for _, field := range [][]byte{name, forKey[:], n[:], crc[:]} {
		if _, err := io.ReadFull(r, field); err != nil {
			return 0, 0, ErrTablesTruncated
		}
	}
	if string(name) != circuit {
		return 0, 0, fmt.Errorf("%w: tables of the %q circuit, want %s", ErrTablesStale, name, circuit)
	}
	if forKey != keyHash {
		return 0, 0, ErrTablesStale
	}
	return binary.BigEndian.Uint64(n[:]), binary.BigEndian.Uint32(crc[:]), nil
}

// readTable reads one table of points P's multiples.
func readTable[A comparable, J, F any, G group[A, J, F]](r io.Reader, P []A, pointBytes int, decode func([]byte, *A)) (*table[A, J, F, G], error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("%w: tables longer than the payload", ErrTablesCorrupted)
	}
	n, c := int(binary.BigEndian.Uint32(h[:])), int(binary.BigEndian.Uint32(h[4:]))
	if n != len(P) || c < 4 || c > 16 {
		return nil, fmt.Errorf("%w: %d points with window %d, want %d points", ErrTablesCorrupted, n, c, len(P))
	}
	var g G
	t := &table[A, J, F, G]{tableShape: newTableShape(n, c, func(i int) bool { return g.isInfinity(&P[i]) })}
	t.points = make([]A, n*t.m)
	if err := readPoints(r, t.points, pointBytes, decode); err != nil {
		return nil, fmt.Errorf("%w: tables longer than the payload", ErrTablesCorrupted)
	}
	return t, nil
}

// littleEndian: the file's limbs are the points' memory on this machine.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// readPoints fills points from r: on a little-endian machine by reading
// into their memory (a point is its limbs, with no padding), elsewhere by
// decoding.
func readPoints[A any](r io.Reader, points []A, pointBytes int, decode func([]byte, *A)) error {
	if len(points) == 0 {
		return nil
	}
	if littleEndian && int(unsafe.Sizeof(points[0])) == pointBytes {
		_, err := io.ReadFull(r, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(points))), len(points)*pointBytes))
		return err
	}
	buf := make([]byte, 1024*pointBytes)
	for len(points) > 0 {
		k := min(len(points), 1024)
		if _, err := io.ReadFull(r, buf[:k*pointBytes]); err != nil {
			return err
		}
		for i := range k {
			decode(buf[i*pointBytes:], &points[i])
		}
		points = points[k:]
	}
	return nil
}

// spotChecks is how many multiples of each table are checked against the
// one before: a cheap test that the file holds multiples at all, beyond
// its checksum.
const spotChecks = 32

// checkTable checks t against the key's points P: t's first multiples are
// P, and sampled ones are 2^c times the one before.
func checkTable[A comparable, J, F any, G group[A, J, F]](t *table[A, J, F, G], P []A, double func(*A, int) A) error {
	for i := range P {
		if t.points[i*t.m] != P[i] {
			return fmt.Errorf("%w: the table is not the key's", ErrTablesStale)
		}
	}
	if t.m < 2 {
		return nil
	}
	for range spotChecks {
		i, j := rand.IntN(t.n), rand.IntN(t.m-1)
		if double(&t.points[i*t.m+j], t.c) != t.points[i*t.m+j+1] {
			return fmt.Errorf("%w: entry %d of point %d is not 2^%d times the one before", ErrTablesCorrupted, j+1, i, t.c)
		}
	}
	return nil
}

func doubleG1(p *bn254.G1Affine, n int) bn254.G1Affine {
	var j bn254.G1Jac
	j.FromAffine(p)
	g1{}.doubleTimes(&j, n)
	var q bn254.G1Affine
	q.FromJacobian(&j)
	return q
}

func doubleG2(p *bn254.G2Affine, n int) bn254.G2Affine {
	var j bn254.G2Jac
	j.FromAffine(p)
	g2{}.doubleTimes(&j, n)
	var q bn254.G2Affine
	q.FromJacobian(&j)
	return q
}

func appendG1Table(b []byte, t *g1Table) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(t.n))
	b = binary.BigEndian.AppendUint32(b, uint32(t.c))
	for i := range t.points {
		b = appendLimbs(b, &t.points[i].X)
		b = appendLimbs(b, &t.points[i].Y)
	}
	return b
}

func appendG2Table(b []byte, t *g2Table) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(t.n))
	b = binary.BigEndian.AppendUint32(b, uint32(t.c))
	for i := range t.points {
		q := &t.points[i]
		b = appendLimbs(appendLimbs(b, &q.X.A0), &q.X.A1)
		b = appendLimbs(appendLimbs(b, &q.Y.A0), &q.Y.A1)
	}
	return b
}

func decodeG1(b []byte, p *bn254.G1Affine) {
	readLimbs(&p.X, b)
	readLimbs(&p.Y, b[fp.Bytes:])
}

func decodeG2(b []byte, p *bn254.G2Affine) {
	readLimbs(&p.X.A0, b)
	readLimbs(&p.X.A1, b[fp.Bytes:])
	readLimbs(&p.Y.A0, b[2*fp.Bytes:])
	readLimbs(&p.Y.A1, b[3*fp.Bytes:])
}

func appendLimbs(b []byte, e *fp.Element) []byte {
	for _, l := range e {
		b = binary.LittleEndian.AppendUint64(b, l)
	}
	return b
}

func readLimbs(e *fp.Element, b []byte) {
	for k := range e {
		e[k] = binary.LittleEndian.Uint64(b[8*k:])
	}
}

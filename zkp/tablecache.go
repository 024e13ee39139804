package zkp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fp"

	"github.com/sable-settlement/sable/internal/atomicfile"
)

// Table files cache a TableProver's tables beside the proving key they were
// built from (TablesPath), so that a process can start on the table engine
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
// 64-bit Montgomery limbs, little-endian (gnark-crypto's form in memory, so
// that loading is a copy); a G1 point is x ‖ y, a G2 point x.A0 ‖ x.A1 ‖
// y.A0 ‖ y.A1; the point at infinity is all zeros.
//
// A cache is never trusted. ReadTableProver refuses, each with its own
// error, a file that is not a table file, is truncated, fails its checksum,
// was built from another proving key (stale), or whose tables do not fit
// the key: each table's first multiples must be the key's own points, and
// sampled multiples must be 2^c times the one before. Every proof is still
// verified before it leaves (see Proving), which catches anything else.
//
// The checksum is CRC-32C, not SHA-256: it is there for accidents (a
// SHA-256 of the transfer tables' 13 MB took half of the 21 ms load, the
// CRC well under a millisecond), and neither would stop someone who can
// write the key directory, who could as well replace the proving key.
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

// TablesPath returns DIR/<circuit>.tables, the table cache beside the
// proving key of KeyPaths.
func TablesPath(dir string, c Circuit) string {
	return filepath.Join(dir, string(c)+".tables")
}

const (
	g1Bytes = 2 * fp.Bytes
	g2Bytes = 4 * fp.Bytes
)

// WriteTables writes p's tables to path atomically, mode 0600.
func (p *TableProver) WriteTables(path string) error {
	keyHash, err := p.key.payloadHash()
	if err != nil {
		return err
	}
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
	b.Grow(len(tablesMagic) + 2 + len(p.key.circuit) + 32 + 8 + 4 + len(payload))
	b.WriteString(tablesMagic)
	b.WriteByte(tablesVersion)
	b.WriteByte(byte(len(p.key.circuit)))
	b.WriteString(string(p.key.circuit))
	b.Write(keyHash[:])
	b.Write(binary.BigEndian.AppendUint64(nil, uint64(len(payload))))
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.Checksum(payload, castagnoli)))
	b.Write(payload)
	if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("zkp: write tables: %w", err)
	}
	return nil
}

// ReadTableProver returns a prover for k with the tables of the file at
// path, after the checks above; InitTime is the time it took.
func ReadTableProver(path string, k *ProvingKey) (*TableProver, error) {
	start := time.Now()
	keyHash, err := k.payloadHash()
	if err != nil {
		return nil, err
	}
	p, err := newTableProver(k)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("zkp: %w", err)
	}
	payload, err := tablesPayload(data, k.circuit, keyHash)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	if err := p.decodeTables(payload); err != nil {
		return nil, fmt.Errorf("%w: %s", err, path)
	}
	p.InitTime = time.Since(start)
	return p, nil
}

// tablesPayload checks a table file's frame and returns its payload.
func tablesPayload(data []byte, c Circuit, keyHash [32]byte) ([]byte, error) {
	r := bytes.NewReader(data)
	head := make([]byte, len(tablesMagic)+2)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(tablesMagic)]) != tablesMagic {
		return nil, ErrNotATablesFile
	}
	if v := head[len(tablesMagic)]; v != tablesVersion {
		return nil, fmt.Errorf("%w: version %d", ErrNotATablesFile, v)
	}
	name := make([]byte, head[len(tablesMagic)+1])
	var forKey [32]byte
	var n [8]byte
	var sum [4]byte
	for _, field := range [][]byte{name, forKey[:], n[:], sum[:]} {
		if _, err := io.ReadFull(r, field); err != nil {
			return nil, ErrTablesTruncated
		}
	}
	if Circuit(name) != c {
		return nil, fmt.Errorf("%w: tables of the %q circuit, want %s", ErrTablesStale, name, c)
	}
	if forKey != keyHash {
		return nil, ErrTablesStale
	}
	size := binary.BigEndian.Uint64(n[:])
	switch {
	case size > uint64(r.Len()):
		return nil, ErrTablesTruncated
	case size < uint64(r.Len()):
		return nil, fmt.Errorf("%w: trailing bytes", ErrTablesCorrupted)
	}
	payload := data[len(data)-int(size):]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(sum[:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrTablesCorrupted)
	}
	return payload, nil
}

// decodeTables reads the four tables from payload and checks them against
// the key's vectors.
func (p *TableProver) decodeTables(payload []byte) error {
	v := p.vectors()
	var err error
	if p.a, payload, err = decodeG1Table(payload, v.a); err != nil {
		return fmt.Errorf("%w (table A)", err)
	}
	if p.b1, payload, err = decodeG1Table(payload, v.b1); err != nil {
		return fmt.Errorf("%w (table B1)", err)
	}
	if p.b2, payload, err = decodeG2Table(payload, v.b2); err != nil {
		return fmt.Errorf("%w (table B2)", err)
	}
	if p.kz, payload, err = decodeG1Table(payload, v.kz); err != nil {
		return fmt.Errorf("%w (table KZ)", err)
	}
	if len(payload) != 0 {
		return fmt.Errorf("%w: bytes after the tables", ErrTablesCorrupted)
	}
	return nil
}

// tableHeader reads a table's point count and window and returns the
// number of point entries and the rest of the payload.
func tableHeader(payload []byte, want, pointBytes int) (c, entries int, rest []byte, err error) {
	if len(payload) < 8 {
		return 0, 0, nil, fmt.Errorf("%w: table header", ErrTablesCorrupted)
	}
	n := int(binary.BigEndian.Uint32(payload))
	c = int(binary.BigEndian.Uint32(payload[4:]))
	if n != want || c < 4 || c > 16 {
		return 0, 0, nil, fmt.Errorf("%w: %d points with window %d, want %d points", ErrTablesCorrupted, n, c, want)
	}
	entries = n * windows(c)
	if len(payload)-8 < entries*pointBytes {
		return 0, 0, nil, fmt.Errorf("%w: table shorter than its header says", ErrTablesCorrupted)
	}
	return c, entries, payload[8:], nil
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

func decodeG1Table(payload []byte, P []bn254.G1Affine) (*g1Table, []byte, error) {
	c, entries, payload, err := tableHeader(payload, len(P), g1Bytes)
	if err != nil {
		return nil, nil, err
	}
	points := make([]bn254.G1Affine, entries)
	for i := range points {
		readLimbs(&points[i].X, payload)
		readLimbs(&points[i].Y, payload[fp.Bytes:])
		payload = payload[g1Bytes:]
	}
	t := &g1Table{tableShape: newTableShape(len(P), c, func(i int) bool { return P[i].IsInfinity() }), points: points}
	double := func(p *bn254.G1Affine, n int) bn254.G1Affine {
		var j bn254.G1Jac
		j.FromAffine(p)
		g1{}.doubleTimes(&j, n)
		var q bn254.G1Affine
		q.FromJacobian(&j)
		return q
	}
	return t, payload, checkTable(t, P, double)
}

func decodeG2Table(payload []byte, P []bn254.G2Affine) (*g2Table, []byte, error) {
	c, entries, payload, err := tableHeader(payload, len(P), g2Bytes)
	if err != nil {
		return nil, nil, err
	}
	points := make([]bn254.G2Affine, entries)
	for i := range points {
		q := &points[i]
		readLimbs(&q.X.A0, payload)
		readLimbs(&q.X.A1, payload[fp.Bytes:])
		readLimbs(&q.Y.A0, payload[2*fp.Bytes:])
		readLimbs(&q.Y.A1, payload[3*fp.Bytes:])
		payload = payload[g2Bytes:]
	}
	t := &g2Table{tableShape: newTableShape(len(P), c, func(i int) bool { return P[i].IsInfinity() }), points: points}
	double := func(p *bn254.G2Affine, n int) bn254.G2Affine {
		var j bn254.G2Jac
		j.FromAffine(p)
		g2{}.doubleTimes(&j, n)
		var q bn254.G2Affine
		q.FromJacobian(&j)
		return q
	}
	return t, payload, checkTable(t, P, double)
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

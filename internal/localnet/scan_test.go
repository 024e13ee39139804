package localnet

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ScanForAmounts finds each form of an amount in any file under the
// directories, and nothing in files without one. On a disk where no decoy
// turns up, one amount found is a leak.
func TestScanForAmounts(t *testing.T) {
	const amt = 123456789012
	forms := map[Form][]byte{
		LittleEndian: binary.LittleEndian.AppendUint64([]byte("x"), amt),
		BigEndian:    binary.BigEndian.AppendUint64([]byte("x"), amt),
		Decimal:      []byte("a=123456789012;"),
		MajorDecimal: []byte("[1234567890.12]"),
	}
	dir := t.TempDir()
	for f, data := range forms {
		sub := filepath.Join(dir, fmt.Sprint(int(f)), "deeper")
		writeFile(t, filepath.Join(sub, "f"), data)
	}
	clean := filepath.Join(dir, "clean")
	writeFile(t, clean, []byte("1234567890 12345678901 0.12 0123456789012 123456789012.5 1234567890.1"))
	scan, err := ScanForAmounts([]string{dir}, []uint64{amt})
	if err != nil {
		t.Fatal(err)
	}
	if scan.Files != len(forms)+1 || len(scan.Hits) != len(forms) {
		t.Fatalf("scanned %d files, hits %v", scan.Files, scan.Hits)
	}
	for _, h := range scan.Hits {
		if h.Path == clean {
			t.Errorf("hit in the clean file: %s", h.What)
		}
	}
	err = scan.Leak()
	for f := range forms {
		if tally := scan.Forms[f]; tally.Found != 1 || tally.P >= ChanceLevel {
			t.Errorf("%v: %+v", f, tally)
		}
		if err == nil || !strings.Contains(err.Error(), "as "+f.String()+" ") {
			t.Errorf("leak %v does not name %v", err, f)
		}
	}
}

// A run of digits inside a hex string is not an amount in the clear: the
// genesis on every validator's disk holds megabytes of hex, and its digit
// runs equal some amount by chance. An amount written out is still found.
func TestScannerIgnoresDigitsInsideHex(t *testing.T) {
	sc := NewAmountScanner([]uint64{1234567})
	for _, data := range []string{`"ab1234567cd"`, `"1234567e"`, `f1234567"`, `a12345.67b`} {
		if ms := amountsIn(sc.Find([]byte(data))); len(ms) != 0 {
			t.Errorf("%s: %v", data, ms)
		}
	}
	for _, data := range []string{`"amount":1234567,`, `x1234567`, `[12345.67]`, `1234567`} {
		if ms := amountsIn(sc.Find([]byte(data))); len(ms) != 1 {
			t.Errorf("%s: %v, want one", data, ms)
		}
	}
}

// Only the exact decimal forms are read: no leading zero, and the dot of a
// major-unit amount before its last two digits.
func TestReadDecimal(t *testing.T) {
	sc := NewAmountScanner([]uint64{5, 1234567})
	for run, want := range map[string]Match{
		"5": {Value: 5, Form: Decimal}, "0.05": {Value: 5, Form: MajorDecimal},
		"1234567": {Value: 1234567, Form: Decimal}, "12345.67": {Value: 1234567, Form: MajorDecimal},
	} {
		v, f, ok := sc.readDecimal([]byte(run))
		if !ok || v != want.Value || f != want.Form {
			t.Errorf("%q: %d %v %v", run, v, f, ok)
		}
	}
	for _, run := range []string{"05", "00.05", ".05", "0.5", "01234567", "1234.567", "123456.7",
		"12345.6.7", "1.2.34", "12345..7", "123.4.", "12345678", "123456789012345678901234567890"} {
		if v, f, ok := sc.readDecimal([]byte(run)); ok {
			t.Errorf("%q read as %d %v", run, v, f)
		}
	}
}

// A disk full of hashes that follow zero bytes (Pebble's trailers before a
// tx hash) holds some amounts by chance, as often as it holds their
// decoys: that is no leak. Every amount written out, or two decimal
// amounts on that same disk, are.
func TestScanTellsChanceFromLeak(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var amounts []uint64
	for range 64 {
		amounts = append(amounts, 1_000_000+rng.Uint64N(9_000_000))
	}
	// 2^19 records of five zero bytes and a 32-byte hash: each amount under
	// 2^24 turns up once in 32 disks as the three bytes after the zeros.
	var disk []byte
	hash := make([]byte, 32)
	for range 1 << 19 {
		for i := range hash {
			hash[i] = byte(rng.Uint32())
		}
		disk = append(append(disk, 0, 0, 0, 0, 0), hash...)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "000008.sst"), disk)
	scan, err := ScanForAmounts([]string{dir}, amounts)
	if err != nil {
		t.Fatal(err)
	}
	be := scan.Forms[BigEndian]
	if be.Found == 0 || be.Expected < 0.5 {
		t.Fatalf("no chance match to tell from a leak (seed): %+v", be)
	}
	if err := scan.Leak(); err != nil {
		t.Fatalf("chance called a leak: %v (%+v)", err, scan.Forms)
	}
	t.Logf("by chance: %d amounts found as big-endian, %.2f expected from the decoys", be.Found, be.Expected)

	var leak []byte
	for _, a := range amounts {
		leak = binary.LittleEndian.AppendUint64(append(leak, 0xee), a)
	}
	writeFile(t, filepath.Join(dir, "000009.log"), leak)
	writeFile(t, filepath.Join(dir, "events.json"), fmt.Appendf(nil, `{"a":%d,"b":"%s"}`, amounts[0], formatForm(amounts[1], MajorDecimal)))
	if scan, err = ScanForAmounts([]string{dir}, amounts); err != nil {
		t.Fatal(err)
	}
	err = scan.Leak()
	for _, f := range []Form{LittleEndian, Decimal, MajorDecimal} {
		if err == nil || !strings.Contains(err.Error(), "as "+f.String()+" ") {
			t.Errorf("leak %v does not name %v", err, f)
		}
	}
	if err != nil && strings.Contains(err.Error(), "as "+BigEndian.String()+" ") {
		t.Errorf("leak %v names the chance matches", err)
	}
}

// poissonTail against closed forms.
func TestPoissonTail(t *testing.T) {
	for _, c := range []struct {
		lambda float64
		k      int
		want   float64
	}{
		{0.005, 0, 1},
		{0.005, 1, 1 - math.Exp(-0.005)},
		{1, 2, 1 - 2/math.E},
		{3, 1, 1 - math.Exp(-3)},
		{1.0 / 4096, 1, 1 - math.Exp(-1.0/4096)},
	} {
		if got := poissonTail(c.lambda, c.k); math.Abs(got-c.want) > 1e-12*max(1, c.want) && math.Abs(got-c.want)/c.want > 1e-9 {
			t.Errorf("P(X ≥ %d; %g) = %g, want %g", c.k, c.lambda, got, c.want)
		}
	}
}

// A decoy has its amount's decimal length and byte length.
func TestBucket(t *testing.T) {
	for _, c := range []struct{ a, lo, hi uint64 }{
		{1, 1, 10}, {255, 100, 256}, {256, 256, 1000}, {5_000_000, 1_000_000, 10_000_000}, {12_000_000, 10_000_000, 1 << 24},
		{50_000_000, 1 << 24, 100_000_000}, {math.MaxUint64, 10_000_000_000_000_000_000, math.MaxUint64},
	} {
		if lo, hi := bucket(c.a); lo != c.lo || hi != c.hi {
			t.Errorf("bucket(%d) = [%d, %d), want [%d, %d)", c.a, lo, hi, c.lo, c.hi)
		}
	}
}

func amountsIn(ms []Match) []Match {
	var out []Match
	for _, m := range ms {
		if !m.Decoy {
			out = append(out, m)
		}
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

package localnet

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// ScanForAmounts finds each form of an amount in any file under the
// directories, and nothing in files without one.
func TestScanForAmounts(t *testing.T) {
	const amt = 123456789012
	forms := map[string][]byte{
		"le":      binary.LittleEndian.AppendUint64([]byte("x"), amt),
		"be":      binary.BigEndian.AppendUint64([]byte("x"), amt),
		"decimal": []byte("a=123456789012;"),
		"major":   []byte("[1234567890.12]"),
	}
	dir := t.TempDir()
	for name, data := range forms {
		sub := filepath.Join(dir, name, "deeper")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "f"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	clean := filepath.Join(dir, "clean")
	if err := os.WriteFile(clean, []byte("1234567890 12345678901 0.12"), 0o644); err != nil {
		t.Fatal(err)
	}
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
}

// A run of digits inside a hex string is not an amount in the clear: the
// genesis on every validator's disk holds megabytes of hex, and its digit
// runs equal some amount by chance. An amount written out is still found.
func TestScannerIgnoresDigitsInsideHex(t *testing.T) {
	sc := NewAmountScanner([]uint64{1234567})
	for _, data := range []string{`"ab1234567cd"`, `"1234567e"`, `f1234567"`, `a12345.67b`} {
		if hits := sc.Find([]byte(data)); len(hits) != 0 {
			t.Errorf("%s: %v", data, hits)
		}
	}
	for _, data := range []string{`"amount":1234567,`, `x1234567`, `[12345.67]`, `1234567`} {
		if hits := sc.Find([]byte(data)); len(hits) != 1 {
			t.Errorf("%s: %v, want one hit", data, hits)
		}
	}
}

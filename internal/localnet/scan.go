package localnet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sable-settlement/sable/ledger"
)

// DiskScan is what ScanForAmounts found.
type DiskScan struct {
	Files int
	Bytes int64
	Hits  []Hit // amounts found in the clear: must be none
}

// Hit is one amount found in a file.
type Hit struct {
	Path string
	What string // which amount, in which form, at which offset
}

// ScanDisks scans every file under every validator's home for the amounts
// (see ScanForAmounts). Stop the validators first, so that everything
// they hold is on disk.
func (n *Net) ScanDisks(amounts []uint64) (DiskScan, error) {
	var homes []string
	for _, v := range n.Layout.Validators {
		homes = append(homes, v.Home)
	}
	return ScanForAmounts(homes, amounts)
}

// ScanForAmounts searches every file under dirs for every amount in the
// clear: as decimal text in minor units and in major units with two
// decimals, and as 8-byte little- and big-endian integers.
func ScanForAmounts(dirs []string, amounts []uint64) (DiskScan, error) {
	var res DiskScan
	sc := NewAmountScanner(amounts)
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			res.Files++
			res.Bytes += int64(len(data))
			for _, what := range sc.Find(data) {
				res.Hits = append(res.Hits, Hit{Path: path, What: what})
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("localnet: scan %s: %w", dir, err)
		}
	}
	return res, nil
}

// AmountScanner finds amounts in one pass over the data: each 8-byte
// window is looked up as both integers (after a cheap filter on the
// high-order bytes that are zero in every amount), and each run of digits
// and dots is searched for the decimal forms.
type AmountScanner struct {
	ints       map[uint64]bool
	decimals   [][]byte
	zeros      int
	minDecimal int
}

// NewAmountScanner scans for amounts (minor units).
func NewAmountScanner(amounts []uint64) *AmountScanner {
	sc := &AmountScanner{ints: map[uint64]bool{}, minDecimal: 1 << 30}
	var hi uint64
	for _, a := range amounts {
		sc.ints[a] = true
		hi = max(hi, a)
		sc.decimals = append(sc.decimals, []byte(fmt.Sprint(a)), []byte(ledger.FormatAmount(ledger.Currencies[0].Code, a)))
	}
	for _, d := range sc.decimals {
		sc.minDecimal = min(sc.minDecimal, len(d))
	}
	for sc.zeros < 7 && hi>>(8*(8-sc.zeros-1)) == 0 {
		sc.zeros++
	}
	return sc
}

// Find describes every amount in data.
func (sc *AmountScanner) Find(data []byte) []string {
	return append(sc.findInts(data), sc.findDecimals(data)...)
}

func (sc *AmountScanner) findInts(data []byte) []string {
	var hits []string
	for i := 0; i+8 <= len(data); i++ {
		w := data[i : i+8]
		le, be := true, true
		for z := 0; z < sc.zeros; z++ {
			le = le && w[7-z] == 0
			be = be && w[z] == 0
		}
		if le && sc.ints[binary.LittleEndian.Uint64(w)] {
			hits = append(hits, fmt.Sprintf("amount %d, 8-byte little-endian, at offset %d", binary.LittleEndian.Uint64(w), i))
		}
		if be && sc.ints[binary.BigEndian.Uint64(w)] {
			hits = append(hits, fmt.Sprintf("amount %d, 8-byte big-endian, at offset %d", binary.BigEndian.Uint64(w), i))
		}
	}
	return hits
}

func (sc *AmountScanner) findDecimals(data []byte) []string {
	var hits []string
	isDec := func(c byte) bool { return c >= '0' && c <= '9' || c == '.' }
	for i := 0; i < len(data); {
		if !isDec(data[i]) {
			i++
			continue
		}
		j := i
		for j < len(data) && isDec(data[j]) {
			j++
		}
		if run := data[i:j]; len(run) >= sc.minDecimal && standalone(data, i, j) {
			for _, d := range sc.decimals {
				if bytes.Equal(run, d) {
					hits = append(hits, fmt.Sprintf("amount %q in decimal at offset %d", d, i))
				}
			}
		}
		i = j
	}
	return hits
}

// standalone reports whether the digit run data[i:j] is a number of its own
// rather than a piece of a hex string: an amount written out in decimal is
// delimited, while the megabytes of hex on a validator's disk (the genesis
// carries the regulator's HE key and every funding flow in hex) hold many
// runs of digits between hex letters, and some equal an amount by chance.
func standalone(data []byte, i, j int) bool {
	isHexLetter := func(c byte) bool { return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
	return (i == 0 || !isHexLetter(data[i-1])) && (j == len(data) || !isHexLetter(data[j]))
}

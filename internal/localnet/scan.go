package localnet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/sable-settlement/sable/ledger"
)

// A validator's disk holds hundreds of megabytes of hashes, ciphertexts,
// Pebble's 8-byte trailers and offsets, so any one amount can be on it by
// chance: a tx hash stored after a trailer's five zero bytes reads as an
// 8-byte big-endian amount under 2^24 once in every 2^24 hashes, and a
// demo's few hundred amounts meet such a match in about one run in a
// hundred. Every realistic leak is systematic instead (a memo, an event
// or a plaintext written in the clear carries every payment's amount), so
// the scan asks whether more amounts were found than chance explains. It
// measures chance on the same disk in the same pass: for each amount it
// also searches DecoysPerAmount decoys, random values of the same decimal
// length and byte length that moved nowhere, and a form leaks when the
// number of distinct amounts found in it would happen by chance with
// probability under ChanceLevel. At that level one amount found is a leak
// while at most three decoys were found in its form (a decimal amount in
// a log or an event, say), two are where up to 180 were, and a scan
// fails by chance at most once in a thousand.
const (
	DecoysPerAmount = 4096
	ChanceLevel     = 1e-3
)

// Form is how an amount is written.
type Form int

const (
	Decimal      Form = iota // minor units in decimal: 1234567
	MajorDecimal             // major units with two decimals: 12345.67
	LittleEndian             // an 8-byte little-endian integer
	BigEndian                // an 8-byte big-endian integer
	numForms
)

func (f Form) String() string {
	return [...]string{"decimal", "major-unit decimal", "8-byte little-endian", "8-byte big-endian"}[f]
}

// DiskScan is what ScanForAmounts found.
type DiskScan struct {
	Files int
	Bytes int64
	Hits  []Hit           // every place an amount was found, by chance or not
	Forms [numForms]Tally // per form: amounts found against what chance predicts
}

// Hit is one amount found in a file.
type Hit struct {
	Path string
	Form Form
	What string // which amount, in which form, at which offset
}

// Tally compares the amounts found in one form with the decoys found in it.
type Tally struct {
	Found    int     // distinct amounts found
	Expected float64 // amounts chance would find: (decoys found + 1) / DecoysPerAmount
	P        float64 // probability of finding at least Found by chance
}

// Leak reports whether chance explains what the scan found; the error
// names each form in which it does not, with the first place found.
func (s DiskScan) Leak() error {
	var msgs []string
	for f, t := range s.Forms {
		if t.Found > 0 && t.P < ChanceLevel {
			msgs = append(msgs, fmt.Sprintf("%d amounts as %v where chance explains %.3g (p = %.1e), first %s",
				t.Found, Form(f), t.Expected, t.P, s.first(Form(f))))
		}
	}
	if msgs == nil {
		return nil
	}
	return fmt.Errorf("localnet: amounts in the clear on disk: %s", strings.Join(msgs, "; "))
}

// Chance is the number of amounts found in all, each explained by chance
// when Leak returns nil.
func (s DiskScan) Chance() int {
	n := 0
	for _, t := range s.Forms {
		n += t.Found
	}
	return n
}

func (s DiskScan) first(f Form) string {
	for _, h := range s.Hits {
		if h.Form == f {
			return h.Path + ": " + h.What
		}
	}
	return ""
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
// clear, in each Form, and tallies the amounts and their decoys found.
func ScanForAmounts(dirs []string, amounts []uint64) (DiskScan, error) {
	var res DiskScan
	sc := NewAmountScanner(amounts)
	found := newFoundSet()
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
			for _, m := range sc.Find(data) {
				found.add(m)
				if !m.Decoy {
					res.Hits = append(res.Hits, Hit{Path: path, Form: m.Form, What: m.String()})
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("localnet: scan %s: %w", dir, err)
		}
	}
	for f := range res.Forms {
		res.Forms[f] = sc.tally(found, Form(f))
	}
	return res, nil
}

// foundSet keeps the distinct values found per form: an amount on four
// validators' disks, or twice in one file, is one amount found.
type foundSet [numForms]map[uint64]bool

func newFoundSet() *foundSet {
	var s foundSet
	for f := range s {
		s[f] = map[uint64]bool{}
	}
	return &s
}

func (s *foundSet) add(m Match) { s[m.Form][m.Value] = true }

// Match is one value found in data.
type Match struct {
	Value  uint64
	Form   Form
	Offset int
	Decoy  bool // a decoy, not one of the amounts
}

func (m Match) String() string {
	if m.Form == Decimal || m.Form == MajorDecimal {
		return fmt.Sprintf("amount %q in %v at offset %d", formatForm(m.Value, m.Form), m.Form, m.Offset)
	}
	return fmt.Sprintf("amount %d, %v, at offset %d", m.Value, m.Form, m.Offset)
}

// formatForm writes v in a decimal form.
func formatForm(v uint64, f Form) string {
	if f == MajorDecimal {
		return ledger.FormatAmount(ledger.Currencies[0].Code, v)
	}
	return fmt.Sprint(v)
}

// AmountScanner finds amounts and their decoys in one pass over the data:
// each 8-byte window is looked up as both integers (after a cheap filter
// on the high-order bytes that are zero in every value), and each run of
// digits and dots that is written as Decimal or MajorDecimal would write
// a value is read and looked up.
type AmountScanner struct {
	real   map[uint64]bool
	draws  map[uint64]int // decoy → times drawn
	zeros  int
	digits [2]int // fewest and most digits of any value
}

// NewAmountScanner scans for amounts (minor units) and DecoysPerAmount
// decoys of each, drawn from a fixed seed so that a scan is reproducible.
func NewAmountScanner(amounts []uint64) *AmountScanner {
	sc := &AmountScanner{real: map[uint64]bool{}, draws: map[uint64]int{}, digits: [2]int{20, 0}}
	for _, a := range amounts {
		sc.real[a] = true
	}
	rng := rand.New(rand.NewPCG(0x5ab1e, uint64(len(amounts))))
	var top uint64
	for _, a := range amounts {
		lo, hi := bucket(a)
		for range DecoysPerAmount {
			if v := lo + rng.Uint64N(hi-lo); !sc.real[v] {
				sc.draws[v]++
			}
		}
		// A bucket has one decimal length and one byte length.
		top = max(top, hi-1)
		n := len(fmt.Sprint(a))
		sc.digits = [2]int{min(sc.digits[0], n), max(sc.digits[1], n)}
	}
	for sc.zeros < 7 && top>>(8*(8-sc.zeros-1)) == 0 {
		sc.zeros++
	}
	return sc
}

// bucket is the range of values with a's decimal length and byte length,
// from which its decoys are drawn: on disk, how often a value turns up by
// chance depends mostly on how many digits or significant bytes it has.
func bucket(a uint64) (lo, hi uint64) {
	lo, hi = 0, math.MaxUint64
	for p := uint64(1); p <= a; p *= 10 {
		lo = p
		if p > math.MaxUint64/10 {
			hi = math.MaxUint64
			break
		}
		hi = p * 10
	}
	for b := 8; b < 64; b += 8 {
		if a < 1<<b {
			hi = min(hi, 1<<b)
			break
		}
		lo = max(lo, 1<<b)
	}
	return lo, hi
}

// tally compares the distinct amounts found in a form with the decoys
// found in it. The +1 keeps a disk on which no decoy was found from
// pricing a single chance match at zero.
func (sc *AmountScanner) tally(found *foundSet, f Form) Tally {
	var t Tally
	hits := 0
	for v := range found[f] {
		if sc.real[v] {
			t.Found++
		} else {
			hits += sc.draws[v]
		}
	}
	t.Expected = float64(hits+1) / DecoysPerAmount
	t.P = poissonTail(t.Expected, t.Found)
	return t
}

// poissonTail is P(X ≥ k) for X ~ Poisson(λ).
func poissonTail(lambda float64, k int) float64 {
	if k <= 0 {
		return 1
	}
	// The first term, then each from the one before, until they vanish.
	lg, _ := math.Lgamma(float64(k + 1))
	term := math.Exp(float64(k)*math.Log(lambda) - lambda - lg)
	sum := 0.0
	for i := k; term > 0 && term >= sum*1e-17; i++ {
		sum += term
		term *= lambda / float64(i+1)
	}
	return min(sum, 1)
}

// Find returns every amount and decoy in data.
func (sc *AmountScanner) Find(data []byte) []Match {
	return append(sc.findInts(data), sc.findDecimals(data)...)
}

func (sc *AmountScanner) findInts(data []byte) []Match {
	var ms []Match
	for i := 0; i+8 <= len(data); i++ {
		w := data[i : i+8]
		le, be := true, true
		for z := 0; z < sc.zeros; z++ {
			le = le && w[7-z] == 0
			be = be && w[z] == 0
		}
		if le {
			ms = sc.appendMatch(ms, binary.LittleEndian.Uint64(w), LittleEndian, i)
		}
		if be {
			ms = sc.appendMatch(ms, binary.BigEndian.Uint64(w), BigEndian, i)
		}
	}
	return ms
}

// appendMatch appends v found in form f at off, if v is an amount or a
// decoy.
func (sc *AmountScanner) appendMatch(ms []Match, v uint64, f Form, off int) []Match {
	if sc.real[v] || sc.draws[v] > 0 {
		ms = append(ms, Match{Value: v, Form: f, Offset: off, Decoy: !sc.real[v]})
	}
	return ms
}

func (sc *AmountScanner) findDecimals(data []byte) []Match {
	var ms []Match
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
		if standalone(data, i, j) {
			if v, f, ok := sc.readDecimal(data[i:j]); ok {
				ms = sc.appendMatch(ms, v, f, i)
			}
		}
		i = j
	}
	return ms
}

// readDecimal reads a run of digits and dots written exactly as formatForm
// writes a value with as many digits as some amount: no leading zero, and
// in MajorDecimal one dot before the last two digits ("0.05" for 5).
func (sc *AmountScanner) readDecimal(run []byte) (uint64, Form, bool) {
	f, whole := Decimal, run
	if k := bytes.IndexByte(run, '.'); k >= 0 {
		if k == 0 || k != len(run)-3 || run[k+2] == '.' || run[k+1] == '.' {
			return 0, 0, false
		}
		f, whole = MajorDecimal, run[:k]
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, 0, false
	}
	var v uint64
	n := 0 // digits of v
	for _, c := range run {
		if c == '.' {
			continue
		}
		if v = v*10 + uint64(c-'0'); v > 0 {
			n++
		}
		if n > sc.digits[1] {
			return 0, 0, false // longer than any amount, and v may have wrapped
		}
	}
	return v, f, n >= sc.digits[0] && n <= sc.digits[1]
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

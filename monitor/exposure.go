package monitor

import (
	"math/big"
	"math/bits"
	"sort"
	"strconv"
	"strings"
)

// The disclosure algebra. Every figure the page shows is the sum of a set
// of flows (plus genesis balances, which the page shows as they are), and
// the flows' metadata (sender, receiver, currency, block) is public on the
// chain, so a viewer knows which flows each shown value holds. What the
// viewer can compute is any rational linear combination of the shown
// values, within one snapshot and across all of them. A group of flows is
// exposed when some combination of the rows (one per shown value) equals
// the sum of that group alone; no group of fewer than k flows may be.
//
// Flows that every row holds or lacks together (an atom) can never be told
// apart, so the rows are reduced to atoms: a combination supported on a set
// S of atoms exists exactly when the row space meets the coordinate space
// of S, which Gaussian elimination decides exactly (in machine integers
// while they fit, in rationals otherwise).

// atom is a group of flows that every row holds or lacks together.
type atom struct {
	flows []string
	rows  []int
}

// atomize groups the flows of rows by the rows that hold them, in order of
// first appearance.
func atomize(rows [][]string) []atom {
	sig := map[string][]int{}
	var order []string
	for i, r := range rows {
		for _, f := range r {
			if _, ok := sig[f]; !ok {
				order = append(order, f)
			}
			if s := sig[f]; len(s) == 0 || s[len(s)-1] != i {
				sig[f] = append(s, i)
			}
		}
	}
	index := map[string]int{}
	var atoms []atom
	for _, f := range order {
		key := sigKey(sig[f])
		i, ok := index[key]
		if !ok {
			i = len(atoms)
			index[key] = i
			atoms = append(atoms, atom{rows: sig[f]})
		}
		atoms[i].flows = append(atoms[i].flows, f)
	}
	return atoms
}

func sigKey(rows []int) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strconv.Itoa(r))
		b.WriteByte(',')
	}
	return b.String()
}

// exposure is a group of fewer than k flows that a combination of rows
// isolates, with the rows of one such combination (nil if not tracked).
type exposure struct {
	flows []string
	rows  []int
}

// maxSupports bounds the search for exposed groups of several atoms (only
// thresholds above 2 need it); past it every small atom that some
// combination reaches counts as exposed.
const maxSupports = 4096

// exposed returns the groups of fewer than k flows that some linear
// combination of rows isolates, each the union of some atoms; nil when the
// rows expose nothing.
func exposed(rows [][]string, k int) []exposure {
	atoms := atomize(rows)
	// Atoms of k flows or more go first: a combination that isolates only
	// small atoms is then a combination of the reduced rows whose pivot is
	// a small atom, and those rows are zero on every large atom.
	sort.SliceStable(atoms, func(i, j int) bool { return len(atoms[i].flows) >= k && len(atoms[j].flows) < k })
	nBig := 0
	for nBig < len(atoms) && len(atoms[nBig].flows) >= k {
		nBig++
	}
	if nBig == len(atoms) {
		return nil
	}
	// Each row carries an identity part that records which original rows
	// make it up.
	width := len(atoms) + len(rows)
	m := make([][]int64, len(rows))
	for i := range m {
		m[i] = make([]int64, width)
		m[i][len(atoms)+i] = 1
	}
	for j, a := range atoms {
		for _, i := range a.rows {
			m[i][j] = 1
		}
	}
	// The reduced rows whose pivot is a small atom: a basis of the
	// combinations touching small atoms only, and the makeup of each.
	var small, from [][]*big.Rat
	for _, row := range reduce(m, len(atoms), nBig) {
		small = append(small, row[nBig:len(atoms)])
		from = append(from, row[len(atoms):])
	}
	if len(small) == 0 {
		return nil
	}
	var out []exposure
	for _, s := range supports(small, atoms[nBig:], k) {
		var e exposure
		for _, j := range s.atoms {
			e.flows = append(e.flows, atoms[nBig+j].flows...)
		}
		if s.row >= 0 {
			for i, x := range from[s.row] {
				if x.Sign() != 0 {
					e.rows = append(e.rows, i)
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// support is a set of small atoms some combination isolates; row is the
// basis row that does it, or -1.
type support struct {
	atoms []int
	row   int
}

// supports returns the minimal sets S of the small atoms, of fewer than k
// flows in all, such that some nonzero combination of the basis is
// supported on S. The basis is in reduced row echelon form.
func supports(basis [][]*big.Rat, atoms []atom, k int) []support {
	var out []support
	hit := map[int]bool{} // atoms exposed alone
	for i, row := range basis {
		if j, ok := unit(row); ok {
			out = append(out, support{[]int{j}, i})
			hit[j] = true
		}
	}
	if k <= 2 {
		return out
	}
	full := rank(basis, nil)
	tried := 0
	var walk func(start, size int, s []int) bool
	walk = func(start, size int, s []int) bool {
		for j := start; j < len(atoms); j++ {
			n := size + len(atoms[j].flows)
			if n >= k || hit[j] {
				continue
			}
			t := append(append([]int{}, s...), j)
			if tried++; tried > maxSupports {
				return false
			}
			if len(t) >= 2 && rank(basis, t) < full {
				out = append(out, support{t, -1})
				continue // supersets are not minimal
			}
			if !walk(j+1, n, t) {
				return false
			}
		}
		return true
	}
	if !walk(0, 0, nil) {
		return reachable(basis)
	}
	return out
}

// reachable lists, one by one, every atom some basis row touches: the
// conservative answer when the search is too large.
func reachable(basis [][]*big.Rat) []support {
	var out []support
	for j := range basis[0] {
		for _, row := range basis {
			if row[j].Sign() != 0 {
				out = append(out, support{[]int{j}, -1})
				break
			}
		}
	}
	return out
}

// unit reports whether row has exactly one nonzero entry, and where.
func unit(row []*big.Rat) (int, bool) {
	at := -1
	for j, x := range row {
		if x.Sign() != 0 {
			if at >= 0 {
				return 0, false
			}
			at = j
		}
	}
	return at, at >= 0
}

// rank is the rank of m with the columns in drop left out.
func rank(m [][]*big.Rat, drop []int) int {
	skip := map[int]bool{}
	for _, j := range drop {
		skip[j] = true
	}
	c := make([][]*big.Rat, len(m))
	for i, row := range m {
		for j, x := range row {
			if !skip[j] {
				c[i] = append(c[i], new(big.Rat).Set(x))
			}
		}
	}
	if len(c) == 0 || len(c[0]) == 0 {
		return 0
	}
	return len(rref(c, len(c[0])))
}

// reduce brings the integer matrix m to reduced row echelon form over its
// first cols columns (the rest follow the row operations) and returns, in
// rationals with each pivot 1, the nonzero rows whose pivot column is at
// least from. It works in machine integers, fraction-free, and starts
// again in rationals if they would overflow.
func reduce(m [][]int64, cols, from int) [][]*big.Rat {
	work := make([][]int64, len(m))
	for i, row := range m {
		work[i] = append([]int64{}, row...)
	}
	var out [][]*big.Rat
	if pivots, ok := reduceInt(work, cols); ok {
		for i, c := range pivots {
			if c < from {
				continue
			}
			row := make([]*big.Rat, len(work[i]))
			for j, x := range work[i] {
				row[j] = new(big.Rat)
				if x != 0 {
					row[j].SetFrac64(x, work[i][c])
				}
			}
			out = append(out, row)
		}
		return out
	}
	r := make([][]*big.Rat, len(m))
	for i, row := range m {
		r[i] = make([]*big.Rat, len(row))
		for j, x := range row {
			r[i][j] = new(big.Rat).SetInt64(x)
		}
	}
	for i, c := range rref(r, cols) {
		if c >= from {
			out = append(out, r[i])
		}
	}
	return out
}

// reduceInt is reduce in machine integers: rows are combined with integer
// factors and kept divided by the gcd of their entries. It reports false
// if a value would leave the safe range.
func reduceInt(m [][]int64, cols int) ([]int, bool) {
	var pivots []int
	r := 0
	for c := 0; c < cols && r < len(m); c++ {
		p := r
		for p < len(m) && m[p][c] == 0 {
			p++
		}
		if p == len(m) {
			continue
		}
		m[r], m[p] = m[p], m[r]
		pr := m[r]
		for i := range m {
			if i == r || m[i][c] == 0 {
				continue
			}
			g := gcd(pr[c], m[i][c])
			a, b := pr[c]/g, m[i][c]/g
			row := m[i]
			for j, y := range pr {
				if y == 0 {
					if row[j] != 0 && a != 1 {
						x, ok := mulInt(row[j], a)
						if !ok {
							return nil, false
						}
						row[j] = x
					}
					continue
				}
				x, ok1 := mulInt(row[j], a)
				z, ok2 := mulInt(y, b)
				if !ok1 || !ok2 {
					return nil, false
				}
				row[j] = x - z // each within 2^61: the difference fits
			}
			normalize(row)
		}
		pivots = append(pivots, c)
		r++
	}
	return pivots, true
}

// mulInt multiplies, reporting false if the product's magnitude could
// exceed 2^61.
func mulInt(x, y int64) (int64, bool) {
	const small = 1 << 30
	if -small < x && x < small && -small < y && y < small {
		return x * y, true
	}
	if x == 0 || y == 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uint64(abs(x)), uint64(abs(y)))
	if hi != 0 || lo > 1<<61 {
		return 0, false
	}
	return x * y, true
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// normalize divides row by the gcd of its entries.
func normalize(row []int64) {
	var g int64
	for _, x := range row {
		if x != 0 {
			g = gcd(g, x)
			if g == 1 {
				return
			}
		}
	}
	if g > 1 {
		for j := range row {
			row[j] /= g
		}
	}
}

func gcd(a, b int64) int64 {
	a, b = abs(a), abs(b)
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// rref brings m to reduced row echelon form in rationals, in place, over
// its first cols columns and returns the pivot column of each nonzero row;
// those rows come first.
func rref(m [][]*big.Rat, cols int) []int {
	var pivots []int
	t := new(big.Rat)
	r := 0
	for c := 0; c < cols && r < len(m); c++ {
		p := r
		for p < len(m) && m[p][c].Sign() == 0 {
			p++
		}
		if p == len(m) {
			continue
		}
		m[r], m[p] = m[p], m[r]
		inv := new(big.Rat).Inv(m[r][c])
		for j := range m[r] {
			if m[r][j].Sign() != 0 {
				m[r][j].Mul(m[r][j], inv)
			}
		}
		for i := range m {
			if i == r || m[i][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(m[i][c])
			for j := range m[i] {
				if m[r][j].Sign() != 0 {
					m[i][j].Sub(m[i][j], t.Mul(f, m[r][j]))
				}
			}
		}
		pivots = append(pivots, c)
		r++
	}
	return pivots
}

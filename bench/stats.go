package bench

import (
	"math"
	"slices"
	"time"
)

// Progress receives the harness's progress. Stage starts a named stage of
// total steps; Step reports one step done. A nil Progress is silent.
type Progress interface {
	Stage(name string, total int)
	Step()
}

type silent struct{}

func (silent) Stage(string, int) {}
func (silent) Step()             {}

func orSilent(p Progress) Progress {
	if p == nil {
		return silent{}
	}
	return p
}

// samples collects durations.
type samples []time.Duration

// quantile returns the q-quantile (nearest rank), 0 if empty.
func (s samples) quantile(q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(math.Ceil(q*float64(len(c)))) - 1
	return c[max(0, min(i, len(c)-1))]
}

func (s samples) p50() time.Duration { return s.quantile(0.5) }

// ms and us render durations as rounded floats.
func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }
func us(d time.Duration) float64 { return round(float64(d)/float64(time.Microsecond), 1) }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// ratio returns a/b rounded, 0 if b is 0.
func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return round(float64(a)/float64(b), 2)
}

// pairedRatio returns the median of the per-round ratios a[i]/b[i]: each
// round's two measurements share that round's noise.
func pairedRatio(a, b samples) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			r = append(r, float64(a[i])/float64(b[i]))
		}
	}
	if len(r) == 0 {
		return 0
	}
	slices.Sort(r)
	return round(r[(len(r)-1)/2], 2)
}

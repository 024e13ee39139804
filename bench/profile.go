package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// ProfileTop is the top of a validator's CPU profile taken under load.
type ProfileTop struct {
	Validator int     `json:"validator"`
	Seconds   float64 `json:"seconds"`
	File      string  `json:"file"` // the raw profile, for go tool pprof
	// Functions: the most CPU, counting only the function's own code
	// (flat); Areas: the same summed by where the code comes from.
	Functions []ProfileLine `json:"functions"`
	Areas     []ProfileLine `json:"areas"`
}

// ProfileLine is one function or area and its share of the profile's CPU.
type ProfileLine struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"` // of all samples, flat
	Cum   float64 `json:"cum,omitempty"`
}

// takeProfile fetches a CPU profile of d from a validator's pprof listener
// (CometBFT's rpc.pprof_laddr), saves it in dir and returns its top.
func takeProfile(addr string, validator int, d time.Duration, dir string) (*ProfileTop, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: profile validator %d: %w", validator, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench: profile validator %d: %s %v", validator, res.Status, err)
	}
	file := filepath.Join(dir, fmt.Sprintf("sable-validator-%d-%s.pprof", validator, time.Now().UTC().Format("20060102T150405")))
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		return nil, err
	}
	p, err := profile.ParseData(raw)
	if err != nil {
		return nil, fmt.Errorf("bench: profile validator %d: %w", validator, err)
	}
	top := summarize(p, 15)
	top.Validator, top.Seconds, top.File = validator, d.Seconds(), file
	return top, nil
}

// summarize ranks functions by flat CPU (with their cumulative share), and
// areas (packages grouped by what they do) by flat CPU.
func summarize(p *profile.Profile, n int) *ProfileTop {
	vi := len(p.SampleType) - 1 // cpu nanoseconds is the last type
	flat, cum, areas := map[string]int64{}, map[string]int64{}, map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		total += v
		seen := map[string]bool{}
		for i, loc := range s.Location {
			for j, ln := range loc.Line {
				if ln.Function == nil {
					continue
				}
				name := ln.Function.Name
				if i == 0 && j == 0 {
					flat[name] += v
					areas[area(name)] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	top := &ProfileTop{}
	if total == 0 {
		return top
	}
	share := func(v int64) float64 { return round(100*float64(v)/float64(total), 1) }
	for _, name := range ranked(flat, n) {
		top.Functions = append(top.Functions, ProfileLine{Name: name, Share: share(flat[name]), Cum: share(cum[name])})
	}
	for _, name := range ranked(areas, len(areas)) {
		top.Areas = append(top.Areas, ProfileLine{Name: name, Share: share(areas[name])})
	}
	return top
}

// ranked returns m's keys, largest value first, at most n.
func ranked(m map[string]int64, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys[:min(n, len(keys))]
}

// areas name where a function's code comes from, by its import path.
var areas = []struct{ prefix, name string }{
	{"github.com/consensys/gnark-crypto/ecc/bn254", "BN254 pairings and MSMs (proof verification)"},
	{"github.com/consensys/gnark-crypto/ecc/bn254/twistededwards", "Edwards points (commitments)"},
	{"github.com/consensys/gnark-crypto/ecc/bn254/fr", "BN254 scalar field"},
	{"github.com/consensys/gnark-crypto/ecc/bn254/fp", "BN254 base field (pairing and curve arithmetic)"},
	{"github.com/consensys/gnark", "gnark"},
	{"github.com/tuneinsight/lattigo", "Lattigo (HE aggregation, ciphertext decoding)"},
	{"github.com/cockroachdb/pebble", "Pebble"},
	{"github.com/cometbft/cometbft", "CometBFT"},
	{"github.com/cosmos/gogoproto", "protobuf"},
	{"google.golang.org/protobuf", "protobuf"},
	{"github.com/sable-settlement/sable", "Sable"},
	{"crypto/", "Go crypto (hashes, signatures)"},
	{"golang.org/x/crypto", "Go crypto (hashes, signatures)"},
	{"runtime.", "Go runtime (GC, scheduler, memory)"},
	{"syscall.", "system calls"},
	{"internal/runtime", "Go runtime (GC, scheduler, memory)"},
	{"encoding/", "encoding (JSON, hex, base64)"},
	{"net/", "network"},
	{"math/big", "math/big"},
}

func area(fn string) string {
	best, name := 0, "other"
	for _, a := range areas {
		if strings.HasPrefix(fn, a.prefix) && len(a.prefix) > best {
			best, name = len(a.prefix), a.name
		}
	}
	return name
}

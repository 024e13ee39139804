package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// Machine describes where a run happened.
type Machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	OS         string            `json:"os"`
	Go         string            `json:"go"`
	Modules    map[string]string `json:"modules,omitempty"` // gnark, gnark-crypto, lattigo versions
	Date       string            `json:"date"`
}

// ThisMachine returns the CPU model, core count and versions of this run.
func ThisMachine() Machine {
	m := Machine{
		CPU:        cpuModel(),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		Go:         runtime.Version(),
		Date:       time.Now().UTC().Format(time.RFC3339),
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		m.Modules = map[string]string{}
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/consensys/gnark", "github.com/consensys/gnark-crypto", "github.com/tuneinsight/lattigo/v5", "github.com/cometbft/cometbft":
				m.Modules[d.Path] = d.Version
			}
		}
	}
	return m
}

// ModuleList renders the modules sorted, "path version, ...".
func (m Machine) ModuleList() string {
	var out []string
	for p, v := range m.Modules {
		out = append(out, p+" "+v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

package localnet

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildSable builds the sable command into dir and returns the binary's
// path, for tests: their own executable is not sable. ('sable bench
// ledger' runs inside sable and passes os.Executable() instead.)
func BuildSable(dir string) (string, error) {
	bin := filepath.Join(dir, "sable")
	build := exec.Command(goTool(), "build", "-o", bin, "github.com/sable-settlement/sable/cmd/sable")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("localnet: go build: %w\n%s", err, out)
	}
	return bin, nil
}

// goTool is the go command of the toolchain running this program, or the
// one on PATH.
func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

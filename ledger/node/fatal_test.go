package node

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestFatalExits: a state the node can no longer write ends the process
// with status 1 after one log line carrying the app's error, not a
// consensus panic that leaves the process up.
func TestFatalExits(t *testing.T) {
	code := -1
	exit = func(c int) { code = c }
	t.Cleanup(func() { exit = os.Exit })
	var out bytes.Buffer
	msg := "ledger: commit block 7: the disk is full (no space left on device): free space on the disk under app and start the node again; it re-executes block 7 from its block store"
	fatal(slog.New(slog.NewTextHandler(&out, nil)))(errors.New(msg))
	if code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, "level=ERROR") || !strings.Contains(line, msg) {
		t.Fatalf("log %q: want one error line with the app's error", line)
	}
}

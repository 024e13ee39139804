package node

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"strings"
	"syscall"
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

// TestPebbleFatalExits: Pebble giving up on one of CometBFT's databases
// (a full disk under data/) stops the node with status 1 after one line
// naming the disk and the fix, where it used to panic in whichever
// CometBFT routine wrote.
func TestPebbleFatalExits(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&os.PathError{Op: "write", Path: "data/blockstore.db/000004.log", Err: syscall.ENOSPC}, "the disk is full: free space on the disk under data"},
		{errors.New("pebble: corrupt log file"), "check the disk under data"},
	} {
		code := -1
		exit = func(c int) { code = c }
		var out bytes.Buffer
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Fatalf returned: Pebble expects it not to")
				}
			}()
			pebbleLogger{l: slog.New(slog.NewTextHandler(&out, nil)), dir: "data"}.Fatalf("pebble: fatal commit error: %v", c.err)
		}()
		exit = os.Exit
		line := out.String()
		if code != 1 || strings.Count(line, "\n") != 1 || !strings.Contains(line, "level=ERROR") || !strings.Contains(line, c.want) || !strings.Contains(line, c.err.Error()) {
			t.Errorf("exit %d, log %q: want status 1 and one error line with %q", code, line, c.want)
		}
	}
}

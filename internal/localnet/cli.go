package localnet

import (
	"fmt"
	"os/exec"
)

// CrashBeforeCommitEnv is the test hook 'sable node' honours (and nothing
// else does): set to a height, the node SIGKILLs itself inside Commit of that
// block, after FinalizeBlock and before the app's state batch is written, so
// that its restart must replay the block through CometBFT's handshake. Pass
// CrashBeforeCommit(h) to Net.Start; Net.WaitExit then sees the SIGKILL.
const CrashBeforeCommitEnv = "SABLE_TEST_CRASH_BEFORE_COMMIT"

// CrashBeforeCommit is the environment entry that arms the hook at height h.
func CrashBeforeCommit(h int64) string { return fmt.Sprintf("%s=%d", CrashBeforeCommitEnv, h) }

// Command is a sable CLI command (a bank's transfer, a wallet sync) as a
// process that the kernel SIGKILLs when this process dies, as it does the
// validators: for harnesses that kill a CLI in the middle of a command and
// must leave none behind.
func Command(sable string, args ...string) *exec.Cmd {
	cmd := exec.Command(sable, args...)
	cmd.SysProcAttr = dieWithParent()
	return cmd
}

package localnet

import "syscall"

// dieWithParent has the kernel SIGKILL a validator process when the
// process that started it dies, so that none outlives a test or a benchmark.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

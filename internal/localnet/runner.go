package localnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sable-settlement/sable/ledger/node"
)

// runner is one run of a validator: a 'sable node' process, or a node in
// this process.
type runner interface {
	stop() error // shut down cleanly and wait
	kill() error // SIGKILL and wait
	// wait waits for the run to end by itself.
	wait(timeout time.Duration) (*os.ProcessState, error)
}

// stopTimeout bounds how long a validator may take to stop or die.
const stopTimeout = 30 * time.Second

// process is a 'sable node' process; done closes once it has exited and
// its log is closed.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startProcess runs 'sable node --home home' appending to logPath, after
// a line that numbers the run and names env.
func startProcess(sable, home, logPath, level string, run int, env []string) (*process, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logf, "==== run %d %v\n", run, env)
	args := []string{"node", "--home", home}
	if level != "" {
		args = append(args, "--log-level", level)
	}
	cmd := exec.Command(sable, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) stop() error { return p.signal(syscall.SIGTERM) }

func (p *process) kill() error { return p.signal(os.Kill) }

func (p *process) signal(sig os.Signal) error {
	_ = p.cmd.Process.Signal(sig) // it may have exited already
	_, err := p.wait(stopTimeout)
	return err
}

func (p *process) wait(timeout time.Duration) (*os.ProcessState, error) {
	select {
	case <-p.done:
		return p.cmd.ProcessState, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("still running after %s", timeout)
	}
}

// inProcess is a validator in this process, logging nowhere.
type inProcess struct{ n *node.Node }

var errInProcess = errors.New("the validator runs in this process")

func startInProcess(ctx context.Context, home string, env []string) (*inProcess, error) {
	if len(env) > 0 {
		return nil, fmt.Errorf("%w: it takes no environment %v", errInProcess, env)
	}
	n, err := node.Start(ctx, home, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	return &inProcess{n: n}, nil
}

func (p *inProcess) stop() error { return p.n.Stop() }

func (p *inProcess) kill() error { return fmt.Errorf("%w: stop it instead", errInProcess) }

func (p *inProcess) wait(time.Duration) (*os.ProcessState, error) {
	return nil, fmt.Errorf("%w: it does not end by itself", errInProcess)
}

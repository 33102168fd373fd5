// Package proc runs the servers the test harnesses start (etcd,
// kube-apiserver, Flux's controllers) as child processes: output to a log
// file, a wait for readiness that notices an early exit, and a stop by PID
// (SIGTERM, then SIGKILL) that ends exactly the process it started.
package proc

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ydpgen/ydpgen/internal/toolcache"
)

// Process is one child process.
type Process struct {
	Name    string
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{}
	waitErr error
}

// Options are how a process starts besides its arguments.
type Options struct {
	// Env replaces the environment when not nil.
	Env []string
	// Dir is the working directory.
	Dir string
	// OwnGroup puts the process in a process group of its own, so that a
	// Ctrl-C at the terminal reaches only the test process, which then
	// stops its children in order.
	OwnGroup bool
}

// Start runs bin with args, its output (after a first line naming the
// command) going to logPath. Should the test process be killed, the kernel
// kills the child too (on Linux; see childAttrs).
func Start(name, bin, logPath string, opts Options, args ...string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = opts.Env
	cmd.Dir = opts.Dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = childAttrs(opts.OwnGroup)
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &Process{Name: name, Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// PID is the process's ID.
func (p *Process) PID() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop ends the process by its PID: SIGTERM, then SIGKILL if it has not
// exited after timeout. Messages go to logf, each starting with who.
func (p *Process) Stop(logf func(string, ...any), who string, timeout time.Duration) {
	if done, _ := p.Exited(); done {
		return
	}
	pid := p.PID()
	if err := terminate(pid); err != nil {
		logf("%s: SIGTERM %s (pid %d): %v", who, p.Name, pid, err)
	}
	select {
	case <-p.done:
		return
	case <-time.After(timeout):
	}
	logf("%s: %s (pid %d) still running %s after SIGTERM; sending SIGKILL", who, p.Name, pid, timeout)
	if err := kill(pid); err != nil {
		logf("%s: SIGKILL %s (pid %d): %v", who, p.Name, pid, err)
	}
	<-p.done
}

// WaitFor polls check every interval until it returns nil, the process
// exits, or timeout passes.
func WaitFor(timeout, interval time.Duration, p *Process, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited early (%v); last check error: %v", p.Name, err, last)
		}
		if last = check(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return last
		}
		time.Sleep(interval)
	}
}

// FreePorts asks the kernel for n distinct free ports on 127.0.0.1. The
// listeners are held until all are picked so the ports differ.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// TailFile returns the last n lines of a file, or a note why it cannot.
func TailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	return toolcache.LastLines(string(b), n)
}

//go:build unix

package proc

import (
	"errors"
	"syscall"
)

// terminate asks the process with this PID to stop (SIGTERM); kill makes it
// (SIGKILL). A process that is already gone is not an error.
func terminate(pid int) error { return signalPID(pid, syscall.SIGTERM) }

func kill(pid int) error { return signalPID(pid, syscall.SIGKILL) }

func signalPID(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// Exists reports whether a process with this PID exists (signal 0 probes
// without signalling); a reaped child does not.
func Exists(pid int) (bool, error) {
	err := syscall.Kill(pid, 0)
	switch {
	case err == nil || errors.Is(err, syscall.EPERM):
		return true, nil
	case errors.Is(err, syscall.ESRCH):
		return false, nil
	}
	return false, err
}

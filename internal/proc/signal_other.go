//go:build !unix

package proc

import (
	"errors"
	"os"
)

// terminate and kill both end the process outright: there is no SIGTERM
// to ask first. A process that is already gone is not an error.
func terminate(pid int) error { return kill(pid) }

func kill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil // gone
	}
	if err := p.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Exists reports whether a process with this PID exists, as far as the
// operating system lets one find a process by its PID.
func Exists(pid int) (bool, error) {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false, nil
	}
	_ = p.Release()
	return true, nil
}

//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package fsys

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an advisory flock(2) without waiting; the kernel drops it
// when the process dies, so a killed render never leaves a stale lock.
func lockFile(f *os.File) (bool, error) {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

package fsys

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile locks one byte far past the end of the file, so that the
// holder's process id stays readable by a waiting render; Windows drops
// the lock when the process dies.
func lockFile(f *os.File) (bool, error) {
	ol := windows.Overlapped{OffsetHigh: 0x7fffffff}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return false, nil
	}
	return err == nil, err
}

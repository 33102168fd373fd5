//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris || windows)

package fsys

import "os"

// lockFile does nothing where there is no advisory lock to take (AIX,
// Plan 9, WebAssembly): renders into one directory are not serialised.
func lockFile(*os.File) (bool, error) { return true, nil }

package toolcache

import "syscall"

// scriptAttrs: if the test binary dies, the build script gets SIGTERM and
// its own trap cleans up.
func scriptAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

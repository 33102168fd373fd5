package pgtest

import "syscall"

// serverAttrs runs a program as the account, and has the kernel kill it
// when the test binary dies, even when the test times out and no cleanup
// runs.
func serverAttrs(as *account) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: credential(as), Pdeathsig: syscall.SIGKILL}
}

//go:build unix && !linux

package pgtest

import "syscall"

// serverAttrs runs a program as the account; only Linux can also have it
// killed with the test binary.
func serverAttrs(as *account) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: credential(as)}
}

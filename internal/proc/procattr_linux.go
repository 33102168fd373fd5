package proc

import "syscall"

// childAttrs: the kernel kills the child when the test process dies
// (Pdeathsig), and ownGroup gives it a process group of its own.
func childAttrs(ownGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: ownGroup}
}

//go:build unix && !linux

package proc

import "syscall"

// childAttrs: only Linux can have the kernel kill a child with its parent;
// elsewhere a killed test process leaves its servers to the Stop of the next
// run's cleanup, or to the user.
func childAttrs(ownGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: ownGroup}
}

//go:build !unix

package proc

import "syscall"

// childAttrs: no process groups or parent-death signal here; the child is
// an ordinary one.
func childAttrs(bool) *syscall.SysProcAttr { return nil }

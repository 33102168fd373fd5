//go:build !linux

package toolcache

import "syscall"

// scriptAttrs: only Linux signals a child when its parent dies; elsewhere
// the build script runs to its end on its own.
func scriptAttrs() *syscall.SysProcAttr { return nil }

//go:build !unix

package pgtest

import "syscall"

// serverAttrs: no user switch here; runAs only asks for one as root on
// Unix.
func serverAttrs(*account) *syscall.SysProcAttr { return nil }

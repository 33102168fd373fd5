//go:build unix

package kubetest

import (
	"os"
	"syscall"
)

// reraise delivers sig to this process again, once its handler is reset,
// so that the process ends as the signal would have ended it.
func reraise(sig os.Signal) {
	if ss, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(os.Getpid(), ss)
	}
}

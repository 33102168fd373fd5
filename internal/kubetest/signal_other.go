//go:build !unix

package kubetest

import "os"

// reraise: a signal cannot be sent to oneself here; the caller exits.
func reraise(os.Signal) {}

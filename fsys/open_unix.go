//go:build unix

package fsys

import "syscall"

// nonblock keeps an open of a named pipe from waiting for the other end;
// the file is then refused as not regular.
const nonblock = syscall.O_NONBLOCK

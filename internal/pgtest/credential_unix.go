//go:build unix

package pgtest

import "syscall"

// credential is the account as the process attribute that switches user;
// nil keeps the test's own.
func credential(as *account) *syscall.Credential {
	if as == nil {
		return nil
	}
	return &syscall.Credential{Uid: as.uid, Gid: as.gid}
}

package pgtest

import (
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/internal/proc"
)

func TestStartQueryStop(t *testing.T) {
	var pid int
	t.Run("server", func(t *testing.T) {
		s := Start(t)
		pid = s.cmd.Process.Pid
		if got := s.Admin(t, "postgres", "SELECT 1"); got != "1" {
			t.Errorf("SELECT 1 = %q", got)
		}
		// Every connection needs the password: a test of who may do what
		// means nothing otherwise.
		if _, err := s.Query(Superuser, "wrong", "postgres", "SELECT 1"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("wrong password: %v", err)
		}
		if got := s.Admin(t, "postgres", "SELECT current_setting('listen_addresses')"); got != "127.0.0.1" {
			t.Errorf("listen_addresses = %q", got)
		}
	})
	// The subtest's cleanup stopped exactly that server.
	if alive, err := proc.Exists(pid); alive || err != nil {
		t.Errorf("postgres (pid %d) still running after the test: %v", pid, err)
	}
}

func TestBinDirOverride(t *testing.T) {
	t.Setenv(BinDirEnv, t.TempDir())
	_, err := BinDir()
	if err == nil || !strings.Contains(err.Error(), "hack/deps.sh") {
		t.Errorf("empty %s: %v", BinDirEnv, err)
	}
}

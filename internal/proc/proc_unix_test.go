//go:build unix

package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These run /bin/sleep and /bin/sh, and probe PIDs with signal 0.

func TestStopEndsExactlyItsProcess(t *testing.T) {
	dir := t.TempDir()
	p, err := Start("sleeper", "/bin/sleep", filepath.Join(dir, "sleep.log"), Options{Dir: dir}, "30")
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	var logged []string
	p.Stop(func(f string, a ...any) { logged = append(logged, f) }, "test", 5*time.Second)
	if done, _ := p.Exited(); !done {
		t.Fatal("process still running after Stop")
	}
	if alive, err := Exists(pid); alive || err != nil {
		t.Errorf("pid %d still exists (%v)", pid, err)
	}
	if alive, err := Exists(os.Getpid()); !alive || err != nil {
		t.Errorf("Exists says this test process is gone (%v)", err)
	}
	if !strings.HasPrefix(TailFile(p.LogPath, 1), "# /bin/sleep 30") {
		t.Errorf("log does not start with the command: %q", TailFile(p.LogPath, 1))
	}
}

func TestWaitForNoticesAnEarlyExit(t *testing.T) {
	dir := t.TempDir()
	p, err := Start("quitter", "/bin/sh", filepath.Join(dir, "q.log"), Options{}, "-c", "exit 3")
	if err != nil {
		t.Fatal(err)
	}
	err = WaitFor(10*time.Second, 10*time.Millisecond, p, func() error { return errors.New("not ready") })
	if err == nil || !strings.Contains(err.Error(), "quitter exited early") {
		t.Errorf("got %v", err)
	}
}

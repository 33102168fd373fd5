package fsys

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestDiskTreeRefusesPipes reads a named pipe nobody writes to: an open
// would wait forever, a read never end.
func TestDiskTreeRefusesPipes(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, err := (OnDisk{}).OpenTree(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	done := make(chan error, 1)
	go func() {
		_, err := tr.ReadFile("pipe")
		done <- err
	}()
	select {
	case err := <-done:
		refused(t, "read pipe", err, "pipe", NotRegular)
	case <-time.After(10 * time.Second):
		t.Fatal("still reading the pipe after 10s")
	}
	if k, err := tr.Stat("pipe"); k != Special || err != nil {
		t.Errorf("stat pipe: %v, %v", k, err)
	}
	refused(t, "write pipe", tr.WriteFile("pipe", []byte("x")), "pipe", NotRegular)
	refused(t, "remove pipe", tr.Remove("pipe"), "pipe", NotRegular)
}

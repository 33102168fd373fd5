package overlays

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/fsys"
)

// TestWriteRefusesSpecialFiles puts a named pipe, and a link to a device,
// where an owned file was: reading either would never end.
func TestWriteRefusesSpecialFiles(t *testing.T) {
	for _, c := range []struct {
		path   string
		reason fsys.Reason
		plant  func(t *testing.T, name string)
	}{
		{"base/kustomization.yaml", fsys.NotRegular, func(t *testing.T, name string) {
			if err := syscall.Mkfifo(name, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"base/gone.yaml", fsys.NotRegular, func(t *testing.T, name string) { // pruned
			if err := syscall.Mkfifo(name, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"base/kustomization.yaml", fsys.Link, func(t *testing.T, name string) { symlink(t, "/dev/zero", name) }},
	} {
		out := t.TempDir()
		if _, err := Write(fsys.OnDisk{}, out, tree(t, oldFiles)); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(out, filepath.FromSlash(c.path))
		if err := syscall.Unlink(name); err != nil {
			t.Fatal(err)
		}
		c.plant(t, name)
		done := make(chan error, 1)
		go func() {
			_, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
			done <- err
		}()
		select {
		case err := <-done:
			wantUnsafe(t, err, c.path, c.reason)
		case <-time.After(10 * time.Second):
			t.Fatalf("the write is still reading %s after 10s", c.path)
		}
	}
}

package review

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/fsys"
)

// TestFromDirRefusesSpecialFiles: a named pipe, or a link to a device,
// where the manifest lists a file would keep render --check reading
// forever.
func TestFromDirRefusesSpecialFiles(t *testing.T) {
	for _, c := range []struct {
		reason fsys.Reason
		plant  func(t *testing.T, name string)
	}{
		{fsys.NotRegular, func(t *testing.T, name string) {
			if err := syscall.Mkfifo(name, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{fsys.Link, func(t *testing.T, name string) { link(t, "/dev/zero", name) }},
	} {
		tree := t.TempDir()
		renderTo(t, tree, smallTree)
		name := filepath.Join(tree, "overlays/prod/airflow/values.yaml")
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
		c.plant(t, name)
		type result struct {
			side Side
			err  error
		}
		done := make(chan result, 1)
		go func() {
			side, err := FromDir(fsys.OnDisk{}, tree)
			done <- result{side, err}
		}()
		select {
		case r := <-done:
			wantRefused(t, r.side, r.err, "overlays/prod/airflow/values.yaml", c.reason)
		case <-time.After(10 * time.Second):
			t.Fatal("still reading the tree after 10s")
		}
	}
}

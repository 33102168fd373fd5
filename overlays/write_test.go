package overlays

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/fsys"
)

func tree(t *testing.T, files map[string]string) *Tree {
	t.Helper()
	tr := &Tree{}
	for p, d := range files {
		if err := tr.Add(p, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// snapshot reads every file below root.
func snapshot(t *testing.T, fs fsys.FS, root string) map[string]string {
	t.Helper()
	files, err := fs.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := fs.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = string(b)
	}
	return out
}

var (
	oldFiles = map[string]string{
		"base/kustomization.yaml":     "old base",
		"base/a.yaml":                 "a v1",
		"base/gone.yaml":              "pruned next time",
		"overlays/dev/x.yaml":         "x v1",
		"overlays/old/only-here.yaml": "pruned with its directory",
	}
	newFiles = map[string]string{
		"base/kustomization.yaml":     "new base",
		"base/a.yaml":                 "a v1",
		"overlays/dev/x.yaml":         "x v2",
		"overlays/dev/new/added.yaml": "added",
		"overlays/prod/y.yaml":        "y",
	}
)

// prepare writes the old tree plus a file ydpgen does not own.
func prepare(t *testing.T, fs fsys.FS) map[string]string {
	t.Helper()
	if err := fs.WriteFile("out/README.md", []byte("the user's own file")); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(fs, "out", tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, fs, "out")
}

func TestWriteReplacesPrunesAndKeepsForeignFiles(t *testing.T) {
	fs := fsys.NewMemory()
	before := prepare(t, fs)
	if before["README.md"] != "the user's own file" || before["base/gone.yaml"] == "" {
		t.Fatalf("old tree not written: %v", before)
	}
	rep, err := Write(fs, "out", tree(t, newFiles))
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, fs, "out")
	want := maps.Clone(newFiles)
	want["README.md"] = "the user's own file"
	m, _ := NewManifest(tree(t, newFiles)).encode()
	want[ManifestPath] = string(m)
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("tree after write (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"base/gone.yaml", "overlays/old/only-here.yaml"}, rep.Pruned); d != "" {
		t.Errorf("pruned (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"base/a.yaml"}, rep.Unchanged); d != "" {
		t.Errorf("unchanged (-want +got):\n%s", d)
	}
	if exists, _, _ := fs.Stat("out/overlays/old"); exists {
		t.Errorf("the emptied directory overlays/old was left behind")
	}
	if exists, _, _ := fs.Stat("out/.ydpgen/txn"); exists {
		t.Errorf("the transaction directory was left behind")
	}
}

func TestWriteRefusesToOverwriteForeignFile(t *testing.T) {
	fs := fsys.NewMemory()
	if err := fs.WriteFile("out/base/a.yaml", []byte("mine")); err != nil {
		t.Fatal(err)
	}
	_, err := Write(fs, "out", tree(t, newFiles))
	if err == nil {
		t.Fatal("write over a file ydpgen does not own succeeded")
	}
	if got := snapshot(t, fs, "out"); len(got) != 1 || got["base/a.yaml"] != "mine" {
		t.Fatalf("foreign file touched or tree partly written: %v", got)
	}
}

// TestWriteFailureAtEveryStep fails each change the writer makes, one at a
// time, and checks that the previous tree survives every failure up to the
// commit point and that the new tree stands after it.
func TestWriteFailureAtEveryStep(t *testing.T) {
	base := fsys.NewMemory()
	before := prepare(t, base)
	var ops []string
	probe := &fsys.Faulty{FS: cloneMemory(t, base), OnChange: func(n int, op, name string) {
		ops = append(ops, op+" "+name)
	}}
	if _, err := Write(probe, "out", tree(t, newFiles)); err != nil {
		t.Fatal(err)
	}
	total := probe.Changes()
	after := snapshot(t, probe.FS, "out")
	if total < 10 || len(ops) != total {
		t.Fatalf("only %d changes counted (%d seen); the probe is not seeing the writer", total, len(ops))
	}
	// The commit point is the change that renames the plan; its number
	// counts from 1 like FailAt.
	commitPoint := slices.Index(ops, "rename "+PendingPath) + 1
	if commitPoint == 0 || commitPoint == total {
		t.Fatalf("no commit point, or nothing after it, among the changes %q", ops)
	}
	failed := 0
	for _, crash := range []bool{false, true} {
		for n := 1; n <= total; n++ {
			t.Run(fmt.Sprintf("crash=%v/change=%d", crash, n), func(t *testing.T) {
				mem := cloneMemory(t, base)
				f := &fsys.Faulty{FS: mem, FailAt: n, Crash: crash}
				_, err := Write(f, "out", tree(t, newFiles))
				if err != nil && !errors.Is(err, fsys.ErrInjected) {
					t.Fatalf("unexpected error: %v", err)
				}
				// Every change up to the commit point can fail the write;
				// after it, the new tree stands and cleaning up is best
				// effort.
				if wantErr := n <= commitPoint; (err != nil) != wantErr {
					t.Fatalf("change %d (%s), commit point %d: error %v, want an error: %v", n, ops[n-1], commitPoint, err, wantErr)
				}
				// Whether the process died or not, the next run starts by
				// recovering; a failed write must leave the old tree, a
				// successful one the new tree, never a mix.
				if err := Recover(mem, "out"); err != nil {
					t.Fatalf("recover: %v", err)
				}
				want := before
				if err != nil {
					failed++
				}
				if err == nil {
					want = after
				}
				if d := cmp.Diff(want, snapshot(t, mem, "out")); d != "" {
					t.Fatalf("tree after change %d failed, err=%v (-want +got):\n%s", n, err, d)
				}
				// Nor is anything left of the write: its transaction, or,
				// when the process died after the commit point, a
				// directory it emptied by pruning (removing one is best
				// effort when the process lives on).
				if exists, _, _ := mem.Stat("out/.ydpgen/txn"); exists {
					t.Errorf("the transaction directory is left after recovering")
				}
				if exists, _, _ := mem.Stat("out/overlays/old"); exists && err == nil && crash {
					t.Errorf("the directory pruning emptied is left after recovering")
				}
				if _, err := Write(mem, "out", tree(t, newFiles)); err != nil {
					t.Fatalf("write after the failure: %v", err)
				}
			})
		}
	}
	if failed != 2*commitPoint {
		t.Errorf("%d of %d injected failures made the write fail, want the %d up to the commit point in both modes", failed, 2*total, 2*commitPoint)
	}
}

func cloneMemory(t *testing.T, m *fsys.Memory) *fsys.Memory {
	t.Helper()
	c := fsys.NewMemory()
	files, err := m.Files(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := m.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WriteFile(f, b); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// A tree whose content did not change is not rewritten: the second Write of
// the same files changes nothing on disk (no write, rename or removal,
// not even of the manifest), so a GitOps
// hydrator sees no commit-worthy change; a changed file is the only one
// written.
func TestWriteSkipsAnUnchangedTree(t *testing.T) {
	mem := fsys.NewMemory()
	if _, err := Write(mem, "out", tree(t, newFiles)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, mem, "out")
	var changes []string
	fs := &fsys.Faulty{FS: mem, OnChange: func(_ int, op, name string) {
		// The writer's own bookkeeping (its lock, clearing a journal
		// directory that is not there) is not the tree's content.
		if !strings.Contains(name, ".ydpgen/lock") && !strings.Contains(name, ".ydpgen/txn") {
			changes = append(changes, op+" "+name)
		}
	}}
	rep, err := Write(fs, "out", tree(t, newFiles))
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 0 || len(rep.Written) != 0 || len(rep.Unchanged) != len(newFiles) {
		t.Errorf("an unchanged tree was rewritten: changes %q, written %q, %d unchanged", changes, rep.Written, len(rep.Unchanged))
	}
	if d := cmp.Diff(before, snapshot(t, mem, "out")); d != "" {
		t.Errorf("tree changed (-before +after):\n%s", d)
	}
	// The control: one changed file is written, with the manifest.
	changed := maps.Clone(newFiles)
	changed["base/a.yaml"] += "# changed\n"
	changes = nil
	rep, err = Write(fs, "out", tree(t, changed))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"base/a.yaml"}, rep.Written); d != "" || len(changes) == 0 {
		t.Errorf("written after one change (-want +got):\n%s; changes %q", d, changes)
	}
}

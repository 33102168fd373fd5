package overlays_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/review"
)

// The tests here run writes in child processes of the test binary, which
// they start again with childEnv set, so that a write can be killed or can
// race another process for real.
const childEnv = "YDPGEN_TEST_WRITE_CHILD"

// childSpec is what a child writes, and where it stops.
type childSpec struct {
	Dir      string
	Files    map[string]string
	LockWait time.Duration
	// Delay slows every change down, so that another process meets the
	// write while it runs.
	Delay time.Duration
	// StopAt is a change ("rename base/a.yaml") before which the child
	// prints "stopped" and waits to be killed.
	StopAt string
}

var (
	oldTree = map[string]string{
		"base/kustomization.yaml":     "old base",
		"base/a.yaml":                 "a v1",
		"base/gone.yaml":              "pruned next time",
		"overlays/dev/x.yaml":         "x v1",
		"overlays/old/only-here.yaml": "pruned with its directory",
	}
	newTree = map[string]string{
		"base/kustomization.yaml":     "new base",
		"base/a.yaml":                 "a v1",
		"overlays/dev/x.yaml":         "x v2",
		"overlays/dev/new/added.yaml": "added",
		"overlays/prod/y.yaml":        "y",
	}
)

func treeOf(t testing.TB, files map[string]string) *overlays.Tree {
	t.Helper()
	tr := &overlays.Tree{}
	for p, d := range files {
		if err := tr.Add(p, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// TestWriteChild is the child process of the tests below; run on its own,
// it does nothing.
func TestWriteChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("the child process of the write tests")
	}
	var c childSpec
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	f := &fsys.Faulty{FS: fsys.OnDisk{}, OnChange: func(n int, op, name string) {
		if n == 1 {
			fmt.Println("started") // the lock is held
		}
		if op+" "+name == c.StopAt {
			fmt.Println("stopped")
			select {}
		}
		time.Sleep(c.Delay)
	}}
	if _, err := overlays.WriteWith(f, c.Dir, treeOf(t, c.Files), overlays.WriteOptions{LockWait: c.LockWait}); err != nil {
		fmt.Println("result: " + strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	fmt.Println("result: ok")
}

type child struct {
	cmd   *exec.Cmd
	lines chan string
}

func startChild(t *testing.T, c childSpec) *child {
	t.Helper()
	spec, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := &child{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			ch.lines <- s.Text()
		}
		close(ch.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return ch
}

// waitFor returns the first line of the child's output that starts with
// prefix.
func (c *child) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("the child (pid %d) ended without printing %q", c.cmd.Process.Pid, prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("the child (pid %d) did not print %q within a minute", c.cmd.Process.Pid, prefix)
		}
	}
}

func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// onDisk reads every regular file below dir and lists the directories
// below it that are empty.
func onDisk(t *testing.T, dir string) (files map[string]string, empty []string) {
	t.Helper()
	files = map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && p != dir:
			if ents, err := os.ReadDir(p); err == nil && len(ents) == 0 {
				empty = append(empty, rel)
			}
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files[rel] = string(b)
		case !d.IsDir():
			return fmt.Errorf("%s is not a regular file", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, empty
}

// wantTree checks that dir holds exactly the render of files, with its
// manifest, and nothing left of a write: no lock, no transaction, no empty
// directory.
func wantTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	got, empty := onDisk(t, dir)
	m, err := overlays.ReadManifest(fsys.OnDisk{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(files)
	b, _ := json.MarshalIndent(m, "", "  ")
	want[overlays.ManifestPath] = string(b) + "\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("the tree is not one whole render (-want +got):\n%s", d)
	}
	if len(m.Files) != len(files) {
		t.Errorf("the manifest lists %d files, want %d", len(m.Files), len(files))
	}
	if len(empty) > 0 {
		t.Errorf("empty directories left: %v", empty)
	}
}

// TestConcurrentWritesSerialise starts two processes rendering different
// trees into one directory, the second while the first is writing: the
// second waits for the first, and the directory ends up holding the second
// tree whole.
func TestConcurrentWritesSerialise(t *testing.T) {
	dir := t.TempDir()
	a := startChild(t, childSpec{Dir: dir, Files: oldTree, Delay: 20 * time.Millisecond, LockWait: time.Minute})
	a.waitFor(t, "started")
	b := startChild(t, childSpec{Dir: dir, Files: newTree, LockWait: time.Minute})
	// The order in which the results arrive, and each result.
	order := ""
	lines := map[string]chan string{"a": a.lines, "b": b.lines}
	for len(order) < 2 {
		var l, who string
		ok := true
		select {
		case l, ok = <-lines["a"]:
			who = "a"
		case l, ok = <-lines["b"]:
			who = "b"
		case <-time.After(time.Minute):
			t.Fatal("the writes did not finish within a minute")
		}
		if !ok {
			t.Fatalf("write %s ended without a result", who)
		}
		if strings.HasPrefix(l, "result: ") {
			if l != "result: ok" {
				t.Fatalf("write %s: %s", who, l)
			}
			order += who
			lines[who] = nil // its output is done with
		}
	}
	if order != "ab" {
		t.Errorf("the writes finished in the order %q: the second did not wait", order)
	}
	wantTree(t, dir, newTree)
}

// TestLockTimeoutNamesHolder holds the lock in a stopped process: a second
// write gives up after its wait and names the lock and the process, and
// once the holder is killed, the lock is free.
func TestLockTimeoutNamesHolder(t *testing.T) {
	dir := t.TempDir()
	a := startChild(t, childSpec{Dir: dir, Files: oldTree, StopAt: "removeall .ydpgen/txn"})
	a.waitFor(t, "stopped")
	start := time.Now()
	_, err := overlays.WriteWith(fsys.OnDisk{}, dir, treeOf(t, newTree), overlays.WriteOptions{LockWait: 300 * time.Millisecond})
	var le *fsys.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second write: %v, want a lock error", err)
	}
	pid := a.cmd.Process.Pid
	for _, s := range []string{filepath.Join(dir, ".ydpgen", "lock"), fmt.Sprintf("pid %d", pid), "render again"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	if waited := time.Since(start); waited < 300*time.Millisecond || waited > 10*time.Second {
		t.Errorf("waited %s for a wait of 300ms", waited)
	}
	a.kill(t)
	if _, err := overlays.Write(fsys.OnDisk{}, dir, treeOf(t, newTree)); err != nil {
		t.Fatalf("write after the holder died: %v", err)
	}
	wantTree(t, dir, newTree)
}

// TestKilledWrite kills a process writing the new tree over the old one at
// a named change, then reads the tree as render --check and diff do, and
// renders again.
func TestKilledWrite(t *testing.T) {
	for _, c := range []struct {
		name, stopAt string
		// pending: the tree may mix the two renders; otherwise it holds
		// this one.
		pending bool
		holds   map[string]string
	}{
		{"staging", "write .ydpgen/txn/new/base/kustomization.yaml", false, oldTree},
		// Old files moved out, new ones (and their directories) in, the
		// manifest not yet.
		{"mid-commit", "rename .ydpgen/manifest.json", true, nil},
		// The new tree stands; the directory pruning emptied is not yet
		// removed.
		{"after the commit point", "remove overlays/old", false, newTree},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := overlays.Write(fsys.OnDisk{}, dir, treeOf(t, oldTree)); err != nil {
				t.Fatal(err)
			}
			w := startChild(t, childSpec{Dir: dir, Files: newTree, StopAt: c.stopAt})
			w.waitFor(t, "stopped")
			w.kill(t)

			side, err := review.FromDir(fsys.OnDisk{}, dir)
			var pe *overlays.PendingError
			switch {
			case c.pending && !errors.As(err, &pe):
				t.Fatalf("reading the tree after the kill: %v, want an interrupted render reported", err)
			case c.pending:
				if !strings.Contains(err.Error(), "run ydpgen render") {
					t.Errorf("message %q does not say to render", err)
				}
			case err != nil:
				t.Fatalf("reading the tree after the kill: %v", err)
			default:
				got := map[string]string{}
				for _, f := range side.Tree.Files() {
					got[f.Path] = string(f.Data)
				}
				if d := cmp.Diff(c.holds, got); d != "" {
					t.Errorf("the tree read after the kill (-want +got):\n%s", d)
				}
			}

			// The next render recovers and leaves one whole tree.
			if _, err := overlays.Write(fsys.OnDisk{}, dir, treeOf(t, newTree)); err != nil {
				t.Fatalf("render after the kill: %v", err)
			}
			wantTree(t, dir, newTree)
		})
	}
}

package fsys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustWrite(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustLink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
}

func refused(t *testing.T, what string, err error, path string, reason Reason) {
	t.Helper()
	var ue *UnsafeError
	if !errors.As(err, &ue) || ue.Path != path || ue.Reason != reason {
		t.Errorf("%s: %v, want %s refused for reason %d", what, err, path, reason)
	}
}

// TestDiskTreeNeverFollowsLinks plants links to a secret outside the tree
// and to a directory inside it, and tries every operation through them.
func TestDiskTreeNeverFollowsLinks(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	mustWrite(t, filepath.Join(outside, "secret"), "secret")
	mustWrite(t, filepath.Join(dir, "real/file"), "mine")
	mustLink(t, outside, filepath.Join(dir, "out"))
	mustLink(t, "real", filepath.Join(dir, "in"))
	mustLink(t, filepath.Join(outside, "secret"), filepath.Join(dir, "real/secret"))

	tr, err := (OnDisk{}).OpenTree(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, c := range []struct{ name, link string }{
		{"out/secret", "out"},
		{"in/file", "in"},
		{"real/secret", "real/secret"},
		{"out", "out"},
	} {
		_, err := tr.Stat(c.name)
		refused(t, "stat "+c.name, err, c.link, Link)
		_, err = tr.ReadFile(c.name)
		refused(t, "read "+c.name, err, c.link, Link)
		refused(t, "write "+c.name, tr.WriteFile(c.name, []byte("x")), c.link, Link)
		refused(t, "remove "+c.name, tr.Remove(c.name), c.link, Link)
		refused(t, "remove all "+c.name, tr.RemoveAll(c.name), c.link, Link)
		refused(t, "rename from "+c.name, tr.Rename(c.name, "real/moved"), c.link, Link)
		refused(t, "rename to "+c.name, tr.Rename("real/file", c.name), c.link, Link)
	}
	if b, err := os.ReadFile(filepath.Join(outside, "secret")); err != nil || string(b) != "secret" {
		t.Errorf("the file outside changed: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "real/file")); err != nil || string(b) != "mine" {
		t.Errorf("the file inside changed: %q, %v", b, err)
	}
	if _, err := (OnDisk{}).OpenTree(filepath.Join(dir, "out"), false); err == nil {
		t.Errorf("opened a tree through a link")
	}
	for _, bad := range []string{"", "/etc", "../x", "a/./b", "a//b", `a\b`} {
		if _, err := tr.Stat(bad); err == nil {
			t.Errorf("stat %q: no error", bad)
		}
	}
}

func TestDiskTreeOperations(t *testing.T) {
	dir := t.TempDir()
	tr, err := (OnDisk{Durable: true}).OpenTree(filepath.Join(dir, "t"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.WriteFile("a/b/c.txt", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteFile("a/b/c.txt", []byte("2")); err != nil {
		t.Fatal(err)
	}
	if b, err := tr.ReadFile("a/b/c.txt"); err != nil || string(b) != "2" {
		t.Fatalf("read %q, %v", b, err)
	}
	if err := tr.Rename("a/b/c.txt", "x/y.txt"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Kind{"x/y.txt": Regular, "x": Directory, "a/b/c.txt": Missing, "a/b/c.txt/d": Missing, "nothing/here": Missing} {
		if k, err := tr.Stat(name); err != nil || k != want {
			t.Errorf("stat %s: %v, %v, want %v", name, k, err, want)
		}
	}
	if err := tr.Remove("a"); err == nil {
		t.Errorf("removed a directory that is not empty")
	}
	if err := tr.Remove("a/b"); err != nil {
		t.Fatal(err)
	}
	// A directory removed and made again is checked again.
	if err := os.Symlink(filepath.Join(dir, "t", "x"), filepath.Join(dir, "t", "a", "b")); err != nil {
		t.Skip(err)
	}
	refused(t, "write below a link made after a removal", tr.WriteFile("a/b/z", nil), "a/b", Link)
	if err := tr.RemoveAll("a"); err != nil {
		t.Fatal(err)
	}
	if k, _ := tr.Stat("x/y.txt"); k != Regular {
		t.Errorf("removing a link removed its target")
	}
	if err := tr.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ReadFile("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("reading a missing file: %v", err)
	}
	if _, err := (OnDisk{}).OpenTree(filepath.Join(dir, "none"), false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening a missing tree: %v", err)
	}
}

func TestDiskTreeReadsAreBounded(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "big"), "")
	if err := os.Truncate(filepath.Join(dir, "big"), MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	tr, err := (OnDisk{}).OpenTree(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.ReadFile("big")
	refused(t, "read big", err, "big", TooLarge)
	if !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Errorf("message %q", err)
	}
}

// TestDiskTreeLock checks the lock between two trees of one directory: the
// second waits, then names the lock and the holder; unlocking removes the
// file and the directory the lock made.
func TestDiskTreeLock(t *testing.T) {
	dir := t.TempDir()
	a, err := (OnDisk{}).OpenTree(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := (OnDisk{}).OpenTree(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	unlock, err := a.Lock("state/lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = b.Lock("state/lock", 200*time.Millisecond)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() || le.Lock != filepath.Join(dir, "state", "lock") {
		t.Fatalf("second lock: %v, want the lock and pid %d named", err, os.Getpid())
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("gave up after %s", waited)
	}
	unlock()
	if _, err := os.Lstat(filepath.Join(dir, "state")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the lock's directory is left: %v", err)
	}
	unlock, err = b.Lock("state/lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}

// TestMemoryTree checks that the in-memory tree behaves like the disk's
// where both can.
func TestMemoryTree(t *testing.T) {
	m := NewMemory()
	if _, err := m.OpenTree("out", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("opening a missing tree: %v", err)
	}
	tr, err := m.OpenTree("out", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.WriteFile("a/b.txt", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := m.ReadFile(filepath.Join("out", "a", "b.txt")); err != nil || string(b) != "x" {
		t.Errorf("read %q, %v", b, err)
	}
	if k, err := tr.Stat("a"); k != Directory || err != nil {
		t.Errorf("stat a: %v, %v", k, err)
	}
	if _, err := tr.Stat("../x"); err == nil {
		t.Errorf("stat ../x: no error")
	}
	unlock, err := tr.Lock("lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Lock("lock", 10*time.Millisecond); err == nil {
		t.Errorf("locked twice")
	}
	unlock()
	if files, _ := m.Files("out"); len(files) != 1 {
		t.Errorf("files %v, want only a/b.txt", files)
	}
}

func TestFaultyTreeCountsChanges(t *testing.T) {
	var seen []string
	f := &Faulty{FS: NewMemory(), FailAt: 3, OnChange: func(n int, op, name string) { seen = append(seen, op+" "+name) }}
	tr, err := f.OpenTree("out", true)
	if err != nil {
		t.Fatal(err)
	}
	errs := []error{tr.WriteFile("a", nil), tr.Rename("a", "b"), tr.Remove("b"), tr.RemoveAll("b"), tr.Sync()}
	if !errors.Is(errs[2], ErrInjected) || errs[0] != nil || errs[1] != nil || errs[3] != nil || errs[4] != nil {
		t.Errorf("errors %v, want only the third change failed", errs)
	}
	want := "write a,rename a,remove b,removeall b,sync ."
	if got := strings.Join(seen, ","); got != want || f.Changes() != 5 {
		t.Errorf("changes %q (%d), want %q", got, f.Changes(), want)
	}
}

package fsys

import (
	"errors"
	"sync"
	"time"
)

// ErrInjected is the error a Faulty FS returns when it fails on purpose.
var ErrInjected = errors.New("injected failure")

// Faulty wraps an FS and fails its FailAt-th change (write, rename,
// removal or flush, counting from 1, in the FS and in every Tree it
// opens). With Crash set, every change after that fails too, as if the
// process had died there. Reads, locks and opening trees always pass
// through.
type Faulty struct {
	FS     FS
	FailAt int
	Crash  bool
	// OnChange, when set, is called before each change with its number,
	// its operation ("write", "rename", "remove", "removeall", "sync") and
	// its path (for a rename, the old one), so that a test can see the
	// order of the changes or stop a process at one of them.
	OnChange func(n int, op, name string)

	mu      sync.Mutex
	changes int
}

var _ FS = (*Faulty)(nil)

// Changes is the number of changes attempted so far.
func (f *Faulty) Changes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changes
}

func (f *Faulty) change(op, name string) error {
	f.mu.Lock()
	f.changes++
	n := f.changes
	f.mu.Unlock()
	if f.OnChange != nil {
		f.OnChange(n, op, name)
	}
	if f.FailAt > 0 && (n == f.FailAt || (f.Crash && n > f.FailAt)) {
		return ErrInjected
	}
	return nil
}

func (f *Faulty) ReadFile(name string) ([]byte, error) { return f.FS.ReadFile(name) }

func (f *Faulty) WriteFile(name string, data []byte) error {
	if err := f.change("write", name); err != nil {
		return err
	}
	return f.FS.WriteFile(name, data)
}

func (f *Faulty) Rename(oldpath, newpath string) error {
	if err := f.change("rename", oldpath); err != nil {
		return err
	}
	return f.FS.Rename(oldpath, newpath)
}

func (f *Faulty) Remove(name string) error {
	if err := f.change("remove", name); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *Faulty) RemoveAll(name string) error {
	if err := f.change("removeall", name); err != nil {
		return err
	}
	return f.FS.RemoveAll(name)
}

func (f *Faulty) Stat(name string) (bool, bool, error) { return f.FS.Stat(name) }
func (f *Faulty) Files(root string) ([]string, error)  { return f.FS.Files(root) }
func (f *Faulty) Dirs(root string) ([]string, error)   { return f.FS.Dirs(root) }

// Sync counts as a change: a failed flush must abort a write like a failed
// rename does.
func (f *Faulty) Sync(name string) error {
	if err := f.change("sync", name); err != nil {
		return err
	}
	return f.FS.Sync(name)
}

func (f *Faulty) OpenTree(dir string, create bool) (Tree, error) {
	t, err := f.FS.OpenTree(dir, create)
	if err != nil {
		return nil, err
	}
	return &faultyTree{t: t, f: f}, nil
}

// faultyTree counts and fails the changes made in a Tree like those made
// through the Faulty itself.
type faultyTree struct {
	t Tree
	f *Faulty
}

func (t *faultyTree) Stat(name string) (Kind, error)       { return t.t.Stat(name) }
func (t *faultyTree) ReadFile(name string) ([]byte, error) { return t.t.ReadFile(name) }
func (t *faultyTree) Close() error                         { return t.t.Close() }

func (t *faultyTree) Lock(name string, wait time.Duration) (func(), error) {
	return t.t.Lock(name, wait)
}

func (t *faultyTree) WriteFile(name string, data []byte) error {
	if err := t.f.change("write", name); err != nil {
		return err
	}
	return t.t.WriteFile(name, data)
}

func (t *faultyTree) Rename(oldname, newname string) error {
	if err := t.f.change("rename", oldname); err != nil {
		return err
	}
	return t.t.Rename(oldname, newname)
}

func (t *faultyTree) Remove(name string) error {
	if err := t.f.change("remove", name); err != nil {
		return err
	}
	return t.t.Remove(name)
}

func (t *faultyTree) RemoveAll(name string) error {
	if err := t.f.change("removeall", name); err != nil {
		return err
	}
	return t.t.RemoveAll(name)
}

func (t *faultyTree) Sync() error {
	if err := t.f.change("sync", "."); err != nil {
		return err
	}
	return t.t.Sync()
}

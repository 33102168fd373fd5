package fsys

import (
	"errors"
	"sync"
)

// ErrInjected is the error a Faulty FS returns when it fails on purpose.
var ErrInjected = errors.New("injected failure")

// Faulty wraps an FS and fails its FailAt-th change (write, rename or
// removal, counting from 1). With Crash set, every change after that fails
// too, as if the process had died there. Reads always pass through.
type Faulty struct {
	FS     FS
	FailAt int
	Crash  bool

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

func (f *Faulty) change() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes++
	if f.FailAt > 0 && (f.changes == f.FailAt || (f.Crash && f.changes > f.FailAt)) {
		return ErrInjected
	}
	return nil
}

func (f *Faulty) ReadFile(name string) ([]byte, error) { return f.FS.ReadFile(name) }

func (f *Faulty) WriteFile(name string, data []byte) error {
	if err := f.change(); err != nil {
		return err
	}
	return f.FS.WriteFile(name, data)
}

func (f *Faulty) Rename(oldpath, newpath string) error {
	if err := f.change(); err != nil {
		return err
	}
	return f.FS.Rename(oldpath, newpath)
}

func (f *Faulty) Remove(name string) error {
	if err := f.change(); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *Faulty) RemoveAll(name string) error {
	if err := f.change(); err != nil {
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
	if err := f.change(); err != nil {
		return err
	}
	return f.FS.Sync(name)
}

package fsys

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// memTree is a Tree in a Memory, which has no links or special files.
type memTree struct {
	m   *Memory
	dir string
}

func (m *Memory) OpenTree(dir string, create bool) (Tree, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := clean(dir)
	if _, ok := m.files[d]; ok {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: fmt.Errorf("not a directory")}
	}
	if d != "." && !m.dirs[d] {
		if !create {
			return nil, &fs.PathError{Op: "open", Path: dir, Err: fs.ErrNotExist}
		}
		m.mkdirs(d)
	}
	return &memTree{m: m, dir: d}, nil
}

func (t *memTree) path(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	return filepath.Join(t.dir, filepath.FromSlash(name)), nil
}

func (t *memTree) Stat(name string) (Kind, error) {
	p, err := t.path(name)
	if err != nil {
		return Missing, err
	}
	exists, isDir, err := t.m.Stat(p)
	switch {
	case err != nil || !exists:
		return Missing, err
	case isDir:
		return Directory, nil
	}
	return Regular, nil
}

func (t *memTree) ReadFile(name string) ([]byte, error) {
	p, err := t.path(name)
	if err != nil {
		return nil, err
	}
	b, err := t.m.ReadFile(p)
	if err == nil && len(b) > MaxFileSize {
		return nil, &UnsafeError{Tree: t.dir, Path: name, Reason: TooLarge}
	}
	return b, err
}

func (t *memTree) WriteFile(name string, data []byte) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	return t.m.WriteFile(p, data)
}

func (t *memTree) Rename(oldname, newname string) error {
	o, err := t.path(oldname)
	if err != nil {
		return err
	}
	n, err := t.path(newname)
	if err != nil {
		return err
	}
	return t.m.Rename(o, n)
}

func (t *memTree) Remove(name string) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	return t.m.Remove(p)
}

func (t *memTree) RemoveAll(name string) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	return t.m.RemoveAll(p)
}

func (t *memTree) Sync() error  { return nil }
func (t *memTree) Close() error { return nil }

// Lock serialises users of one Memory; no file is written, so that
// snapshots of a Memory hold only what the code under test wrote.
func (t *memTree) Lock(name string, wait time.Duration) (func(), error) {
	p, err := t.path(name)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		t.m.mu.Lock()
		if !t.m.locks[p] {
			t.m.locks[p] = true
			t.m.mu.Unlock()
			return func() {
				t.m.mu.Lock()
				defer t.m.mu.Unlock()
				delete(t.m.locks, p)
			}, nil
		}
		t.m.mu.Unlock()
		if !time.Now().Before(deadline) {
			return nil, &LockedError{Lock: p, Wait: wait}
		}
		time.Sleep(time.Millisecond)
	}
}

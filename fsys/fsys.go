package fsys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// FS is a file system rooted wherever its paths say; paths use the host's
// separator.
type FS interface {
	ReadFile(name string) ([]byte, error)
	// WriteFile writes a whole file, creating missing parent directories.
	// The data may not be durable until Sync.
	WriteFile(name string, data []byte) error
	// Sync makes every change made so far on the file system holding name
	// durable. Writers call it once per phase instead of once per file.
	Sync(name string) error
	// Rename moves a file, creating missing parent directories of newpath and
	// replacing newpath if it exists.
	Rename(oldpath, newpath string) error
	// Remove deletes a file or an empty directory.
	Remove(name string) error
	RemoveAll(name string) error
	// Stat reports whether name exists and whether it is a directory.
	Stat(name string) (exists, isDir bool, err error)
	// Files lists the regular files below root, sorted, relative to root with
	// '/' separators. A missing root has no files.
	Files(root string) ([]string, error)
	// Dirs lists the directories below root (not root), deepest first.
	Dirs(root string) ([]string, error)
	// OpenTree opens the directory dir as a Tree, creating it when create
	// is set; otherwise a missing dir is an error wrapping fs.ErrNotExist.
	OpenTree(dir string, create bool) (Tree, error)
}

// OnDisk is the real file system.
//
// Writes are atomic against a failing or interrupted process without any
// flush: the page cache outlives the process. Durable adds flushes, so that
// a write also survives a power loss or kernel crash, at a cost that grows
// with everything else the machine has not yet written to disk.
type OnDisk struct {
	Durable bool
}

var _ FS = OnDisk{}

func (OnDisk) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

func (d OnDisk) WriteFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if d.Durable {
		if err := syncOnWrite(f); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// Sync, when Durable, flushes the whole file system that holds name with
// syncfs(2): one call covers every file and directory entry written before
// it, instead of an fsync per file and per directory.
func (d OnDisk) Sync(name string) error {
	if !d.Durable {
		return nil
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return syncFS(f)
}

func (OnDisk) Rename(oldpath, newpath string) error {
	if err := os.MkdirAll(filepath.Dir(newpath), 0o755); err != nil {
		return err
	}
	return os.Rename(oldpath, newpath)
}

func (OnDisk) Remove(name string) error    { return os.Remove(name) }
func (OnDisk) RemoveAll(name string) error { return os.RemoveAll(name) }

func (OnDisk) Stat(name string) (bool, bool, error) {
	fi, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, fi.IsDir(), nil
}

func (OnDisk) Files(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

func (OnDisk) Dirs(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() && p != root {
			out = append(out, p)
		}
		return nil
	})
	sortDeepestFirst(out)
	return out, err
}

func sortDeepestFirst(dirs []string) {
	slices.SortFunc(dirs, func(a, b string) int {
		if d := strings.Count(b, string(filepath.Separator)) - strings.Count(a, string(filepath.Separator)); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
}

// Memory is an in-memory FS for tests. Directories exist while they hold
// files or were created by a write or rename below them.
type Memory struct {
	mu    sync.Mutex
	files map[string][]byte
	dirs  map[string]bool
	locks map[string]bool
}

var _ FS = (*Memory)(nil)

// NewMemory returns an empty in-memory FS.
func NewMemory() *Memory {
	return &Memory{files: map[string][]byte{}, dirs: map[string]bool{}, locks: map[string]bool{}}
}

func clean(name string) string { return filepath.Clean(name) }

func (m *Memory) mkdirs(dir string) {
	for d := clean(dir); d != "." && d != string(filepath.Separator); d = filepath.Dir(d) {
		m.dirs[d] = true
	}
}

func (m *Memory) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.files[clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return slices.Clone(b), nil
}

func (m *Memory) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := clean(name)
	if m.dirs[n] {
		return &fs.PathError{Op: "write", Path: name, Err: errors.New("is a directory")}
	}
	m.mkdirs(filepath.Dir(n))
	m.files[n] = slices.Clone(data)
	return nil
}

func (m *Memory) Rename(oldpath, newpath string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, n := clean(oldpath), clean(newpath)
	b, ok := m.files[o]
	if !ok {
		return &fs.PathError{Op: "rename", Path: oldpath, Err: fs.ErrNotExist}
	}
	m.mkdirs(filepath.Dir(n))
	delete(m.files, o)
	m.files[n] = b
	return nil
}

// Sync implements FS; memory is as durable as it gets.
func (m *Memory) Sync(string) error { return nil }

func (m *Memory) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := clean(name)
	if _, ok := m.files[n]; ok {
		delete(m.files, n)
		return nil
	}
	if m.dirs[n] {
		prefix := n + string(filepath.Separator)
		for f := range m.files {
			if strings.HasPrefix(f, prefix) {
				return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
			}
		}
		for d := range m.dirs {
			if strings.HasPrefix(d, prefix) {
				return &fs.PathError{Op: "remove", Path: name, Err: errors.New("directory not empty")}
			}
		}
		delete(m.dirs, n)
		return nil
	}
	return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
}

func (m *Memory) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := clean(name)
	prefix := n + string(filepath.Separator)
	for f := range m.files {
		if f == n || strings.HasPrefix(f, prefix) {
			delete(m.files, f)
		}
	}
	for d := range m.dirs {
		if d == n || strings.HasPrefix(d, prefix) {
			delete(m.dirs, d)
		}
	}
	return nil
}

func (m *Memory) Stat(name string) (bool, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := clean(name)
	if _, ok := m.files[n]; ok {
		return true, false, nil
	}
	return m.dirs[n], m.dirs[n], nil
}

func (m *Memory) Files(root string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := clean(root)
	var out []string
	for f := range m.files {
		if rel, err := filepath.Rel(r, f); err == nil && !strings.HasPrefix(rel, "..") {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *Memory) Dirs(root string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := clean(root)
	var out []string
	for d := range m.dirs {
		if rel, err := filepath.Rel(r, d); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			out = append(out, d)
		}
	}
	sortDeepestFirst(out)
	return out, nil
}

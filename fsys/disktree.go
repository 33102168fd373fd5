package fsys

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// diskTree is a Tree on the real file system.
//
// Every access goes through an os.Root, so that nothing outside the
// directory is reached even if the tree changes while ydpgen works in it.
// os.Root follows links that stay inside, so the tree opens each directory
// below it one step at a time, checking with Lstat that the step is a real
// directory and that the directory opened is the one checked, and keeps it
// open: an operation on a file is then one call on its directory's handle,
// on the last name, which is checked in the same way. Only a rename, which
// needs both directories, goes through the top of the tree again.
type diskTree struct {
	dir     string
	root    *os.Root
	durable bool

	mu   sync.Mutex
	dirs map[string]*os.Root // checked directories below root, by name
}

// OpenTree opens dir as a Tree, creating it first when create is set; a
// missing dir is an error wrapping fs.ErrNotExist otherwise. dir must be a
// real directory, and so must each directory on a relative path to it: in
// CI those come from the checkout, which a pull request controls.
func (d OnDisk) OpenTree(dir string, create bool) (Tree, error) {
	if create {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	t := &diskTree{dir: dir, root: root, durable: d.Durable, dirs: map[string]*os.Root{}}
	if err := t.checkDir(); err != nil {
		root.Close()
		return nil, err
	}
	return t, nil
}

func (t *diskTree) checkDir() error {
	clean := filepath.Clean(t.dir)
	steps := []string{clean}
	if !filepath.IsAbs(clean) {
		steps = nil
		parts := strings.Split(clean, string(filepath.Separator))
		for i, p := range parts {
			if p != ".." && p != "." {
				steps = append(steps, filepath.Join(parts[:i+1]...))
			}
		}
	}
	for _, p := range steps {
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if isLink(fi.Mode()) {
			return &UnsafeError{Tree: p, Reason: Link}
		}
	}
	// The directory opened must be the one checked.
	opened, err := t.root.Stat(".")
	if err != nil {
		return err
	}
	there, err := os.Lstat(clean)
	if err != nil {
		return err
	}
	if !os.SameFile(opened, there) {
		return fmt.Errorf("%s changed while ydpgen opened it; run ydpgen again", t.dir)
	}
	return nil
}

// isLink is true for symbolic links and, on Windows, for other reparse
// points such as junctions, which redirect the same way.
func isLink(m fs.FileMode) bool { return m&(fs.ModeSymlink|fs.ModeIrregular) != 0 }

func (t *diskTree) show(name string) string { return filepath.Join(t.dir, filepath.FromSlash(name)) }

// fix names the path of an error from the os.Root from the working
// directory, as users see it, instead of from the tree.
func (t *diskTree) fix(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &le):
		return &os.LinkError{Op: le.Op, Old: t.show(le.Old), New: t.show(le.New), Err: le.Err}
	case errors.As(err, &pe) && !filepath.IsAbs(pe.Path):
		return &fs.PathError{Op: pe.Op, Path: t.show(pe.Path), Err: pe.Err}
	}
	return err
}

// forget closes and drops the handles of name and everything below it
// ("" for all), before it is removed, or when another process may have
// removed it.
func (t *diskTree) forget(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for d, r := range t.dirs {
		if name == "" || d == name || strings.HasPrefix(d, name+"/") {
			r.Close()
			delete(t.dirs, d)
		}
	}
}

// forgetParents forgets the directories above name.
func (t *diskTree) forgetParents(name string) {
	if ps := parentsOf(name); len(ps) > 0 {
		t.forget(ps[0])
	}
}

// dirRoot returns the handle of the directory dir ("" for the top of the
// tree), opening each step that is not open yet after checking that it is
// a real directory; missing steps are created when create is set, and
// otherwise make it return nil.
func (t *diskTree) dirRoot(dir string, create bool) (*os.Root, error) {
	if dir == "" {
		return t.root, nil
	}
	t.mu.Lock()
	r := t.dirs[dir]
	t.mu.Unlock()
	if r != nil {
		return r, nil
	}
	up, err := t.dirRoot(parent(dir), create)
	if err != nil || up == nil {
		return nil, err
	}
	name := base(dir)
	fi, err := up.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, nil
		}
		if err := up.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, t.fixIn(dir, err)
		}
		fi, err = up.Lstat(name)
	}
	if err != nil {
		return nil, t.fixIn(dir, err)
	}
	if isLink(fi.Mode()) {
		return nil, &UnsafeError{Tree: t.dir, Path: dir, Reason: Link}
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: t.show(dir), Err: errors.New("not a directory")}
	}
	r, err = up.OpenRoot(name)
	if err != nil {
		return nil, t.fixIn(dir, err)
	}
	// OpenRoot follows a link: what it opened must be what was checked.
	got, err := r.Stat(".")
	if err != nil || !os.SameFile(fi, got) {
		r.Close()
		return nil, fmt.Errorf("%s changed while ydpgen opened it; run ydpgen again", t.show(dir))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.dirs[dir]; old != nil {
		r.Close()
		return old, nil
	}
	t.dirs[dir] = r
	return r, nil
}

// fixIn is fix for an error of an operation on the last name of path in
// its directory's handle, which names only that last name.
func (t *diskTree) fixIn(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: t.show(path), Err: pe.Err}
	}
	return err
}

// lstat describes name without following a link, refusing links on the
// way and at name; it returns the handle of name's directory, and a nil
// FileInfo for a missing name (a nil handle too when its directory is
// missing).
func (t *diskTree) lstat(name string, create bool) (*os.Root, fs.FileInfo, error) {
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	d, err := t.dirRoot(parent(name), create)
	if err != nil || d == nil {
		return nil, nil, err
	}
	fi, err := d.Lstat(base(name))
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil, nil
	}
	if err != nil {
		return nil, nil, t.fixIn(name, err)
	}
	if isLink(fi.Mode()) {
		return nil, nil, &UnsafeError{Tree: t.dir, Path: name, Reason: Link}
	}
	return d, fi, nil
}

// file refuses anything but a regular file at name.
func (t *diskTree) file(name string, fi fs.FileInfo) error {
	switch {
	case fi.IsDir():
		return &fs.PathError{Op: "open", Path: t.show(name), Err: errors.New("is a directory")}
	case !fi.Mode().IsRegular():
		return &UnsafeError{Tree: t.dir, Path: name, Reason: NotRegular, Mode: fi.Mode().Type()}
	}
	return nil
}

// same refuses an opened file that is not the one checked before: a link
// or pipe swapped in between would have been followed or opened.
func (t *diskTree) same(name string, checked fs.FileInfo, f *os.File) (fs.FileInfo, error) {
	got, err := f.Stat()
	if err != nil {
		return nil, t.fix(err)
	}
	if !os.SameFile(checked, got) {
		return nil, fmt.Errorf("%s changed while ydpgen opened it; run ydpgen again", t.show(name))
	}
	return got, nil
}

func (t *diskTree) Stat(name string) (Kind, error) {
	_, fi, err := t.lstat(name, false)
	switch {
	case err != nil:
		return Missing, err
	case fi == nil:
		return Missing, nil
	case fi.IsDir():
		return Directory, nil
	case fi.Mode().IsRegular():
		return Regular, nil
	}
	return Special, nil
}

func (t *diskTree) ReadFile(name string) ([]byte, error) {
	d, fi, err := t.lstat(name, false)
	if err != nil {
		return nil, err
	}
	if fi == nil {
		return nil, &fs.PathError{Op: "open", Path: t.show(name), Err: fs.ErrNotExist}
	}
	if err := t.file(name, fi); err != nil {
		return nil, err
	}
	if fi.Size() > MaxFileSize {
		return nil, &UnsafeError{Tree: t.dir, Path: name, Reason: TooLarge}
	}
	f, err := d.OpenFile(base(name), os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, t.fixIn(name, err)
	}
	defer f.Close()
	if _, err := t.same(name, fi, f); err != nil {
		return nil, err
	}
	// The file may grow while it is read: read one byte more than allowed
	// to notice.
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, t.fixIn(name, err)
	}
	if len(b) > MaxFileSize {
		return nil, &UnsafeError{Tree: t.dir, Path: name, Reason: TooLarge}
	}
	return b, nil
}

// WriteFile writes name; when a directory on the way went away since it
// was opened (another process removed it), it opens the way again once.
func (t *diskTree) WriteFile(name string, data []byte) error {
	err := t.writeFile(name, data)
	if errors.Is(err, fs.ErrNotExist) {
		t.forgetParents(name)
		err = t.writeFile(name, data)
	}
	return err
}

func (t *diskTree) writeFile(name string, data []byte) error {
	d, fi, err := t.lstat(name, true)
	if err != nil {
		return err
	}
	// A new file is created exclusively, so that nothing that appeared at
	// name since the check is opened; an existing one is truncated only
	// once it is known to be the file checked.
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL | nonblock
	if fi != nil {
		if err := t.file(name, fi); err != nil {
			return err
		}
		flag = os.O_WRONLY | nonblock
	}
	f, err := d.OpenFile(base(name), flag, 0o644)
	if err != nil {
		return t.fixIn(name, err)
	}
	if fi != nil {
		if _, err := t.same(name, fi, f); err != nil {
			f.Close()
			return err
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return t.fixIn(name, err)
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return t.fixIn(name, err)
	}
	if t.durable {
		if err := syncOnWrite(f); err != nil {
			f.Close()
			return t.fixIn(name, err)
		}
	}
	return t.fixIn(name, f.Close())
}

// Rename moves oldname; when a directory on the way to newname went away
// since it was opened, it opens the way again once.
func (t *diskTree) Rename(oldname, newname string) error {
	err := t.rename(oldname, newname)
	if errors.Is(err, fs.ErrNotExist) {
		t.forgetParents(oldname)
		t.forgetParents(newname)
		err = t.rename(oldname, newname)
	}
	return err
}

func (t *diskTree) rename(oldname, newname string) error {
	_, ofi, err := t.lstat(oldname, false)
	if err != nil {
		return err
	}
	if ofi == nil {
		return &os.LinkError{Op: "rename", Old: t.show(oldname), New: t.show(newname), Err: fs.ErrNotExist}
	}
	if err := t.file(oldname, ofi); err != nil {
		return err
	}
	_, nfi, err := t.lstat(newname, true)
	if err != nil {
		return err
	}
	if nfi != nil {
		if err := t.file(newname, nfi); err != nil {
			return err
		}
	}
	// Both directories were checked just now; the os.Root keeps a race
	// with another process inside the tree.
	return t.fix(t.root.Rename(oldname, newname))
}

func (t *diskTree) Remove(name string) error {
	d, fi, err := t.lstat(name, false)
	if err != nil {
		return err
	}
	if fi == nil {
		return &fs.PathError{Op: "remove", Path: t.show(name), Err: fs.ErrNotExist}
	}
	if fi.IsDir() {
		t.forget(name)
	} else if err := t.file(name, fi); err != nil {
		return err
	}
	return t.fixIn(name, d.Remove(base(name)))
}

func (t *diskTree) RemoveAll(name string) error {
	d, fi, err := t.lstat(name, false)
	if err != nil || fi == nil {
		return err
	}
	t.forget(name)
	return t.fixIn(name, d.RemoveAll(base(name)))
}

// Sync, when durable, flushes the file system that holds the tree with
// one syncfs(2), which covers every file and directory entry written
// before it.
func (t *diskTree) Sync() error {
	if !t.durable {
		return nil
	}
	f, err := t.root.Open(".")
	if err != nil {
		return t.fix(err)
	}
	defer f.Close()
	return t.fix(syncFS(f))
}

func (t *diskTree) Close() error {
	t.forget("")
	return t.root.Close()
}

func (t *diskTree) Lock(name string, wait time.Duration) (func(), error) {
	dir := parent(name)
	created := false
	if dir != "" {
		k, err := t.Stat(dir)
		if err != nil {
			return nil, err
		}
		created = k == Missing
	}
	deadline := time.Now().Add(wait)
	delay := 5 * time.Millisecond
	for {
		f, err := t.tryLock(name)
		if err != nil {
			return nil, err
		}
		if f != nil {
			// Who holds the lock is only for the message of a waiting
			// render; failing to record it changes nothing else.
			if f.Truncate(0) == nil {
				_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			}
			return func() {
				// Removed before it is unlocked: a waiting process that
				// then locks the removed file notices and starts over.
				_ = t.Remove(name)
				f.Close()
				if created {
					_ = t.Remove(dir) // fails unless empty, as intended
				}
			}, nil
		}
		if !time.Now().Before(deadline) {
			return nil, &LockedError{Lock: t.show(name), PID: t.holder(name), Wait: wait}
		}
		time.Sleep(delay)
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// tryLock opens (creating) the lock file and tries once to lock it; it
// returns nil when another process holds it. A lock on a file that its
// previous holder removed meanwhile locks nothing, so then it starts over
// with the file now at name.
func (t *diskTree) tryLock(name string) (*os.File, error) {
	for range 100 {
		// Another process's unlock may have removed the directory.
		t.forgetParents(name)
		d, fi, err := t.lstat(name, true)
		if err != nil {
			return nil, err
		}
		if fi != nil {
			if err := t.file(name, fi); err != nil {
				return nil, err
			}
		}
		f, err := d.OpenFile(base(name), os.O_RDWR|os.O_CREATE|nonblock, 0o644)
		if err != nil {
			return nil, t.fixIn(name, err)
		}
		ok, err := lockFile(f)
		if err != nil || !ok {
			f.Close()
			return nil, t.fixIn(name, err)
		}
		got, err1 := f.Stat()
		there, err2 := d.Lstat(base(name))
		if err1 == nil && err2 == nil && os.SameFile(got, there) && got.Mode().IsRegular() {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("%s keeps changing; ydpgen could not lock it", t.show(name))
}

// holder is the process id recorded in a lock file, 0 when unknown.
func (t *diskTree) holder(name string) int {
	b, err := t.ReadFile(name)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

package fsys

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// MaxFileSize is the most a Tree reads of one file. Rendered files are a
// few kilobytes; a tree file larger than this is not ydpgen's, and reading
// it whole could exhaust memory.
const MaxFileSize = 16 << 20

// Kind is what a name in a Tree refers to.
type Kind uint8

const (
	Missing Kind = iota
	Regular
	Directory
	// Special is anything else that is not a link: a named pipe, a device,
	// a socket.
	Special
)

// Tree is one directory that ydpgen writes or reads as a whole: a rendered
// tree, which in CI comes from a pull request and so is not trusted.
//
// Names are relative to the tree's directory, '/'-separated, without empty,
// "." or ".." parts. A Tree never goes through a symbolic link below its
// directory: any operation whose name meets one fails with an *UnsafeError
// naming the link. Reads take regular files only, at most MaxFileSize
// bytes, and never block on a named pipe.
type Tree interface {
	// Stat says what name is. A link anywhere on the way is an error.
	Stat(name string) (Kind, error)
	ReadFile(name string) ([]byte, error)
	// WriteFile writes a whole regular file, creating missing parent
	// directories. The data may not be durable until Sync.
	WriteFile(name string, data []byte) error
	// Rename moves a regular file, creating missing parent directories of
	// newname and replacing a regular file there.
	Rename(oldname, newname string) error
	// Remove deletes a regular file or an empty directory.
	Remove(name string) error
	// RemoveAll deletes name and everything below it; links below it are
	// removed, not followed. A missing name is not an error.
	RemoveAll(name string) error
	// Sync makes every change made so far on the tree's file system durable
	// when the tree was opened for durable writes.
	Sync() error
	// Lock takes an exclusive lock on the file name, creating it, waiting
	// at most wait for another process that holds it; the holder's process
	// id is written into the file. Unlock removes the file again, and its
	// directory when the lock created it and it is empty.
	Lock(name string, wait time.Duration) (unlock func(), err error)
	Close() error
}

// Reason is why a Tree refuses a path.
type Reason uint8

const (
	Link Reason = iota + 1
	NotRegular
	TooLarge
)

// UnsafeError is a path in a tree that ydpgen does not go through.
type UnsafeError struct {
	Tree   string // the tree's directory, as given
	Path   string // relative to Tree, '/'-separated; "" for the directory itself
	Reason Reason
	Mode   fs.FileMode // the type found, for NotRegular
}

func (e *UnsafeError) Error() string {
	full := filepath.Join(e.Tree, filepath.FromSlash(e.Path))
	if e.Path == "" {
		return fmt.Sprintf("%s is a symbolic link; ydpgen reads and writes a tree only in a real directory: name the directory the link points to", full)
	}
	fix := fmt.Sprintf("remove %s from %s and run ydpgen render again", e.Path, e.Tree)
	switch e.Reason {
	case Link:
		return fmt.Sprintf("%s is a symbolic link; ydpgen never reads, writes or deletes through a link inside a tree: %s", full, fix)
	case TooLarge:
		return fmt.Sprintf("%s is larger than %d MiB, the most ydpgen reads of one file in a tree: %s", full, MaxFileSize>>20, fix)
	default:
		return fmt.Sprintf("%s is %s, not a regular file; ydpgen reads only regular files in a tree: %s", full, describe(e.Mode), fix)
	}
}

func describe(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// LockedError is a lock another process held for longer than the wait.
type LockedError struct {
	Lock string // the lock file, as a path from the working directory
	PID  int    // the holder's process id, 0 when it was not recorded
	Wait time.Duration
}

func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = fmt.Sprintf("another process (pid %d)", e.PID)
	}
	return fmt.Sprintf("%s holds the lock %s, most likely a render into the same directory; gave up after %s: let it finish (or end it) and run ydpgen render again", holder, e.Lock, e.Wait)
}

// checkName refuses names a Tree does not take: they could leave the tree
// or mean two things on different systems.
func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || filepath.IsAbs(name) {
		return fmt.Errorf("invalid path %q in a tree", name)
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("invalid path %q in a tree", name)
		}
	}
	return nil
}

// parentsOf lists the directories above name, outermost first: "a/b/c"
// gives "a", "a/b".
func parentsOf(name string) []string {
	var out []string
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			out = append(out, name[:i])
		}
	}
	return out
}

// base is the last part of name.
func base(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// parent is the directory of name, "" at the top of the tree.
func parent(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

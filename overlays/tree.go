package overlays

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// File is one file of a rendered tree; Path is relative and uses '/'.
type File struct {
	Path string
	Data []byte
}

// Tree is a rendered GitOps tree, files sorted by path.
type Tree struct {
	files []File
}

// Add puts a file into the tree; two files at one path are an error.
func (t *Tree) Add(path string, data []byte) error {
	if err := checkRelPath(path); err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(t.files, path, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if found {
		return fmt.Errorf("two files render to %s", path)
	}
	t.files = slices.Insert(t.files, i, File{Path: path, Data: data})
	return nil
}

// Files returns the files in path order.
func (t *Tree) Files() []File { return slices.Clone(t.files) }

// Get returns the file at path.
func (t *Tree) Get(path string) ([]byte, bool) {
	i, found := slices.BinarySearchFunc(t.files, path, func(f File, p string) int { return strings.Compare(f.Path, p) })
	if !found {
		return nil, false
	}
	return t.files[i].Data, true
}

func checkRelPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("invalid tree path %q", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("invalid tree path %q", p)
		}
	}
	return nil
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

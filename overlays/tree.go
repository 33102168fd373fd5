package overlays

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/ydpgen/ydpgen/objset"
)

// Tree is a rendered GitOps tree, files sorted by path.
type Tree struct {
	files []objset.File
	// Provenance goes into the manifest Write keeps.
	Provenance Provenance
}

// Add puts a file into the tree; two files at one path are an error.
func (t *Tree) Add(path string, data []byte) error {
	if err := checkRelPath(path); err != nil {
		return err
	}
	i, found := slices.BinarySearchFunc(t.files, path, func(f objset.File, p string) int { return strings.Compare(f.Path, p) })
	if found {
		return fmt.Errorf("two files render to %s", path)
	}
	t.files = slices.Insert(t.files, i, objset.File{Path: path, Data: data})
	return nil
}

// Files returns the files in path order.
func (t *Tree) Files() []objset.File { return slices.Clone(t.files) }

// Get returns the file at path.
func (t *Tree) Get(path string) ([]byte, bool) {
	i, found := slices.BinarySearchFunc(t.files, path, func(f objset.File, p string) int { return strings.Compare(f.Path, p) })
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

// pending is a tree whose files are still values: encoding them is most of
// a render's work, and each file encodes on its own, so encode spreads them
// over the CPUs and then adds them in their original order.
type pending struct {
	files []pendingFile
}

type pendingFile struct {
	path     string
	content  any // encoded with objset.File
	comments []string
	data     []byte // when not nil, the file as is
}

func (p *pending) add(path string, content any, comments ...string) {
	p.files = append(p.files, pendingFile{path: path, content: content, comments: comments})
}

func (p *pending) addRaw(path string, data []byte) {
	p.files = append(p.files, pendingFile{path: path, data: data})
}

func (p *pending) encode() (*Tree, error) {
	out := make([][]byte, len(p.files))
	errs := make([]error, len(p.files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(p.files)) {
		wg.Go(func() {
			for i := range next {
				f := p.files[i]
				if f.data != nil {
					out[i] = f.data
					continue
				}
				out[i], errs[i] = objset.EncodeFile(f.content, f.comments...)
			}
		})
	}
	for i := range p.files {
		next <- i
	}
	close(next)
	wg.Wait()
	t := &Tree{}
	for i, f := range p.files {
		if errs[i] != nil {
			return nil, fmt.Errorf("encoding %s: %w", f.path, errs[i])
		}
		if err := t.Add(f.path, out[i]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

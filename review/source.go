package review

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
)

// InputError is a mistake in what the user asked to compare with: a
// directory outside any git repository, a revision that does not exist.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// Side is one side of a comparison: a rendered tree and how to name it.
type Side struct {
	Label string
	Tree  *overlays.Tree
	// Note says why the tree is empty when it has no manifest.
	Note string
}

// FromDir reads the files the manifest in dir lists. Other files are not
// ydpgen's and are left out; a listed file that is missing is left out too,
// so that it shows as a difference. A directory without a manifest gives an
// empty tree.
//
// The tree may come from a pull request: a symbolic link, a special or
// huge file where the manifest lists a file, a listed directory, an
// interrupted render or a kustomization naming a remote base is refused
// (an *InputError), never followed or fetched.
func FromDir(fsy fsys.FS, dir string) (Side, error) {
	side := Side{Label: filepath.ToSlash(dir), Tree: &overlays.Tree{}}
	noTree := "no " + overlays.ManifestPath + " there: no rendered tree"
	tr, err := fsy.OpenTree(dir, false)
	if errors.Is(err, fs.ErrNotExist) {
		side.Note = noTree
		return side, nil
	}
	if err != nil {
		return side, treeError(err)
	}
	defer tr.Close()
	if err := overlays.CheckPending(tr, dir); err != nil {
		return side, treeError(err)
	}
	m, err := overlays.LoadManifest(tr, dir)
	if err != nil {
		return side, treeError(err)
	}
	if m.Generator == "" {
		side.Note = noTree
		return side, nil
	}
	for _, f := range m.Files {
		kind, err := tr.Stat(f.Path)
		switch {
		case err != nil:
			return side, treeError(err)
		case kind == fsys.Missing:
			continue
		case kind == fsys.Directory:
			return side, inputErrorf("%s lists %s, which is a directory; ydpgen lists only files it wrote: restore the manifest from version control, or run ydpgen render to replace the tree",
				filepath.Join(dir, filepath.FromSlash(overlays.ManifestPath)), f.Path)
		}
		b, err := tr.ReadFile(f.Path)
		if err != nil {
			return side, treeError(err)
		}
		if err := side.Tree.Add(f.Path, b); err != nil {
			return side, err
		}
	}
	if err := checkLocal(side.Tree, side.Label); err != nil {
		return side, err
	}
	return side, nil
}

// treeError makes what is wrong with a tree the user's to fix: a link or
// special file in it, a manifest ydpgen cannot trust, an interrupted
// render.
func treeError(err error) error {
	var ue *fsys.UnsafeError
	var me *overlays.ManifestError
	var pe *overlays.PendingError
	if errors.As(err, &ue) || errors.As(err, &me) || errors.As(err, &pe) {
		return &InputError{err}
	}
	return err
}

// FromRevision reads the tree that dir held at a git revision of the
// repository dir belongs to, by running the git binary. dir may be a
// subdirectory of the repository and need not exist in the working tree.
func FromRevision(dir, rev string) (Side, error) {
	side := Side{Label: rev + ":" + filepath.ToSlash(dir), Tree: &overlays.Tree{}}
	if rev == "" || strings.HasPrefix(rev, "-") {
		return side, inputErrorf("%q is not a git revision", rev)
	}
	if _, err := exec.LookPath("git"); err != nil {
		return side, fmt.Errorf("--against-ref needs the git binary on PATH: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return side, err
	}
	// git runs in the nearest directory that exists: the tree may have been
	// deleted from the working tree and still be at the revision.
	existing, rest := abs, ""
	for {
		if fi, err := os.Stat(existing); err == nil && fi.IsDir() {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return side, inputErrorf("no directory of %s exists", dir)
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	real, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return side, err
	}
	top, err := git(real, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return side, inputErrorf("%s is not inside a git repository: %v", dir, err)
	}
	root := strings.TrimSpace(string(top))
	rel, err := filepath.Rel(root, filepath.Join(real, rest))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return side, inputErrorf("%s is outside the git repository at %s", dir, root)
	}
	rel = filepath.ToSlash(rel)

	commit, err := git(root, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return side, inputErrorf("revision %q does not exist in the git repository at %s", rev, root)
	}
	oid := strings.TrimSpace(string(commit))

	// One listing and one batch read, whatever the number of files.
	args := []string{"ls-tree", "-r", "-z", "-l", "--full-tree", oid}
	if rel != "." {
		args = append(args, "--", rel)
	}
	list, err := git(root, nil, args...)
	if err != nil {
		return side, fmt.Errorf("listing %s at %s: %w", rel, rev, err)
	}
	prefix := ""
	if rel != "." {
		prefix = rel + "/"
	}
	// Every entry below the tree: blobs (files and symbolic links) and
	// gitlinks (submodules), with the directories that hold them.
	type entry struct {
		mode, id string
		size     int64
	}
	entries := map[string]entry{}
	dirs := map[string]bool{}
	for _, e := range bytes.Split(list, []byte{0}) {
		meta, p, ok := strings.Cut(string(e), "\t")
		if !ok {
			continue
		}
		fields := strings.Fields(meta)
		if len(fields) != 4 || !strings.HasPrefix(p, prefix) {
			continue
		}
		p = strings.TrimPrefix(p, prefix)
		size, _ := strconv.ParseInt(fields[3], 10, 64) // "-" for a gitlink
		entries[p] = entry{mode: fields[0], id: fields[2], size: size}
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	label := rev + ":" + rel
	// file checks a path the manifest lists, like a Tree would on disk.
	file := func(p string) (entry, bool, error) {
		e, ok := entries[p]
		switch {
		case !ok && dirs[p]:
			return e, false, inputErrorf("%s lists %s, which is a directory at %s; ydpgen lists only files it wrote: restore the manifest from version control, or run ydpgen render to replace the tree",
				path.Join(label, overlays.ManifestPath), p, rev)
		case !ok:
			return e, false, nil
		case e.mode == "120000":
			return e, false, &InputError{&fsys.UnsafeError{Tree: label, Path: p, Reason: fsys.Link}}
		case e.mode == "160000":
			return e, false, &InputError{&fsys.UnsafeError{Tree: label, Path: p, Reason: fsys.NotRegular}}
		case e.size > fsys.MaxFileSize:
			return e, false, &InputError{&fsys.UnsafeError{Tree: label, Path: p, Reason: fsys.TooLarge}}
		}
		return e, true, nil
	}
	if _, ok := entries[overlays.PendingPath]; ok {
		return side, &InputError{&overlays.PendingError{Dir: label}}
	}
	me, ok, err := file(overlays.ManifestPath)
	if err != nil {
		return side, err
	}
	if !ok {
		side.Note = "no " + overlays.ManifestPath + " there: no rendered tree"
		return side, nil
	}
	mb, err := catBlobs(root, []string{me.id})
	if err != nil {
		return side, err
	}
	m, err := overlays.ParseManifest(rev+":"+path.Join(rel, overlays.ManifestPath), mb[0])
	if err != nil {
		return side, &InputError{err}
	}
	var paths, ids []string
	for _, f := range m.Files {
		e, ok, err := file(f.Path)
		if err != nil {
			return side, err
		}
		if ok {
			paths = append(paths, f.Path)
			ids = append(ids, e.id)
		}
	}
	data, err := catBlobs(root, ids)
	if err != nil {
		return side, err
	}
	for i, p := range paths {
		if err := side.Tree.Add(p, data[i]); err != nil {
			return side, err
		}
	}
	if err := checkLocal(side.Tree, label); err != nil {
		return side, err
	}
	return side, nil
}

// git runs git in dir and returns its standard output; its standard error
// becomes the error.
func git(dir string, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir, "--no-pager"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Stdin = stdin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			return nil, err
		}
		return nil, errors.New(msg)
	}
	return out.Bytes(), nil
}

// catBlobs reads blobs by id with one git cat-file process.
func catBlobs(root string, ids []string) ([][]byte, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var in bytes.Buffer
	for _, id := range ids {
		in.WriteString(id + "\n")
	}
	out, err := git(root, &in, "cat-file", "--batch")
	if err != nil {
		return nil, fmt.Errorf("reading files from git: %w", err)
	}
	r := bufio.NewReader(bytes.NewReader(out))
	blobs := make([][]byte, 0, len(ids))
	for _, id := range ids {
		header, err := r.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("reading blob %s from git: %w", id, err)
		}
		f := strings.Fields(header)
		if len(f) != 3 || f[1] != "blob" {
			return nil, fmt.Errorf("reading blob %s from git: unexpected %q", id, strings.TrimSpace(header))
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("reading blob %s from git: %w", id, err)
		}
		b := make([]byte, n+1) // the content and a newline
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("reading blob %s from git: %w", id, err)
		}
		blobs = append(blobs, b[:n])
	}
	return blobs, nil
}

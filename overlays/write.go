package overlays

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/objset"
)

// ManifestPath is where the list of files ydpgen owns is kept, relative to
// the output directory.
const ManifestPath = ".ydpgen/manifest.json"

const (
	// stateDir holds ydpgen's own files; a manifest never lists one.
	stateDir = ".ydpgen"
	// txnDir holds a write in progress: staged files, backups and the plan.
	txnDir = ".ydpgen/txn"
	// PendingPath is the plan of a write that has not reached its commit
	// point: while it exists, the tree may mix two renders.
	PendingPath = txnDir + "/plan.json"
	// donePath is the plan once committed: what is left to clean up.
	donePath = txnDir + "/done.json"
	// LockPath serialises writers of one tree.
	LockPath = ".ydpgen/lock"
)

// DefaultLockWait is how long a write waits for another write into the
// same directory before it gives up. A render takes well under a second.
const DefaultLockWait = 30 * time.Second

// Manifest lists the files a render wrote, so that the next render prunes
// only what ydpgen owns and `check` can tell hand edits, and says what
// rendered them (Provenance; absent from manifests of older renders).
type Manifest struct {
	Generator string `json:"generator"`
	Provenance
	Files []ManifestFile `json:"files"`
}

// Provenance says what rendered a tree: ydpgen's version (from its build
// information), the spec file's SHA-256, and the charts rendered into it.
type Provenance struct {
	Version    string            `json:"version,omitempty"`
	SpecSHA256 string            `json:"specSHA256,omitempty"`
	Charts     []ChartProvenance `json:"charts,omitempty"`
}

// ChartProvenance is a chart rendered into an environment's overlay.
type ChartProvenance struct {
	Environment string `json:"environment"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	// Source is the chart repository, OCI repository or local path, as the
	// spec writes it.
	Source string `json:"source"`
	Digest string `json:"digest"`
}

// ManifestFile is one owned file and the SHA-256 of its content. Manifests
// of old versions may lack the hash; such a file is never pruned.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// NewManifest lists a tree's files.
func NewManifest(t *Tree) Manifest {
	m := Manifest{Generator: "ydpgen", Provenance: t.Provenance, Files: []ManifestFile{}}
	for _, f := range t.files {
		m.Files = append(m.Files, ManifestFile{Path: f.Path, SHA256: sha(f.Data)})
	}
	return m
}

func (m Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ManifestError is a manifest ydpgen cannot trust: not its own, or
// listing a path it never writes.
type ManifestError struct {
	Name string // where the manifest was read
	Msg  string
}

func (e *ManifestError) Error() string { return e.Name + e.Msg }

// ReadManifest reads the manifest of a previous render; a directory without
// one has no owned files.
func ReadManifest(fs fsys.FS, out string) (Manifest, error) {
	tr, err := openExisting(fs, out)
	if err != nil || tr == nil {
		return Manifest{}, err
	}
	defer tr.Close()
	return LoadManifest(tr, out)
}

// openExisting opens the tree in out, or returns nil when there is none.
func openExisting(fsy fsys.FS, out string) (fsys.Tree, error) {
	tr, err := fsy.OpenTree(out, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return tr, err
}

// LoadManifest reads the manifest of the tree tr, which lies in out; a tree
// without one has no owned files.
func LoadManifest(tr fsys.Tree, out string) (Manifest, error) {
	k, err := tr.Stat(ManifestPath)
	if err != nil || k == fsys.Missing {
		return Manifest{}, err
	}
	b, err := tr.ReadFile(ManifestPath)
	if err != nil {
		return Manifest{}, err
	}
	return ParseManifest(show(out, ManifestPath), b)
}

// ParseManifest decodes a manifest read from name (which only appears in
// errors), such as one read from a git revision. Entries that could reach
// outside the tree, into .git or into ydpgen's own state are refused.
func ParseManifest(name string, b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || m.Generator != "ydpgen" {
		return Manifest{}, &ManifestError{name, " is not a ydpgen manifest; move it away to render into this directory"}
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		if err := checkOwnedPath(f.Path); err != nil {
			return Manifest{}, &ManifestError{name, fmt.Sprintf(": %v, which ydpgen never writes; restore the manifest from version control", err)}
		}
		if seen[f.Path] {
			return Manifest{}, &ManifestError{name, fmt.Sprintf(": %q is listed twice; restore the manifest from version control", f.Path)}
		}
		seen[f.Path] = true
	}
	return m, nil
}

// checkOwnedPath refuses what a manifest may not list: ydpgen writes
// neither into a git directory nor its own state through the manifest.
func checkOwnedPath(p string) error {
	if err := checkRelPath(p); err != nil {
		return err
	}
	for _, part := range strings.Split(p, "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("it lists %q, inside a git directory", p)
		}
	}
	if p == stateDir || strings.HasPrefix(p, stateDir+"/") {
		return fmt.Errorf("it lists %q, inside %s", p, stateDir)
	}
	return nil
}

// ConflictError reports a file in the way of the tree that ydpgen did not
// write: it is never overwritten.
type ConflictError struct{ Path string }

func (e *ConflictError) Error() string {
	return e.Path + " exists and was not written by ydpgen; move it away or render into another directory"
}

// PendingError is a tree that holds a write interrupted before its commit
// point: its files may mix two renders until a write rolls it back.
type PendingError struct{ Dir string }

func (e *PendingError) Error() string {
	return fmt.Sprintf("%s holds an interrupted render (%s): its files may mix two renders; run ydpgen render into it, which rolls the interrupted render back first",
		e.Dir, PendingPath)
}

// CheckPending returns a *PendingError when the tree tr, which lies in out,
// holds an interrupted write.
func CheckPending(tr fsys.Tree, out string) error {
	k, err := tr.Stat(PendingPath)
	if err != nil {
		return err
	}
	if k != fsys.Missing {
		return &PendingError{Dir: out}
	}
	return nil
}

// WriteReport says what a write changed.
type WriteReport struct {
	Written   []string // created or changed
	Unchanged []string
	Pruned    []string // owned by the previous render, gone from this one
	// Kept are files the previous render wrote and this one does not, left
	// in place because they may not be ydpgen's work any more.
	Kept []KeptFile
}

// KeptFile is a file that was not pruned, and why.
type KeptFile struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// plan is what a commit does; it is written before the first file moves so
// that an interrupted write can be rolled back by the next one.
type plan struct {
	Replace []string `json:"replace"` // existed before: backed up, then replaced
	Create  []string `json:"create"`  // did not exist before
	Prune   []string `json:"prune"`   // backed up, then removed
}

// WriteOptions tune Write.
type WriteOptions struct {
	// LockWait is how long to wait for another write into the same
	// directory; 0 means DefaultLockWait.
	LockWait time.Duration
}

// Write puts the tree into out atomically: on any failure, out is left as it
// was. Files the previous manifest does not list are never touched; a tree
// file that would overwrite one is an error. Nothing is read, written or
// removed through a symbolic link inside out.
func Write(fs fsys.FS, out string, t *Tree) (WriteReport, error) {
	return WriteWith(fs, out, t, WriteOptions{})
}

// WriteWith is Write with options.
func WriteWith(fs fsys.FS, out string, t *Tree, o WriteOptions) (WriteReport, error) {
	tr, err := fs.OpenTree(out, true)
	if err != nil {
		return WriteReport{}, err
	}
	defer tr.Close()
	wait := o.LockWait
	if wait <= 0 {
		wait = DefaultLockWait
	}
	unlock, err := tr.Lock(LockPath, wait)
	if err != nil {
		return WriteReport{}, err
	}
	defer unlock()
	return write(tr, out, t)
}

func write(tr fsys.Tree, out string, t *Tree) (WriteReport, error) {
	var rep WriteReport
	if err := recoverTree(tr, out); err != nil {
		return rep, err
	}
	prev, err := LoadManifest(tr, out)
	if err != nil {
		return rep, err
	}
	owned := map[string]bool{}
	for _, f := range prev.Files {
		owned[f.Path] = true
	}

	var p plan
	next := map[string]bool{}
	files := append(t.Files(), objset.File{Path: ManifestPath})
	manifest, err := NewManifest(t).encode()
	if err != nil {
		return rep, err
	}
	files[len(files)-1].Data = manifest
	for _, f := range files {
		next[f.Path] = true
		kind, err := tr.Stat(f.Path)
		if err != nil {
			return rep, err
		}
		switch {
		case kind == fsys.Directory:
			return rep, fmt.Errorf("%s is a directory; ydpgen needs to write a file there", show(out, f.Path))
		case kind == fsys.Missing:
			p.Create = append(p.Create, f.Path)
		case !owned[f.Path] && f.Path != ManifestPath:
			return rep, &ConflictError{Path: show(out, f.Path)}
		default:
			cur, err := tr.ReadFile(f.Path)
			if err != nil {
				return rep, err
			}
			if bytes.Equal(cur, f.Data) {
				if f.Path != ManifestPath {
					rep.Unchanged = append(rep.Unchanged, f.Path)
				}
				continue
			}
			p.Replace = append(p.Replace, f.Path)
		}
		if f.Path != ManifestPath {
			rep.Written = append(rep.Written, f.Path)
		}
	}
	for _, f := range prev.Files {
		if next[f.Path] {
			continue
		}
		kind, err := tr.Stat(f.Path)
		switch {
		case err != nil:
			return rep, err
		case kind == fsys.Missing:
			continue
		case kind == fsys.Directory:
			return rep, &ManifestError{show(out, ManifestPath), fmt.Sprintf(" lists %s, which is a directory; ydpgen prunes only files it wrote: restore the manifest from version control or move the directory away", f.Path)}
		}
		// Only the file ydpgen wrote is pruned: one edited since, or whose
		// hash an old manifest did not record, may be someone's work.
		cur, err := tr.ReadFile(f.Path) // refuses special files
		if err != nil {
			return rep, err
		}
		switch {
		case f.SHA256 == "":
			rep.Kept = append(rep.Kept, KeptFile{f.Path, "the manifest of the previous render records no hash for it"})
		case sha(cur) != f.SHA256:
			rep.Kept = append(rep.Kept, KeptFile{f.Path, "it changed since ydpgen wrote it"})
		default:
			p.Prune = append(p.Prune, f.Path)
			rep.Pruned = append(rep.Pruned, f.Path)
		}
	}
	if len(p.Create)+len(p.Replace)+len(p.Prune) == 0 {
		return rep, nil
	}

	// Stage: nothing outside the transaction directory changes yet.
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	abort := func(err error) (WriteReport, error) {
		if rerr := tr.RemoveAll(txnDir); rerr != nil {
			return rep, errors.Join(err, rerr)
		}
		return rep, err
	}
	for _, list := range [][]string{p.Create, p.Replace} {
		for _, f := range list {
			if err := tr.WriteFile(path.Join(txnDir, "new", f), byPath[f]); err != nil {
				return abort(fmt.Errorf("staging %s: %w", f, err))
			}
		}
	}
	pb, err := json.Marshal(p)
	if err != nil {
		return abort(err)
	}
	// Staged files must be durable before the plan that points at them, and
	// the plan before the first file moves.
	if err := tr.Sync(); err != nil {
		return abort(fmt.Errorf("flushing staged files: %w", err))
	}
	if err := tr.WriteFile(PendingPath, pb); err != nil {
		return abort(fmt.Errorf("writing the plan: %w", err))
	}
	if err := tr.Sync(); err != nil {
		return abort(fmt.Errorf("flushing the plan: %w", err))
	}

	undo := func(err error) (WriteReport, error) {
		if rerr := rollback(tr, p); rerr != nil {
			return rep, fmt.Errorf("%w; rolling back also failed (%v): the next render will retry the rollback", err, rerr)
		}
		return rep, err
	}
	// Commit: back up what is replaced or pruned, then move staged files in.
	// The manifest moves last, so it never lists a file that is not there.
	if err := commit(tr, p); err != nil {
		return undo(err)
	}
	// Renaming the plan to done is the commit point: from here on the new
	// tree stands. The moves must be durable before it.
	if err := tr.Sync(); err != nil {
		return undo(err)
	}
	if err := tr.Rename(PendingPath, donePath); err != nil {
		return undo(err)
	}
	// What is left is cleaning up; a failure or kill here leaves done.json
	// behind, and the next write finishes the job.
	finish(tr, p)
	return rep, nil
}

// finish removes the directories pruning emptied, then the transaction.
// Failing to is harmless.
func finish(tr fsys.Tree, p plan) {
	removeEmptyDirs(tr, p.Prune)
	_ = tr.RemoveAll(txnDir)
}

// show is a tree path as users see it: from the working directory.
func show(out, p string) string { return filepath.Join(out, filepath.FromSlash(p)) }

func commit(tr fsys.Tree, p plan) error {
	for _, f := range p.Prune {
		if err := tr.Rename(f, path.Join(txnDir, "old", f)); err != nil {
			return fmt.Errorf("pruning %s: %w", f, err)
		}
	}
	ordered := slices.Concat(p.Replace, p.Create)
	// The manifest goes last whichever list holds it.
	slices.SortStableFunc(ordered, func(a, b string) int {
		switch {
		case a == ManifestPath && b != ManifestPath:
			return 1
		case b == ManifestPath && a != ManifestPath:
			return -1
		}
		return 0
	})
	replaced := map[string]bool{}
	for _, f := range p.Replace {
		replaced[f] = true
	}
	for _, f := range ordered {
		if replaced[f] {
			if err := tr.Rename(f, path.Join(txnDir, "old", f)); err != nil {
				return fmt.Errorf("replacing %s: %w", f, err)
			}
		}
		if err := tr.Rename(path.Join(txnDir, "new", f), f); err != nil {
			return fmt.Errorf("writing %s: %w", f, err)
		}
	}
	return nil
}

// rollback undoes a commit, whatever part of it happened: backups go back,
// created files go away.
func rollback(tr fsys.Tree, p plan) error {
	var errs []error
	exists := func(name string) bool {
		k, err := tr.Stat(name)
		if err != nil {
			errs = append(errs, err)
		}
		return k != fsys.Missing
	}
	for _, f := range p.Create {
		if exists(f) && !exists(path.Join(txnDir, "new", f)) {
			errs = append(errs, tr.Remove(f))
		}
	}
	for _, f := range slices.Concat(p.Replace, p.Prune) {
		if exists(path.Join(txnDir, "old", f)) {
			errs = append(errs, tr.Rename(path.Join(txnDir, "old", f), f))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := tr.RemoveAll(txnDir); err != nil {
		return err
	}
	removeEmptyDirs(tr, p.Create)
	return nil
}

// Recover rolls back a write that was interrupted before its commit point,
// or finishes cleaning up after one interrupted after it, so that out holds
// one whole render again.
func Recover(fs fsys.FS, out string) error {
	tr, err := openExisting(fs, out)
	if err != nil || tr == nil {
		return err
	}
	defer tr.Close()
	unlock, err := tr.Lock(LockPath, DefaultLockWait)
	if err != nil {
		return err
	}
	defer unlock()
	return recoverTree(tr, out)
}

func recoverTree(tr fsys.Tree, out string) error {
	readPlan := func(name string) (plan, bool, error) {
		var p plan
		k, err := tr.Stat(name)
		if err != nil || k == fsys.Missing {
			return p, false, err
		}
		b, err := tr.ReadFile(name)
		if err != nil {
			return p, false, err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return p, false, fmt.Errorf("%s is damaged; restore %s by hand from %s: %w", show(out, name), out, show(out, txnDir), err)
		}
		for _, f := range slices.Concat(p.Create, p.Replace, p.Prune) {
			if err := checkOwnedPath(f); err != nil && f != ManifestPath {
				return p, false, fmt.Errorf("%s: %w", show(out, name), err)
			}
		}
		return p, true, nil
	}
	p, pending, err := readPlan(PendingPath)
	if err != nil {
		return err
	}
	if pending {
		if err := rollback(tr, p); err != nil {
			return fmt.Errorf("rolling back the interrupted render in %s: %w", out, err)
		}
		return nil
	}
	p, done, err := readPlan(donePath)
	if err != nil {
		return err
	}
	if done {
		finish(tr, p)
		return nil
	}
	// A staging area without a plan never touched the tree.
	return tr.RemoveAll(txnDir)
}

// removeEmptyDirs removes the directories of the given files when they are
// left empty, up to (not including) the tree's own directory. Failing to
// is harmless.
func removeEmptyDirs(tr fsys.Tree, files []string) {
	dirs := map[string]bool{}
	for _, f := range files {
		for d := path.Dir(f); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	// Deepest first, so parents empty out after their children.
	slices.SortFunc(list, func(a, b string) int {
		if n := len(b) - len(a); n != 0 {
			return n
		}
		return strings.Compare(a, b)
	})
	for _, d := range list {
		_ = tr.Remove(d) // fails on non-empty directories, as intended
	}
}

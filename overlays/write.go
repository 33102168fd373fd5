package overlays

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/objset"
)

// ManifestPath is where the list of files ydpgen owns is kept, relative to
// the output directory.
const ManifestPath = ".ydpgen/manifest.json"

// txnDir holds a write in progress: staged files, backups and the plan.
const txnDir = ".ydpgen/txn"

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

// ManifestFile is one owned file and the SHA-256 of its content.
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

// ReadManifest reads the manifest of a previous render; a directory without
// one has no owned files.
func ReadManifest(fs fsys.FS, out string) (Manifest, error) {
	p := filepath.Join(out, filepath.FromSlash(ManifestPath))
	exists, _, err := fs.Stat(p)
	if err != nil || !exists {
		return Manifest{}, err
	}
	b, err := fs.ReadFile(p)
	if err != nil {
		return Manifest{}, err
	}
	return ParseManifest(p, b)
}

// ParseManifest decodes a manifest read from name (which only appears in
// errors), such as one read from a git revision.
func ParseManifest(name string, b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || m.Generator != "ydpgen" {
		return Manifest{}, fmt.Errorf("%s is not a ydpgen manifest; move it away to render into this directory", name)
	}
	for _, f := range m.Files {
		if err := checkRelPath(f.Path); err != nil {
			return Manifest{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return m, nil
}

// ConflictError reports a file in the way of the tree that ydpgen did not
// write: it is never overwritten.
type ConflictError struct{ Path string }

func (e *ConflictError) Error() string {
	return e.Path + " exists and was not written by ydpgen; move it away or render into another directory"
}

// WriteReport says what a write changed.
type WriteReport struct {
	Written   []string // created or changed
	Unchanged []string
	Pruned    []string // owned by the previous render, gone from this one
}

// plan is what a commit does; it is written before the first file moves so
// that an interrupted write can be rolled back by the next one.
type plan struct {
	Replace []string `json:"replace"` // existed before: backed up, then replaced
	Create  []string `json:"create"`  // did not exist before
	Prune   []string `json:"prune"`   // backed up, then removed
}

// Write puts the tree into out atomically: on any failure, out is left as it
// was. Files the previous manifest does not list are never touched; a tree
// file that would overwrite one is an error.
func Write(fs fsys.FS, out string, t *Tree) (WriteReport, error) {
	var rep WriteReport
	if err := Recover(fs, out); err != nil {
		return rep, err
	}
	prev, err := ReadManifest(fs, out)
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
		dst := join(out, f.Path)
		exists, isDir, err := fs.Stat(dst)
		if err != nil {
			return rep, err
		}
		switch {
		case isDir:
			return rep, fmt.Errorf("%s is a directory; ydpgen needs to write a file there", dst)
		case !exists:
			p.Create = append(p.Create, f.Path)
		case !owned[f.Path] && f.Path != ManifestPath:
			return rep, &ConflictError{Path: dst}
		default:
			cur, err := fs.ReadFile(dst)
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
		if exists, _, err := fs.Stat(join(out, f.Path)); err != nil {
			return rep, err
		} else if exists {
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
		if rerr := fs.RemoveAll(join(out, txnDir)); rerr != nil {
			return rep, errors.Join(err, rerr)
		}
		return rep, err
	}
	for _, list := range [][]string{p.Create, p.Replace} {
		for _, f := range list {
			if err := fs.WriteFile(join(out, txnDir, "new", f), byPath[f]); err != nil {
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
	if err := fs.Sync(join(out, txnDir)); err != nil {
		return abort(fmt.Errorf("flushing staged files: %w", err))
	}
	if err := fs.WriteFile(join(out, txnDir, "plan.json"), pb); err != nil {
		return abort(fmt.Errorf("writing the plan: %w", err))
	}
	if err := fs.Sync(join(out, txnDir)); err != nil {
		return abort(fmt.Errorf("flushing the plan: %w", err))
	}

	undo := func(err error) (WriteReport, error) {
		if rerr := rollback(fs, out, p); rerr != nil {
			return rep, fmt.Errorf("%w; rolling back also failed (%v): the next render will retry the rollback", err, rerr)
		}
		return rep, err
	}
	// Commit: back up what is replaced or pruned, then move staged files in.
	// The manifest moves last, so it never lists a file that is not there.
	if err := commit(fs, out, p); err != nil {
		return undo(err)
	}
	// Removing the plan is the commit point: from here on the new tree
	// stands. The moves must be durable before it.
	if err := fs.Sync(out); err != nil {
		return undo(err)
	}
	if err := fs.Remove(join(out, txnDir, "plan.json")); err != nil {
		return undo(err)
	}
	// Backups left behind by a failure here are cleared by the next write.
	_ = fs.RemoveAll(join(out, txnDir))
	removeEmptyDirs(fs, out, p.Prune)
	return rep, nil
}

func join(out string, parts ...string) string {
	return filepath.Join(append([]string{out}, parts...)...)
}

func commit(fs fsys.FS, out string, p plan) error {
	for _, f := range p.Prune {
		if err := fs.Rename(join(out, f), join(out, txnDir, "old", f)); err != nil {
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
			if err := fs.Rename(join(out, f), join(out, txnDir, "old", f)); err != nil {
				return fmt.Errorf("replacing %s: %w", f, err)
			}
		}
		if err := fs.Rename(join(out, txnDir, "new", f), join(out, f)); err != nil {
			return fmt.Errorf("writing %s: %w", f, err)
		}
	}
	return nil
}

// rollback undoes a commit, whatever part of it happened: backups go back,
// created files go away.
func rollback(fs fsys.FS, out string, p plan) error {
	var errs []error
	for _, f := range p.Create {
		if exists, _, _ := fs.Stat(join(out, f)); exists {
			if staged, _, _ := fs.Stat(join(out, txnDir, "new", f)); !staged {
				errs = append(errs, fs.Remove(join(out, f)))
			}
		}
	}
	for _, f := range slices.Concat(p.Replace, p.Prune) {
		if backed, _, _ := fs.Stat(join(out, txnDir, "old", f)); backed {
			errs = append(errs, fs.Rename(join(out, txnDir, "old", f), join(out, f)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := fs.RemoveAll(join(out, txnDir)); err != nil {
		return err
	}
	removeEmptyDirs(fs, out, p.Create)
	return nil
}

// Recover rolls back a write that was interrupted before it finished, so
// that out holds the previous render again.
func Recover(fs fsys.FS, out string) error {
	pp := join(out, txnDir, "plan.json")
	if exists, _, err := fs.Stat(pp); err != nil {
		return err
	} else if !exists {
		// A staging area without a plan never touched the tree.
		return fs.RemoveAll(join(out, txnDir))
	}
	b, err := fs.ReadFile(pp)
	if err != nil {
		return err
	}
	var p plan
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s is damaged; restore %s by hand from %s: %w", pp, out, join(out, txnDir), err)
	}
	for _, f := range slices.Concat(p.Create, p.Replace, p.Prune) {
		if err := checkRelPath(f); err != nil {
			return fmt.Errorf("%s: %w", pp, err)
		}
	}
	if err := rollback(fs, out, p); err != nil {
		return fmt.Errorf("rolling back the interrupted render in %s: %w", out, err)
	}
	return nil
}

// removeEmptyDirs removes the directories of the given files when they are
// left empty, up to (not including) out. Failing to is harmless.
func removeEmptyDirs(fs fsys.FS, out string, files []string) {
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
		return bytes.Compare([]byte(a), []byte(b))
	})
	for _, d := range list {
		_ = fs.Remove(join(out, d)) // fails on non-empty directories, as intended
	}
}

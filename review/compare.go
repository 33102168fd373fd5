package review

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
)

// Report is what changed from an old rendered tree to a new one.
type Report struct {
	Old string `json:"old"`
	New string `json:"new"`
	// OldNote says why the old side is empty, when it is.
	OldNote string `json:"oldNote,omitempty"`
	// Differs is true when any file the trees own differs in any byte.
	Differs      bool        `json:"differs"`
	Environments []EnvChange `json:"environments"`
	// Files are changed files outside any environment's overlay.
	Files []FileChange `json:"files,omitempty"`
}

// EnvChange is what changed in one environment.
type EnvChange struct {
	Name string `json:"name"`
	// Op is Added or Removed when only one side has the environment.
	Op      Op             `json:"op,omitempty"`
	Objects []ObjectChange `json:"objects,omitempty"`
	Files   []FileChange   `json:"files,omitempty"`
	// Errors are overlays that do not build; their files are compared
	// instead of their objects.
	Errors []string `json:"errors,omitempty"`
}

// FileChange is a changed file that is not (only) a kustomize input: Helm
// values, GitOps wiring, documents. YAML files are compared as objects
// (when every document is a Kubernetes object) or field by field; other
// files line by line.
type FileChange struct {
	Path    string         `json:"path"`
	Op      Op             `json:"op"`
	Note    string         `json:"note,omitempty"`
	Fields  []FieldChange  `json:"fields,omitempty"`
	Objects []ObjectChange `json:"objects,omitempty"`
	Lines   []Line         `json:"lines,omitempty"`
	Flags   []Flag         `json:"flags,omitempty"`
}

// Flagged is a risk flag with where it was raised.
type Flagged struct {
	Flag
	// Env is the environment, or "" for a file outside the overlays.
	Env string `json:"env,omitempty"`
	// Subject is "Kind namespace/name" or a file path.
	Subject string `json:"subject"`
}

// Flags lists every risk flag of the report, in report order.
func (r *Report) Flags() []Flagged {
	var out []Flagged
	objs := func(env, file string, cs []ObjectChange) {
		for _, c := range cs {
			subject := c.Kind + " " + c.Ref()
			if file != "" {
				subject = file + ": " + subject
			}
			for _, f := range c.Flags {
				out = append(out, Flagged{Flag: f, Env: env, Subject: subject})
			}
		}
	}
	files := func(env string, fs []FileChange) {
		for _, f := range fs {
			for _, fl := range f.Flags {
				out = append(out, Flagged{Flag: fl, Env: env, Subject: f.Path})
			}
			objs(env, f.Path, f.Objects)
		}
	}
	for _, e := range r.Environments {
		objs(e.Name, "", e.Objects)
		files(e.Name, e.Files)
	}
	files("", r.Files)
	return out
}

// Compare describes how the new tree differs from the old one. It builds
// overlays, so a tree whose kustomizations name anything remote is refused
// first, whoever made the Side.
func Compare(old, new Side) (*Report, error) {
	for _, s := range []Side{old, new} {
		if err := checkLocal(s.Tree, s.Label); err != nil {
			return nil, err
		}
	}
	r := &Report{Old: old.Label, New: new.Label, OldNote: old.Note}
	oldFiles, newFiles := fileMap(old.Tree), fileMap(new.Tree)
	var changed []string
	for _, p := range slices.Sorted(maps.Keys(union(oldFiles, newFiles))) {
		a, ina := oldFiles[p]
		b, inb := newFiles[p]
		if ina != inb || !bytes.Equal(a, b) {
			changed = append(changed, p)
		}
	}
	r.Differs = len(changed) > 0

	envNames := slices.Sorted(maps.Keys(union(envSet(old.Tree), envSet(new.Tree))))
	oldEnvs, newEnvs := envSet(old.Tree), envSet(new.Tree)
	r.Environments = make([]EnvChange, len(envNames))
	for i, name := range envNames {
		r.Environments[i].Name = name
		switch {
		case !oldEnvs[name]:
			r.Environments[i].Op = Added
		case !newEnvs[name]:
			r.Environments[i].Op = Removed
		}
	}
	if !r.Differs {
		return r, nil
	}

	// Which files each environment's overlay reads, on either side.
	covers := make([]map[string]bool, len(envNames))
	covered := map[string]bool{}
	for i, name := range envNames {
		covers[i] = union(coveredFiles(old.Tree, name), coveredFiles(new.Tree, name))
		for p := range covers[i] {
			covered[p] = true
		}
	}

	// Build every overlay on both sides, in parallel: each build is
	// independent and takes most of the time.
	var wg sync.WaitGroup
	for i := range envNames {
		wg.Go(func() { compareEnv(&r.Environments[i], old.Tree, new.Tree) })
	}
	wg.Wait()

	envOf := func(p string) int {
		for i, name := range envNames {
			if strings.HasPrefix(p, overlays.OverlayDir(name)+"/") {
				return i
			}
		}
		return -1
	}
	place := func(fc FileChange) {
		if i := envOf(fc.Path); i >= 0 {
			fc.Path = strings.TrimPrefix(fc.Path, overlays.OverlayDir(envNames[i])+"/")
			r.Environments[i].Files = append(r.Environments[i].Files, fc)
			return
		}
		r.Files = append(r.Files, fc)
	}
	// What the overlays covering a file say about it: whether one does not
	// build, and whether one shows changed objects.
	effect := func(p string) (broken, changedObjects bool) {
		for i := range envNames {
			e := r.Environments[i]
			if !covers[i][p] {
				continue
			}
			broken = broken || len(e.Errors) > 0
			changedObjects = changedObjects || len(e.Objects) > 0
		}
		return broken, changedObjects
	}
	for _, p := range changed {
		a, ina := oldFiles[p]
		b, inb := newFiles[p]
		if !covered[p] {
			place(diffFile(p, a, b, ina, inb))
			continue
		}
		// A kustomize input: its effect shows in the objects, unless the
		// change is only formatting, an overlay reading it does not build
		// (then the file is all there is to compare), or no object changed.
		broken, changedObjects := effect(p)
		switch {
		case ina && inb && sameData(p, a, b), broken:
			place(diffFile(p, a, b, ina, inb))
		case !changedObjects:
			fc := diffFile(p, a, b, ina, inb)
			if fc.Note == "" {
				fc.Note = "a kustomize input; the objects it builds are the same"
			}
			place(fc)
		}
	}
	for i := range r.Environments {
		slices.SortStableFunc(r.Environments[i].Files, func(a, b FileChange) int { return strings.Compare(a.Path, b.Path) })
	}
	return r, nil
}

// compareEnv builds the overlay of one environment on both sides and
// compares the objects; an overlay that does not build is recorded in the
// environment's Errors.
func compareEnv(e *EnvChange, old, new *overlays.Tree) {
	build := func(t *overlays.Tree, side string) ([]object, bool) {
		if !envSet(t)[e.Name] {
			return nil, true
		}
		built, err := overlays.Build(t, e.Name)
		if err != nil {
			e.Errors = append(e.Errors, fmt.Sprintf("the %s tree: %v", side, err))
			return nil, false
		}
		var objs []object
		for _, m := range built {
			c, err := objset.Canonical(m)
			if err != nil {
				e.Errors = append(e.Errors, fmt.Sprintf("the %s tree: %v", side, err))
				return nil, false
			}
			o, ok := newObject(c.(map[string]any))
			if !ok {
				e.Errors = append(e.Errors, fmt.Sprintf("the %s tree: overlay %s builds something that is not an object", side, overlays.OverlayDir(e.Name)))
				return nil, false
			}
			objs = append(objs, o)
		}
		return objs, true
	}
	a, oka := build(old, "old")
	b, okb := build(new, "new")
	if oka && okb {
		e.Objects = diffObjects(a, b)
	}
}

func fileMap(t *overlays.Tree) map[string][]byte {
	m := map[string][]byte{}
	if t == nil {
		return m
	}
	for _, f := range t.Files() {
		m[f.Path] = f.Data
	}
	return m
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// envSet finds the environments of a tree: overlays/<env>/kustomization.yaml.
func envSet(t *overlays.Tree) map[string]bool {
	out := map[string]bool{}
	if t == nil {
		return out
	}
	for _, f := range t.Files() {
		rest, ok := strings.CutPrefix(f.Path, overlays.OverlaysDir+"/")
		if !ok {
			continue
		}
		if env, file, ok := strings.Cut(rest, "/"); ok && file == "kustomization.yaml" {
			out[env] = true
		}
	}
	return out
}

// coveredFiles lists the files an environment's overlay reads as
// resources, patches and transformers, following directories of
// resources. Files that generators read (a ConfigMap from values.yaml) are
// left out: they are compared as files too, which reads better than a
// changed ConfigMap.
func coveredFiles(t *overlays.Tree, env string) map[string]bool {
	out := map[string]bool{}
	if t == nil {
		return out
	}
	var visit func(dir string)
	visit = func(dir string) {
		kp := path.Join(dir, "kustomization.yaml")
		if out[kp] {
			return
		}
		data, ok := t.Get(kp)
		if !ok {
			return
		}
		out[kp] = true
		var k types.Kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			return
		}
		// The old fields below are deprecated in kustomize, but a tree
		// read here may be older than ydpgen's own (or edited by hand) and
		// still use them; the files they name belong to the tree too.
		//lint:ignore SA1019 reads user trees that may still list bases
		refs := slices.Concat(k.Resources, k.Bases, k.Components, k.Transformers, k.Crds, k.Configurations, k.Validators)
		for _, p := range k.Patches {
			refs = append(refs, p.Path)
		}
		//lint:ignore SA1019 reads user trees that may still list JSON 6902 patches
		for _, p := range k.PatchesJson6902 {
			refs = append(refs, p.Path)
		}
		//lint:ignore SA1019 reads user trees that may still list strategic-merge patches
		for _, p := range k.PatchesStrategicMerge {
			refs = append(refs, string(p))
		}
		for _, r := range k.Replacements {
			refs = append(refs, r.Path)
		}
		for _, r := range refs {
			if r == "" || strings.Contains(r, "\n") || strings.Contains(r, "://") {
				continue
			}
			p := path.Join(dir, r)
			if _, ok := t.Get(path.Join(p, "kustomization.yaml")); ok {
				visit(p)
			} else if _, ok := t.Get(p); ok {
				out[p] = true
			}
		}
	}
	visit(overlays.OverlayDir(env))
	return out
}

// diffFile compares one file of the two sides.
func diffFile(p string, a, b []byte, ina, inb bool) FileChange {
	fc := FileChange{Path: p, Op: Changed}
	if path.Base(p) == "SECRETS.md" && inb {
		fc.Flags = manualSecretFlags(a, b)
	}
	switch {
	case !ina:
		fc.Op = Added
		return fc
	case !inb:
		fc.Op = Removed
		return fc
	}
	if isBinary(a) || isBinary(b) {
		fc.Note = "binary file"
		return fc
	}
	if path.Ext(p) == ".svg" {
		// A chart says nothing as lines of XML: summarise what it shows.
		if note, ok := capacityNote(a, b); ok {
			fc.Note = note
			return fc
		}
	}
	fc.Flags = append(fc.Flags, chartFlags(valuesChart(a), valuesChart(b))...)
	if !isYAMLName(p) {
		fc.Lines = lineDiff(string(a), string(b), true)
		return fc
	}
	da, erra := parseDocs(a)
	db, errb := parseDocs(b)
	switch {
	case erra != nil:
		fc.Note = "not valid YAML on the old side, compared as text: " + erra.Error()
		fc.Lines = lineDiff(string(a), string(b), true)
		return fc
	case errb != nil:
		fc.Note = "not valid YAML on the new side, compared as text: " + errb.Error()
		fc.Lines = lineDiff(string(a), string(b), true)
		return fc
	}
	oa, allA := asObjects(da)
	ob, allB := asObjects(db)
	switch {
	case allA && allB && (len(oa) > 0 || len(ob) > 0):
		fc.Objects = diffObjects(oa, ob)
	case len(da) == 1 && len(db) == 1:
		fc.Fields = fieldDiff(da[0], db[0], false)
		if len(valuesChart(a)) > 0 {
			fc.Flags = append(fc.Flags, valuesClaimFlags(da[0], db[0])...)
			fc.Flags = append(fc.Flags, valuesClaimChanges(fc.Fields)...)
		}
	default:
		for i := range max(len(da), len(db)) {
			var x, y any
			if i < len(da) {
				x = da[i]
			}
			if i < len(db) {
				y = db[i]
			}
			for _, f := range fieldDiff(x, y, false) {
				f.segs = append([]seg{{sel: fmt.Sprintf("[doc %d]", i)}}, f.segs...)
				f.Path = formatPath(f.segs)
				fc.Fields = append(fc.Fields, f)
			}
		}
	}
	fc.Flags = append(fc.Flags, fieldFlags(fc.Fields)...)
	// Comments are not data, but they are what a reader of the file sees:
	// ydpgen's headers name the chart and the environment.
	if ca, cb := comments(a), comments(b); ca != cb {
		fc.Lines = lineDiff(ca, cb, true)
	}
	switch {
	case len(fc.Fields) > 0 || len(fc.Objects) > 0:
	case len(fc.Lines) > 0:
		fc.Note = "only comments differ"
	default:
		fc.Note = "only formatting differs"
		fc.Lines = lineDiff(string(a), string(b), true)
	}
	return fc
}

func isBinary(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) }

func isYAMLName(p string) bool {
	switch path.Ext(p) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// parseDocs reads every document of a YAML stream as a generic tree;
// empty documents are skipped.
func parseDocs(data []byte) ([]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []any
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, err
		}
		if string(bytes.TrimSpace(j)) == "null" {
			continue
		}
		var v any
		if v, err = objset.CanonicalJSON(j); err != nil {
			return nil, err
		}
		docs = append(docs, v)
	}
}

// asObjects returns the documents as objects when every one is.
func asObjects(docs []any) ([]object, bool) {
	var out []object
	for _, d := range docs {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, false
		}
		o, ok := newObject(m)
		if !ok {
			return nil, false
		}
		out = append(out, o)
	}
	return out, true
}

// sameData reports whether two versions of a YAML file hold the same
// data, whatever their comments and formatting.
func sameData(p string, a, b []byte) bool {
	if !isYAMLName(p) {
		return false
	}
	da, erra := parseDocs(a)
	db, errb := parseDocs(b)
	return erra == nil && errb == nil && reflect.DeepEqual(da, db)
}

// comments collects the comment lines of a YAML file.
func comments(data []byte) string {
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

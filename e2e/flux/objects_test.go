package flux

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/internal/fluxtest"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// gitopsDir is where the rendered tree keeps the GitOps engine's objects.
const gitopsDir = "gitops"

// stage is one Flux Kustomization: a path of the tree applied as a unit.
type stage struct {
	namespace, name string
	path            string
	targetNamespace string
	dependsOn       []string // keys (namespace/name) of other stages
	wait, force     bool
	healthChecks    int
}

func (s stage) key() string { return s.namespace + "/" + s.name }

// objectSet maps Flux inventory IDs (<namespace>_<name>_<group>_<kind>) to
// the objects a stage should hold.
type objectSet map[string]*unstructured.Unstructured

func (s objectSet) ids() []string {
	ids := make([]string, 0, len(s))
	for id := range s {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func inventoryID(namespace, name string, gk schema.GroupKind) string {
	return namespace + "_" + name + "_" + gk.Group + "_" + gk.Kind
}

func idOf(o *unstructured.Unstructured) string {
	return inventoryID(o.GetNamespace(), o.GetName(), o.GroupVersionKind().GroupKind())
}

// parseID splits an inventory ID back into its parts.
func parseID(id string) (namespace, name string, gk schema.GroupKind, err error) {
	parts := strings.Split(id, "_")
	if len(parts) != 4 {
		return "", "", gk, fmt.Errorf("inventory ID %q: want <namespace>_<name>_<group>_<kind>", id)
	}
	return parts[0], parts[1], schema.GroupKind{Group: parts[2], Kind: parts[3]}, nil
}

// bootstrapObjects returns the objects under gitops/ of a rendered tree:
// what a user applies once (kubectl apply -k gitops/<env>, or flux
// bootstrap with that path) so that Flux takes over. A directory with a
// kustomization file is built with kustomize; elsewhere the YAML files are
// read as they are.
func bootstrapObjects(root string) ([]*unstructured.Unstructured, error) {
	dir := filepath.Join(root, gitopsDir)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("the tree has no %s/ directory for the Flux objects: %w", gitopsDir, err)
	}
	objs, err := collect(dir)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("no objects under %s/", gitopsDir)
	}
	return objs, nil
}

// collect builds dir if it has a kustomization file, and otherwise reads
// its YAML files and collects its subdirectories, in name order.
func collect(dir string) ([]*unstructured.Unstructured, error) {
	if hasKustomization(dir) {
		return kustomize(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			objs, err := collect(p)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
			continue
		}
		objs, err := readManifests(p)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func hasKustomization(dir string) bool {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// readManifests returns the Kubernetes objects of one YAML file; a file
// that is not a manifest (Helm values, for example) gives none, and so do
// kustomize's own configuration documents.
func readManifests(p string) ([]*unstructured.Unstructured, error) {
	ext := strings.ToLower(filepath.Ext(p))
	if ext != ".yaml" && ext != ".yml" {
		return nil, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	objs, err := kubetest.DecodeObjects(b)
	if err != nil {
		return nil, nil
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GroupVersionKind().Group != "kustomize.config.k8s.io" {
			out = append(out, o)
		}
	}
	return out, nil
}

// stagesOf returns the Flux Kustomizations among objs, ordered so that
// every stage comes after the stages it depends on (ties by name).
func stagesOf(objs []*unstructured.Unstructured) ([]stage, error) {
	byKey := map[string]stage{}
	for _, o := range objs {
		if o.GroupVersionKind().GroupKind() != fluxtest.KustomizationGVK().GroupKind() {
			continue
		}
		s := stage{namespace: o.GetNamespace(), name: o.GetName()}
		s.path, _, _ = unstructured.NestedString(o.Object, "spec", "path")
		s.targetNamespace, _, _ = unstructured.NestedString(o.Object, "spec", "targetNamespace")
		s.wait, _, _ = unstructured.NestedBool(o.Object, "spec", "wait")
		s.force, _, _ = unstructured.NestedBool(o.Object, "spec", "force")
		hc, _, _ := unstructured.NestedSlice(o.Object, "spec", "healthChecks")
		s.healthChecks = len(hc)
		deps, _, _ := unstructured.NestedSlice(o.Object, "spec", "dependsOn")
		for _, d := range deps {
			m, _ := d.(map[string]any)
			name, _ := m["name"].(string)
			ns, _ := m["namespace"].(string)
			if ns == "" {
				ns = s.namespace
			}
			s.dependsOn = append(s.dependsOn, ns+"/"+name)
		}
		if _, dup := byKey[s.key()]; dup {
			return nil, fmt.Errorf("Kustomization %s appears twice", s.key())
		}
		byKey[s.key()] = s
	}
	if len(byKey) == 0 {
		return nil, errors.New("no Flux Kustomization among the objects under " + gitopsDir + "/")
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var order []stage
	state := map[string]int{} // 1: visiting, 2: done
	var visit func(k string, from string) error
	visit = func(k, from string) error {
		s, ok := byKey[k]
		if !ok {
			return fmt.Errorf("Kustomization %s depends on %s, which is not among the objects under %s/", from, k, gitopsDir)
		}
		switch state[k] {
		case 1:
			return fmt.Errorf("dependsOn cycle through %s", k)
		case 2:
			return nil
		}
		state[k] = 1
		deps := slices.Clone(s.dependsOn)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, k); err != nil {
				return err
			}
		}
		state[k] = 2
		order = append(order, s)
		return nil
	}
	for _, k := range keys {
		if err := visit(k, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// namespacesFirst checks that a stage holding objects in a Namespace that
// another stage creates depends on that stage, directly or through others;
// otherwise it applies only by luck or after failed retries.
func namespacesFirst(stages []stage, want map[string]objectSet) error {
	creator := map[string]string{} // namespace -> stage key
	for _, s := range stages {
		for _, o := range want[s.key()] {
			if o.GroupVersionKind().GroupKind() == (schema.GroupKind{Kind: "Namespace"}) {
				creator[o.GetName()] = s.key()
			}
		}
	}
	deps := map[string][]string{}
	for _, s := range stages {
		deps[s.key()] = s.dependsOn
	}
	var problems []string
	for _, s := range stages {
		after := ancestors(s.key(), deps)
		seen := map[string]bool{}
		for _, id := range want[s.key()].ids() {
			ns := want[s.key()][id].GetNamespace()
			c, ok := creator[ns]
			if ns == "" || !ok || c == s.key() || after[c] || seen[ns] {
				continue
			}
			seen[ns] = true
			problems = append(problems, fmt.Sprintf("stage %s puts objects in Namespace %s, which stage %s creates, but does not depend on it", s.key(), ns, c))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// ancestors returns every stage key reachable through dependsOn from key.
func ancestors(key string, deps map[string][]string) map[string]bool {
	out := map[string]bool{}
	stack := slices.Clone(deps[key])
	for len(stack) > 0 {
		k := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if out[k] {
			continue
		}
		out[k] = true
		stack = append(stack, deps[k]...)
	}
	return out
}

// expectedObjects builds a stage's path of a tree the way
// kustomize-controller does, and returns the objects keyed by inventory ID.
// scope tells whether a kind is namespaced (for targetNamespace).
func expectedObjects(tree string, s stage, namespaced func(schema.GroupVersionKind) (bool, error)) (objectSet, error) {
	dir := filepath.Join(tree, filepath.FromSlash(strings.TrimPrefix(s.path, "./")))
	objs, err := buildDir(dir)
	if err != nil {
		return nil, fmt.Errorf("Kustomization %s (path %s): %w", s.key(), s.path, err)
	}
	out := objectSet{}
	for _, o := range objs {
		if s.targetNamespace != "" {
			ns, err := namespaced(o.GroupVersionKind())
			if err != nil {
				return nil, fmt.Errorf("Kustomization %s: %s: %w", s.key(), describe(o), err)
			}
			if ns {
				o.SetNamespace(s.targetNamespace)
			}
		}
		id := idOf(o)
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("Kustomization %s: %s appears twice", s.key(), id)
		}
		out[id] = o
	}
	return out, nil
}

// buildDir runs kustomize on dir if it has a kustomization file; otherwise
// it reads every Kubernetes object in the YAML files below dir, as
// kustomize-controller does when it generates a kustomization itself.
func buildDir(dir string) ([]*unstructured.Unstructured, error) {
	if hasKustomization(dir) {
		return kustomize(dir)
	}
	var out []*unstructured.Unstructured
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		objs, err := readManifests(p)
		out = append(out, objs...)
		return err
	})
	return out, err
}

func kustomize(dir string) ([]*unstructured.Unstructured, error) {
	opts := krusty.MakeDefaultOptions()
	// kustomize-controller lets a kustomization read files outside its root.
	opts.LoadRestrictions = kustypes.LoadRestrictionsNone
	rm, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		// Through JSON, so numbers are int64 or float64 as in objects
		// read from the server (Map gives int, which DeepCopy refuses).
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

func describe(o *unstructured.Unstructured) string {
	s := o.GetKind() + " "
	if ns := o.GetNamespace(); ns != "" {
		s += ns + "/"
	}
	return s + o.GetName()
}

// namespacedFunc answers from the server's discovery whether a kind is
// namespaced.
func namespacedFunc(kube *kubetest.Server) func(schema.GroupVersionKind) (bool, error) {
	return func(gvk schema.GroupVersionKind) (bool, error) {
		m, err := kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			kube.ResetRESTMapper()
			m, err = kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		}
		if err != nil {
			return false, err
		}
		return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
}

// notIn reports what the live object lacks or holds differently from the
// desired one, ignoring what the server adds (defaults, metadata, status).
// Quantities compare by value ("1000m" equals "1") and numbers by value.
func notIn(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, have %T", path, got)}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				// The API server stores an empty list or map as nothing.
				if w[k] == nil || empty(w[k]) {
					continue
				}
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, notIn(w[k], gv, path+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if got == nil && len(w) == 0 {
			return nil
		}
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %d items, have %v", path, len(w), got)}
		}
		var out []string
		for i := range w {
			out = append(out, notIn(w[i], g[i], path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	default:
		if sameScalar(want, got) {
			return nil
		}
		return []string{fmt.Sprintf("%s: want %v, have %v", path, want, got)}
	}
}

// empty says whether v is an empty list or map.
func empty(v any) bool {
	switch v := v.(type) {
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

func sameScalar(a, b any) bool {
	if af, ok := number(a); ok {
		bf, ok := number(b)
		return ok && af == bf
	}
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		if as == bs {
			return true
		}
		aq, err1 := resource.ParseQuantity(as)
		bq, err2 := resource.ParseQuantity(bs)
		return err1 == nil && err2 == nil && aq.Cmp(bq) == 0
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// desiredContent is the part of an object that the tree decides: all of
// it except status and the metadata the server or Flux manage.
func desiredContent(o *unstructured.Unstructured) map[string]any {
	c := o.DeepCopy().Object
	delete(c, "status")
	if md, ok := c["metadata"].(map[string]any); ok {
		for _, k := range []string{"creationTimestamp", "resourceVersion", "uid", "generation", "managedFields"} {
			delete(md, k)
		}
	}
	return c
}

// sameDesired reports whether two versions of an object in the tree ask
// for the same content.
func sameDesired(a, b *unstructured.Unstructured) bool {
	ab, err1 := a.MarshalJSON()
	bb, err2 := b.MarshalJSON()
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

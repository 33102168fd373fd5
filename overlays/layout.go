package overlays

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/filters/namespace"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"

	"github.com/ydpgen/ydpgen/objset"
)

// BaseDir, OverlaysDir and GitOpsDir are the tree's top-level directories.
// gitops/ holds the engine's objects (Argo CD Applications, Flux
// Kustomizations); they are files of the tree like any other (owned, written
// atomically, pruned) but no overlay includes them.
const (
	BaseDir     = "base"
	OverlaysDir = "overlays"
	GitOpsDir   = "gitops"
)

// OverlayDir is the directory of an environment's overlay.
func OverlayDir(env string) string { return OverlaysDir + "/" + env }

// Layout lays environments (sorted by name, at least one) out as a
// kustomize tree.
func Layout(envs []objset.RenderedEnvironment) (*Tree, error) {
	if len(envs) == 0 {
		return nil, fmt.Errorf("no environment to lay out")
	}
	if !slices.IsSortedFunc(envs, func(a, b objset.RenderedEnvironment) int { return strings.Compare(a.Name, b.Name) }) {
		return nil, fmt.Errorf("environments are not sorted by name")
	}
	// Each environment's objects, with namespaces taken out.
	norm := make([]map[string]objset.Entry, len(envs))
	for i, env := range envs {
		norm[i] = map[string]objset.Entry{}
		for _, e := range env.Objects {
			n, err := normalize(e, env.Namespace)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", env.Name, err)
			}
			norm[i][key(n)] = n
		}
	}

	// Shared: namespaced objects every environment has.
	var shared []objset.Entry
	for _, e := range envs[0].Objects {
		if e.Namespace == "" {
			continue
		}
		k := key(mustNormalize(e, envs[0].Namespace))
		inAll := true
		for i := range envs {
			if _, ok := norm[i][k]; !ok {
				inAll = false
			}
		}
		if inAll {
			shared = append(shared, norm[0][k])
		}
	}
	slices.SortFunc(shared, objset.Compare)

	t := &pending{}
	var baseRes []string
	for _, e := range shared {
		t.add(BaseDir+"/"+e.FileName(), e.Content)
		baseRes = append(baseRes, e.FileName())
	}
	addKustomization(t, BaseDir, &types.Kustomization{Resources: baseRes})

	sharedKeys := map[string]objset.Entry{}
	for _, e := range shared {
		sharedKeys[key(e)] = e
	}
	for i, env := range envs {
		dir := OverlayDir(env.Name)
		k := &types.Kustomization{Resources: []string{"../../" + BaseDir}}
		var own []objset.Entry
		for _, e := range env.Objects {
			n := mustNormalize(e, env.Namespace)
			if _, ok := sharedKeys[key(n)]; !ok {
				own = append(own, n)
			}
		}
		for _, e := range own {
			t.add(dir+"/"+e.FileName(), e.Content)
			k.Resources = append(k.Resources, e.FileName())
		}
		for _, base := range shared {
			ops := Diff(base.Content, norm[i][key(base)].Content)
			if len(ops) == 0 {
				continue
			}
			p := "patches/" + base.FileName()
			t.add(dir+"/"+p, ops, fmt.Sprintf("What environment %s changes in the shared %s %s.", env.Name, base.GVK.Kind, base.Name))
			k.Patches = append(k.Patches, types.Patch{Path: p, Target: &types.Selector{ResId: resid.ResId{
				Gvk:  resid.Gvk{Group: base.GVK.Group, Version: base.GVK.Version, Kind: base.GVK.Kind},
				Name: base.Name,
			}}})
		}
		for _, f := range env.Files {
			if f.Object != nil {
				k.Resources = append(k.Resources, f.Path)
			}
		}
		t.add(dir+"/"+NamespaceFile, namespaceTransformer(env.Namespace))
		k.Transformers = []string{NamespaceFile}
		addKustomization(t, dir, k)
		for _, f := range env.Files {
			t.addRaw(dir+"/"+f.Path, f.Data)
		}
	}
	return t.encode()
}

// NamespaceFile is the overlay's namespace transformer config, whose
// metadata.namespace is the environment's namespace.
const NamespaceFile = "set-namespace.yaml"

func addKustomization(t *pending, dir string, k *types.Kustomization) {
	k.APIVersion = types.KustomizationVersion
	k.Kind = types.KustomizationKind
	t.add(path.Join(dir, "kustomization.yaml"), k)
}

// namespaceTransformerConfig is the config of kustomize's builtin
// NamespaceTransformer. It is used instead of a kustomization's namespace
// field because only the transformer can also set the namespace of the
// ServiceAccount subjects of RoleBindings, which base/ leaves out.
type namespaceTransformerConfig struct {
	APIVersion             string                           `json:"apiVersion"`
	Kind                   string                           `json:"kind"`
	Metadata               types.ObjectMeta                 `json:"metadata"`
	FieldSpecs             []types.FieldSpec                `json:"fieldSpecs"`
	UnsetOnly              bool                             `json:"unsetOnly"`
	SetRoleBindingSubjects namespace.RoleBindingSubjectMode `json:"setRoleBindingSubjects"`
}

func namespaceTransformer(ns string) namespaceTransformerConfig {
	return namespaceTransformerConfig{
		APIVersion:             "builtin",
		Kind:                   "NamespaceTransformer",
		Metadata:               types.ObjectMeta{Name: "namespace", Namespace: ns},
		FieldSpecs:             []types.FieldSpec{{Path: "metadata/namespace", CreateIfNotPresent: true}},
		SetRoleBindingSubjects: namespace.AllServiceAccountSubjects,
	}
}

func key(e objset.Entry) string {
	return e.GVK.Group + "/" + e.GVK.Kind + "/" + e.Name
}

// normalize takes the environment's namespace out of a namespaced object
// (and of its RoleBinding ServiceAccount subjects), which the overlay's
// namespace transformer puts back.
func normalize(e objset.Entry, ns string) (objset.Entry, error) {
	if e.Namespace == "" {
		return e, nil
	}
	if e.Namespace != ns {
		return objset.Entry{}, fmt.Errorf("%s is in namespace %q, not the environment's %q", e.ID(), e.Namespace, ns)
	}
	c := deepCopy(e.Content).(map[string]any)
	if md, ok := c["metadata"].(map[string]any); ok {
		delete(md, "namespace")
	}
	if e.GVK.Kind == "RoleBinding" || e.GVK.Kind == "ClusterRoleBinding" {
		subjects, _ := c["subjects"].([]any)
		for _, s := range subjects {
			if sm, ok := s.(map[string]any); ok && sm["kind"] == "ServiceAccount" {
				if sm["namespace"] != ns {
					return objset.Entry{}, fmt.Errorf("%s binds a service account of namespace %v; only the environment's own can be laid out", e.ID(), sm["namespace"])
				}
				delete(sm, "namespace")
			}
		}
	}
	out := e
	out.Namespace = ""
	out.Content = c
	return out, nil
}

func mustNormalize(e objset.Entry, ns string) objset.Entry {
	n, err := normalize(e, ns)
	if err != nil {
		panic(err) // Layout normalized every entry before
	}
	return n
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	default:
		return v
	}
}

// Op is one RFC 6902 JSON patch operation.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Diff returns the operations that turn a into b: mappings are compared key
// by key (in sorted order), lists of equal length element by element, and
// anything else is replaced whole.
func Diff(a, b any) []Op {
	var ops []Op
	diff("", a, b, &ops)
	return ops
}

func diff(p string, a, b any, ops *[]Op) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := slices.Sorted(maps.Keys(am))
		for _, k := range slices.Sorted(maps.Keys(bm)) {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, ina := am[k]
			bv, inb := bm[k]
			kp := p + "/" + escape(k)
			switch {
			case ina && !inb:
				*ops = append(*ops, Op{Op: "remove", Path: kp})
			case !ina && inb:
				*ops = append(*ops, Op{Op: "add", Path: kp, Value: bv})
			default:
				diff(kp, av, bv, ops)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diff(fmt.Sprintf("%s/%d", p, i), al[i], bl[i], ops)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*ops = append(*ops, Op{Op: "replace", Path: p, Value: b})
	}
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/ydpgen/ydpgen/gitops"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/render"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// examples lists the example directories that hold a platform.yaml.
func examples(t *testing.T) []string {
	t.Helper()
	specs, err := filepath.Glob(filepath.Join("..", "examples", "*", "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Fatal("no examples/*/platform.yaml found")
	}
	var out []string
	for _, s := range specs {
		out = append(out, filepath.Base(filepath.Dir(s)))
	}
	slices.Sort(out)
	return out
}

// loadExample loads and validates an example spec.
func loadExample(t *testing.T, sch *ydspec.Schema, name string) *model.Platform {
	t.Helper()
	file := filepath.Join("..", "examples", name, "platform.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sch.Load("examples/"+name+"/platform.yaml", src)
	if err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	return p
}

// supportedEngines are the values the spec schema allows for
// gitops.engine, read from the JSON Schema so that a new engine is tested
// as soon as the schema accepts it. Nil if the schema has no such choice.
func supportedEngines(t *testing.T, sch *ydspec.Schema) []string {
	t.Helper()
	raw, err := sch.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// Follow local $refs ("#/$defs/GitOps") down a path of property names.
	resolve := func(n map[string]any) map[string]any {
		for range 10 {
			ref, ok := n["$ref"].(string)
			if !ok {
				return n
			}
			cur := any(doc)
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				m, _ := cur.(map[string]any)
				cur = m[part]
			}
			n, _ = cur.(map[string]any)
		}
		return n
	}
	node := doc
	for _, prop := range []string{"spec", "gitops", "engine"} {
		props, _ := resolve(node)["properties"].(map[string]any)
		next, ok := props[prop].(map[string]any)
		if !ok {
			return nil
		}
		node = next
	}
	var engines []string
	enum, _ := resolve(node)["enum"].([]any)
	for _, e := range enum {
		if s, ok := e.(string); ok {
			engines = append(engines, s)
		}
	}
	return engines
}

// withEngine makes every environment use engine, as if the spec said so.
// An environment whose engine changes moves to a namespace of its own
// (<namespace>-<engine>), so that one example's runs for different engines
// do not meet on the server. Engines that sync from git get a repository
// when the spec names none.
func withEngine(t *testing.T, p *model.Platform, engine string) {
	t.Helper()
	for i := range p.Environments {
		env := &p.Environments[i]
		if env.GitOps.Engine == engine {
			continue
		}
		env.GitOps.Engine = engine
		env.Namespace.Name += "-" + engine
		if len(env.Namespace.Name) > 63 {
			t.Fatalf("namespace %s for engine %s is longer than 63 characters", env.Namespace.Name, engine)
		}
		if engine != "none" {
			if env.GitOps.RepoURL == "" {
				env.GitOps.RepoURL = "https://git.example.com/platform/" + p.Name + ".git"
			}
			if env.GitOps.Revision == "" {
				env.GitOps.Revision = "main"
			}
		}
	}
}

// rendered is a platform rendered and built as a user's GitOps engine
// would build it.
type rendered struct {
	result *render.Result
	// envs holds each environment's objects from its overlay, in the order
	// of result.Environments.
	envs [][]*unstructured.Unstructured
	// gitops are the objects of the gitops/ tree (empty when it has none).
	gitops []*unstructured.Unstructured
	// all is every object once: the overlays' then the gitops tree's.
	all []*unstructured.Unstructured
}

// renderPlatform renders p through render.Platform (so every generator in
// render.Generators takes part) and builds every overlay with kustomize.
func renderPlatform(t *testing.T, p *model.Platform) *rendered {
	t.Helper()
	// The API server cannot take a SOPS file (its sops field is unknown to
	// a Secret): only Flux's kustomize-controller decrypts one, which the
	// Flux loop (e2e/flux) proves. Here such environments use the manual
	// provider, whose Secrets are created outside the tree.
	for i := range p.Environments {
		env := &p.Environments[i]
		if env.Secrets.Provider == model.ProviderSOPS {
			env.Secrets = model.Secrets{Provider: "manual", ExternalSecrets: env.Secrets.ExternalSecrets}
		}
	}
	res, err := render.Platform(p, render.Options{Verify: true, Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	r := &rendered{result: res}
	seen := map[string]*unstructured.Unstructured{}
	add := func(o *unstructured.Unstructured, from string) {
		k := objectKey(o)
		if prev, ok := seen[k]; ok {
			if !reflect.DeepEqual(canonical(t, prev.Object), canonical(t, o.Object)) {
				t.Errorf("%s: %s is rendered twice with different content", from, describe(o))
			}
			return
		}
		seen[k] = o
		r.all = append(r.all, o)
	}
	for _, env := range res.Environments {
		maps, err := overlays.Build(res.Tree, env.Name)
		if err != nil {
			t.Fatalf("building overlay %s: %v", env.Name, err)
		}
		var objs []*unstructured.Unstructured
		for _, m := range maps {
			o, err := toUnstructured(m)
			if err != nil {
				t.Fatalf("overlay %s: %v", env.Name, err)
			}
			objs = append(objs, o)
			add(o, overlays.OverlayDir(env.Name))
		}
		r.envs = append(r.envs, objs)
	}
	gitops, err := gitopsObjects(res.Tree)
	if err != nil {
		t.Fatalf("gitops tree: %v", err)
	}
	for _, o := range gitops {
		r.gitops = append(r.gitops, o)
		add(o, gitopsDir)
	}
	return r
}

const gitopsDir = "gitops"

// gitopsObjects returns the objects of the tree's gitops/ directory: each
// top-most directory with a kustomization.yaml is built with kustomize, and
// every other YAML file there is read as objects (documents that are not
// Kubernetes objects, such as Helm values, are skipped).
func gitopsObjects(tree *overlays.Tree) ([]*unstructured.Unstructured, error) {
	fs := filesys.MakeFsInMemory()
	var files []string
	kustDirs := map[string]bool{}
	for _, f := range tree.Files() {
		if err := fs.WriteFile("/"+f.Path, f.Data); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(f.Path, gitopsDir+"/") {
			continue
		}
		files = append(files, f.Path)
		switch path.Base(f.Path) {
		case "kustomization.yaml", "kustomization.yml", "Kustomization":
			kustDirs[path.Dir(f.Path)] = true
		}
	}
	// under reports the kustomization directory f belongs to, if any: the
	// top-most one, or the root Application's, which gitops/ does not
	// include (it is applied on its own).
	under := func(f string) (string, bool) {
		best := ""
		for dir := path.Dir(f); ; dir = path.Dir(dir) {
			if kustDirs[dir] && best != gitops.RootDir {
				best = dir // keep walking up: the top-most one builds it
			}
			if dir == gitopsDir || dir == "." || dir == "/" {
				break
			}
		}
		return best, best != ""
	}
	var out []*unstructured.Unstructured
	built := map[string]bool{}
	for _, f := range files {
		if dir, ok := under(f); ok {
			if built[dir] {
				continue
			}
			built[dir] = true
			rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/"+dir)
			if err != nil {
				return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
			}
			for _, res := range rm.Resources() {
				m, err := res.Map()
				if err != nil {
					return nil, err
				}
				o, err := toUnstructured(m)
				if err != nil {
					return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
				}
				out = append(out, o)
			}
			continue
		}
		if ext := path.Ext(f); ext != ".yaml" && ext != ".yml" {
			continue
		}
		data, _ := tree.Get(f)
		objs, err := kubetest.DecodeObjects(data)
		if err != nil {
			if strings.Contains(err.Error(), "no apiVersion or kind") {
				continue
			}
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// toUnstructured goes through JSON so that numbers become the int64 and
// float64 values unstructured objects hold (kustomize gives plain ints,
// which client-go cannot copy).
func toUnstructured(m map[string]any) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	o := &unstructured.Unstructured{}
	if err := o.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return o, nil
}

// objectKey identifies an object by group, kind, namespace and name: the
// version does not matter to the server.
func objectKey(o *unstructured.Unstructured) string {
	gk := o.GroupVersionKind().GroupKind()
	return gk.String() + "|" + o.GetNamespace() + "|" + o.GetName()
}

func describe(o *unstructured.Unstructured) string {
	s := o.GetKind() + " "
	if ns := o.GetNamespace(); ns != "" {
		s += ns + "/"
	}
	return s + o.GetName()
}

// canonical is v in the object set's canonical form, so that objects read
// back from the server and rendered ones compare alike.
func canonical(t *testing.T, v any) any {
	t.Helper()
	out, err := objset.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kindCounts says how many objects of each kind there are, by kind name.
func kindCounts(objs []*unstructured.Unstructured) string {
	n := map[string]int{}
	var kinds []string
	for _, o := range objs {
		k := o.GetKind()
		if n[k] == 0 {
			kinds = append(kinds, k)
		}
		n[k]++
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}

// strictLocal decodes an object the way a client-side check would: into
// its Go type refusing unknown fields, or against its CRD's schema. It
// lists every problem it finds, to go with the server's answer.
func strictLocal(o *unstructured.Unstructured, crds *crdschema.Set) []error {
	gvk := o.GroupVersionKind()
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		if crds.Has(gvk) {
			return crds.Validate(gvk, o.Object)
		}
		return []error{fmt.Errorf("no Go type and no CRD for %s", gvk)}
	}
	raw, err := json.Marshal(o.Object)
	if err != nil {
		return []error{err}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(typed); err != nil {
		return []error{err}
	}
	return nil
}

// changeSpec makes the spec change a user makes between two syncs: every
// memory limit grows by 64Mi (so every Job whose template carries one gets
// a new hash name), and optional parts are switched off or dropped: the
// maintenance schedules, the MCP server, and data-transformer credentials
// that nothing else uses. It returns what it changed, in words.
func changeSpec(env *model.Environment) []string {
	var changed []string
	if n := raiseMemoryLimits(reflect.ValueOf(env).Elem()); n > 0 {
		changed = append(changed, fmt.Sprintf("%d memory limits raised by 64Mi", n))
	}
	for _, s := range []struct {
		name string
		sch  *model.Schedule
	}{
		{"logCleanup", &env.Maintenance.LogCleanup},
		{"databaseCleanup", &env.Maintenance.DatabaseCleanup},
	} {
		if s.sch.Enabled {
			s.sch.Enabled = false
			changed = append(changed, "maintenance."+s.name+" off")
		}
	}
	if env.Maintenance.GitCacheClear.Enabled {
		env.Maintenance.GitCacheClear.Enabled = false
		changed = append(changed, "maintenance.gitCacheClear off")
	}
	if env.DataSurface.MCPServer.Enabled {
		env.DataSurface.MCPServer.Enabled = false
		changed = append(changed, "MCP server off")
	}
	var dropped []string
	for i := range env.Databases {
		dropped = append(dropped, env.Databases[i].DataTransformers...)
		env.Databases[i].DataTransformers = nil
	}
	for _, cred := range dropped {
		if stillReferenced(env, cred) {
			continue
		}
		env.Credentials = slices.DeleteFunc(env.Credentials, func(c model.Credential) bool { return c.Name == cred })
		changed = append(changed, "credential "+cred+" dropped")
	}
	return changed
}

// stillReferenced reports whether any string in env other than the
// credential list itself equals name.
func stillReferenced(env *model.Environment, name string) bool {
	c := *env
	c.Credentials = nil
	c.Origins = nil
	b, err := json.Marshal(c)
	if err != nil {
		return true
	}
	q, _ := json.Marshal(name)
	return bytes.Contains(b, q)
}

var (
	resourcesType = reflect.TypeFor[model.Resources]()
	extraMemory   = resource.MustParse("64Mi")
)

// raiseMemoryLimits walks v (structs, pointers and slices) and adds 64Mi to
// every model.Resources memory limit it can parse. It returns how many it
// changed.
func raiseMemoryLimits(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return raiseMemoryLimits(v.Elem())
	case reflect.Slice:
		n := 0
		for i := range v.Len() {
			n += raiseMemoryLimits(v.Index(i))
		}
		return n
	case reflect.Struct:
		if v.Type() == resourcesType && v.CanSet() {
			r := v.Addr().Interface().(*model.Resources)
			q, err := resource.ParseQuantity(r.Limits.Memory)
			if err != nil || r.Limits.Memory == "" {
				return 0
			}
			q.Add(extraMemory)
			r.Limits.Memory = q.String()
			return 1
		}
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += raiseMemoryLimits(v.Field(i))
			}
		}
		return n
	}
	return 0
}

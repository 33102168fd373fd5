// Package golden holds the committed rendered trees of every example and the
// end-to-end tests that compare them, build them with kustomize and decode
// every object into its Kubernetes type.
package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/internal/update"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/render"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// examples lists the example directories that hold a platform.yaml.
func examples(t testing.TB) []string {
	t.Helper()
	dirs, err := filepath.Glob("../examples/*/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found %d examples, want at least 3", len(dirs))
	}
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Base(filepath.Dir(d)))
	}
	slices.Sort(out)
	return out
}

// variant is one committed tree: an example rendered as its spec says
// (dir golden/<example>), or with the other GitOps engine (dir
// golden/<example>+<engine>; not "@", which kustomize reads as a git URL), so that every example is covered for both
// engines without a second spec to keep in step.
type variant struct {
	example string
	engine  string // empty: the spec's own
	dir     string
	// sealed renders the example with provider sealed-secrets, from the
	// certificate and sealed files in testdata/sealed-secrets.
	sealed bool
	// engineChart leaves the Airflow chart to the engine
	// (airflow.chart.hydrate: false): a HelmRelease or an Argo CD
	// Application with the chart as a source, as before hydration.
	engineChart bool
}

func (v variant) String() string { return v.dir }

// otherEngine is the engine an example's second golden tree uses.
func otherEngine(engine string) string {
	switch engine {
	case model.EngineArgoCD:
		return model.EngineFlux
	case model.EngineFlux:
		return model.EngineArgoCD
	}
	return ""
}

// variants lists every example with its own engine and with the other one.
func variants(t testing.TB) []variant {
	t.Helper()
	var out []variant
	for _, name := range examples(t) {
		out = append(out, variant{example: name, dir: name})
		p := loadExample(t, name)
		if other := otherEngine(p.Environments[0].GitOps.Engine); other != "" {
			out = append(out, variant{example: name, engine: other, dir: name + "+" + other})
		}
		// The plain tree (engine none, README with kubectl and helm
		// commands) once, on the smallest example.
		if name == "pi-lab" {
			out = append(out, variant{example: name, engine: model.EngineNone, dir: name + "+" + model.EngineNone})
		}
		// Secrets in git as SealedSecrets once, on the example whose
		// engine (Argo CD) cannot decrypt SOPS files.
		if name == "onprem" {
			out = append(out, variant{example: name, sealed: true, dir: name + "+sealed"})
		}
		// The chart left to the engine, once per engine: Flux's
		// HelmRelease (pi-lab) and Argo CD's Airflow Application (onprem).
		if name == "pi-lab" || name == "onprem" {
			out = append(out, variant{example: name, dir: name + "+helm", engineChart: true})
		}
	}
	return out
}

func loadExample(t testing.TB, name string) *model.Platform {
	t.Helper()
	s, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "examples", name, "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("examples/"+name+"/platform.yaml", src)
	if err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	return p
}

func renderVariant(t testing.TB, v variant) *render.Result {
	t.Helper()
	p := loadExample(t, v.example)
	for i := range p.Environments {
		env := &p.Environments[i]
		if v.engine != "" {
			env.GitOps.Engine = v.engine
			// Only Flux decrypts SOPS files: the other engines' trees of
			// a sops example show the manual provider, which they can use.
			if env.Secrets.Provider == model.ProviderSOPS && v.engine != model.EngineFlux {
				env.Secrets = model.Secrets{Provider: "manual", ExternalSecrets: env.Secrets.ExternalSecrets}
			}
		}
		if v.engineChart {
			p.Environments[i].Airflow.Chart.Hydrate = false
		}
	}
	specDir := os.DirFS(filepath.Join("..", "examples", v.example))
	if v.sealed {
		// testdata/sealed-secrets holds a test controller certificate
		// (its private key was not kept) and the files ydpgen secrets
		// seal wrote with it for a copy of the example whose secrets
		// section says what is set here.
		specDir = os.DirFS(filepath.Join("testdata", "sealed-secrets"))
		for i := range p.Environments {
			env := &p.Environments[i]
			env.Secrets = model.Secrets{Provider: model.ProviderSealedSecrets, ExternalSecrets: env.Secrets.ExternalSecrets,
				SealedSecrets: model.SealedSecrets{Certificate: "cert.pem", Scope: "strict"}, Directory: "secrets/" + env.Name}
		}
	}
	res, err := render.Platform(p, render.Options{Verify: true, SpecDir: specDir, Charts: charttest.Charts(t)})
	if err != nil {
		t.Fatalf("rendering %s: %v", v, err)
	}
	return res
}

// withManifest returns the files of a tree as `render` writes them.
func withManifest(t testing.TB, tr *overlays.Tree) map[string][]byte {
	t.Helper()
	mem := fsys.NewMemory()
	if _, err := overlays.Write(mem, "out", tr); err != nil {
		t.Fatal(err)
	}
	files, err := mem.Files("out")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := mem.ReadFile(filepath.Join("out", filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	return out
}

// TestGolden compares every rendered example with its committed tree, byte
// for byte. YDPGEN_UPDATE=1 rewrites the committed trees instead.
func TestGolden(t *testing.T) {
	for _, v := range variants(t) {
		name := v.dir
		t.Run(name, func(t *testing.T) {
			res := renderVariant(t, v)
			dir := name
			if update.Requested() {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if _, err := overlays.Write(fsys.OnDisk{}, dir, res.Tree); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := map[string][]byte{}
			files, err := (fsys.OnDisk{}).Files(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
				if err != nil {
					t.Fatal(err)
				}
				want[f] = b
			}
			got := withManifest(t, res.Tree)
			if len(want) == 0 {
				t.Fatalf("golden/%s is empty; run %s", name, update.Hint("./golden/"))
			}
			for _, p := range sortedKeys(want, got) {
				w, inW := want[p]
				g, inG := got[p]
				switch {
				case !inG:
					t.Errorf("golden/%s/%s is no longer rendered", name, p)
				case !inW:
					t.Errorf("rendered %s is not in golden/%s", p, name)
				case !bytes.Equal(w, g):
					t.Errorf("golden/%s/%s differs (-golden +render):\n%s", name, p, cmp.Diff(string(w), string(g)))
				}
			}
		})
	}
}

// TestNoStaleGoldenTrees fails on a directory here that is no variant's
// tree (an example or engine that was removed or renamed), which would
// otherwise sit here unchecked; YDPGEN_UPDATE=1 removes it.
func TestNoStaleGoldenTrees(t *testing.T) {
	stale, err := staleTrees(".", variants(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range stale {
		if update.Requested() {
			if err := os.RemoveAll(d); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("golden/%s is the tree of no example or engine; run %s (which removes it)", d, update.Hint("./golden/"))
	}
}

// staleTrees lists the directories in dir that are no variant's tree.
func staleTrees(dir string, vs []variant) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		// testdata holds inputs of variants, not a tree.
		if e.IsDir() && e.Name() != "testdata" && !slices.ContainsFunc(vs, func(v variant) bool { return v.dir == e.Name() }) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func TestStaleTrees(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"pi-lab", "pi-lab+none", "old-example", "cloud+gone"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "golden_test.go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := staleTrees(dir, []variant{{dir: "pi-lab"}, {dir: "pi-lab+none"}, {dir: "cloud"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cloud+gone", "old-example"}; !slices.Equal(got, want) {
		t.Errorf("stale trees %v, want %v", got, want)
	}
}

func sortedKeys(ms ...map[string][]byte) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// TestObjectsDecodeStrictly decodes every rendered object into its typed
// Kubernetes struct, refusing unknown fields, and checks nothing is lost on
// the way back.
//
// Objects of custom kinds, which have no Go type here, are checked against
// the openAPI schema of their CRD in testdata/crds instead, just as strictly.
func TestObjectsDecodeStrictly(t *testing.T) {
	crds, err := crdschema.LoadDir("../testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range variants(t) {
		name := v.dir
		res := renderVariant(t, v)
		for _, env := range res.Environments {
			for _, e := range env.Objects {
				n++
				obj, err := scheme.Scheme.New(e.GVK)
				if err != nil && crds.Has(e.GVK) {
					for _, err := range crds.Validate(e.GVK, e.Content) {
						t.Errorf("%s/%s: %s does not match its CRD: %v", name, env.Name, e.ID(), err)
					}
					continue
				}
				if err != nil {
					t.Errorf("%s/%s: %s has no Go type: %v", name, env.Name, e.ID(), err)
					continue
				}
				raw, err := json.Marshal(e.Content)
				if err != nil {
					t.Fatal(err)
				}
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.DisallowUnknownFields()
				if err := dec.Decode(obj); err != nil {
					t.Errorf("%s/%s: %s does not decode strictly: %v", name, env.Name, e.ID(), err)
					continue
				}
				typed, ok := obj.(objset.Object)
				if !ok {
					t.Fatalf("%s: %T has no object metadata", e.ID(), obj)
				}
				// Back through the same canonical form the render used.
				again, err := objset.NewEntry(typed)
				if err != nil {
					t.Fatal(err)
				}
				a, b := canonical(t, e.Content), canonical(t, again.Content)
				// The type adds zero values to a chart's objects that the
				// chart does not write (a port's targetPort 0); every
				// rendered value must survive all the same.
				if fromChart(e) {
					if d := notKept(a, b, ""); len(d) > 0 {
						t.Errorf("%s/%s: %s loses or changes values in a round trip through its type: %s", name, env.Name, e.ID(), strings.Join(d, "; "))
					}
					continue
				}
				if d := cmp.Diff(a, b); d != "" {
					t.Errorf("%s/%s: %s changes in a round trip through its type (-rendered +typed):\n%s", name, env.Name, e.ID(), d)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no object was checked")
	}
}

// TestKubectlKustomize builds every committed overlay with the kubectl on
// this machine and checks it gives the same objects as ydpgen's render.
func TestKubectlKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH; the cross-check with real kustomize needs it (the README's set-up: Go and kubectl)")
	}
	for _, v := range variants(t) {
		name := v.dir
		res := renderVariant(t, v)
		for _, env := range res.Environments {
			t.Run(name+"/"+env.Name, func(t *testing.T) {
				dir := filepath.Join(name, filepath.FromSlash(overlays.OverlayDir(env.Name)))
				out, err := exec.Command(kubectl, "kustomize", dir).Output()
				if err != nil {
					t.Fatalf("kubectl kustomize %s: %v", dir, stderrOf(err))
				}
				got := map[string]any{}
				for _, doc := range strings.Split(string(out), "\n---\n") {
					var m map[string]any
					if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
						t.Fatal(err)
					}
					if m != nil {
						got[id(m)] = m
					}
				}
				want := map[string]any{}
				for _, e := range env.Objects {
					want[e.ID()] = e.Content
				}
				for _, f := range env.Files {
					if f.Object != nil {
						want[f.Object.ID()] = f.Object.Content
					}
				}
				if d := cmp.Diff(canonical(t, want), canonical(t, got)); d != "" {
					t.Errorf("kubectl kustomize %s differs from the render (-render +kubectl):\n%s", dir, d)
				}
			})
		}
	}
}

func id(m map[string]any) string {
	gv, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	md, _ := m["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	g, err := schema.ParseGroupVersion(gv)
	if err != nil {
		return fmt.Sprintf("%s %s %s/%s", gv, kind, ns, name)
	}
	if ns == "" {
		ns = "~cluster"
	}
	return fmt.Sprintf("%s %s/%s", g.WithKind(kind).String(), ns, name)
}

func stderrOf(err error) error {
	if ee, ok := err.(*exec.ExitError); ok {
		return fmt.Errorf("%v: %s", err, ee.Stderr)
	}
	return err
}

// TestRenderIsDeterministic renders every example twice in one process and
// compares the bytes; the CLI suite does the same across processes, working
// directories and time zones.
func TestRenderIsDeterministic(t *testing.T) {
	for _, v := range variants(t) {
		name := v.dir
		a := withManifest(t, renderVariant(t, v).Tree)
		b := withManifest(t, renderVariant(t, v).Tree)
		if d := cmp.Diff(a, b); d != "" {
			t.Errorf("%s renders differently twice:\n%s", name, d)
		}
	}
}

// canonical is v in the object set's canonical form, so that objects from
// the render, from a type and from kubectl compare alike.
func canonical(t testing.TB, v any) any {
	t.Helper()
	out, err := objset.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fromChart says whether an object is one the Airflow chart rendered (its
// templates label every object heritage: Helm).
func fromChart(e objset.Entry) bool {
	md, _ := e.Content["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	return l["heritage"] == "Helm"
}

// notKept lists the values of rendered that typed lacks or holds
// differently.
func notKept(rendered, typed any, path string) []string {
	switch r := rendered.(type) {
	case map[string]any:
		t, ok := typed.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(r)) {
			out = append(out, notKept(r[k], t[k], path+"."+k)...)
		}
		return out
	case []any:
		t, ok := typed.([]any)
		if !ok || len(t) != len(r) {
			return []string{fmt.Sprintf("%s: %d items, typed %v", path, len(r), typed)}
		}
		var out []string
		for i := range r {
			out = append(out, notKept(r[i], t[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	if !reflect.DeepEqual(rendered, typed) {
		return []string{fmt.Sprintf("%s: %v, typed %v", path, rendered, typed)}
	}
	return nil
}

package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/gitops"
	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// fluxTypes are the Flux kinds ydpgen writes, with their Go types from the
// Flux API modules.
func fluxTypes() map[schema.GroupVersionKind]func() runtime.Object {
	return map[schema.GroupVersionKind]func() runtime.Object{
		kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind): func() runtime.Object { return &kustomizev1.Kustomization{} },
		sourcev1.GroupVersion.WithKind(sourcev1.GitRepositoryKind):       func() runtime.Object { return &sourcev1.GitRepository{} },
		sourcev1.GroupVersion.WithKind(sourcev1.HelmRepositoryKind):      func() runtime.Object { return &sourcev1.HelmRepository{} },
		helmv2.GroupVersion.WithKind(helmv2.HelmReleaseKind):             func() runtime.Object { return &helmv2.HelmRelease{} },
	}
}

// TestGitOpsObjectsDecodeStrictly checks every Argo CD and Flux object of
// every golden tree: Flux objects decode strictly into the Flux API's own
// Go types and come back unchanged (and match their CRDs); Argo CD objects,
// whose Go API does not build here, are checked against the openAPI
// schemas of Argo CD's CRDs.
func TestGitOpsObjectsDecodeStrictly(t *testing.T) {
	crds, err := crdschema.LoadDir("../testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, v := range variants(t) {
		res := renderVariant(t, v)
		for _, o := range res.GitOps.Objects {
			e := o.Entry
			kinds[e.GVK.Kind]++
			if !crds.Has(e.GVK) {
				t.Errorf("%s/%s: no CRD for %s", v, o.Path, e.GVK)
				continue
			}
			for _, err := range crds.Validate(e.GVK, e.Content) {
				t.Errorf("%s/%s: does not match its CRD: %v", v, o.Path, err)
			}
			newObj, isFlux := fluxTypes()[e.GVK]
			if !isFlux {
				if e.GVK.Group != "argoproj.io" {
					t.Errorf("%s/%s: %s is neither Flux's nor Argo CD's", v, o.Path, e.GVK)
				}
				continue
			}
			raw, err := json.Marshal(e.Content)
			if err != nil {
				t.Fatal(err)
			}
			obj := newObj()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(obj); err != nil {
				t.Errorf("%s/%s: does not decode strictly into %T: %v", v, o.Path, obj, err)
				continue
			}
			again, err := objset.NewEntry(obj.(objset.Object))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(canonical(t, e.Content), canonical(t, again.Content)); d != "" {
				t.Errorf("%s/%s: changes in a round trip through %T (-rendered +typed):\n%s", v, o.Path, obj, d)
			}
		}
	}
	for _, k := range []string{"AppProject", "Application", "ApplicationSet", "GitRepository", "Kustomization", "HelmRepository", "HelmRelease"} {
		if kinds[k] == 0 {
			t.Errorf("no golden tree has a %s", k)
		}
	}
}

// kustomizationDirs lists the directories of a golden tree that hold a
// kustomization.yaml.
func kustomizationDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "kustomization.yaml" {
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(dirs)
	return dirs
}

// buildKrusty builds one directory of a golden tree in memory, with the
// extra files (path in the tree to content) added or replaced.
func buildKrusty(t *testing.T, root, dir string, extra map[string][]byte) []map[string]any {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return mem.WriteFile("/"+filepath.ToSlash(rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range extra {
		if err := mem.WriteFile("/"+p, b); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(mem, "/"+dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var out []map[string]any
	for _, r := range rm.Resources() {
		m, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func byID(objs []map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, m := range objs {
		out[id(m)] = m
	}
	return out
}

// TestEveryKustomizationBuilds builds every kustomization.yaml of every
// golden tree, with krusty and with the installed kubectl, which must agree;
// and for Flux, checks that the per-stage selections split each overlay
// exactly: every object in one stage, stages in their order, nothing lost.
func TestEveryKustomizationBuilds(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not on PATH; the cross-check with real kustomize needs it (the README's set-up: Go and kubectl)")
	}
	for _, v := range variants(t) {
		res := renderVariant(t, v)
		dirs := kustomizationDirs(t, v.dir)
		built := map[string]map[string]map[string]any{}
		for _, dir := range dirs {
			t.Run(v.dir+"/"+dir, func(t *testing.T) {
				// A bootstrap directory builds once flux bootstrap wrote
				// flux-system/ into it: build it with a stand-in.
				var extra map[string][]byte
				root := v.dir
				if path.Dir(dir) == gitops.ClustersDir {
					extra = fluxBootstrapStandIn(t, &res.Platform.Environments[0], dir)
					root = copyWith(t, v.dir, extra)
				}
				got := byID(buildKrusty(t, v.dir, dir, extra))
				out, err := exec.Command(kubectl, "kustomize", filepath.Join(root, filepath.FromSlash(dir))).Output()
				if err != nil {
					t.Fatalf("kubectl kustomize %s/%s: %v", v.dir, dir, stderrOf(err))
				}
				var fromKubectl []map[string]any
				for _, doc := range strings.Split(string(out), "\n---\n") {
					var m map[string]any
					if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
						t.Fatal(err)
					}
					if m != nil {
						fromKubectl = append(fromKubectl, m)
					}
				}
				if d := cmp.Diff(canonical(t, got), canonical(t, byID(fromKubectl))); d != "" {
					t.Errorf("krusty and kubectl kustomize differ on %s/%s (-krusty +kubectl):\n%s", v.dir, dir, d)
				}
				built[dir] = got
			})
		}
		if res.Platform.Environments[0].GitOps.Engine != model.EngineFlux {
			continue
		}
		for i, env := range res.Environments {
			m := &res.Platform.Environments[i]
			t.Run(v.dir+"/stages/"+env.Name, func(t *testing.T) {
				whole := built[overlays.OverlayDir(env.Name)]
				release := built[gitops.ReleaseDir(env.Name)]
				// A hydrated chart has no release wrapper: the overlay
				// holds its objects.
				if len(whole) == 0 || (len(release) == 0) != m.Airflow.Chart.Hydrate {
					t.Fatalf("overlay or release of %s not built as the chart's hydration says (hydrate %v)", env.Name, m.Airflow.Chart.Hydrate)
				}
				seen := map[string]string{}
				for _, s := range stages.All() {
					part, ok := built[gitops.StageDir(env.Name, s)]
					if !ok {
						continue
					}
					for k, obj := range part {
						if prev, dup := seen[k]; dup {
							t.Errorf("%s is in stages %s and %s", k, prev, s)
						}
						seen[k] = string(s)
						want, inOverlay := whole[k]
						if !inOverlay {
							want, inOverlay = release[k]
						}
						if !inOverlay {
							t.Errorf("stage %s builds %s, which neither the overlay nor the release has", s, k)
							continue
						}
						if d := cmp.Diff(want, obj); d != "" {
							t.Errorf("stage %s changes %s:\n%s", s, k, d)
						}
					}
				}
				for _, src := range []map[string]map[string]any{whole, release} {
					for k := range src {
						if _, ok := seen[k]; !ok {
							t.Errorf("%s is in no stage", k)
						}
					}
				}
				// The Flux Kustomizations point at these directories, in
				// the apply order, each depending on the one before.
				var names []string
				for _, o := range res.GitOps.Objects {
					if o.Entry.GVK.Kind == kustomizev1.KustomizationKind && path.Dir(o.Path) == gitops.FluxDir(env.Name) {
						names = append(names, o.Entry.Name)
					}
				}
				var want []string
				for _, s := range stages.All() {
					if _, ok := built[gitops.StageDir(env.Name, s)]; ok {
						want = append(want, gitops.StageName(m, s))
					}
				}
				slices.Sort(names)
				sorted := slices.Clone(want)
				slices.Sort(sorted)
				if !slices.Equal(names, sorted) {
					t.Errorf("Flux Kustomizations %v, want one per stage directory %v", names, want)
				}
			})
		}
	}
}

// fluxBootstrapStandIn is what flux bootstrap writes into its --path dir:
// flux-system/ with Flux's components (here only their Namespace), the
// GitRepository and Kustomization that sync the path, and a
// kustomization.yaml listing both files. It returns the files by tree path.
func fluxBootstrapStandIn(t *testing.T, env *model.Environment, dir string) map[string][]byte {
	t.Helper()
	fs := dir + "/" + gitops.FluxSystemDir + "/"
	ns := env.GitOps.Flux.Namespace
	sync := fmt.Sprintf(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: %[1]s}
spec: {interval: 1m0s, url: %[2]s, ref: {branch: main}, secretRef: {name: flux-system}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: %[1]s}
spec: {interval: 10m0s, path: ./%[3]s, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}
`, ns, env.GitOps.RepoURL, env.GitOps.TreePath(dir))
	return map[string][]byte{
		fs + "gotk-components.yaml": []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: " + ns + "}\n"),
		fs + "gotk-sync.yaml":       []byte(sync),
		fs + "kustomization.yaml":   []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml\n"),
	}
}

// copyWith copies a golden tree into a temporary directory and adds the
// extra files, for kubectl kustomize.
func copyWith(t *testing.T, root string, extra map[string][]byte) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range extra {
		out := filepath.Join(dst, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestFluxBootstrapPath builds every Flux tree's clusters/<env> as flux
// bootstrap leaves it (with flux-system/ written into it): the build holds
// Flux's own sync objects and exactly the environment's Flux objects, so
// Flux keeps managing itself and the platform; the README's bootstrap
// command points at that directory. Without flux-system/ listed, the
// check fails (a negative control).
func TestFluxBootstrapPath(t *testing.T) {
	n := 0
	for _, v := range variants(t) {
		res := renderVariant(t, v)
		p := res.Platform
		if p.Environments[0].GitOps.Engine != model.EngineFlux {
			continue
		}
		readme, err := os.ReadFile(filepath.Join(v.dir, gitops.ReadmePath))
		if err != nil {
			t.Fatal(err)
		}
		for i := range p.Environments {
			env := &p.Environments[i]
			n++
			dir := gitops.ClusterDir(env.Name)
			extra := fluxBootstrapStandIn(t, env, dir)
			built := byID(buildKrusty(t, v.dir, dir, extra))
			platform := byID(buildKrusty(t, v.dir, gitops.FluxDir(env.Name), nil))
			for k := range platform {
				if _, ok := built[k]; !ok {
					t.Errorf("%s/%s: %s of %s is not in the bootstrap build", v, dir, k, gitops.FluxDir(env.Name))
				}
			}
			var own []string
			for k := range built {
				if _, ok := platform[k]; !ok {
					own = append(own, k)
				}
			}
			slices.Sort(own)
			var want []string
			for k := range byID(buildKrusty(t, v.dir, dir+"/"+gitops.FluxSystemDir, extra)) {
				want = append(want, k)
			}
			slices.Sort(want)
			if len(want) != 3 || !slices.Equal(own, want) {
				t.Errorf("%s/%s: beyond the platform's Flux objects the build holds %q, want Flux's own %q", v, dir, own, want)
			}
			cmd := gitops.FluxBootstrapCommand(env)
			if !strings.HasSuffix(cmd, "--path="+env.GitOps.TreePath(dir)) || !strings.Contains(string(readme), cmd+"\n") {
				t.Errorf("%s: README lacks the bootstrap command %q for %s", v, cmd, dir)
			}
		}
	}
	if n == 0 {
		t.Fatal("no Flux tree")
	}
	// The control: a bootstrap directory whose kustomization.yaml does not
	// list flux-system/ builds without Flux's own objects.
	v := variant{example: "pi-lab", dir: "pi-lab"}
	extra := fluxBootstrapStandIn(t, &renderVariant(t, v).Platform.Environments[0], "clusters/lab")
	extra["clusters/lab/kustomization.yaml"] = []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../../gitops/lab\n")
	for k := range byID(buildKrusty(t, v.dir, "clusters/lab", extra)) {
		if strings.Contains(k, "flux-system/flux-system") {
			t.Errorf("control: %s built without flux-system/ listed", k)
		}
	}
}

package golden

import (
	"bytes"
	"encoding/json"
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
			back, _ := json.Marshal(again.Content)
			var a, b any
			_ = json.Unmarshal(raw, &a)
			_ = json.Unmarshal(back, &b)
			if d := cmp.Diff(a, b); d != "" {
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

// buildKrusty builds one directory of a golden tree in memory.
func buildKrusty(t *testing.T, root, dir string) []map[string]any {
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
		t.Fatal("kubectl is not installed; the cross-check with real kustomize needs it (make deps installs it)")
	}
	for _, v := range variants(t) {
		res := renderVariant(t, v)
		dirs := kustomizationDirs(t, v.dir)
		built := map[string]map[string]map[string]any{}
		for _, dir := range dirs {
			t.Run(v.dir+"/"+dir, func(t *testing.T) {
				got := byID(buildKrusty(t, v.dir, dir))
				out, err := exec.Command(kubectl, "kustomize", filepath.Join(v.dir, filepath.FromSlash(dir))).Output()
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
				if d := cmp.Diff(canonicalJSON(t, got), canonicalJSON(t, byID(fromKubectl))); d != "" {
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

func canonicalJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

package flux

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/internal/fluxtest"
	"github.com/ydpgen/ydpgen/internal/kubetest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The helpers below decide what the loop expects; each must be able to
// fail, so they are checked on their own without servers.

func decode(t *testing.T, y string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := kubetest.DecodeObjects([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func ks(name string, deps ...string) string {
	y := "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: " + name + ", namespace: flux-system}\nspec:\n  path: ./" + name + "\n"
	if len(deps) > 0 {
		y += "  dependsOn:\n"
		for _, d := range deps {
			y += "  - name: " + d + "\n"
		}
	}
	return y
}

func TestStagesOf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		docs  []string
		order string
		err   string
	}{
		{"chain given backwards", []string{ks("c", "b"), ks("b", "a"), ks("a")}, "a,b,c", ""},
		{"diamond", []string{ks("d", "b", "c"), ks("c", "a"), ks("b", "a"), ks("a")}, "a,b,c,d", ""},
		{"independent by name", []string{ks("z"), ks("m")}, "m,z", ""},
		{"other kinds ignored", []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", ks("a")}, "a", ""},
		{"cycle", []string{ks("a", "b"), ks("b", "a")}, "", "cycle"},
		{"unknown dependency", []string{ks("a", "ghost")}, "", "ghost"},
		{"none", []string{"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, "", "no Flux Kustomization"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stages, err := stagesOf(decode(t, strings.Join(tc.docs, "---\n")))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range stages {
				names = append(names, s.name)
			}
			if got := strings.Join(names, ","); got != tc.order {
				t.Errorf("order %s, want %s", got, tc.order)
			}
		})
	}
}

func TestNotIn(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got any
		diffs     int
	}{
		{"extra live fields ignored", map[string]any{"a": "x"}, map[string]any{"a": "x", "b": "y"}, 0},
		{"changed value", map[string]any{"a": "x"}, map[string]any{"a": "z"}, 1},
		{"missing key", map[string]any{"a": "x"}, map[string]any{}, 1},
		{"quantity normalised", map[string]any{"cpu": "1000m"}, map[string]any{"cpu": "1"}, 0},
		{"quantity differs", map[string]any{"cpu": "500m"}, map[string]any{"cpu": "1"}, 1},
		{"numbers by value", map[string]any{"n": float64(3)}, map[string]any{"n": int64(3)}, 0},
		{"list length", map[string]any{"l": []any{"a"}}, map[string]any{"l": []any{"a", "b"}}, 1},
		{"list items as subsets", []any{map[string]any{"name": "c"}}, []any{map[string]any{"name": "c", "defaulted": true}}, 0},
		{"type mismatch", map[string]any{"m": map[string]any{}}, map[string]any{"m": "s"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := notIn(tc.want, tc.got, ""); len(d) != tc.diffs {
				t.Errorf("notIn gave %d differences %v, want %d", len(d), d, tc.diffs)
			}
		})
	}
}

func TestHashBase(t *testing.T) {
	for in, want := range map[string]string{
		"demo-psp-ring1-init-e9fe2cc5": "demo-psp-ring1-init",
		"plain":                        "plain",
		"-x":                           "-x",
	} {
		if got := hashBase(in); got != want {
			t.Errorf("hashBase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseID(t *testing.T) {
	ns, name, gk, err := parseID("datasurface_airflow_helm.toolkit.fluxcd.io_HelmRelease")
	if err != nil || ns != "datasurface" || name != "airflow" || gk.Group != "helm.toolkit.fluxcd.io" || gk.Kind != "HelmRelease" {
		t.Errorf("parseID: %q %q %v %v", ns, name, gk, err)
	}
	if _, _, _, err := parseID("_datasurface__Namespace"); err != nil {
		t.Errorf("cluster-scoped core ID: %v", err)
	}
	if _, _, _, err := parseID("too_few"); err == nil {
		t.Error("parseID accepted an ID with two parts")
	}
}

// TestHandWrittenTrees builds both hand-written trees as the loop does, so
// a broken edit of testdata shows up without servers.
func TestHandWrittenTrees(t *testing.T) {
	urls := sourceURLs{git: "http://127.0.0.1:1/platform.git", helm: "http://127.0.0.1:2"}
	src := handWrittenTree()
	var stageCount [2]int
	for v := range 2 {
		dir := t.TempDir()
		if sub, err := src.write(dir, v, urls); err != nil || sub != "" {
			t.Fatalf("write: %q, %v", sub, err)
		}
		boot, err := bootstrapObjects(dir)
		if err != nil {
			t.Fatal(err)
		}
		stages, err := stagesOf(boot)
		if err != nil {
			t.Fatal(err)
		}
		stageCount[v] = len(stages)
		for _, s := range stages {
			set, err := expectedObjects(dir, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(set) == 0 {
				t.Errorf("tree %d: stage %s is empty", v+1, s.key())
			}
			for _, o := range set {
				if strings.Contains(o.GetName(), "placeholder") {
					t.Errorf("tree %d: %s", v+1, describe(o))
				}
			}
		}
		for _, o := range boot {
			b, _ := o.MarshalJSON()
			if strings.Contains(string(b), "placeholder.invalid") {
				t.Errorf("tree %d: %s still has a placeholder URL", v+1, describe(o))
			}
		}
	}
	if stageCount[0] != 5 || stageCount[1] != 5 {
		t.Errorf("stages per tree %v, want 5 and 5", stageCount)
	}
}

// TestHandWrittenChange checks that the hand-written change is the one the
// loop is meant to exercise.
func TestHandWrittenChange(t *testing.T) {
	urls := sourceURLs{git: "http://127.0.0.1:1/platform.git", helm: "http://127.0.0.1:2"}
	l := &loop{t: t}
	for v := range l.trees {
		l.trees[v] = t.TempDir()
		l.roots[v] = l.trees[v]
		if _, err := handWrittenTree().write(l.trees[v], v, urls); err != nil {
			t.Fatal(err)
		}
	}
	l.plan()
	d := l.diff()
	for _, c := range []struct {
		what string
		got  []string
		want string
	}{
		{"renamed Jobs", d.renamedJobs, "demo-psp-ring1-init-e9fe2cc5 -> demo-psp-ring1-init-2b79a5a1"},
		{"changed ConfigMaps", d.changedConfigMaps, "datasurface_datasurface-settings__ConfigMap"},
		{"removed", d.removed, "datasurface_airflow-values-fgbh2dgchh__ConfigMap,datasurface_demo-psp-model-refresh_batch_CronJob,datasurface_demo-psp-ring1-init-e9fe2cc5_batch_Job"},
	} {
		if got := strings.Join(c.got, ","); got != c.want {
			t.Errorf("%s: %s, want %s", c.what, got, c.want)
		}
	}
}

func TestNamespacesFirst(t *testing.T) {
	ns := decode(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n")[0]
	cm := decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: app}\n")[0]
	other := decode(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: elsewhere}\n")[0]
	want := map[string]objectSet{
		"f/ns":  {idOf(ns): ns},
		"f/mid": {idOf(other): other},
		"f/cm":  {idOf(cm): cm},
	}
	mk := func(name string, deps ...string) stage { return stage{namespace: "f", name: name, dependsOn: deps} }
	for _, tc := range []struct {
		name   string
		stages []stage
		ok     bool
	}{
		{"direct", []stage{mk("ns"), mk("mid"), mk("cm", "f/ns")}, true},
		{"transitive", []stage{mk("ns"), mk("mid", "f/ns"), mk("cm", "f/mid")}, true},
		{"missing", []stage{mk("ns"), mk("mid", "f/ns"), mk("cm")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := namespacesFirst(tc.stages, want)
			if (err == nil) != tc.ok {
				t.Errorf("namespacesFirst: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestTreeSources renders (or copies) both trees of every source the loop
// would sync and checks, without servers, that they plan: Flux objects
// under gitops/, stages in a dependsOn order that creates Namespaces
// first, and a change that renames a Job, changes a ConfigMap and removes
// an object.
func TestTreeSources(t *testing.T) {
	urls := sourceURLs{git: "http://127.0.0.1:1/platform.git", helm: "http://127.0.0.1:2"}
	for _, src := range append(treeSources(t), handWrittenTree()) {
		t.Run(src.name, func(t *testing.T) {
			l := &loop{t: t}
			for v := range l.trees {
				l.trees[v] = t.TempDir()
				sub, err := src.write(l.trees[v], v, urls)
				if err != nil {
					t.Fatal(err)
				}
				l.roots[v] = filepath.Join(l.trees[v], filepath.FromSlash(sub))
			}
			l.plan()
			l.checkScenario()
			for v := range l.boot {
				var gitURLs []string
				for _, o := range l.boot[v] {
					if o.GroupVersionKind().GroupKind() == fluxtest.GitRepositoryGVK().GroupKind() {
						u, _, _ := unstructured.NestedString(o.Object, "spec", "url")
						gitURLs = append(gitURLs, u)
					}
				}
				if len(gitURLs) == 0 || strings.Join(gitURLs, ",") != strings.Repeat(urls.git+",", len(gitURLs)-1)+urls.git {
					t.Errorf("tree %d: GitRepository URLs %v, want each %s", v+1, gitURLs, urls.git)
				}
			}
		})
	}
}

// TestShortenTTLs: only a Job's own time to live is shortened.
func TestShortenTTLs(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"job.yaml":     "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec:\n  ttlSecondsAfterFinished: 86400\n  template: {}\n",
		"nottl.yaml":   "apiVersion: batch/v1\nkind: Job\nmetadata: {name: k}\nspec:\n  template: {}\n",
		"cronjob.yaml": "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      ttlSecondsAfterFinished: 3600\n",
		"values.yaml":  "kind: Job\n  ttlSecondsAfterFinished: 5\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := shortenTTLs(dir)
	if err != nil || n != 1 {
		t.Fatalf("shortenTTLs = %d, %v; want the one Job with a time to live", n, err)
	}
	for name, body := range files {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		want := body
		if name == "job.yaml" {
			want = strings.Replace(body, "86400", "2", 1)
		}
		if string(b) != want {
			t.Errorf("%s after shortenTTLs:\n%s\nwant:\n%s", name, b, want)
		}
	}
}

// TestChangedSince: the round-3 comparison sees a new UID, a new
// resourceVersion and a missing object, and nothing when nothing changed.
func TestChangedSince(t *testing.T) {
	before := liveState{"a": "u1@1", "b": "u2@5", "c": "u3@7"}
	if d := changedSince(before, liveState{"a": "u1@1", "b": "u2@5", "c": "u3@7"}); len(d) != 0 {
		t.Errorf("unchanged state reported %v", d)
	}
	d := changedSince(before, liveState{"a": "u9@12", "b": "u2@6", "c": "missing"})
	if len(d) != 3 {
		t.Errorf("changedSince = %v, want three changes", d)
	}
}

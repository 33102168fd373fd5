package chart

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	"sigs.k8s.io/yaml"
)

// chartsDirEnv overrides where the shared test charts are.
const chartsDirEnv = "YDPGEN_CHARTS_DIR"

const airflowArchive = "airflow-1.19.0.tgz"

// sharedChart finds a chart archive of the shared test charts: in
// $YDPGEN_CHARTS_DIR, else in ../shared/charts from the module root, else
// (in a linked git worktree) from the main worktree's root. It skips the
// test with one line when the archive is nowhere.
func sharedChart(tb testing.TB, name string) string {
	tb.Helper()
	var dirs []string
	if d := os.Getenv(chartsDirEnv); d != "" {
		dirs = append(dirs, d)
	}
	root := moduleRoot(tb)
	dirs = append(dirs, filepath.Join(root, "..", "shared", "charts"))
	if main := mainWorktree(root); main != "" {
		dirs = append(dirs, filepath.Join(main, "..", "shared", "charts"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	tb.Skipf("%s not found in %s (set %s to its directory)", name, strings.Join(dirs, ", "), chartsDirEnv)
	return ""
}

func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// mainWorktree reads a linked worktree's .git file ("gitdir: <main>/.git/worktrees/<name>")
// and returns <main>, or "" when root is not a linked worktree.
func mainWorktree(root string) string {
	data, err := os.ReadFile(filepath.Join(root, ".git"))
	if err != nil {
		return ""
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return ""
	}
	// <main>/.git/worktrees/<name> → <main>
	return filepath.Dir(filepath.Dir(filepath.Dir(gitdir)))
}

func testChart(tb testing.TB, name string) *Chart {
	tb.Helper()
	c, err := LoadLocal(filepath.Join("testdata", "charts", name))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func yamlValues(tb testing.TB, s string) map[string]any {
	tb.Helper()
	var v map[string]any
	if err := yaml.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatal(err)
	}
	return v
}

// helmTemplate renders with Helm's own install action in client-only
// dry-run mode, which is what `helm template` runs, and returns its
// objects and hooks in this package's form (test hooks dropped, as
// `helm template --skip-tests`).
func helmTemplate(tb testing.TB, c *Chart, values map[string]any, opts Options) *Result {
	tb.Helper()
	hc, err := c.load()
	if err != nil {
		tb.Fatal(err)
	}
	vals, _, err := normalizeValues(values)
	if err != nil {
		tb.Fatal(err)
	}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.Replace = true
	inst.ReleaseName = opts.ReleaseName
	inst.Namespace = opts.Namespace
	inst.IncludeCRDs = opts.IncludeCRDs
	kv, err := common.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		tb.Fatal(err)
	}
	inst.KubeVersion = kv
	inst.APIVersions = opts.APIVersions
	r, err := inst.RunWithContext(context.Background(), hc, vals)
	if err != nil {
		tb.Fatalf("helm's install action: %v", err)
	}
	rel := r.(*release.Release)
	res := &Result{Objects: []Object{}, Hooks: []Hook{}}
	for _, chunk := range strings.Split(rel.Manifest, "---\n# Source: ")[1:] {
		src, content, _ := strings.Cut(chunk, "\n")
		objs, err := parseDocs(src, content)
		if err != nil {
			tb.Fatal(err)
		}
		res.Objects = append(res.Objects, objs...)
	}
	for _, h := range rel.Hooks {
		if slices.Contains(h.Events, release.HookTest) {
			continue
		}
		obj, ok, err := parseDoc(h.Path, h.Manifest)
		if err != nil || !ok {
			tb.Fatalf("hook %s: %v", h.Path, err)
		}
		hk := Hook{Object: obj, Weight: h.Weight}
		for _, e := range h.Events {
			hk.Events = append(hk.Events, e.String())
		}
		for _, p := range h.DeletePolicies {
			hk.DeletePolicies = append(hk.DeletePolicies, string(p))
		}
		res.Hooks = append(res.Hooks, hk)
	}
	return res
}

// sameAsHelm fails unless got has exactly the objects, in the same order,
// and the same hooks as Helm's own client-only install.
func sameAsHelm(t *testing.T, got, want *Result) {
	t.Helper()
	if d := cmp.Diff(want.Objects, got.Objects); d != "" {
		t.Errorf("objects differ from helm template's (-helm +ours):\n%s", d)
	}
	key := func(h Hook) string { return h.Template + "\x00" + h.Kind() + "\x00" + h.Name() }
	sortHooks := func(hs []Hook) []Hook {
		hs = slices.Clone(hs)
		slices.SortStableFunc(hs, func(a, b Hook) int { return strings.Compare(key(a), key(b)) })
		return hs
	}
	if d := cmp.Diff(sortHooks(want.Hooks), sortHooks(got.Hooks)); d != "" {
		t.Errorf("hooks differ from helm template's (-helm +ours):\n%s", d)
	}
}

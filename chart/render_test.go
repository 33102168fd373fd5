package chart

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/common"
)

func opts(release string) Options {
	return Options{ReleaseName: release, Namespace: "data", KubeVersion: "1.33.0"}
}

type named interface {
	Kind() string
	Name() string
}

// ids lists "Kind/name" of objects, in order.
func ids[T named](objs []T) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Kind()+"/"+o.Name())
	}
	return out
}

func TestRenderHooks(t *testing.T) {
	c := testChart(t, "hooks")
	o := opts("demo")
	o.APIVersions = []string{"monitoring.coreos.com/v1"}
	res, err := Render(context.Background(), c, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	// Install order: ServiceAccount, ConfigMap, Service, Deployment. The
	// comment-only and empty documents, the template that renders nothing,
	// NOTES.txt and the test hook are gone.
	wantObjs := []string{"ServiceAccount/demo-app", "ConfigMap/demo-capabilities", "Service/demo-app", "Deployment/demo-app"}
	if d := cmp.Diff(wantObjs, ids(res.Objects)); d != "" {
		t.Errorf("objects (-want +got):\n%s", d)
	}
	if got := res.Objects[0].Template; got != "hooks/templates/app.yaml" {
		t.Errorf("template of the ServiceAccount = %q", got)
	}
	// Hooks run by weight, then name.
	wantHooks := []string{"Job/demo-migrate", "ConfigMap/demo-aaa-bootstrap", "ConfigMap/demo-bootstrap"}
	if d := cmp.Diff(wantHooks, ids(res.Hooks)); d != "" {
		t.Errorf("hooks (-want +got):\n%s", d)
	}
	job := res.Hooks[0]
	if d := cmp.Diff([]string{"pre-install", "pre-upgrade"}, job.Events); d != "" {
		t.Errorf("job events (-want +got):\n%s", d)
	}
	if job.Weight != -5 {
		t.Errorf("job weight = %d, want -5", job.Weight)
	}
	if d := cmp.Diff([]string{"before-hook-creation", "hook-succeeded"}, job.DeletePolicies); d != "" {
		t.Errorf("job delete policies (-want +got):\n%s", d)
	}
	if h := res.Hooks[2]; h.Weight != 3 || len(h.DeletePolicies) != 0 || h.Template != "hooks/templates/config-hook.yaml" {
		t.Errorf("bootstrap hook = %+v", h)
	}
	// .Release.IsInstall is true, as in `helm template`.
	if got := res.Hooks[2].Body["data"]; !cmp.Equal(got, map[string]any{"install": "true", "upgrade": "false"}) {
		t.Errorf("bootstrap data = %v", got)
	}
	caps := res.Objects[1].Body["data"].(map[string]any)
	want := map[string]any{"kubeVersion": "v1.33.0", "kubeMinor": "33", "monitoring": "true", "apps": "true"}
	if d := cmp.Diff(want, caps); d != "" {
		t.Errorf("capabilities (-want +got):\n%s", d)
	}
	// Numbers are int64, as in Kubernetes' unstructured objects.
	spec := res.Objects[3].Body["spec"].(map[string]any)
	if r, ok := spec["replicas"].(int64); !ok || r != 2 {
		t.Errorf("replicas = %#v, want int64 2", spec["replicas"])
	}
	for _, h := range res.Hooks {
		if strings.Contains(h.Name(), "test") {
			t.Errorf("test hook %s was returned", h.Name())
		}
	}
	sameAsHelm(t, res, helmTemplate(t, c, nil, o))
}

func TestRenderSubchart(t *testing.T) {
	c := testChart(t, "parent")
	o := opts("rel")
	o.IncludeCRDs = true
	vals := yamlValues(t, `
workers: {celery: {replicas: 4}}
child:
  replicas: 3
  ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]
`)
	res, err := Render(context.Background(), c, vals, o)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CustomResourceDefinition/widgets.example.com", "ConfigMap/rel-parent", "Deployment/rel-child"}
	if d := cmp.Diff(want, ids(res.Objects)); d != "" {
		t.Fatalf("objects (-want +got):\n%s", d)
	}
	if got := res.Objects[0].Template; got != "parent/crds/widget.yaml" {
		t.Errorf("CRD template = %q", got)
	}
	dep := res.Objects[2]
	if dep.Template != "parent/charts/child/templates/deployment.yaml" {
		t.Errorf("subchart template = %q", dep.Template)
	}
	spec := dep.Body["spec"].(map[string]any)
	if spec["replicas"] != int64(3) {
		t.Errorf("child replicas = %#v, want 3", spec["replicas"])
	}
	if got := res.Objects[1].Body["data"].(map[string]any)["replicas"]; got != "4" {
		t.Errorf("parent replicas = %#v", got)
	}
	sameAsHelm(t, res, helmTemplate(t, c, vals, o))

	// The subchart's condition turns it off.
	res, err = Render(context.Background(), c, map[string]any{"child": map[string]any{"enabled": false}}, opts("rel"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"ConfigMap/rel-parent"}, ids(res.Objects)); d != "" {
		t.Errorf("objects with child disabled (-want +got):\n%s", d)
	}
}

func TestRenderRefuses(t *testing.T) {
	ctx := context.Background()
	c := testChart(t, "parent")
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no kube version", Options{ReleaseName: "r", Namespace: "n"}, "needs a release name, a namespace and a Kubernetes version"},
		{"bad release name", Options{ReleaseName: "Bad_Name", Namespace: "n", KubeVersion: "1.33.0"}, `release name "Bad_Name"`},
		{"kube version outside the chart's", Options{ReleaseName: "r", Namespace: "n", KubeVersion: "1.27.3"}, "requires Kubernetes >=1.28.0-0, not v1.27.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(ctx, c, nil, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chart parent 1.2.3") {
				t.Errorf("error = %v, want one naming the chart and saying %q", err, tc.want)
			}
		})
	}

	// A subchart named in Chart.yaml but missing from charts/.
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "charts", "parent"), dir)
	if err := os.RemoveAll(filepath.Join(dir, "charts")); err != nil {
		t.Fatal(err)
	}
	c, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Render(ctx, c, nil, opts("r"))
	if err == nil || !strings.Contains(err.Error(), "charts/ lacks: child") {
		t.Errorf("error = %v, want the missing subchart named", err)
	}
}

func TestDeterminismRandom(t *testing.T) {
	c := testChart(t, "random")
	_, err := Render(context.Background(), c, nil, opts("rnd"))
	var nd *NondeterminismError
	if !errors.As(err, &nd) {
		t.Fatalf("error = %v, want a NondeterminismError", err)
	}
	want := []Difference{{
		Kind: "Secret", Namespace: "data", Name: "rnd-token",
		Template: "random/templates/secret.yaml",
		Fields:   []string{"data.token"},
		Pins:     []string{"token"},
		Hint:     "set one of token (for generated secrets, the name of an existing Secret)",
	}}
	if d := cmp.Diff(want, nd.Differences); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	msg := err.Error()
	for _, s := range []string{"chart random 0.1.0", "Secret data/rnd-token", "data.token differs", "set one of token"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}

	// Pinned, it renders, and identically every time.
	vals := map[string]any{"token": "s3cret"}
	a, err := Render(context.Background(), c, vals, opts("rnd"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(context.Background(), c, vals, opts("rnd"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two renders differ:\n%s", d)
	}
}

func TestDeterminismClock(t *testing.T) {
	// The template prints only the date: two renders a moment apart agree,
	// so only the moved clock of the second render shows the dependency.
	c := testChart(t, "random")
	vals := map[string]any{"token": "s3cret", "clock": map[string]any{"enabled": true}}
	_, err := Render(context.Background(), c, vals, opts("rnd"))
	var nd *NondeterminismError
	if !errors.As(err, &nd) {
		t.Fatalf("error = %v, want a NondeterminismError", err)
	}
	if len(nd.Differences) != 1 {
		t.Fatalf("differences = %+v", nd.Differences)
	}
	d := nd.Differences[0]
	if d.Kind != "ConfigMap" || d.Name != "rnd-settings" || !slices.Equal(d.Fields, []string{"metadata.annotations.rendered-on"}) {
		t.Errorf("difference = %+v", d)
	}
	if !strings.Contains(d.Hint, "unconditionally") {
		t.Errorf("hint = %q, want it to say nothing pins the clock", d.Hint)
	}
}

func TestLookup(t *testing.T) {
	c := testChart(t, "lookup")
	// Without a cluster lookup finds nothing, so the chart generates a
	// password on every render.
	_, err := Render(context.Background(), c, nil, opts("lk"))
	var nd *NondeterminismError
	if !errors.As(err, &nd) {
		t.Fatalf("error = %v, want a NondeterminismError", err)
	}
	if len(nd.Differences) != 1 || nd.Differences[0].Name != "lookup-password" ||
		!slices.Equal(nd.Differences[0].Fields, []string{"data.password"}) || !slices.Equal(nd.Differences[0].Pins, []string{"password"}) {
		t.Errorf("differences = %+v", nd.Differences)
	}

	res, err := Render(context.Background(), c, map[string]any{"password": "pw"}, opts("lk"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Lookup{
		{APIVersion: "v1", Kind: "Namespace", Name: "kube-system"},
		{APIVersion: "v1", Kind: "Secret", Namespace: "data", Name: "lookup-password"},
	}
	if d := cmp.Diff(want, res.Lookups); d != "" {
		t.Errorf("lookups (-want +got):\n%s", d)
	}
	cm := res.Objects[1]
	if cm.Kind() != "ConfigMap" || cm.Body["data"].(map[string]any)["cluster"] != "unknown" {
		t.Errorf("lookup found something: %v", cm.Body)
	}
}

func TestValuesNormalized(t *testing.T) {
	// Values built in Go (int, typed maps and slices) render as the same
	// values read from a file do.
	c := testChart(t, "parent")
	fromGo := map[string]any{
		"workers": map[string]map[string]int{"celery": {"replicas": 2}},
		"child":   map[string]any{"ports": []map[string]any{{"name": "http", "port": 80}}},
	}
	fromYAML := yamlValues(t, "workers: {celery: {replicas: 2}}\nchild: {ports: [{name: http, port: 80}]}")
	a, err := Render(context.Background(), c, fromGo, opts("r"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Render(context.Background(), c, fromYAML, opts("r"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("renders differ (-go +yaml):\n%s", d)
	}
}

// Helm's engine runs a second time only when the first render called a
// function whose result varies: a chart that calls none renders once, a
// random value that the values pin still renders twice (the call is
// made), and one they do not pin is refused.
func TestRenderAgainOnlyWhenSomethingVaries(t *testing.T) {
	kv, err := common.ParseKubeVersion("1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		chart, values string
		renders       int
		refused       bool
	}{
		{"hooks", "", 1, false},
		{"random", "token: cGlubmVk", 2, false},
		{"random", "", 2, true},
		// Called, but not in the output: the file and the one that
		// includes it render again, and do not differ.
		{"included", "", 2, false},
	} {
		vals, _, err := normalizeValues(yamlValues(t, tc.values))
		if err != nil {
			t.Fatal(err)
		}
		_, renders, err := render(context.Background(), testChart(t, tc.chart), vals, opts("r"), kv)
		var ne *NondeterminismError
		if renders != tc.renders || errors.As(err, &ne) != tc.refused {
			t.Errorf("chart %s with %q: %d renders, error %v; want %d renders, refused %v", tc.chart, tc.values, renders, err, tc.renders, tc.refused)
		}
	}
}

// Only the files that called a varying function, and those that include
// them, render a second time; their objects are compared, and an object
// that only includes a changing file is named too.
func TestRenderAgainComparesTheIncluders(t *testing.T) {
	_, err := Render(context.Background(), testChart(t, "included"), yamlValues(t, "random: true"), opts("r"))
	var ne *NondeterminismError
	if !errors.As(err, &ne) {
		t.Fatalf("got %v, want a NondeterminismError", err)
	}
	var names []string
	for _, d := range ne.Differences {
		names = append(names, d.Name)
	}
	if strings.Join(names, ",") != "r-generated,r-reader" {
		t.Errorf("differences in %v, want r-generated then r-reader (its checksum)", names)
	}
}

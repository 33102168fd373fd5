package hydrate

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

func localChart(t *testing.T, name string) *chart.Chart {
	t.Helper()
	c, err := chart.LoadLocal(filepath.Join("testdata", "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func find(entries []objset.Entry, kind, name string) (objset.Entry, bool) {
	i := slices.IndexFunc(entries, func(e objset.Entry) bool { return e.GVK.Kind == kind && e.Name == name })
	if i < 0 {
		return objset.Entry{}, false
	}
	return entries[i], true
}

func metadata(e objset.Entry, field string) map[string]any {
	md, _ := e.Content["metadata"].(map[string]any)
	m, _ := md[field].(map[string]any)
	return m
}

// The chart's objects join the environment: in its namespace (except
// cluster-wide kinds), with ydpgen's labels, and in the stage their kind
// and the component airflow give; install and upgrade hooks become plain
// objects without Helm's annotations; test, delete and rollback hooks go.
func TestReleaseObjectsAndHooks(t *testing.T) {
	env := exampletest.First(t, "pi-lab")
	rel, err := Release(context.Background(), env, localChart(t, "hooks"), "")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Chart.Name != "airflow" || rel.Chart.Version != "1.19.0" || !strings.HasPrefix(rel.Chart.Digest, "sha256:") {
		t.Errorf("chart provenance %+v", rel.Chart)
	}
	entries := stages.LabelAll(rel.Objects)
	ns := env.Namespace.Name
	for _, tc := range []struct {
		kind, name, namespace string
		stage                 stages.Stage
	}{
		{"Deployment", "airflow-scheduler", ns, stages.Airflow},
		{"ServiceAccount", "airflow-scheduler", ns, stages.RBAC},
		{"ClusterRole", "airflow-" + ns + "-reader", "", stages.RBAC},
		{"Secret", "airflow-broker-url", ns, stages.Secrets},
		{"Job", "airflow-run-airflow-migrations", ns, stages.Airflow},
	} {
		e, ok := find(entries, tc.kind, tc.name)
		if !ok {
			t.Errorf("%s %s is not among the objects", tc.kind, tc.name)
			continue
		}
		md, _ := e.Content["metadata"].(map[string]any)
		if e.Namespace != tc.namespace || (md["namespace"] != nil && md["namespace"] != tc.namespace) {
			t.Errorf("%s %s: namespace %q (metadata %v), want %q", tc.kind, tc.name, e.Namespace, md["namespace"], tc.namespace)
		}
		if got := stages.Of(e); got != tc.stage {
			t.Errorf("%s %s: stage %s, want %s", tc.kind, tc.name, got, tc.stage)
		}
		l := metadata(e, "labels")
		if l["app.kubernetes.io/managed-by"] != "ydpgen" || l["app.kubernetes.io/instance"] != env.Platform {
			t.Errorf("%s %s: labels %v lack ydpgen's", tc.kind, tc.name, l)
		}
		for k := range metadata(e, "annotations") {
			if strings.HasPrefix(k, "helm.sh/") {
				t.Errorf("%s %s keeps the annotation %s", tc.kind, tc.name, k)
			}
		}
	}
	job, _ := find(entries, "Job", "airflow-run-airflow-migrations")
	if metadata(job, "annotations")["example.com/kept"] != "yes" {
		t.Errorf("the Job lost its own annotation: %v", metadata(job, "annotations"))
	}
	for _, gone := range []string{"airflow-cleanup", "airflow-test-connection"} {
		if slices.ContainsFunc(entries, func(e objset.Entry) bool { return e.Name == gone }) {
			t.Errorf("%s (a delete or test hook) is among the objects", gone)
		}
	}
	if len(rel.DroppedHooks) != 1 || !strings.Contains(rel.DroppedHooks[0], "airflow-cleanup (pre-delete)") {
		t.Errorf("dropped hooks %q, want the pre-delete Job", rel.DroppedHooks)
	}
	if len(entries) != 6 {
		t.Errorf("%d objects, want 6", len(entries))
	}
}

// A value the chart's schema refuses is placed at the spec line that
// produced it (here the ingress host in the list of hosts), at the profile
// default's override, or, for a value ydpgen writes for every spec, at the
// chart's version.
func TestReleaseValuesFindings(t *testing.T) {
	env := exampletest.First(t, "pi-lab")
	_, err := Release(context.Background(), env, localChart(t, "strict"), "")
	var dl diag.List
	if !errors.As(err, &dl) {
		t.Fatalf("got %v, want findings", err)
	}
	host, _ := env.Origins.Place(env.Name, "airflow.apiServer.ingress.host")
	if host.Line == 0 {
		t.Fatal("the example writes no Airflow ingress host")
	}
	var seen []string
	for _, f := range dl {
		if f.File == "" || f.Line == 0 || f.Severity != diag.Error || f.Allowed == "" {
			t.Errorf("finding without a position or what is allowed: %+v", f)
		}
		switch {
		case strings.Contains(f.Message, "ingress.apiServer.hosts[0].name"):
			seen = append(seen, "host")
			if f.Line != host.Line || f.Path != host.Path {
				t.Errorf("host finding at %s %s, want %s %s", f.Position(), f.Path, host, host.Path)
			}
		case strings.Contains(f.Message, "scheduler.replicas"):
			seen = append(seen, "replicas")
			if !strings.HasSuffix(f.Path, "environments.lab.airflow.components.scheduler.replicas") || !strings.Contains(f.Message, "k3s-pi profile's default") {
				t.Errorf("replicas finding %s", f)
			}
		case strings.Contains(f.Message, "securityContexts.pod.runAsUser"):
			seen = append(seen, "ydpgen")
			if !strings.HasSuffix(f.Path, "airflow.chart.version") || !strings.Contains(f.Message, "for every spec") {
				t.Errorf("ydpgen's own value: finding %s", f)
			}
		default:
			t.Errorf("unexpected finding %s", f)
		}
	}
	slices.Sort(seen)
	if strings.Join(seen, ",") != "host,replicas,ydpgen" {
		t.Errorf("findings about %v, want host, replicas and ydpgen:\n%s", seen, dl)
	}
}

// A chart that generates a value on every render is a finding that names
// the object, the field and the value that would pin it.
func TestReleaseNondeterministic(t *testing.T) {
	env := exampletest.First(t, "pi-lab")
	_, err := Release(context.Background(), env, localChart(t, "random"), "")
	var dl diag.List
	if !errors.As(err, &dl) || len(dl) != 1 {
		t.Fatalf("got %v, want one finding", err)
	}
	f := dl[0]
	for _, want := range []string{"airflow-webserver-secret-key", "webserver-secret-key", "webserverSecretKey"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("finding %q does not name %s", f.Message, want)
		}
	}
	if !strings.HasSuffix(f.Path, "airflow.chart.version") || f.Line == 0 {
		t.Errorf("finding at %s %s, want the chart version", f.Position(), f.Path)
	}
}

// A Secret the chart renders with values would put them into git: a
// finding, not an object.
func TestReleaseSecretValues(t *testing.T) {
	env := exampletest.First(t, "pi-lab")
	_, err := Release(context.Background(), env, localChart(t, "secret"), "")
	var dl diag.List
	if !errors.As(err, &dl) || len(dl) != 1 || !strings.Contains(dl[0].Message, "Secret airflow-broker-url with values in stringData") {
		t.Fatalf("got %v, want one finding about the Secret's values", err)
	}
}

// Objects of Kubernetes kinds take the form ydpgen's own have: the
// template's empty lists and maps are left out.
func TestReleaseCanonicalForm(t *testing.T) {
	env := exampletest.First(t, "pi-lab")
	rel, err := Release(context.Background(), env, localChart(t, "hooks"), "")
	if err != nil {
		t.Fatal(err)
	}
	d, ok := find(rel.Objects, "Deployment", "airflow-scheduler")
	if !ok {
		t.Fatal("no scheduler Deployment")
	}
	spec := d.Content["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	if _, ok := spec["tolerations"]; ok {
		t.Errorf("the empty tolerations list of the template is kept: %v", spec)
	}
	if _, ok := d.Content["spec"].(map[string]any)["strategy"]; ok {
		t.Errorf("the type's empty strategy is added: %v", d.Content["spec"])
	}
	// The type would write the port's targetPort as 0, which the API
	// server reads as "the port" and a GitOps engine as a difference.
	svc, ok := find(rel.Objects, "Service", "airflow-api-server")
	if !ok {
		t.Fatal("no Service")
	}
	port := svc.Content["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)
	if _, ok := port["targetPort"]; ok || port["port"] == nil {
		t.Errorf("port %v: want the rendered port and no targetPort", port)
	}
}

// The chart sees the cluster of the environment's profile: its Kubernetes
// version, Kubernetes' own API groups, and the groups the profile's
// add-ons serve (profile data: cluster.apiVersions), so a template gated
// on .Capabilities.APIVersions.Has renders differently per profile.
func TestReleaseCapabilitiesFollowTheProfile(t *testing.T) {
	for _, tc := range []struct {
		example string
		want    map[string]any
	}{
		{"pi-lab", map[string]any{"kubeVersion": "v1.33", "traefik": "true", "awsLoadBalancer": "false", "builtIn": "true"}},
		{"onprem", map[string]any{"kubeVersion": "v1.34", "traefik": "false", "awsLoadBalancer": "false", "builtIn": "true"}},
		{"cloud", map[string]any{"kubeVersion": "v1.33", "traefik": "false", "awsLoadBalancer": "true", "builtIn": "true"}},
	} {
		env := exampletest.First(t, tc.example)
		rel, err := Release(context.Background(), env, localChart(t, "capabilities"), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.example, err)
		}
		cm, ok := find(rel.Objects, "ConfigMap", env.Airflow.ReleaseName+"-cluster")
		if !ok {
			t.Fatalf("%s: no ConfigMap", tc.example)
		}
		if d := cmp.Diff(tc.want, cm.Content["data"]); d != "" {
			t.Errorf("%s (profile %s): capabilities (-want +got):\n%s", tc.example, env.Profile, d)
		}
	}
	// An environment's own list replaces the profile's.
	env := exampletest.First(t, "pi-lab")
	env.Cluster.APIVersions = nil
	rel, err := Release(context.Background(), env, localChart(t, "capabilities"), "")
	if err != nil {
		t.Fatal(err)
	}
	if cm, _ := find(rel.Objects, "ConfigMap", env.Airflow.ReleaseName+"-cluster"); cm.Content["data"].(map[string]any)["traefik"] != "false" {
		t.Errorf("without the profile's list the chart still sees Traefik: %v", cm.Content["data"])
	}
}

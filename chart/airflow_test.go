package chart

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The official Airflow chart, from the shared test charts.

func airflow(tb testing.TB) (*Chart, map[string]any, Options) {
	tb.Helper()
	p := sharedChart(tb, airflowArchive)
	c, err := LoadLocal(p)
	if err != nil {
		tb.Fatal(err)
	}
	if c.Name != "airflow" || c.Version != "1.19.0" {
		tb.Fatalf("%s holds %s", p, c)
	}
	data, err := os.ReadFile("testdata/airflow-values.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return c, yamlValues(tb, string(data)), Options{ReleaseName: "airflow", Namespace: "datasurface", KubeVersion: "1.33.0"}
}

func TestAirflow(t *testing.T) {
	c, vals, o := airflow(t)
	res, err := Render(context.Background(), c, vals, o)
	if err != nil {
		t.Fatal(err)
	}
	// Release "airflow" names objects airflow-<component>. The jobs are
	// plain objects (useHelmHooks: false); no static secret is generated;
	// no PostgreSQL, Redis, PgBouncer or StatsD.
	want := []string{
		"ServiceAccount/airflow-api-server",
		"ServiceAccount/airflow-dag-processor",
		"ServiceAccount/airflow-create-user-job",
		"ServiceAccount/airflow-migrate-database-job",
		"ServiceAccount/airflow-scheduler",
		"ServiceAccount/airflow-triggerer",
		"ConfigMap/airflow-config",
		"Role/airflow-pod-launcher-role",
		"Role/airflow-pod-log-reader-role",
		"RoleBinding/airflow-pod-launcher-rolebinding",
		"RoleBinding/airflow-pod-log-reader-rolebinding",
		"Service/airflow-api-server",
		"Service/airflow-scheduler",
		"Service/airflow-triggerer",
		"Deployment/airflow-api-server",
		"Deployment/airflow-dag-processor",
		"Deployment/airflow-scheduler",
		"Deployment/airflow-triggerer",
		"Job/airflow-create-user",
		"Job/airflow-run-airflow-migrations",
	}
	if d := cmp.Diff(want, ids(res.Objects)); d != "" {
		t.Errorf("objects (-want +got):\n%s", d)
	}
	// The broker URL Secret is rendered even under LocalExecutor with Redis
	// off, and always as a pre-install hook.
	if d := cmp.Diff([]string{"Secret/airflow-broker-url"}, ids(res.Hooks)); d != "" {
		t.Fatalf("hooks (-want +got):\n%s", d)
	}
	h := res.Hooks[0]
	if !slices.Equal(h.Events, []string{"pre-install"}) || h.Weight != 0 || !slices.Equal(h.DeletePolicies, []string{"before-hook-creation"}) {
		t.Errorf("broker URL hook = %v weight %d policies %v", h.Events, h.Weight, h.DeletePolicies)
	}
	if h.Template != "airflow/templates/secrets/redis-secrets.yaml" {
		t.Errorf("broker URL hook template = %q", h.Template)
	}
	if len(res.Lookups) != 0 {
		t.Errorf("lookups = %v", res.Lookups)
	}

	// Same as `helm template`, and the same again.
	sameAsHelm(t, res, helmTemplate(t, c, vals, o))
	again, err := Render(context.Background(), c, vals, o)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(res, again); d != "" {
		t.Errorf("a second render differs:\n%s", d)
	}
}

func TestAirflowGeneratedSecrets(t *testing.T) {
	// Without the static secrets' names the chart generates a fernet key,
	// an API secret key and a JWT secret on every render.
	c, vals, o := airflow(t)
	delete(vals, "fernetKeySecretName")
	delete(vals, "jwtSecretName")
	_, err := Render(context.Background(), c, vals, o)
	var nd *NondeterminismError
	if !errors.As(err, &nd) {
		t.Fatalf("error = %v, want a NondeterminismError", err)
	}
	byName := map[string]Difference{}
	for _, d := range nd.Differences {
		byName[d.Kind+"/"+d.Namespace+"/"+d.Name] = d
	}
	fernet, ok := byName["Secret/datasurface/airflow-fernet-key"]
	if !ok {
		t.Fatalf("no difference for the fernet key Secret in %v", nd.Differences)
	}
	if !slices.Equal(fernet.Fields, []string{"data.fernet-key"}) || fernet.Template != "airflow/templates/secrets/fernetkey-secret.yaml" {
		t.Errorf("fernet difference = %+v", fernet)
	}
	if !slices.Contains(fernet.Pins, "fernetKeySecretName") {
		t.Errorf("fernet pins = %v, want fernetKeySecretName among them", fernet.Pins)
	}
	jwt, ok := byName["Secret/datasurface/airflow-jwt-secret"]
	if !ok || !slices.Contains(jwt.Pins, "jwtSecretName") {
		t.Errorf("jwt difference = %+v (found %v)", jwt, ok)
	}
	// Components whose checksum annotations follow the secrets are
	// reported with the hint to pin the secrets instead.
	for _, d := range nd.Differences {
		if d.Kind == "Deployment" && allChecksums(d.Fields) && d.Hint == "" {
			t.Errorf("%s/%s: no hint", d.Kind, d.Name)
		}
	}
}

func TestAirflowSchemaPaths(t *testing.T) {
	c, vals, o := airflow(t)
	vals["scheduler"].(map[string]any)["extraContainers"] = []any{
		map[string]any{"name": "sidecar", "image": "busybox"},
		map[string]any{"name": "exporter", "image": "exporter:1", "ports": []any{
			map[string]any{"name": "metrics", "containerPort": 9102},
			map[string]any{"name": "admin", "containerPort": "eighty"},
		}},
	}
	vals["scheduler"].(map[string]any)["replicaz"] = 2
	_, err := Render(context.Background(), c, vals, o)
	var ve *ValuesError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValuesError", err)
	}
	want := []valuePath{
		{"airflow", []string{"scheduler", "extraContainers", "1", "ports", "1", "containerPort"}, "scheduler.extraContainers[1].ports[1].containerPort"},
		{"airflow", []string{"scheduler", "replicaz"}, "scheduler.replicaz"},
	}
	if d := cmp.Diff(want, paths(ve.Errors)); d != "" {
		t.Errorf("error paths (-want +got):\n%s\n%v", d, err)
	}
}

// BenchmarkRenderAirflow renders the official chart without a render cache
// (two engine runs, the determinism check) and from a warm cache.
func BenchmarkRenderAirflow(b *testing.B) {
	c, vals, o := airflow(b)
	ctx := context.Background()
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			if _, err := Render(ctx, c, vals, o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		o := o
		o.CacheDir = b.TempDir()
		if _, err := Render(ctx, c, vals, o); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			res, err := Render(ctx, c, vals, o)
			if err != nil {
				b.Fatal(err)
			}
			if !res.FromCache {
				b.Fatal("not from the cache")
			}
		}
	})
}

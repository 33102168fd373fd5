package smoketest

import (
	"maps"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func envOf(t *testing.T, example string) *model.Environment { return exampletest.First(t, example) }

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func objectMeta(name, ns string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns}
}

func TestGenerate(t *testing.T) {
	env := envOf(t, "pi-lab")
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Objects) != 2 {
		t.Fatalf("%d objects, want the script's ConfigMap and the Job", len(a.Objects))
	}
	cm, job := a.Objects[0].(*corev1.ConfigMap), a.Objects[1].(*batchv1.Job)
	if cm.Data[ScriptKey] != Script {
		t.Error("the ConfigMap does not hold the script")
	}
	spec := job.Spec
	if spec.TTLSecondsAfterFinished != nil {
		t.Errorf("the smoke test has a time to live: an engine would run it again after it expired")
	}
	pod := spec.Template.Spec
	c := pod.Containers[0]
	vars := map[string]string{}
	for _, e := range c.Env {
		vars[e.Name] = e.Value
		if e.ValueFrom != nil {
			vars[e.Name] = "secret " + e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
	}
	for k, want := range map[string]string{
		"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "secret airflow-metadata/connection",
		envHealthURL:                          "http://airflow-api-server.datasurface.svc:8080/api/v2/monitor/health",
		envDAGFile:                            "demo_psp_infrastructure_dag.py",
	} {
		if vars[k] != want {
			t.Errorf("%s = %q, want %q", k, vars[k], want)
		}
	}
	if c.Image != env.Airflow.Image.Ref() || pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser != 50000 {
		t.Errorf("image %s, pod security %+v: want the Airflow image as its user", c.Image, pod.SecurityContext)
	}
	// The release's label lets it through the components' NetworkPolicy.
	if spec.Template.Labels["release"] != env.Airflow.ReleaseName || job.Labels["app.kubernetes.io/component"] != Component {
		t.Errorf("labels: job %v, pod %v", job.Labels, spec.Template.Labels)
	}

	env.Airflow.SmokeTest.Enabled = false
	if a, err := (Generator{}).Generate(env); err != nil || len(a.Objects) != 0 {
		t.Errorf("disabled: %d objects, %v", len(a.Objects), err)
	}
}

func entries(t *testing.T, env *model.Environment, extra ...objset.Object) []objset.Entry {
	t.Helper()
	cm, job, err := Objects(env)
	if err != nil {
		t.Fatal(err)
	}
	var set objset.Set
	if err := set.Add(append([]objset.Object{cm, job}, extra...)...); err != nil {
		t.Fatal(err)
	}
	return set.Entries()
}

func digest(t *testing.T, es []objset.Entry, files []objset.File) string {
	t.Helper()
	if err := Stamp(es, files); err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.GVK.Kind == "Job" {
			ann := e.Content["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)["annotations"].(map[string]any)
			return ann[DigestAnnotation].(string)
		}
	}
	t.Fatal("no Job")
	return ""
}

// TestStamp: the digest follows every other object and file of the
// environment, and nothing of the smoke test's own.
func TestStamp(t *testing.T) {
	env := envOf(t, "pi-lab")
	other := func(v string) objset.Object {
		return &corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"), ObjectMeta: objectMeta("other", env.Namespace.Name), Data: map[string]string{"k": v}}
	}
	files := []objset.File{{Path: "b.md", Data: []byte("b")}, {Path: "airflow/values.yaml", Data: []byte("executor: LocalExecutor\n")}}
	base := digest(t, entries(t, env, other("1")), files)
	if len(base) != 32 {
		t.Fatalf("digest %q", base)
	}
	if again := digest(t, entries(t, env, other("1")), []objset.File{files[1], files[0]}); again != base {
		t.Errorf("the same environment gives digest %s, then %s", base, again)
	}
	if d := digest(t, entries(t, env, other("2")), files); d == base {
		t.Error("a changed ConfigMap leaves the digest as it was")
	}
	changedFile := slices2(files)
	changedFile[1].Data = []byte("executor: CeleryExecutor\n")
	if d := digest(t, entries(t, env, other("1")), changedFile); d == base {
		t.Error("changed Airflow values leave the digest as it was")
	}
	// The smoke test's own resources are its content, not its input.
	env2 := *env
	env2.Airflow.SmokeTest.Resources.Limits.Memory = "2Gi"
	if d := digest(t, entries(t, &env2, other("1")), files); d != base {
		t.Error("the smoke test's own resources change the digest of everything else")
	}
	// Without a smoke test, nothing to stamp.
	var set objset.Set
	if err := set.Add(other("1")); err != nil {
		t.Fatal(err)
	}
	es := set.Entries()
	before := maps.Clone(es[0].Content)
	if err := Stamp(es, files); err != nil || len(es[0].Content) != len(before) {
		t.Errorf("Stamp without a smoke test: %v, %v", err, es[0].Content)
	}
}

func slices2(f []objset.File) []objset.File { return append([]objset.File(nil), f...) }

func TestDAGFileAndHealthURL(t *testing.T) {
	env := &model.Environment{Namespace: model.Namespace{Name: "yellow"}}
	env.DataSurface.PSP = "Test_DP"
	env.Airflow.ReleaseName = "af"
	if got := DAGFile(env); got != "test_dp_infrastructure_dag.py" {
		t.Errorf("DAGFile = %s", got)
	}
	if got := HealthURL(env); !strings.HasPrefix(got, "http://af-api-server.yellow.svc:8080/") {
		t.Errorf("HealthURL = %s", got)
	}
}

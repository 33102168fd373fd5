package lint

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func sized() corev1.ResourceRequirements {
	l := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
	return corev1.ResourceRequirements{Requests: l, Limits: l}
}

func podSpec(claim string, r corev1.ResourceRequirements) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "main", Image: "busybox:1.36", Resources: r}},
		Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}},
	}}
}

func entries(t *testing.T, objs ...objset.Object) []objset.Entry {
	t.Helper()
	var s objset.Set
	if err := s.Add(objs...); err != nil {
		t.Fatal(err)
	}
	return s.Entries()
}

func pvc(name string, mode corev1.PersistentVolumeAccessMode) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{mode}},
	}
}

func deployment(name, claim string, replicas int32, r corev1.ResourceRequirements) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Template: podSpec(claim, r)},
	}
}

func job(name, claim string) *batchv1.Job {
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name},
		Spec:       batchv1.JobSpec{Template: podSpec(claim, sized())},
	}
}

func env() *model.Environment {
	return &model.Environment{
		Name: "dev", Profile: "kubeadm",
		Cluster: model.Cluster{Nodes: 3, NodeMemory: "16Gi", NodeCPU: "8", Architecture: "amd64",
			SystemReserved: model.CPUMemory{CPU: "500m", Memory: "1Gi"}},
		Origins: model.Origins{
			"environment.name":  {File: "p.yaml", Line: 40, Col: 5, Path: "spec.environments.dev"},
			"datasurface":       {File: "p.yaml", Line: 7, Col: 3, Path: "spec.datasurface"},
			"datasurface.image": {File: "p.yaml", Line: 9, Col: 5, Path: "spec.datasurface.image"},
		},
	}
}

func run(t *testing.T, id string, e *model.Environment, objs []objset.Entry) diag.List {
	t.Helper()
	rule, ok := Lookup(id)
	if !ok {
		t.Fatalf("no rule %s", id)
	}
	in, err := NewInput(e, objs)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{rule: rule, env: e}
	rule.check(in, rep)
	return rep.findings
}

func TestRWOShared(t *testing.T) {
	tests := []struct {
		name string
		objs []objset.Object
		want string // substring of the one finding; "" for none
	}{
		{"two workloads", []objset.Object{pvc("git-cache-pvc", corev1.ReadWriteOnce), deployment("mcp", "git-cache-pvc", 1, sized()), job("ring1", "git-cache-pvc")},
			"ReadWriteOnce claim git-cache-pvc is mounted by Deployment/mcp, Job/ring1 (2 pods)"},
		{"two replicas", []objset.Object{pvc("data", corev1.ReadWriteOnce), deployment("web", "data", 2, sized())},
			"mounted by Deployment/web (2 pods)"},
		{"one pod is fine", []objset.Object{pvc("data", corev1.ReadWriteOnce), deployment("web", "data", 1, sized())}, ""},
		{"RWX is fine", []objset.Object{pvc("data", corev1.ReadWriteMany), deployment("a", "data", 2, sized()), job("b", "data")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := run(t, "YDP001", env(), entries(t, tt.objs...))
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("unexpected findings: %v", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0].Message, tt.want)):
				t.Errorf("got %v, want one finding containing %q", got, tt.want)
			}
		})
	}
	// The git cache's finding points at the spec line that picks its class.
	got := run(t, "YDP001", env(), entries(t, pvc("git-cache-pvc", corev1.ReadWriteOnce), deployment("mcp", "git-cache-pvc", 2, sized())))
	if len(got) != 1 || got[0].Position() != "p.yaml:7:3" || got[0].Path != "spec.environments.dev.datasurface.gitCache.storageClass" {
		t.Errorf("position: got %+v", got)
	}
}

func TestMissingResources(t *testing.T) {
	var none corev1.ResourceRequirements
	onlyLimits := sized()
	onlyLimits.Requests = nil
	if got := run(t, "YDP003", env(), entries(t, deployment("ok", "x", 1, sized()), deployment("limits-only", "y", 1, onlyLimits))); len(got) != 0 {
		t.Errorf("requests default to limits, so this is complete: %v", got)
	}
	got := run(t, "YDP003", env(), entries(t, deployment("bare", "x", 1, none)))
	if len(got) != 1 || !strings.Contains(got[0].Message, "Deployment bare container main") {
		t.Errorf("got %v", got)
	}
}

func TestImageTagsInRenderedObjects(t *testing.T) {
	d := deployment("web", "x", 1, sized())
	d.Spec.Template.Spec.Containers[0].Image = "busybox"
	e := env()
	e.Airflow.Image = model.Image{Repository: "apache/airflow", Tag: "3.1.7"}
	e.DataSurface.Image = model.Image{Repository: "datasurface/datasurface", Tag: "v1.8.4"}
	got := run(t, "YDP008", e, entries(t, d))
	if len(got) != 1 || !strings.Contains(got[0].Message, "busybox (in Deployment/web) has no tag") {
		t.Errorf("got %v", got)
	}
}

// The chart's components run the spec's Airflow image, checked where the
// spec names it, and images of the chart's own, in init containers too.
func TestImageTagsOfChartComponents(t *testing.T) {
	d := deployment("airflow-worker", "x", 1, sized())
	d.Spec.Template.Labels = map[string]string{"tier": "airflow", "release": "airflow", "component": "worker"}
	d.Spec.Template.Spec.Containers[0].Image = "apache/airflow:3.1.7"
	d.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "wait", Image: "example/kerberos:latest"}}
	e := env()
	e.Airflow.ReleaseName = "airflow"
	e.Airflow.Executor = "CeleryExecutor"
	e.Airflow.Components.Workers = model.Component{Enabled: true, Replicas: 1}
	e.Airflow.Image = model.Image{Repository: "apache/airflow", Tag: "3.1.7"}
	e.DataSurface.Image = model.Image{Repository: "datasurface/datasurface", Tag: "v1.8.4"}
	got := run(t, "YDP008", e, entries(t, d))
	if len(got) != 1 || !strings.Contains(got[0].Message, "example/kerberos:latest (in Deployment/airflow-worker) uses the tag latest") ||
		got[0].Path != "spec.environments.dev.airflow.chart" {
		t.Errorf("got %v", got)
	}
}

func TestRunSkipsSuppressedRules(t *testing.T) {
	e := env()
	e.Profile = "k3s-pi"
	e.Airflow.MetadataDatabase.Mode = "external"
	p := &model.Platform{Name: "x", Environments: []model.Environment{*e}}
	l, err := Run(p, []Rendered{{}})
	if err != nil {
		t.Fatal(err)
	}
	if !has(l, "YDP015") {
		t.Fatalf("YDP015 did not fire: %v", l)
	}
	p.Environments[0].Lint.Suppress = []model.Suppression{{Rule: "YDP015", Reason: "measured: 0.2 ms"}}
	l, err = Run(p, []Rendered{{}})
	if err != nil {
		t.Fatal(err)
	}
	if has(l, "YDP015") {
		t.Errorf("suppressed rule fired: %v", l)
	}
}

func has(l diag.List, id string) bool {
	for _, f := range l {
		if f.Rule == id {
			return true
		}
	}
	return false
}

func TestRulesAreDocumented(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for _, r := range Rules() {
		if seen[r.ID] || r.ID <= prev {
			t.Errorf("%s: IDs must be unique and ascending", r.ID)
		}
		seen[r.ID], prev = true, r.ID
		if r.Name == "" || r.Summary == "" || !strings.Contains(r.Explanation, "Fix:") || r.check == nil {
			t.Errorf("%s: needs a name, a summary, an explanation with a Fix: paragraph and a check", r.ID)
		}
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct {
		parts []any
		want  string
	}{
		{[]any{"airflow", "executor"}, "airflow.executor"},
		{[]any{"environment", "cluster", "storageClasses", "efs-sc"}, `environment.cluster.storageClasses."efs-sc"`},
		{[]any{"databases", 1, "name"}, "databases[1].name"},
	} {
		if got := path(tt.parts...); got != tt.want {
			t.Errorf("path(%v) = %q, want %q", tt.parts, got, tt.want)
		}
	}
}

func TestMigrationWait(t *testing.T) {
	values := func(migrate bool, waits ...string) map[string]any {
		v := map[string]any{"migrateDatabaseJob": map[string]any{"enabled": migrate, "useHelmHooks": false}}
		for _, c := range []string{"scheduler", "triggerer", "dagProcessor", "apiServer", "workers"} {
			v[c] = map[string]any{"waitForMigrations": map[string]any{"enabled": slices.Contains(waits, c)}}
		}
		return v
	}
	all := []string{"scheduler", "triggerer", "dagProcessor", "apiServer", "workers"}
	for _, tt := range []struct {
		name   string
		values map[string]any
		want   string
		sev    diag.Severity
	}{
		{"migrations on, waits on", values(true, all...), "", ""},
		{"seed 000: job off, waits on", values(false, "scheduler", "triggerer"), "scheduler, triggerer still wait for migrations", diag.Error},
		{"job off, waits off: nothing creates the schema", values(false), "nothing creates Airflow's schema", diag.Error},
		{"job off, waits unset", map[string]any{"migrateDatabaseJob": map[string]any{"enabled": false}}, "scheduler, triggerer, dagProcessor, apiServer, workers still wait", diag.Error},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := env()
			e.GitOps.Engine = "none"
			e.Airflow.Executor = "CeleryExecutor"
			rule, _ := Lookup("YDP007")
			rep := &Report{rule: rule, env: e}
			rule.check(&Input{Env: e, Values: tt.values}, rep)
			got := rep.findings
			if tt.want == "" {
				if len(got) > 0 {
					t.Errorf("unexpected: %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) || got[0].Severity != tt.sev {
				t.Errorf("got %v, want one %s containing %q", got, tt.sev, tt.want)
			}
		})
	}
}

func TestPodSecurityRestricted(t *testing.T) {
	e := env()
	e.Namespace.PodSecurity = "baseline"
	if got := run(t, "YDP025", e, nil); len(got) != 0 {
		t.Errorf("baseline: %v", got)
	}
	e.Namespace.PodSecurity = "restricted"
	got := run(t, "YDP025", e, nil)
	if len(got) != 1 || got[0].Severity != diag.Warning || !strings.Contains(got[0].Message, "task pods") {
		t.Errorf("restricted: %v", got)
	}
}

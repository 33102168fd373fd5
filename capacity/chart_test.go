package capacity

import (
	"encoding/json"
	"testing"

	"github.com/ydpgen/ydpgen/objset"
)

// chartDeployment is a Deployment as the Airflow chart renders the
// scheduler: labelled with its tier, release and component, a git-sync
// sidecar, and an init container that waits for migrations with the
// scheduler's own resources.
func chartDeployment(t *testing.T, release string) objset.Entry {
	t.Helper()
	container := func(name, cpu, mem string) map[string]any {
		return map[string]any{"name": name, "resources": map[string]any{
			"requests": map[string]any{"cpu": cpu, "memory": mem},
			"limits":   map[string]any{"cpu": cpu, "memory": mem},
		}}
	}
	body := map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "airflow-scheduler", "namespace": "lab"},
		"spec": map[string]any{
			"replicas": 2,
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"tier": "airflow", "release": release, "component": "scheduler"}},
				"spec": map[string]any{
					"containers":     []any{container("scheduler", "700m", "1500Mi"), container("git-sync", "100m", "128Mi")},
					"initContainers": []any{container("wait-for-airflow-migrations", "700m", "1500Mi"), container("git-sync-init", "100m", "128Mi")},
				},
			},
		},
	}
	b, _ := json.Marshal(body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	e := objset.Entry{Namespace: "lab", Name: "airflow-scheduler", Content: m}
	e.GVK.Group, e.GVK.Version, e.GVK.Kind = "apps", "v1", "Deployment"
	return e
}

// A hydrated chart's scheduler replaces the model's: counted once, from
// its real pod spec (two replicas, 700m and 1500Mi), under the model's name
// and spec path; its init containers run before the others and add nothing.
func TestHydratedComponentReplacesModel(t *testing.T) {
	env := smallEnv()
	env.Airflow.ReleaseName = "airflow"
	ws, err := Workloads(env, []objset.Entry{chartDeployment(t, "airflow")})
	if err != nil {
		t.Fatal(err)
	}
	var sched []Workload
	for _, w := range ws {
		if w.Name == "scheduler" {
			sched = append(sched, w)
		}
	}
	if len(sched) != 1 {
		t.Fatalf("%d scheduler workloads, want 1 (the rendered one): %+v", len(sched), sched)
	}
	w := sched[0]
	if w.Path != "airflow.components.scheduler" || w.Replicas != 2 {
		t.Errorf("scheduler at %s with %d replicas, want the spec path and the Deployment's 2", w.Path, w.Replicas)
	}
	if got, want := w.Requests(), (Amount{800, 1628 * mi}); got != want {
		t.Errorf("requests %+v, want %+v: the containers, not the init containers on top", got, want)
	}
	for _, c := range w.Containers {
		want := "airflow.components.scheduler.resources"
		if c.Name == "git-sync" || c.Name == "git-sync-init" {
			want = "airflow.dags.gitSync.resources"
		}
		if c.Path != want {
			t.Errorf("container %s at %s, want %s", c.Name, c.Path, want)
		}
	}

	// Another release's pods are not the chart's.
	ws, err = Workloads(env, []objset.Entry{chartDeployment(t, "other")})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, w := range ws {
		if w.Name == "scheduler" || w.Name == "Deployment/airflow-scheduler" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d scheduler workloads for another release's Deployment, want the model's and the object's", n)
	}
}

// A pod's effective request is its containers' sum or its largest init
// container, whichever is larger, resource by resource.
func TestEffectiveRequests(t *testing.T) {
	w := Workload{Containers: []Container{
		{Requests: Amount{100, 100 * mi}},
		{Requests: Amount{100, 100 * mi}},
		{Init: true, Requests: Amount{500, 50 * mi}},
	}}
	if got, want := w.Requests(), (Amount{500, 200 * mi}); got != want {
		t.Errorf("requests %+v, want %+v", got, want)
	}
}

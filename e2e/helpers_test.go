package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/overlays"
	ydspec "github.com/ydpgen/ydpgen/spec"
)

// The suite's own helpers, checked without an API server.

func TestChangeSpec(t *testing.T) {
	env := &model.Environment{
		DataSurface: model.DataSurface{
			MCPServer: model.MCPServer{Enabled: true, Resources: model.Resources{Limits: model.CPUMemory{Memory: "1Gi"}}},
			Jobs: model.DataSurfaceJobs{
				ModelMerge: model.DataSurfaceJob{Resources: model.Resources{Limits: model.CPUMemory{Memory: "512Mi"}}},
			},
		},
		Airflow:     model.Airflow{Admin: model.Admin{Credential: "admin"}},
		Maintenance: model.Maintenance{LogCleanup: model.Schedule{Enabled: true}},
		Credentials: []model.Credential{{Name: "admin"}, {Name: "dt-only"}, {Name: "dt-and-owner"}},
		Databases: []model.Database{
			{Name: "a", Owner: "dt-and-owner", DataTransformers: []string{"dt-only", "dt-and-owner"}},
		},
	}
	// A limit that is not a quantity is left alone.
	env.Airflow.Components.Scheduler.Resources.Limits.Memory = "not a quantity"
	got := changeSpec(env)
	want := []string{"2 memory limits raised by 64Mi", "maintenance.logCleanup off", "MCP server off", "credential dt-only dropped"}
	if !slices.Equal(got, want) {
		t.Errorf("changeSpec said %q, want %q", got, want)
	}
	if m := env.DataSurface.MCPServer.Resources.Limits.Memory; m != "1088Mi" {
		t.Errorf("MCP server memory limit = %s, want 1088Mi", m)
	}
	if m := env.DataSurface.Jobs.ModelMerge.Resources.Limits.Memory; m != "576Mi" {
		t.Errorf("model-merge Job memory limit = %s, want 576Mi", m)
	}
	var names []string
	for _, c := range env.Credentials {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"admin", "dt-and-owner"}) {
		t.Errorf("credentials after the change: %q, want admin and dt-and-owner (still an owner)", names)
	}
	if env.Maintenance.LogCleanup.Enabled || env.DataSurface.MCPServer.Enabled {
		t.Error("optional parts still on")
	}
}

func TestSupportedEngines(t *testing.T) {
	sch, err := ydspec.New()
	if err != nil {
		t.Fatal(err)
	}
	got := supportedEngines(t, sch)
	if !slices.Contains(got, "none") || len(got) < 2 {
		t.Errorf("engines from the schema: %q, want none and at least one GitOps engine", got)
	}
}

func TestGitopsObjects(t *testing.T) {
	add := func(tr *overlays.Tree, p, data string) {
		t.Helper()
		if err := tr.Add(p, []byte(strings.TrimLeft(data, "\n"))); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("no gitops tree", func(t *testing.T) {
		tr := &overlays.Tree{}
		add(tr, "base/kustomization.yaml", "resources: []\n")
		got, err := gitopsObjects(tr)
		if err != nil || len(got) != 0 {
			t.Errorf("got %d objects, err %v; want none", len(got), err)
		}
	})
	t.Run("kustomization, loose files and values", func(t *testing.T) {
		tr := &overlays.Tree{}
		add(tr, "gitops/flux/kustomization.yaml", `
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [source.yaml]
`)
		add(tr, "gitops/flux/source.yaml", `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo, namespace: flux-system}
spec: {interval: 5m, url: "https://git.example.com/x.git"}
`)
		add(tr, "gitops/app.yaml", `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: app, namespace: argocd}
spec: {project: default}
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: proj, namespace: argocd}
`)
		add(tr, "gitops/values.yaml", "replicas: 2\n")
		add(tr, "gitops/README.md", "# not YAML\n")
		got, err := gitopsObjects(tr)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range got {
			names = append(names, describe(o))
		}
		slices.Sort(names)
		want := []string{"AppProject argocd/proj", "Application argocd/app", "GitRepository flux-system/repo"}
		if !slices.Equal(names, want) {
			t.Errorf("gitops objects %q, want %q", names, want)
		}
	})
}

func TestHashSuffixed(t *testing.T) {
	for name, want := range map[string]bool{
		"postgres-bootstrap-c890747548": true,
		"ring1-init-4k2x7qbm":           true,
		"demo-psp-ring1-init":           false,
		"reconcile-views-job":           false,
		"nodash":                        false,
		"job-abcdefgh":                  false, // no digit: a word
		"job-ABCDEF12":                  false,
	} {
		if got := hashSuffixed(name); got != want {
			t.Errorf("hashSuffixed(%q) = %v, want %v", name, got, want)
		}
	}
}

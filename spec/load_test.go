package spec

import (
	"os"
	"testing"
)

// Each example resolves to the environments, profiles and profile defaults
// its comments promise.
func TestLoadExamples(t *testing.T) {
	s := mustNew(t)
	type want struct {
		env, profile, executor, dbMode, namespace string
	}
	tests := []struct {
		example string
		envs    []want
	}{
		{"pi-lab", []want{{"lab", "k3s-pi", "LocalExecutor", "in-cluster", "datasurface"}}},
		{"onprem", []want{
			{"prod", "kubeadm", "CeleryExecutor", "external", "demo1"},
			{"staging", "kubeadm", "CeleryExecutor", "external", "demo1-staging"},
		}},
		{"cloud", []want{
			{"prod", "eks", "CeleryExecutor", "external", "yellow"},
			{"staging", "eks", "CeleryExecutor", "external", "yellow-staging"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			src, err := os.ReadFile("../examples/" + tt.example + "/platform.yaml")
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Load("platform.yaml", src)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != tt.example {
				t.Errorf("platform name %q, want %q", p.Name, tt.example)
			}
			if len(p.Environments) != len(tt.envs) {
				t.Fatalf("%d environments, want %d", len(p.Environments), len(tt.envs))
			}
			for i, w := range tt.envs {
				e := p.Environments[i]
				got := want{e.Name, e.Profile, e.Airflow.Executor, e.Airflow.MetadataDatabase.Mode, e.Namespace.Name}
				if got != w {
					t.Errorf("environment %d: got %+v, want %+v", i, got, w)
				}
				if e.Airflow.Components.Scheduler.Resources.Limits.Memory == "" {
					t.Errorf("%s: scheduler has no memory limit after defaults", e.Name)
				}
			}
		})
	}
}

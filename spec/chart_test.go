package spec

import (
	"os"
	"strings"
	"testing"
)

// Every profile renders the chart for a Kubernetes version of its own, an
// environment may name another, and a chart is hydrated unless the spec
// says otherwise.
func TestKubernetesVersionAndHydrate(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/cloud/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Environments {
		if e.Cluster.KubernetesVersion != "1.33" || !e.Airflow.Chart.Hydrate || e.Airflow.Chart.Path != "" {
			t.Errorf("%s: kubernetesVersion %q, hydrate %v, path %q; want the eks default 1.33, hydrated, from the repository",
				e.Name, e.Cluster.KubernetesVersion, e.Airflow.Chart.Hydrate, e.Airflow.Chart.Path)
		}
	}

	// An override per environment, and the chart left to the engine.
	const stagingAirflow = "      airflow:\n        metadataDatabase:\n"
	over := strings.Replace(string(src), stagingAirflow, "      airflow:\n        chart: {hydrate: false}\n        metadataDatabase:\n", 1)
	over = strings.Replace(over, "      cluster:\n", "      cluster:\n        kubernetesVersion: \"1.35.2\"\n", 1)
	if over == string(src) {
		t.Fatal("the example changed: the test edits nothing")
	}
	p, err = s.Load("platform.yaml", []byte(over))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range p.Environments {
		got[e.Name] = e.Cluster.KubernetesVersion
		if hydrated := e.Name != "staging"; e.Airflow.Chart.Hydrate != hydrated {
			t.Errorf("%s: hydrate %v, want %v", e.Name, e.Airflow.Chart.Hydrate, hydrated)
		}
	}
	if got["prod"] == got["staging"] || (got["prod"] != "1.35.2" && got["staging"] != "1.35.2") {
		t.Errorf("kubernetesVersion %v: want one environment overridden to 1.35.2", got)
	}

	for _, tc := range []struct{ edit, path string }{
		{"      cluster:\n        kubernetesVersion: \"v1.33\"\n", "kubernetesVersion"},
		{"      airflow:\n        chart: {hydrate: false, path: charts/airflow}\n        metadataDatabase:\n", "airflow.chart.path"},
	} {
		old := stagingAirflow
		if strings.HasPrefix(tc.edit, "      cluster:") {
			old = "      cluster:\n"
		}
		bad := strings.Replace(string(src), old, tc.edit, 1)
		_, err := s.Load("platform.yaml", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("%q: got %v, want a finding at %s", tc.edit, err, tc.path)
		}
	}
}

// The chart writes the release name unquoted into labels: a name YAML
// reads as a number or a boolean would give labels that are not strings.
func TestReleaseNameReadsAsString(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]bool{"6": true, "1e3": true, "yes": true, "off": true, "airflow": false, "a6": false} {
		spec := strings.Replace(string(src), "  airflow:\n    version:", "  airflow:\n    releaseName: \""+name+"\"\n    version:", 1)
		_, err := s.Load("platform.yaml", []byte(spec))
		if got := err != nil && strings.Contains(err.Error(), "airflow.releaseName"); got != bad {
			t.Errorf("release name %q: %v; want refused %v", name, err, bad)
		}
	}
}

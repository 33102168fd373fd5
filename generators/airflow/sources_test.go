package airflow

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
)

// leaves lists the paths of every value under v, as chart.ValueError
// gives them: map keys and list indices.
func leaves(v any, path []string, out *[][]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			leaves(x, append(append([]string{}, path...), k), out)
		}
	case []any:
		for i, x := range v {
			leaves(x, append(append([]string{}, path...), strconv.Itoa(i)), out)
		}
	default:
		*out = append(*out, path)
	}
}

// splitPath reads a resolved-environment path (a.b["c.d"][0]) into keys
// and indices.
func splitPath(t *testing.T, p string) []string {
	t.Helper()
	var out []string
	for p != "" {
		switch {
		case p[0] == '.':
			p = p[1:]
		case p[0] == '"':
			end := strings.Index(p[1:], `"`) + 1
			k, err := strconv.Unquote(p[:end+1])
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			out, p = append(out, k), p[end+1:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			out, p = append(out, p[1:end]), p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out, p = append(out, p[:end]), p[end:]
		}
	}
	return out
}

func lookup(v any, path []string) bool {
	for _, seg := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i >= len(x) {
				return false
			}
			v = x[i]
		default:
			return false
		}
	}
	return true
}

// Every value Build writes, in every example and variant, comes from a
// spec value that the resolved environment holds, or is one ydpgen fixes:
// a chart schema error anywhere in the values can be placed in the spec.
func TestSourcesCover(t *testing.T) {
	for _, env := range variants(t) {
		v, err := Build(env)
		if err != nil {
			t.Fatal(err)
		}
		var values map[string]any
		b, _ := json.Marshal(v)
		if err := json.Unmarshal(b, &values); err != nil {
			t.Fatal(err)
		}
		resolved := map[string]any{}
		for k, part := range map[string]any{"airflow": env.Airflow, "maintenance": env.Maintenance, "gitops": env.GitOps, "datasurface": env.DataSurface,
			"environment": map[string]any{"cluster": env.Cluster}} {
			b, _ := json.Marshal(part)
			var x any
			if err := json.Unmarshal(b, &x); err != nil {
				t.Fatal(err)
			}
			resolved[k] = x
		}
		var paths [][]string
		leaves(values, nil, &paths)
		for _, p := range paths {
			spec, ydpgen, ok := SpecPath(env, p)
			switch {
			case !ok:
				t.Errorf("%s/%s: values path %s has no source", env.Platform, env.Name, strings.Join(p, "."))
			case ydpgen:
			case !lookup(resolved, splitPath(t, spec)):
				t.Errorf("%s/%s: values path %s comes from %s, which the resolved environment lacks", env.Platform, env.Name, strings.Join(p, "."), spec)
			}
		}
	}
}

func TestSpecPath(t *testing.T) {
	env := exampletest.First(t, "onprem")
	env.Airflow.Logs.Persistence.StorageClass = ""
	env.Airflow.APIServer.Ingress = &model.Ingress{Host: "airflow.example.com", Annotations: map[string]string{"example.com/team": "data"}}
	for _, tc := range []struct {
		values []string
		spec   string
		ydpgen bool
	}{
		{[]string{"scheduler", "resources", "limits", "memory"}, "airflow.components.scheduler.resources.limits.memory", false},
		{[]string{"workers", "celery", "replicas"}, "airflow.components.workers.replicas", false},
		{[]string{"dags", "gitSync", "repo"}, "airflow.dags.gitSync.repository", false},
		{[]string{"dags", "gitSync", "period"}, "airflow.dags.gitSync.period", false},
		{[]string{"ingress", "apiServer", "annotations", "example.com/team"}, `airflow.apiServer.ingress.annotations."example.com/team"`, false},
		{[]string{"ingress", "apiServer", "annotations", "cert-manager.io/cluster-issuer"}, "airflow.apiServer.ingress", false},
		{[]string{"ingress", "apiServer", "hosts", "0", "name"}, "airflow.apiServer.ingress.host", false},
		{[]string{"logs", "persistence", "storageClassName"}, "environment.cluster.defaultStorageClass", false},
		{[]string{"config", "core", "parallelism"}, "airflow.config.core.parallelism", false},
		{[]string{"config", "core", "load_examples"}, "", true},
		{[]string{"securityContexts", "pod", "runAsUser"}, "", true},
	} {
		spec, ydpgen, ok := SpecPath(env, tc.values)
		if !ok || spec != tc.spec || ydpgen != tc.ydpgen {
			t.Errorf("SpecPath(%q) = %q, %v, %v; want %q, %v, true", tc.values, spec, ydpgen, ok, tc.spec, tc.ydpgen)
		}
	}
	if _, _, ok := SpecPath(env, []string{"webserver", "replicas"}); ok {
		t.Error("a path Build never writes has a source")
	}
}

package chart

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// valueErrorPaths keeps what a caller maps back to the spec: chart, path
// and field. Messages are the validator's and are checked loosely.
type valuePath struct {
	Chart string
	Path  []string
	Field string
}

func paths(errs []ValueError) []valuePath {
	var out []valuePath
	for _, e := range errs {
		out = append(out, valuePath{e.Chart, e.Path, e.Field})
	}
	return out
}

func TestSchemaErrors(t *testing.T) {
	c := testChart(t, "parent")
	vals := yamlValues(t, `
workers:
  celery:
    replicas: "two"
    replicaz: 3
extraContainers:
  - {name: a, image: busybox}
  - {name: b, image: 5}
  - {name: c}
  - {name: d, image: x, pullPolicy: Sometimes}
child:
  ports:
    - {name: http, port: 80}
    - {name: metrics, port: "9090", extra: true}
"a.b": 1
`)
	_, err := Render(context.Background(), c, vals, opts("r"))
	var ve *ValuesError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a ValuesError", err)
	}
	want := []valuePath{
		{"parent", []string{"a.b"}, `["a.b"]`},
		{"parent.child", []string{"child", "ports", "1", "extra"}, "child.ports[1].extra"},
		{"parent.child", []string{"child", "ports", "1", "port"}, "child.ports[1].port"},
		{"parent", []string{"extraContainers", "1", "image"}, "extraContainers[1].image"},
		{"parent", []string{"extraContainers", "2"}, "extraContainers[2]"},
		{"parent", []string{"extraContainers", "3", "pullPolicy"}, "extraContainers[3].pullPolicy"},
		{"parent", []string{"workers", "celery", "replicas"}, "workers.celery.replicas"},
		{"parent", []string{"workers", "celery", "replicaz"}, "workers.celery.replicaz"},
	}
	if d := cmp.Diff(want, paths(ve.Errors)); d != "" {
		t.Errorf("error paths (-want +got):\n%s", d)
	}
	for _, e := range ve.Errors {
		var frag string
		switch e.Field {
		case "workers.celery.replicas":
			frag = "want integer"
		case "extraContainers[2]":
			frag = "image"
		case "workers.celery.replicaz", "child.ports[1].extra":
			frag = "unknown key"
		case "extraContainers[3].pullPolicy":
			frag = "Always"
		}
		if !strings.Contains(e.Message, frag) {
			t.Errorf("%s: message %q lacks %q", e.Field, e.Message, frag)
		}
	}
	msg := err.Error()
	for _, s := range []string{"chart parent 1.2.3", "workers.celery.replicas: got string, want integer", "(subchart parent.child) child.ports[1].port"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}

	// Helm's own validation refuses the same values: ours is not stricter
	// or looser in kind, only structured.
	hc, err := c.load()
	if err != nil {
		t.Fatal(err)
	}
	norm, _, _ := normalizeValues(vals)
	if err := chartutil.ProcessDependencies(hc, norm); err != nil {
		t.Fatal(err)
	}
	coalesced, err := commonutil.CoalesceValues(hc, norm)
	if err != nil {
		t.Fatal(err)
	}
	if err := commonutil.ValidateAgainstSchema(hc, coalesced); err == nil {
		t.Error("Helm's validation accepts the values")
	}
}

func TestSchemaDisabledSubchartNotValidated(t *testing.T) {
	// A disabled subchart's schema does not apply, as in Helm.
	c := testChart(t, "parent")
	vals := map[string]any{"child": map[string]any{"enabled": false, "replicas": "many"}}
	if _, err := Render(context.Background(), c, vals, opts("r")); err != nil {
		t.Fatal(err)
	}
}

func TestFieldOf(t *testing.T) {
	values := map[string]any{
		"list": []any{map[string]any{"k": 1}},
		"map":  map[string]any{"0": map[string]any{"x.y": 1}},
	}
	for _, tc := range []struct {
		prefix, loc []string
		want        string
	}{
		{nil, []string{"list", "0", "k"}, "list[0].k"},
		{nil, []string{"map", "0", "x.y"}, `map.0["x.y"]`},
		{[]string{"sub"}, []string{"list", "0"}, "sub.list[0]"},
		{nil, []string{"missing", "3"}, "missing.3"},
	} {
		if got := fieldOf(values, tc.prefix, tc.loc); got != tc.want {
			t.Errorf("fieldOf(%v, %v) = %q, want %q", tc.prefix, tc.loc, got, tc.want)
		}
	}
}

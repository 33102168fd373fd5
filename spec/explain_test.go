package spec

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestExplainOneSource holds explain to the text the JSON Schema carries:
// both read the CUE schema's comments.
func TestExplainOneSource(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	want := doc.Defs["Airflow"].Properties["executor"].Description
	if want == "" {
		t.Fatal("the JSON Schema has no description of Airflow.executor")
	}
	ex, err := s.Explain("spec.airflow.executor")
	if err != nil {
		t.Fatal(err)
	}
	if got := ex.Doc + "\n\nRenders: " + ex.Renders; strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
		t.Errorf("explain says %q, the JSON Schema %q", got, want)
	}
}

func TestExplainUnknown(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for path, fix := range map[string]string{
		"spec.airflow.exector": "did you mean spec.airflow.executor?",
		"spec.ingress":         "did you mean spec.datasurface.mcpServer.ingress or spec.airflow.apiServer.ingress?",
	} {
		_, err := s.Explain(path)
		var u *UnknownPathError
		if !errors.As(err, &u) || u.Fix != fix {
			t.Errorf("Explain(%s) = %v, want the fix %q", path, err, fix)
		}
	}
}

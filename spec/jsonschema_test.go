package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/encoding/json"
	"cuelang.org/go/encoding/jsonschema"
	"cuelang.org/go/encoding/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/update"
)

const jsonSchemaFile = "../docs/platform.schema.json"

// The examples point editors at docs/platform.schema.json; it must be what
// `ydpgen schema --json-schema` prints today.
func TestJSONSchemaIsCurrent(t *testing.T) {
	s := mustNew(t)
	got, err := s.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if update.Requested() {
		if err := os.WriteFile(jsonSchemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(jsonSchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run %s", jsonSchemaFile, update.Hint("./spec/"))
	}
}

// An editor using the JSON Schema must accept every example and starter and
// reject what the loader rejects for structural reasons.
func TestJSONSchemaValidatesSpecs(t *testing.T) {
	s := mustNew(t)
	raw, err := s.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	expr, err := json.Extract("platform.schema.json", raw)
	if err != nil {
		t.Fatal(err)
	}
	file, err := jsonschema.Extract(ctx.BuildExpr(expr), &jsonschema.Config{})
	if err != nil {
		t.Fatal(err)
	}
	schemaValue := ctx.BuildFile(file)
	if err := schemaValue.Err(); err != nil {
		t.Fatal(err)
	}

	specs, err := filepath.Glob("../examples/*/platform.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	starters, err := filepath.Glob("starters/*.yaml")
	if err != nil || len(starters) == 0 {
		t.Fatalf("no starters found: %v", err)
	}
	validate := func(name string, src []byte) error {
		f, err := yaml.Extract(name, src)
		if err != nil {
			return err
		}
		return schemaValue.Unify(ctx.BuildFile(f)).Validate(cue.Concrete(true))
	}
	for _, p := range append(specs, starters...) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(p, src); err != nil {
			t.Errorf("%s: rejected by the JSON Schema: %v", p, err)
		}
	}

	bad := map[string]string{
		"unknown top-level key": "apiVersion: ydpgen.dev/v1alpha1\nkind: Platform\nmetadata: {name: x}\nspec: {environments: {}}\nextra: 1\n",
		"wrong kind":            "apiVersion: ydpgen.dev/v1alpha1\nkind: Cluster\nmetadata: {name: x}\nspec: {environments: {}}\n",
	}
	for name, src := range bad {
		if err := validate(name, []byte(src)); err == nil {
			t.Errorf("%s: accepted by the JSON Schema", name)
		}
	}
}

func mustNew(t *testing.T) *Schema {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loadEdited loads spec with its first from replaced by to (no edit when
// from is empty) and checks the outcome: accepted when want is empty, else
// refused with findings that mention want, each with a position and path.
func loadEdited(t *testing.T, s *Schema, spec, from, to, want string) {
	t.Helper()
	if from != "" {
		if !strings.Contains(spec, from) {
			t.Fatalf("the example has no %q", from)
		}
		spec = strings.Replace(spec, from, to, 1)
	}
	_, err := s.Load("platform.yaml", []byte(spec))
	if want == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var l diag.List
	if !errors.As(err, &l) {
		t.Fatalf("want findings, got %v", err)
	}
	if !strings.Contains(l.Error(), want) {
		t.Errorf("findings do not mention %q:\n%s", want, l.Error())
	}
	for _, f := range l {
		if f.File != "platform.yaml" || f.Line < 1 || f.Col < 1 || f.Path == "" {
			t.Errorf("finding without position or path: %+v", f)
		}
	}
}

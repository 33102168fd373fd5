package crdschema

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

func mustObject(t *testing.T, y string) map[string]any {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const validES = `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: git, namespace: ns, labels: {a: b}}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: store}
  target:
    name: git
    creationPolicy: Owner
    template: {type: Opaque, engineVersion: v2, metadata: {labels: {a: b}}}
  data:
  - secretKey: TOKEN
    remoteRef: {key: datasurface/ns/eco/git, property: TOKEN}
`

func TestValidate(t *testing.T) {
	s, err := LoadDir("../../testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	gvk := schema.GroupVersionKind{Group: "external-secrets.io", Version: "v1", Kind: "ExternalSecret"}
	if !s.Has(gvk) {
		t.Fatalf("no schema for %s", gvk)
	}
	if errs := s.Validate(gvk, mustObject(t, validES)); len(errs) > 0 {
		t.Fatalf("valid object refused: %v", errs)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown field", "refreshInterval: 1h", "refreshInterval: 1h\n  refresh: 1h", "spec.refresh: unknown field"},
		{"enum", "kind: SecretStore", "kind: Store", `spec.secretStoreRef.kind: Store is not one of`},
		{"required", "remoteRef: {key: datasurface/ns/eco/git, property: TOKEN}", "remoteRef: {property: TOKEN}", `required field "key" is missing`},
		{"pattern", "- secretKey: TOKEN", "- secretKey: TO KEN", `spec.data[0].secretKey: "TO KEN" does not match`},
		{"type", "engineVersion: v2", "engineVersion: 2", "want a string"},
		{"metadata", "metadata: {name: git,", "metadata: {nam: git,", `metadata: json: unknown field "nam"`},
		{"kind", "kind: ExternalSecret", "kind: ExternalSecrets", "apiVersion/kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validES, tc.from) {
				t.Fatalf("fixture has no %q", tc.from)
			}
			errs := s.Validate(gvk, mustObject(t, strings.Replace(validES, tc.from, tc.to, 1)))
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("errors %q do not mention %q", msgs, tc.want)
			}
		})
	}
}

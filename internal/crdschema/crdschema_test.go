package crdschema

import (
	"encoding/json"
	"reflect"
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

func gvkOf(t *testing.T, obj map[string]any) schema.GroupVersionKind {
	t.Helper()
	gv, err := schema.ParseGroupVersion(obj["apiVersion"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return gv.WithKind(obj["kind"].(string))
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

// As ydpgen renders it for Flux.
const validGitRepository = `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: onprem-prod, namespace: flux-system}
spec:
  interval: 1m0s
  ref: {branch: main}
  url: ssh://git@gitlab.example.internal/platform/onprem-gitops.git
`

const validHelmRelease = `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: airflow, namespace: demo1}
spec:
  chart:
    spec:
      chart: airflow
      sourceRef: {kind: HelmRepository, name: airflow}
      version: 1.19.0
  interval: 30m0s
  releaseName: airflow
`

// validWidget uses every field of testdata/widgets.
const validWidget = `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  url: https://example.com/w
  owner: team@example.com
  id: 123e4567-e89b-12d3-a456-426614174000
  since: "2024-01-02T03:04:05Z"
  tags: [a, b]
  ports: [{name: http, port: 80}, {name: https, port: 443}]
  replicas: {min: 1, max: 3}
  size: 2
  note: null
`

func TestValidate(t *testing.T) {
	sets := map[string]*Set{}
	for _, dir := range []string{"../../testdata/crds", "testdata/widgets"} {
		s, err := LoadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		sets[dir] = s
	}
	real, widgets := sets["../../testdata/crds"], sets["testdata/widgets"]
	esGVK := schema.GroupVersionKind{Group: "external-secrets.io", Version: "v1", Kind: "ExternalSecret"}
	for _, tc := range []struct {
		name     string
		set      *Set
		gvk      schema.GroupVersionKind // the object's own when zero
		fixture  string
		from, to string
		// want are parts of the error messages; none means valid.
		want []string
	}{
		{name: "valid ExternalSecret", set: real, fixture: validES},
		{name: "valid GitRepository", set: real, fixture: validGitRepository},
		{name: "valid HelmRelease", set: real, fixture: validHelmRelease},
		{name: "valid Widget", set: widgets, fixture: validWidget},

		// The checks the previous, hand-written validator also made.
		{name: "unknown field", set: real, fixture: validES, from: "refreshInterval: 1h", to: "refreshInterval: 1h\n  refresh: 1h",
			want: []string{"spec.refresh: unknown field"}},
		{name: "enum", set: real, fixture: validES, from: "kind: SecretStore", to: "kind: Store",
			want: []string{`spec.secretStoreRef.kind: Unsupported value: "Store": supported values: "SecretStore", "ClusterSecretStore"`}},
		{name: "required", set: real, fixture: validES, from: "{key: datasurface/ns/eco/git, property: TOKEN}", to: "{property: TOKEN}",
			want: []string{"spec.data[0].remoteRef.key: Required value"}},
		{name: "pattern", set: real, fixture: validES, from: "- secretKey: TOKEN", to: "- secretKey: TO KEN",
			want: []string{`spec.data[0].secretKey: Invalid value: "TO KEN": spec.data[0].secretKey in body should match`}},
		{name: "type", set: real, fixture: validES, from: "engineVersion: v2", to: "engineVersion: 2",
			want: []string{"spec.target.template.engineVersion: Invalid value: \"integer\": spec.target.template.engineVersion in body must be of type string"}},
		{name: "metadata field", set: real, fixture: validES, from: "metadata: {name: git,", to: "metadata: {name: git, nam: git,",
			want: []string{"metadata.nam: unknown field"}},
		{name: "kind", set: real, gvk: esGVK, fixture: validES, from: "kind: ExternalSecret", to: "kind: ExternalSecrets",
			want: []string{`kind: Invalid value: "ExternalSecrets": must be ExternalSecret`}},
		{name: "apiVersion", set: real, gvk: esGVK, fixture: validES, from: "external-secrets.io/v1", to: "external-secrets.io/v1beta1",
			want: []string{`apiVersion: Invalid value: "external-secrets.io/v1beta1": must be external-secrets.io/v1`}},
		{name: "metadata name", set: real, fixture: validES, from: "name: git, namespace", to: "name: Git_1, namespace",
			want: []string{`metadata.name: Invalid value: "Git_1": a lowercase RFC 1123 subdomain`}},
		{name: "metadata label", set: real, fixture: validES, from: "labels: {a: b}}\nspec", to: "labels: {a: b c}}\nspec",
			want: []string{`metadata.labels: Invalid value: "b c"`}},
		{name: "no name", set: real, fixture: validES, from: "metadata: {name: git, ", to: "metadata: {",
			want: []string{"metadata.name: Required value: name or generateName is required"}},

		// CEL rules of the real CRDs.
		{name: "GitRepository CEL rule", set: real, fixture: validGitRepository, from: "interval: 1m0s", to: "interval: 1m0s\n  serviceAccountName: git",
			want: []string{"spec: Invalid value: serviceAccountName can only be set when provider is 'azure' or 'aws'"}},
		{name: "GitRepository CEL rule satisfied", set: real, fixture: validGitRepository, from: "interval: 1m0s", to: "interval: 1m0s\n  provider: azure\n  serviceAccountName: git"},
		{name: "HelmRelease CEL rule", set: real, fixture: validHelmRelease, from: "  chart:\n    spec:\n      chart: airflow\n      sourceRef: {kind: HelmRepository, name: airflow}\n      version: 1.19.0\n", to: "",
			want: []string{"spec: Invalid value: either chart or chartRef must be set"}},
		{name: "rules wait for the shape", set: real, fixture: validGitRepository, from: "interval: 1m0s", to: "interval: 1\n  serviceAccountName: git",
			want: []string{"spec.interval: Invalid value: \"integer\"", "CEL rules (x-kubernetes-validations) were not checked"}},

		// What the previous validator ignored.
		{name: "anyOf", set: widgets, fixture: validWidget, from: "  url: https://example.com/w\n", to: "",
			want: []string{`Invalid value: "": "spec" must validate at least one schema (anyOf)`, "spec.url: Required value"}},
		{name: "anyOf other branch", set: widgets, fixture: validWidget, from: "url: https://example.com/w", to: "inline: body"},
		{name: "CEL rule", set: widgets, fixture: validWidget, from: "{min: 1, max: 3}", to: "{min: 4, max: 3}",
			want: []string{`spec.replicas: Invalid value: min must not exceed max`}},
		{name: "CEL rule on a default", set: widgets, fixture: validWidget, from: "{min: 1, max: 3}", to: "{max: 0}",
			want: []string{`spec.replicas: Invalid value: min must not exceed max`}},
		{name: "list-type set", set: widgets, fixture: validWidget, from: "tags: [a, b]", to: "tags: [a, b, a]",
			want: []string{`spec.tags[2]: Duplicate value: "a"`}},
		{name: "list-type map", set: widgets, fixture: validWidget, from: "{name: https, port: 443}", to: "{name: http, port: 443}",
			want: []string{`spec.ports[1]: Duplicate value: {"name":"http"}`}},
		{name: "format uri", set: widgets, fixture: validWidget, from: "url: https://example.com/w", to: "url: not a uri",
			want: []string{`spec.url: Invalid value: "not a uri": spec.url in body must be of type uri`}},
		{name: "format email", set: widgets, fixture: validWidget, from: "team@example.com", to: "team at example.com",
			want: []string{"spec.owner in body must be of type email"}},
		{name: "format uuid", set: widgets, fixture: validWidget, from: "123e4567-e89b", to: "123e4567-e89",
			want: []string{"spec.id in body must be of type uuid"}},
		{name: "format date-time", set: widgets, fixture: validWidget, from: `"2024-01-02T03:04:05Z"`, to: `"2024-01-02 at noon"`,
			want: []string{"spec.since in body must be of type date-time"}},
		{name: "maximum", set: widgets, fixture: validWidget, from: "port: 443", to: "port: 70000",
			want: []string{"spec.ports[1].port: Invalid value: 70000: spec.ports[1].port in body should be less than or equal to 65535"}},
		{name: "int-or-string string", set: widgets, fixture: validWidget, from: "size: 2", to: "size: 50%"},
		{name: "int-or-string object", set: widgets, fixture: validWidget, from: "size: 2", to: "size: {a: 1}",
			want: []string{"spec.size: Invalid value: \"object\": spec.size in body must be of type integer,string"}},
		{name: "nested unknown field", set: widgets, fixture: validWidget, from: "{name: http, port: 80}", to: "{name: http, port: 80, proto: TCP}",
			want: []string{"spec.ports[0].proto: unknown field"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.fixture, tc.from) {
				t.Fatalf("fixture has no %q", tc.from)
			}
			obj := mustObject(t, strings.Replace(tc.fixture, tc.from, tc.to, 1))
			before := mustObject(t, strings.Replace(tc.fixture, tc.from, tc.to, 1))
			gvk := tc.gvk
			if gvk.Empty() {
				gvk = gvkOf(t, obj)
			}
			errs := tc.set.Validate(gvk, obj)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			all := strings.Join(msgs, "\n")
			if len(tc.want) == 0 && len(errs) > 0 {
				t.Errorf("valid object refused:\n%s", all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("errors do not mention %q:\n%s", w, all)
				}
			}
			if !reflect.DeepEqual(obj, before) {
				t.Errorf("Validate changed its argument")
			}
		})
	}
}

// Rendered objects hold numbers as json.Number; the server's checks and
// CEL want int64 and float64.
func TestValidateJSONNumbers(t *testing.T) {
	s, err := LoadDir("testdata/widgets")
	if err != nil {
		t.Fatal(err)
	}
	obj := mustObject(t, validWidget)
	spec := obj["spec"].(map[string]any)
	spec["replicas"] = map[string]any{"min": json.Number("4"), "max": json.Number("3")}
	spec["size"] = json.Number("2")
	errs := s.Validate(gvkOf(t, obj), obj)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "min must not exceed max") {
		t.Errorf("got %v, want the CEL rule's error alone", errs)
	}
}

func TestLoadDir(t *testing.T) {
	if _, err := LoadDir("testdata/nonstructural"); err == nil || !strings.Contains(err.Error(), "not structural") {
		t.Errorf("a non-structural CRD gave %v", err)
	}
	s, err := LoadDir("testdata/widgets")
	if err != nil {
		t.Fatal(err)
	}
	gvk := schema.GroupVersionKind{Group: "example.com", Version: "v2", Kind: "Widget"}
	if s.Has(gvk) {
		t.Errorf("has %s, which the CRD does not serve", gvk)
	}
	if errs := s.Validate(gvk, mustObject(t, validWidget)); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no CRD schema") {
		t.Errorf("an unknown kind gave %v", errs)
	}
}

package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/internal/crdschema"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// esoFuncs are the template functions ESO's engine v2 documents that the
// rendered templates use, beyond Go's builtins (urlquery): sprig's replace,
// which takes the string last so that it reads well in a pipeline. A
// template calling any other function fails to parse here, so a new one
// must be added on purpose, after checking ESO offers it.
func esoFuncs() template.FuncMap {
	return template.FuncMap{
		"replace": func(old, new, src string) string { return strings.ReplaceAll(src, old, new) },
	}
}

// generate stands in for ESO's Password generator: Length letters and
// digits (deterministic here), encoded as the spec says.
func generate(spec PasswordSpec, seed int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b strings.Builder
	for i := range spec.Length {
		b.WriteByte(alphabet[(i*7+seed*13)%len(alphabet)])
	}
	switch spec.Encoding {
	case "base64url":
		return base64.URLEncoding.EncodeToString([]byte(b.String()))
	case "raw", "":
		return b.String()
	}
	panic("encoding " + spec.Encoding)
}

// esoRender does with an ExternalSecret what the External Secrets Operator
// documents: each data entry is the remote secret's property; a
// generator's values are added; with template data, each value is a Go
// template (text/template, missingkey=error) over those values and the
// Secret holds only the templated keys, otherwise it holds the values as
// fetched.
func esoRender(t *testing.T, es *ExternalSecret, store map[string]map[string]string, gens map[string]*Password) map[string]string {
	t.Helper()
	values := map[string]string{}
	for _, d := range es.Spec.Data {
		props, ok := store[d.RemoteRef.Key]
		if !ok {
			t.Fatalf("%s: remote secret %s is not in the store", es.Name, d.RemoteRef.Key)
		}
		v, ok := props[d.RemoteRef.Property]
		if !ok {
			t.Fatalf("%s: remote secret %s has no property %s", es.Name, d.RemoteRef.Key, d.RemoteRef.Property)
		}
		values[d.SecretKey] = v
	}
	for i, f := range es.Spec.DataFrom {
		g, ok := gens[f.SourceRef.GeneratorRef.Name]
		if !ok || f.SourceRef.GeneratorRef.Kind != "Password" || f.SourceRef.GeneratorRef.APIVersion != GeneratorsAPIVersion {
			t.Fatalf("%s: generator %+v is not rendered", es.Name, f.SourceRef.GeneratorRef)
		}
		keys := g.Spec.SecretKeys
		if len(keys) == 0 {
			keys = []string{"password"}
		}
		for _, k := range keys {
			values[k] = generate(g.Spec, i)
		}
	}
	tmpl := es.Spec.Target.Template
	if tmpl == nil || len(tmpl.Data) == 0 {
		return values
	}
	if tmpl.EngineVersion != "v2" {
		t.Fatalf("%s: engine %q", es.Name, tmpl.EngineVersion)
	}
	out := map[string]string{}
	for k, text := range tmpl.Data {
		tp, err := template.New(k).Option("missingkey=error").Funcs(esoFuncs()).Parse(text)
		if err != nil {
			t.Fatalf("%s: template of %s: %v", es.Name, k, err)
		}
		var b bytes.Buffer
		if err := tp.Execute(&b, values); err != nil {
			t.Fatalf("%s: template of %s: %v", es.Name, k, err)
		}
		out[k] = b.String()
	}
	return out
}

// awkward are values that break naive URL building: URL delimiters, '%',
// '+', spaces, quotes and non-ASCII.
var awkward = []string{`p@ss:w/rd?#[x]`, `100% + "q" 'x'`, "ünïcödé €", `a b+c`}

// TestESOTemplatesBuildWhatTheyRepeat renders every ExternalSecret as ESO
// would, from a store holding awkward values, and checks each derived key
// against credentials.Evaluate (the reference), the connection URLs
// against net/url (the password comes back exactly), and the generated
// Fernet key against what Fernet decodes.
func TestESOTemplatesBuildWhatTheyRepeat(t *testing.T) {
	checked := 0
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderExternalSecrets
		for i, odd := range awkward {
			list, err := credentials.List(env)
			if err != nil {
				t.Fatal(err)
			}
			remote, err := credentials.RemoteSecrets(env, list)
			if err != nil {
				t.Fatal(err)
			}
			store := map[string]map[string]string{}
			typed := map[credentials.KeyRef]string{}
			for _, r := range remote {
				props := map[string]string{}
				for j, p := range r.Properties {
					v := fmt.Sprintf("%s-%d-%s", odd, j, r.Secret)
					props[p] = v
					typed[credentials.KeyRef{Secret: r.Secret, Key: p}] = v
				}
				store[r.Key] = props
			}
			all, gens := externalSecretsOf(t, env)
			written := map[string]map[string]string{}
			for _, es := range all {
				written[es.Name] = esoRender(t, es, store, gens)
			}
			for _, s := range list {
				got, ok := written[s.Name]
				if s.IssuedBy != "" {
					continue
				}
				if !ok {
					t.Fatalf("no ExternalSecret writes %s", s.Name)
				}
				if keys := slices.Sorted(mapKeys(got)); !slices.Equal(keys, slices.Sorted(slices.Values(s.Layout.KeyNames()))) {
					t.Errorf("%s: ESO writes keys %v, want %v", s.Name, keys, s.Layout.KeyNames())
				}
				for _, d := range s.Derived {
					checked++
					want, err := credentials.Evaluate(d.Pieces, func(secret, key string) (string, bool) {
						v, ok := typed[credentials.KeyRef{Secret: secret, Key: key}]
						return v, ok
					})
					if err != nil {
						t.Fatal(err)
					}
					if got[d.Key] != want {
						t.Errorf("%s/%s %s key %s:\n got %q\nwant %q", env.Platform, env.Name, s.Name, d.Key, got[d.Key], want)
					}
				}
				if s.Kind == credentials.MetadataConnection {
					u, err := url.Parse(got["connection"])
					if err != nil {
						t.Fatalf("%s: %v", s.Name, err)
					}
					user := model.K8sName(env.Airflow.MetadataDatabase.Credential)
					pw, _ := u.User.Password()
					if u.User.Username() != typed[credentials.KeyRef{Secret: user, Key: "USER"}] || pw != typed[credentials.KeyRef{Secret: user, Key: "PASSWORD"}] {
						t.Errorf("%s: URL %q gives back user %q password %q", s.Name, got["connection"], u.User.Username(), pw)
					}
				}
				if s.Kind == credentials.FernetKey {
					key, err := base64.URLEncoding.DecodeString(got["fernet-key"])
					if err != nil || len(key) != 32 {
						t.Errorf("fernet key %q decodes to %d bytes (%v), Fernet needs 32", got["fernet-key"], len(key), err)
					}
				}
			}
			_ = i
		}
	}
	if checked == 0 {
		t.Fatal("no derived key was checked")
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestESOTemplateCanFail proves the checks above can fail: urlquery alone
// writes a space as '+', which a URL's user information reads back as a
// plus sign.
func TestESOTemplateCanFail(t *testing.T) {
	tp := template.Must(template.New("x").Funcs(esoFuncs()).Parse(`postgresql://u:{{ .p | urlquery }}@h/db`))
	var b bytes.Buffer
	if err := tp.Execute(&b, map[string]string{"p": "a b"}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(b.String())
	if pw, _ := u.User.Password(); pw == "a b" {
		t.Fatal("urlquery alone round-trips a space; the replace in templateRef would not be needed")
	}
	if got := credentials.EscapeValue(credentials.URLEscape, "a b+c"); got != "a%20b%2Bc" {
		t.Errorf("EscapeValue = %q", got)
	}
}

// TestESOObjectsMatchTheirCRDs checks every ExternalSecret and Password
// generator, with every kind of key, against the operator's CRD schemas.
func TestESOObjectsMatchTheirCRDs(t *testing.T) {
	crds, err := crdschema.LoadDir("../../testdata/crds")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderExternalSecrets
		a, err := Generator{}.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range a.Objects {
			e, err := objset.NewEntry(o)
			if err != nil {
				t.Fatal(err)
			}
			if !crds.Has(e.GVK) {
				t.Fatalf("no CRD for %s", e.GVK)
			}
			n++
			for _, err := range crds.Validate(e.GVK, e.Content) {
				t.Errorf("%s/%s: %s: %v", env.Platform, env.Name, e.ID(), err)
			}
		}
	}
	// The check rejects what the CRD does (a negative control).
	bad := map[string]any{"apiVersion": GeneratorsAPIVersion, "kind": "Password", "metadata": map[string]any{"name": "x"},
		"spec": map[string]any{"length": 8, "encoding": "rot13", "noUpper": false, "allowRepeat": true}}
	e, _ := json.Marshal(bad)
	var m map[string]any
	_ = json.Unmarshal(e, &m)
	gvk := objset.Entry{}.GVK
	gvk.Group, gvk.Version, gvk.Kind = "generators.external-secrets.io", "v1alpha1", "Password"
	if errs := crds.Validate(gvk, m); len(errs) == 0 {
		t.Error("a Password with an unknown encoding matches its CRD")
	}
	if n == 0 {
		t.Fatal("nothing was checked")
	}
}

package golden

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/internal/secretscan"
	"github.com/ydpgen/ydpgen/sealedfiles"
	"github.com/ydpgen/ydpgen/sealing"
)

// TestNoSecretMaterial reads every rendered file of every example, as the
// render command writes them, and fails on anything that looks like a
// secret value: a Secret with data, a literal under a key such as password
// or token, a password in a URL, a private key, a token format, a long
// base64 blob.
func TestNoSecretMaterial(t *testing.T) {
	n := 0
	for _, v := range variants(t) {
		name := v.dir
		files := withManifest(t, renderVariant(t, v).Tree)
		for _, p := range slices.Sorted(maps.Keys(files)) {
			n++
			for _, problem := range scanFile(p, files[p]) {
				t.Errorf("%s/%s: %s", name, p, problem)
			}
		}
	}
	if n == 0 {
		t.Fatal("no file was scanned")
	}
}

// TestScanFileFindsSecrets proves the scan above can fail.
func TestScanFileFindsSecrets(t *testing.T) {
	for _, tc := range []struct {
		path, data, want string
	}{
		{"base/secret-x.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {PASSWORD: aHVudGVyMg==}\n", "a Secret with values"},
		{"base/secret-x.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {USER: admin}\n", "a Secret with values"},
		{"overlays/a/airflow/values.yaml", "createUserJob:\n  defaultUser:\n    password: admin\n", `key "password" holds a value`},
		{"overlays/a/airflow/values.yaml", "config:\n  core:\n    fernet_key: abc\n", `key "fernet_key" holds a value`},
		{"overlays/a/airflow/values.yaml", "config:\n  api:\n    secret_key: abc\n", `key "secret_key" holds a value`},
		{"overlays/a/airflow/values.yaml", "data:\n  metadataConnection:\n    pass: abc\n", `key "pass" holds a value`},
		{"overlays/a/SECRETS.md", "--from-literal=connection='postgresql://airflow:hunter2@db/airflow'\n", "a URL with a password"},
		{"overlays/a/SECRETS.md", "-----BEGIN RSA PRIVATE KEY-----\n", "a private key"},
		{"overlays/a/sealed/x.sops.yaml", "apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: n}\nstringData: {USER: admin}\n", "plain"},
		{"overlays/a/x.yaml", "token: ghp_0123456789abcdefABCDEF0123456789abcd\n", "a GitHub token"},
		{"overlays/a/x.yaml", "auth: eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6e319fQ==\n", "base64"},
		{"base/externalsecret-x.yaml", "spec:\n  target:\n    template:\n      data:\n        connection: postgresql://airflow:hunter2@db/{{ .DB }}\n", "a URL with a password"},
		{"base/externalsecret-x.yaml", "spec:\n  target:\n    template:\n      data:\n        connection: hunter2\n", `key "connection" holds a value`},
	} {
		got := strings.Join(scanFile(tc.path, []byte(tc.data)), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("scanning %s %q: got %q, want a problem mentioning %q", tc.path, tc.data, got, tc.want)
		}
	}
	clean := "spec:\n  data:\n  - secretKey: PASSWORD\n    remoteRef: {key: datasurface/ns/eco/pg, property: PASSWORD}\n" +
		"fernetKeySecretName: airflow-fernet-key\nredis:\n  passwordSecretName: airflow-redis-password\n"
	if got := scanFile("base/x.yaml", []byte(clean)); len(got) > 0 {
		t.Errorf("a clean file is reported: %q", got)
	}
	template := "spec:\n  target:\n    template:\n      data:\n        connection: postgresql://{{ .USER | urlquery }}:{{ .PASSWORD | urlquery }}@db/x\n"
	if got := scanFile("base/externalsecret-x.yaml", []byte(template)); len(got) > 0 {
		t.Errorf("an ExternalSecret template is reported: %q", got)
	}
}

// scanFile returns what looks like secret material in one rendered file.
// An encrypted Secret copied into an overlay (sealed/) is all ciphertext,
// which the text scan would report line by line: it must instead be
// encrypted through and through, as sealing.Inspect reads it without a key.
func scanFile(p string, data []byte) []string {
	if path.Base(path.Dir(p)) == sealedfiles.OverlayDir {
		in, err := sealing.Inspect(p, data)
		if err != nil {
			return []string{err.Error()}
		}
		var out []string
		if in.Format != sealing.FormatSOPS && in.Format != sealing.FormatSealedSecrets {
			out = append(out, "an encrypted Secret's place holds a "+string(in.Format)+" Secret")
		}
		for _, f := range in.Findings {
			out = append(out, f.String())
		}
		return out
	}
	sc := secretscan.New()
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		if what, ok := sc.Value(line); ok {
			out = append(out, fmt.Sprintf("line %d holds %s", i+1, what))
		}
		if blob, ok := sc.Blob(line, 40); ok {
			out = append(out, fmt.Sprintf("line %d holds a base64 blob %s...", i+1, blob[:12]))
		}
	}
	if ext := path.Ext(p); ext != ".yaml" && ext != ".yml" {
		return out
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return append(out, "does not parse as YAML: "+err.Error())
	}
	if m, ok := doc.(map[string]any); ok && m["kind"] == "Secret" {
		if len(asMap(m["data"])) > 0 || len(asMap(m["stringData"])) > 0 {
			out = append(out, "a Secret with values in data or stringData")
		}
	}
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch t := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(t)) {
				if valueKey(k) && isSetScalar(t[k]) && !esoTemplate(where+"/"+k, t[k]) {
					out = append(out, fmt.Sprintf("%s: key %q holds a value", where+"/"+k, k))
				}
				walk(t[k], where+"/"+k)
			}
		case []any:
			for i, e := range t {
				walk(e, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	walk(doc, "")
	return out
}

// esoTemplate reports whether v is an ExternalSecret's template for a
// Secret key: the value is what the operator builds from fetched ones, and
// the line scan above still reads its literal text.
func esoTemplate(where string, v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(where, "/spec/target/template/data/") && strings.Contains(s, "{{")
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// valueKey reports whether a key's value would be a secret. secretKey is
// ESO's name for the key a value is written to, not a value.
func valueKey(k string) bool {
	if k == "secretKey" {
		return false
	}
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "", ".", "").Replace(k))
	switch n {
	case "password", "passwd", "pwd", "pass", "token", "apikey", "apisecret", "privatekey", "passphrase",
		"fernetkey", "secretkey", "jwtsecret", "connection", "accesskey", "secret", "clientsecret", "sqlalchemyconn":
		return true
	}
	return false
}

func isSetScalar(v any) bool {
	switch t := v.(type) {
	case string:
		return t != ""
	case float64, int, int64, bool:
		return true
	}
	return false
}

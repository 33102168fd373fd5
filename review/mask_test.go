package review

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/secretscan"
	"github.com/ydpgen/ydpgen/internal/toolcache"
	"github.com/ydpgen/ydpgen/spec"
)

func TestMaskLine(t *testing.T) {
	for in, want := range map[string]string{
		"password: hunter2":                                  "password: (masked)",
		"  --from-literal=PASSWORD='x y' \\":                 "  --from-literal=PASSWORD=(masked)",
		"export GIT_TOKEN=abc":                               "export GIT_TOKEN=(masked)",
		"export PGPASSWORD=abc":                              "export PGPASSWORD=(masked)",
		`"connection": "postgresql://a:b@h/db"`:              `"connection": (masked)`,
		"sql_alchemy_conn = postgresql://a:b@h/db":           "sql_alchemy_conn = (masked)",
		"url: postgresql://airflow:hunter2@db/airflow":       "url: postgresql://airflow:(masked)@db/airflow",
		"url: postgresql://<user>:<password>@db/airflow":     "url: postgresql://<user>:<password>@db/airflow",
		"-----BEGIN RSA PRIVATE KEY-----":                    "(masked)",
		"MIIEowIBAAKCAQEAxYz3Q8kR5vN2mT7pL9wXcB4dF6gH1jK0sA": "(masked)",
		"auth ghp_0123456789abcdefABCDEF0123456789abcd here": "auth (masked) here",
		"kubectl create secret generic airflow-db":           "kubectl create secret generic airflow-db",
		"keys are listed below":                              "keys are listed below",
		// Names of map entries and references are shown.
		"- key: node-role.kubernetes.io/worker":     "- key: node-role.kubernetes.io/worker",
		"valuesKey: values.yaml":                    "valuesKey: values.yaml",
		"passwordSecretName: airflow-db":            "passwordSecretName: airflow-db",
		"image: registry.example.com/airflow:3.1.7": "image: registry.example.com/airflow:3.1.7",
		"": "",
	} {
		if got := maskLine(secretscan.New(), in); got != want {
			t.Errorf("maskLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// loader loads the cloud example with one edit and returns the loader's
// findings, as text.
type loader struct {
	s    *spec.Schema
	spec string
}

func newLoader(t *testing.T) loader {
	t.Helper()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "examples", "cloud", "platform.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	return loader{s, string(src)}
}

func (l loader) findings(t *testing.T, from, to string) string {
	t.Helper()
	if !strings.Contains(l.spec, from) {
		t.Fatalf("the example has no %q", from)
	}
	_, err := l.s.Load("platform.yaml", []byte(strings.Replace(l.spec, from, to, 1)))
	var list diag.List
	if err != nil && !errors.As(err, &list) {
		t.Fatal(err)
	}
	return list.Error()
}

// TestOneSecretVocabulary proves the loader and review agree on key names:
// every key whose value the loader refuses in a spec is masked in a review
// (as a field, as the value of a named env variable, in a line of text),
// and every key review masks the loader refuses. The loader is the real
// one, given the key where the spec has no such field, which is where it
// judges keys by name.
func TestOneSecretVocabulary(t *testing.T) {
	l := newLoader(t)
	for _, tc := range []struct {
		key    string
		secret bool
	}{
		{"password", true}, {"PASSWORD", true}, {"db_password", true}, {"DB_PASSWORD2", true}, {"PGPASSWORD", true},
		{"passwd", true}, {"pass", true}, {"pwd", true}, {"passphrase", true},
		{"token", true}, {"GIT_TOKEN", true}, {"apiToken", true},
		{"secret", true}, {"clientSecret", true}, {"jwt_secret", true}, {"JWTSecret", true}, {"existingSecret", true},
		{"api_key", true}, {"apiKey", true}, {"gitSshKey", true}, {"fernetKey", true}, {"fernet_key", true},
		{"webserverSecretKey", true}, {"secretKey", true}, {"AWS_SECRET_ACCESS_KEY", true}, {"privateKey", true},
		{"credentials", true}, {"credentialsSecret", true},
		{"connection", true}, {"metadataConnection", true}, {"sql_alchemy_conn", true},
		{"broker_url", true}, {"result_backend", true},
		{"passwordSecretName", false}, {"fernetKeySecretName", false}, {"apiSecretKeySecretName", false},
		{"tlsSecretRef", false}, {"secretKeyRef", false}, {"passwordFile", false}, {"tokenTTL", false},
		{"connectionTimeout", false}, {"credential", false}, {"gitCredential", false},
		{"key", false}, {"valuesKey", false}, {"value", false}, {"name", false}, {"url", false},
		{"host", false}, {"replicas", false}, {"enabled", false}, {"keyboard", false}, {"monkey", false},
	} {
		t.Run(tc.key, func(t *testing.T) {
			refused := strings.Contains(l.findings(t, "    admin:\n", "    admin:\n      "+tc.key+": hunter2\n"),
				`"`+tc.key+`" looks like a secret`)
			fields := fieldDiff(map[string]any{tc.key: "hunter2"}, map[string]any{tc.key: "hunter3"}, false)
			asField := len(fields) == 1 && fields[0].Masked
			env := func(v string) any {
				return map[string]any{"env": []any{map[string]any{"name": tc.key, "value": v}}}
			}
			fields = fieldDiff(env("hunter2"), env("hunter3"), false)
			asEnv := len(fields) == 1 && fields[0].Masked
			inLine := !strings.Contains(maskLine(secretscan.New(), tc.key+": hunter2"), "hunter2")
			if refused != tc.secret || asField != tc.secret || asEnv != tc.secret || inLine != tc.secret {
				t.Errorf("want secret=%v: the loader refuses %v; review masks it as a field %v, as an env value %v, in a line %v",
					tc.secret, refused, asField, asEnv, inLine)
			}
		})
	}
}

// TestSecretValuesMasked: every value the loader refuses wherever it is
// written, review masks in a line. Review also masks long base64 blobs,
// which the loader refuses only under keys the spec does not declare.
func TestSecretValuesMasked(t *testing.T) {
	l := newLoader(t)
	for _, tc := range []struct {
		value         string
		refused, mask bool
	}{
		{"postgresql://airflow:hunter2@db/airflow", true, true},
		{"https://git:ghp_abc@github.com/org/repo.git", true, true},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", true, true},
		{"ghp_0123456789abcdefABCDEF0123456789abcd", true, true},
		{"glpat-abcdefghij0123456789", true, true},
		{"xoxb-1234567890-abcdefghij", true, true},
		{"AKIAIOSFODNN7EXAMPLE", true, true},
		{"Xq3vT9kLm2Pz8RwYb4Nc7Hd1Fg6Js0Ae5Ui2Oo9Kl", false, true},
		{"postgresql://<user>:<password>@db/airflow", false, false},
		{"https://github.com/example/repo.git", false, false},
		{"Smith", false, false},
	} {
		t.Run(tc.value, func(t *testing.T) {
			found := l.findings(t, "email: platform-team@example.com", "email: platform-team@example.com\n      lastName: \""+tc.value+"\"")
			refused := strings.Contains(found, "the value holds")
			masked := !strings.Contains(maskLine(secretscan.New(), "lastName: "+tc.value), tc.value)
			if refused != tc.refused || masked != tc.mask {
				t.Errorf("the loader refuses %v (want %v), review masks %v (want %v)\n%s", refused, tc.refused, masked, tc.mask, found)
			}
		})
	}
}

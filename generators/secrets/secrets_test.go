package secrets

import (
	"slices"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
)

// exampleEnvs loads every environment of every example.
func exampleEnvs(t *testing.T) []*model.Environment {
	t.Helper()
	var out []*model.Environment
	for _, env := range exampletest.Environments(t) {
		out = append(out, env)
		// The same with PgBouncer and an external Celery broker, whose
		// Secrets the examples do not need.
		v := *env
		v.Airflow.PgBouncer.Enabled = true
		v.Airflow.Executor, v.Airflow.Broker = "CeleryExecutor", model.BrokerExternal
		out = append(out, &v)
	}
	return out
}

func secretsByName(t *testing.T, env *model.Environment) map[string]credentials.Secret {
	t.Helper()
	list, err := credentials.List(env)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]credentials.Secret{}
	for _, s := range list {
		out[s.Name] = s
	}
	return out
}

// TestChartSecretNamesAgree keeps the names the Airflow values point at and
// the names this package renders in step.
func TestChartSecretNamesAgree(t *testing.T) {
	for _, env := range exampleEnvs(t) {
		a, c := airflow.Secrets(env), credentials.Chart(env)
		got := []string{a.FernetKey, a.APISecretKey, a.JWTSecret, a.Metadata, a.BrokerURL, a.RedisPass, a.PgBouncerConfig, a.PgBouncerStats}
		want := []string{c.FernetKey, c.APISecretKey, c.JWTSecret, c.Metadata, c.BrokerURL, c.RedisPassword, c.PgBouncerConfig, c.PgBouncerStats}
		if !slices.Equal(got, want) {
			t.Errorf("%s/%s: airflow.Secrets %v, credentials.Chart %v", env.Platform, env.Name, got, want)
		}
	}
}

// TestAirflowValuesReferenceListedSecrets checks that every Secret and key
// the Airflow values name is one this package provides.
func TestAirflowValuesReferenceListedSecrets(t *testing.T) {
	for _, env := range exampleEnvs(t) {
		v, err := airflow.Build(env)
		if err != nil {
			t.Fatal(err)
		}
		have := secretsByName(t, env)
		check := func(what, name string, keys ...string) {
			if name == "" {
				return
			}
			s, ok := have[name]
			if !ok {
				t.Errorf("%s/%s: %s names Secret %q, which is not provided", env.Platform, env.Name, what, name)
				return
			}
			for _, k := range keys {
				if !s.Layout.Has(k) {
					t.Errorf("%s/%s: %s needs key %q of Secret %s, which has %v", env.Platform, env.Name, what, k, name, s.Layout.KeyNames())
				}
			}
		}
		check("fernetKeySecretName", v.FernetKeySecretName, "fernet-key")
		check("apiSecretKeySecretName", v.APISecretKeySecretName, "api-secret-key")
		check("jwtSecretName", v.JWTSecretName, "jwt-secret")
		check("data.metadataSecretName", v.Data.MetadataSecretName, "connection")
		// Without Celery nothing reads the broker URL; a hydrated chart
		// is only given the name so that it renders no Secret of its own.
		if env.Airflow.Executor == "CeleryExecutor" {
			check("data.brokerUrlSecretName", v.Data.BrokerURLSecretName, "connection")
		}
		check("redis.passwordSecretName", v.Redis.PasswordSecretName, "password")
		check("pgbouncer.configSecretName", v.PgBouncer.ConfigSecretName, "pgbouncer.ini", "users.txt")
		if e := v.PgBouncer.MetricsExporterSidecar; e != nil {
			check("pgbouncer.metricsExporterSidecar.statsSecretName", e.StatsSecretName, "connection")
		}
		check("dags.gitSync.credentialsSecret", v.DAGs.GitSync.CredentialsSecret, "GIT_SYNC_USERNAME", "GIT_SYNC_PASSWORD", "GITSYNC_USERNAME", "GITSYNC_PASSWORD")
		for _, ps := range v.ImagePullSecrets {
			check("imagePullSecrets", ps.Name, credentials.DockerConfigKey)
			if have[ps.Name].Layout.Type != credentials.TypeDockerConfigJSON {
				t.Errorf("%s/%s: pull secret %s is of type %s", env.Platform, env.Name, ps.Name, have[ps.Name].Layout.Type)
			}
		}
		for _, e := range v.CreateUserJob.Env {
			if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
				check("createUserJob.env "+e.Name, r.SecretKeyRef.Name, r.SecretKeyRef.Key)
			}
		}
	}
}

func TestExternalSecretsHoldExactKeys(t *testing.T) {
	n := 0
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderExternalSecrets
		for _, tmpl := range []string{"aws", "azure", "vault/{platform}/{environment}/{credential}"} {
			env.Secrets.ExternalSecrets.RemoteKeyTemplate = tmpl
			a, err := Generator{}.Generate(env)
			if err != nil {
				t.Fatal(err)
			}
			have := secretsByName(t, env)
			if len(a.Objects) != len(have) {
				t.Errorf("%s/%s: %d ExternalSecrets for %d Secrets", env.Platform, env.Name, len(a.Objects), len(have))
			}
			for _, o := range a.Objects {
				n++
				es := o.(*ExternalSecret)
				s := have[es.Name]
				var keys []string
				for _, d := range es.Spec.Data {
					keys = append(keys, d.SecretKey)
					if d.RemoteRef.Property != strings.TrimPrefix(d.SecretKey, ".") {
						t.Errorf("%s: key %s read from property %q", es.Name, d.SecretKey, d.RemoteRef.Property)
					}
					if !strings.Contains(d.RemoteRef.Key, es.Name) || !strings.Contains(d.RemoteRef.Key, env.Namespace.Name) && tmpl != "vault/{platform}/{environment}/{credential}" {
						t.Errorf("%s: remote key %q", es.Name, d.RemoteRef.Key)
					}
				}
				if !slices.Equal(keys, s.Layout.KeyNames()) {
					t.Errorf("%s: keys %v, want %v", es.Name, keys, s.Layout.KeyNames())
				}
				if es.Spec.Target.Name != es.Name || es.Spec.Target.Template.Type != s.Layout.Type {
					t.Errorf("%s: target %s of type %s, want %s", es.Name, es.Spec.Target.Name, es.Spec.Target.Template.Type, s.Layout.Type)
				}
				if es.Namespace != env.Namespace.Name || es.Spec.SecretStoreRef.Name != env.Secrets.ExternalSecrets.StoreName {
					t.Errorf("%s: namespace %s store %s", es.Name, es.Namespace, es.Spec.SecretStoreRef.Name)
				}
				if es.DeepCopyObject().(*ExternalSecret).Spec.Data[0] != es.Spec.Data[0] {
					t.Errorf("%s: a deep copy differs", es.Name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no ExternalSecret was checked")
	}
}

func TestManualDocHasACommandPerSecret(t *testing.T) {
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderManual
		a, err := Generator{}.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Objects) != 0 || len(a.Files) != 1 || a.Files[0].Path != DocPath {
			t.Fatalf("manual provider: %d objects, files %v", len(a.Objects), a.Files)
		}
		text := string(a.Files[0].Data)
		sections := strings.Split(text, "\n## ")
		have := secretsByName(t, env)
		if len(sections)-1 != len(have) {
			t.Errorf("%s/%s: %d sections for %d Secrets", env.Platform, env.Name, len(sections)-1, len(have))
		}
		for _, sec := range sections[1:] {
			name := strings.Trim(strings.SplitN(sec, "\n", 2)[0], "`")
			s, ok := have[name]
			if !ok {
				t.Errorf("section for unknown Secret %q", name)
				continue
			}
			if s.Kind == credentials.Registry {
				if !strings.Contains(sec, "kubectl create secret docker-registry "+name+" --namespace "+env.Namespace.Name) {
					t.Errorf("%s: no docker-registry command:\n%s", name, sec)
				}
				continue
			}
			if !strings.Contains(sec, "kubectl create secret generic "+name+" --namespace "+env.Namespace.Name+" \\\n") {
				t.Errorf("%s: no generic command:\n%s", name, sec)
			}
			for _, k := range s.Layout.Keys {
				flag := "--from-literal=" + k.Name + "="
				if k.File {
					flag = "--from-file=" + k.Name + "="
				}
				if !strings.Contains(sec, flag) {
					t.Errorf("%s: no %s in:\n%s", name, flag, sec)
				}
			}
		}
	}
}

func TestManualDocFileKeysAndPlaceholders(t *testing.T) {
	env := exampleEnvs(t)[0]
	env.Credentials = append(env.Credentials,
		model.Credential{Name: "snowflake", Type: "PRIVATE_KEY_AUTH"}, model.Credential{Name: "mtls", Type: "MTLS_CERT_WITH_KEY"})
	env.Secrets.Provider = ProviderManual
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	text := string(a.Files[0].Data)
	for _, want := range []string{
		"--from-file=PRIVATE_KEY='<path/to/private-key.pem>'",
		"--from-literal=PASSPHRASE='<passphrase, empty for an unencrypted key>'",
		"--from-file=PUBLIC_CERT='<path/to/client-cert.pem>'",
		"--from-literal=fernet-key=\"$(openssl rand -base64 32 | tr '+/' '-_')\"",
		"| `snowflake` | PRIVATE_KEY_AUTH | `USER`, `PRIVATE_KEY`, `PASSPHRASE` |",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("SECRETS.md lacks %q", want)
		}
	}
}

func TestUnknownProvider(t *testing.T) {
	env := exampleEnvs(t)[0]
	env.Secrets.Provider = "sops"
	if _, err := (Generator{}).Generate(env); err == nil {
		t.Error("an unknown provider renders")
	}
}

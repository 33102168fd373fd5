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

// externalSecretsOf renders an environment with the external-secrets
// provider and sorts what it made.
func externalSecretsOf(t *testing.T, env *model.Environment) ([]*ExternalSecret, map[string]*Password) {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	var es []*ExternalSecret
	gens := map[string]*Password{}
	for _, o := range a.Objects {
		switch x := o.(type) {
		case *ExternalSecret:
			es = append(es, x)
		case *Password:
			gens[x.Name] = x
		default:
			t.Fatalf("unexpected object %T", o)
		}
	}
	return es, gens
}

// TestExternalSecretsHoldExactKeys checks each ExternalSecret against the
// Secret it writes: stored keys read from the store at the Secret's remote
// key, generated ones from a generator that makes exactly those keys,
// derived ones templated; nothing else.
func TestExternalSecretsHoldExactKeys(t *testing.T) {
	n := 0
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderExternalSecrets
		for _, tmpl := range []string{"aws", "azure", "vault/{platform}/{environment}/{credential}"} {
			env.Secrets.ExternalSecrets.RemoteKeyTemplate = tmpl
			list, err := credentials.List(env)
			if err != nil {
				t.Fatal(err)
			}
			remote, err := credentials.RemoteSecrets(env, list)
			if err != nil {
				t.Fatal(err)
			}
			keyOf := map[string]string{}
			for _, r := range remote {
				keyOf[r.Secret] = r.Key
			}
			all, gens := externalSecretsOf(t, env)
			byName := map[string]*ExternalSecret{}
			for _, es := range all {
				byName[es.Name] = es
			}
			for _, s := range list {
				es, ok := byName[s.Name]
				if s.IssuedBy != "" {
					if ok {
						t.Errorf("%s: an ExternalSecret for a Secret cert-manager writes", s.Name)
					}
					continue
				}
				if !ok {
					t.Errorf("%s/%s: no ExternalSecret for Secret %s", env.Platform, env.Name, s.Name)
					continue
				}
				n++
				// The keys the operator writes: the template's, or else
				// what it fetches and generates.
				var written []string
				if d := es.Spec.Target.Template.Data; len(d) > 0 {
					for k := range d {
						written = append(written, k)
					}
				} else {
					for _, d := range es.Spec.Data {
						written = append(written, d.SecretKey)
					}
					for _, f := range es.Spec.DataFrom {
						written = append(written, gens[f.SourceRef.GeneratorRef.Name].Spec.SecretKeys...)
					}
				}
				slices.Sort(written)
				want := slices.Sorted(slices.Values(s.Layout.KeyNames()))
				if !slices.Equal(written, want) {
					t.Errorf("%s: writes keys %v, want %v", es.Name, written, want)
				}
				for _, d := range es.Spec.Data {
					if !strings.HasPrefix(d.RemoteRef.Key, "datasurface") && !strings.HasPrefix(d.RemoteRef.Key, "vault/") {
						t.Errorf("%s: remote key %q", es.Name, d.RemoteRef.Key)
					}
					if len(s.Derived) == 0 && (d.RemoteRef.Key != keyOf[s.Name] || d.RemoteRef.Property != credentials.RemoteProperty(d.SecretKey)) {
						t.Errorf("%s: key %s read from %s property %q, want %s", es.Name, d.SecretKey, d.RemoteRef.Key, d.RemoteRef.Property, keyOf[s.Name])
					}
				}
				if es.Spec.Target.Name != es.Name || es.Spec.Target.Template.Type != s.Layout.Type || es.Namespace != env.Namespace.Name {
					t.Errorf("%s: target %s of type %s in %s, want type %s", es.Name, es.Spec.Target.Name, es.Spec.Target.Template.Type, es.Namespace, s.Layout.Type)
				}
				if (len(es.Spec.Data) > 0) != (es.Spec.SecretStoreRef != nil) {
					t.Errorf("%s: store %v for %d values from the store", es.Name, es.Spec.SecretStoreRef, len(es.Spec.Data))
				}
				generated := len(es.Spec.DataFrom) > 0
				if generated != (es.Spec.RefreshPolicy == "CreatedOnce" && es.Spec.Target.Immutable && es.Spec.Target.CreationPolicy == "Orphan") {
					t.Errorf("%s: generated %v, refresh policy %q, immutable %v, creation %s", es.Name, generated, es.Spec.RefreshPolicy, es.Spec.Target.Immutable, es.Spec.Target.CreationPolicy)
				}
				c := es.DeepCopyObject().(*ExternalSecret)
				if len(c.Spec.Data) > 0 && c.Spec.Data[0] != es.Spec.Data[0] {
					t.Errorf("%s: a deep copy differs", es.Name)
				}
			}
			if len(byName) != len(all) {
				t.Errorf("%s/%s: two ExternalSecrets of one name", env.Platform, env.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no ExternalSecret was checked")
	}
}

// TestGeneratedKeysAreNeverStored: the fernet key and the API and JWT
// secrets are made by the operator's generator, once, and nothing for them
// is expected in the store.
func TestGeneratedKeysAreNeverStored(t *testing.T) {
	env := exampleEnvs(t)[0]
	env.Secrets.Provider = ProviderExternalSecrets
	all, gens := externalSecretsOf(t, env)
	chart := credentials.Chart(env)
	for _, name := range []string{chart.FernetKey, chart.APISecretKey, chart.JWTSecret} {
		i := slices.IndexFunc(all, func(es *ExternalSecret) bool { return es.Name == name })
		if i < 0 {
			t.Fatalf("no ExternalSecret %s", name)
		}
		es := all[i]
		if len(es.Spec.Data) > 0 || len(es.Spec.DataFrom) != 1 || es.Spec.RefreshPolicy != "CreatedOnce" || !es.Spec.Target.Immutable {
			t.Errorf("%s: data %v, dataFrom %v, refresh policy %q, immutable %v", name, es.Spec.Data, es.Spec.DataFrom, es.Spec.RefreshPolicy, es.Spec.Target.Immutable)
		}
		if g := gens[es.Spec.DataFrom[0].SourceRef.GeneratorRef.Name]; g == nil || g.Labels["ydpgen.dev/stage"] != "secrets" {
			t.Errorf("%s: generator %v", name, g)
		}
	}
	if g := gens[chart.FernetKey]; g.Spec.Encoding != "base64url" || g.Spec.Length != 32 {
		t.Errorf("fernet key generator %+v: 32 characters base64url-encoded make the 32 bytes Fernet decodes", g.Spec)
	}
}

// TestManualDocAndScriptCoverEverySecret: SECRETS.md has a section per
// Secret, and each one the script creates has its block there and in the
// script.
func TestManualDocAndScriptCoverEverySecret(t *testing.T) {
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderManual
		a, err := Generator{}.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Objects) != 0 || len(a.Files) != 2 || a.Files[0].Path != DocPath || a.Files[1].Path != ScriptPath {
			t.Fatalf("manual provider: %d objects, files %v", len(a.Objects), a.Files)
		}
		text, sh := string(a.Files[0].Data), string(a.Files[1].Data)
		have := secretsByName(t, env)
		for name, s := range have {
			if !strings.Contains(text, "\n## `"+name+"`\n") {
				t.Errorf("%s/%s: SECRETS.md has no section for %s", env.Platform, env.Name, name)
			}
			blk := secretBlock(env, s)
			if s.IssuedBy != "" {
				if blk != "" {
					t.Errorf("%s: a block for a Secret cert-manager writes", name)
				}
				continue
			}
			if blk == "" || !strings.Contains(sh, blk) || !strings.Contains(text, blk) {
				t.Errorf("%s/%s: the block of %s is missing from the script or SECRETS.md:\n%s", env.Platform, env.Name, name, blk)
			}
			for _, k := range s.Layout.Keys {
				if !strings.Contains(blk, "ydp_add '"+k.Name+"'") {
					t.Errorf("%s: block does not add key %s:\n%s", name, k.Name, blk)
				}
			}
		}
		if !strings.HasPrefix(sh, "#!/bin/sh\n# Generated by ydpgen.") || !strings.Contains(text, "## The namespace") {
			t.Errorf("%s/%s: script header or namespace section missing", env.Platform, env.Name)
		}
	}
}

func TestUnknownProvider(t *testing.T) {
	env := exampleEnvs(t)[0]
	env.Secrets.Provider = "vault"
	if _, err := (Generator{}).Generate(env); err == nil {
		t.Error("an unknown provider renders")
	}
}

package secretscan

import (
	"slices"
	"testing"
)

func TestValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"postgresql://airflow:s3cret@db:5432/airflow_db", true},
		{"https://user:ghp_abc@github.com/org/repo.git", true},
		{"redis://:hunter2@airflow-redis:6379/0", true},
		{"postgresql://<user>:<password>@db:5432/airflow_db", false},
		{"redis://:<redis-password>@airflow-redis:6379/0", false},
		{"https://$(USER):${TOKEN}@example.com/x", false},
		{"https://$GIT_USER:$GIT_TOKEN@example.com/x", false},
		{"https://github.com/example/repo.git", false},
		{"git@github.com:example/repo.git", false},
		{"ssh://git@github.com/example/repo.git", false},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn", true},
		{"-----BEGIN PRIVATE KEY-----", true},
		{"-----BEGIN CERTIFICATE-----", false},
		{"ghp_0123456789abcdefABCDEF0123456789abcd", true},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv", true},
		{"glpat-abcdefghij0123456789", true},
		{"xoxb-1234567890-abcdefghij", true},
		{"AKIAIOSFODNN7EXAMPLE", true},
		{"datasurface/yellow/cloud/postgres", false},
		{"--from-literal=PASSWORD='<password>'", false},
	} {
		if _, got := New().Value(tc.in); got != tc.want {
			t.Errorf("Value(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestBlob(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6e319fQ==", true},
		{"ZmVybmV0LWtleS1ub3QtcmVhbGx5LTMyLWJ5dGVzLWxvbmc=", true},
		{"Xq3vT9_kLm2Pz8Rw-Yb4Nc7Hd1Fg6Js0Ae5Ui2Oo9Kl=", true},
		{"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", false},
		{"3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", false},
		{"registry.gitlab.com/datasurface-inc/datasurface/datasurface", false},
		{"rolebinding-datasurface-secret-reader.yaml", false},
		{"app.kubernetes.io/managed-by", false},
		{"CeleryExecutorKubernetesExecutorLocalExecutor", false},
	} {
		if _, got := New().Blob(tc.in, 32); got != tc.want {
			t.Errorf("Blob(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSecretName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"password", true},
		{"PASSWORD", true},
		{"db_password", true},
		{"DB_PASSWORD2", true},
		{"PGPASSWORD", true},
		{"api_key", true},
		{"apiKey", true},
		{"APIKey", true},
		{"apikey", true},
		{"gitSshKey", true},
		{"AWS_SECRET_ACCESS_KEY", true},
		{"token", true},
		{"GIT_TOKEN", true},
		{"fernet_key", true},
		{"AIRFLOW__CORE__FERNET_KEY", true},
		{"secret_key", true},
		{"webserverSecretKey", true},
		{"jwt_secret", true},
		{"JWTSecret", true},
		{"clientSecret", true},
		{"credentialsSecret", true},
		{"credentials", true},
		{"sql_alchemy_conn", true},
		{"core.sql_alchemy_conn", true},
		{"metadataConnection", true},
		{"connection", true},
		{"broker_url", true},
		{"result_backend", true},
		{"passphrase", true},
		{"pass", true},
		{"pwd", true},
		{"passwordSecretName", false},
		{"fernetKeySecretName", false},
		{"apiSecretKeySecretName", false},
		{"tlsSecretRef", false},
		{"secretKeyRef", false},
		{"passwordFile", false},
		{"tokenTTL", false},
		{"connectionTimeout", false},
		{"jwtAudience", false},
		{"credential", false},
		{"gitCredential", false},
		{"key", false},
		{"valuesKey", false},
		{"keys", false},
		{"value", false},
		{"host", false},
		{"url", false},
		{"load_examples", false},
		{"refresh_interval", false},
		{"keyboard", false},
		{"monkey", false},
		{"bypass", false},
		{"tokenizer", false},
		{"enabled", false},
		{"", false},
		{"2", false},
	} {
		if got := SecretName(tc.in); got != tc.want {
			t.Errorf("SecretName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"apiSecretKeySecretName": {"api", "secret", "key", "secret", "name"},
		"GIT_SYNC_PASSWORD":      {"git", "sync", "password"},
		"JWTSecret":              {"jwt", "secret"},
		"s3SecretKey2":           {"s", "3", "secret", "key", "2"},
		"core.fernet_key":        {"core", "fernet", "key"},
		"--from-literal":         {"from", "literal"},
		"":                       nil,
	} {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want is what Find marks, "" for nothing
	}{
		{"url: postgresql://airflow:s3cret@db:5432/airflow_db", "s3cret"},
		{"a https://u:<password>@x/ b https://u:hunter2@y/", "hunter2"},
		{"x -----BEGIN RSA PRIVATE KEY----- y", "-----BEGIN RSA PRIVATE KEY-----"},
		{"AKIAIOSFODNN7EXAMPLE then redis://:pw@r", "AKIAIOSFODNN7EXAMPLE"},
		{"redis://:pw@r then AKIAIOSFODNN7EXAMPLE", "pw"},
		{"https://github.com/example/repo.git", ""},
	} {
		m, ok := New().Find(tc.in)
		got := ""
		if ok {
			got = tc.in[m.Start:m.End]
		}
		if got != tc.want {
			t.Errorf("Find(%q) marks %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFindTokensJWTsAndAWSKeys(t *testing.T) {
	sc := New()
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	for _, tc := range []struct {
		s, what string
	}{
		{"https://x9Kd83jdLq01mZpQ7vBn@github.com/acme/dags.git", "a URL with a token in it (token@)"},
		{"bearer " + jwt, "a JSON Web Token"},
		{"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"},
		{"AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS access key ID"},
		// Not secrets: a user name before @, a bare 40-character hash
		// without AWS context, a commit ID, a placeholder token.
		{"ssh://git@github.com/acme/dags.git", ""},
		{"https://github.com/acme/dags.git", ""},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"https://${GIT_TOKEN}@github.com/acme/dags.git", ""},
	} {
		m, ok := sc.Find(tc.s)
		if got := m.What; (tc.what == "") == ok || got != tc.what {
			t.Errorf("Find(%q) = %q, %v; want %q", tc.s, got, ok, tc.what)
		}
	}
}

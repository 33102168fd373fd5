package secretscan

import "testing"

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
		{"api_key", true},
		{"apiKey", true},
		{"token", true},
		{"fernet_key", true},
		{"secret_key", true},
		{"jwt_secret", true},
		{"sql_alchemy_conn", true},
		{"broker_url", true},
		{"value", true},
		{"passphrase", true},
		{"passwordSecretName", false},
		{"fernetKeySecretName", false},
		{"tlsSecretRef", false},
		{"credential", false},
		{"host", false},
		{"load_examples", false},
		{"refresh_interval", false},
		{"keyboard", false},
	} {
		if got := SecretName(tc.in); got != tc.want {
			t.Errorf("SecretName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

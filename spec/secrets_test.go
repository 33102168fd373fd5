package spec

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/diag"
)

// TestSecretChecks edits the cloud example and checks what the loader says.
func TestSecretChecks(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/cloud/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(src)
	for _, tc := range []struct {
		name, from, to string
		want           string // "" when the spec must load
	}{
		{"unchanged", "", "", ""},
		{"annotation naming a Secret is fine",
			"alb.ingress.kubernetes.io/group.name: yellow", "alb.ingress.kubernetes.io/group.name: yellow\n          nginx.ingress.kubernetes.io/auth-secret: basic-auth", ""},
		{"annotation holding a token",
			"alb.ingress.kubernetes.io/group.name: yellow", "alb.ingress.kubernetes.io/group.name: yellow\n          example.com/token: glpat-abcdefghij0123456789", "holds a GitLab token"},
		{"azure preset with an ecosystem Key Vault refuses",
			"remoteKeyTemplate: aws", "remoteKeyTemplate: azure\n      ecosystem: Yellow_Eco", `spec.secrets.externalSecrets.ecosystem: Azure Key Vault secret name "datasurface--yellow--Yellow_Eco--prod--airflow-admin--credentials" holds "_"`},
		{"azure preset", "remoteKeyTemplate: aws", "remoteKeyTemplate: azure", ""},
		{"cluster store", "storeKind: SecretStore", "storeKind: ClusterSecretStore", ""},
		{"template without credential",
			"remoteKeyTemplate: aws", "remoteKeyTemplate: datasurface/{namespace}", "no {credential} placeholder"},
		{"environment override of the template",
			"      datasurface:\n        rte: staging", "      secrets:\n        externalSecrets: {remoteKeyTemplate: \"x/{credentail}\"}\n      datasurface:\n        rte: staging", "unknown placeholder {credentail}"},
		{"unknown field holding a password",
			"    admin:\n", "    admin:\n      password: hunter2\n", `spec.airflow.admin.password: "password" looks like a secret`},
		{"private key in a value",
			"email: platform-team@example.com", "email: platform-team@example.com\n      lastName: \"-----BEGIN RSA PRIVATE KEY-----\"", "holds a private key"},
		{"pull secret of the wrong type",
			"  airflow:\n    version:", "  airflow:\n    pullSecret: git\n    version:", `credential "git" is of type API_TOKEN, but airflow.pullSecret needs REGISTRY`},
		{"database owner not declared",
			"      owner: postgres", "      owner: merge-owner", `spec.databases[1].owner: credential "merge-owner" is not declared`},
		// DataSurface reads the merge credential as <name>_USER and
		// <name>_PASSWORD: a '-' cannot be in those names.
		{"merge credential that cannot be an environment variable",
			"      name: merge_db\n      credential: postgres", "      name: merge_db\n      credential: airflow-db",
			`spec.datasurface.mergeDatabase.credential: credential "airflow-db" cannot be read from the environment: DataSurface would look for airflow-db_USER and airflow-db_PASSWORD`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loadEdited(t, s, base, tc.from, tc.to, tc.want)
		})
	}
}

func TestSecretValuesInCUE(t *testing.T) {
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src := `apiVersion: "ydpgen.dev/v1alpha1"
kind: "Platform"
metadata: name: "demo"
spec: credentials: postgres: {type: "USER_PASSWORD", value: "hunter2"}
`
	_, err = s.Load("spec.cue", []byte(src))
	var l diag.List
	if !errors.As(err, &l) || !strings.Contains(l.Error(), `spec.cue:4:`) || !strings.Contains(l.Error(), `credential postgres has a field "value"`) {
		t.Errorf("CUE spec with a value: %v", err)
	}
}

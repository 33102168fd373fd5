package credentials

import (
	"slices"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

func testEnv(executor string) *model.Environment {
	return &model.Environment{
		Name: "dev", Platform: "demo", Namespace: model.Namespace{Name: "ns"},
		DataSurface: model.DataSurface{
			Version: "1.8.4", Image: model.Image{Repository: "registry.gitlab.com/ds/ds"}, PullSecret: "Registry_Creds",
			Model:         model.GitSource{Repository: "https://example.com/model.git", Credential: "git"},
			MergeDatabase: model.DatabaseRef{Name: "merge_db", Credential: "postgres"},
		},
		Airflow: model.Airflow{
			ReleaseName: "airflow", Executor: executor,
			Image: model.Image{Repository: "example/airflow"}, PullSecret: "Registry_Creds",
			MetadataDatabase: model.MetadataDatabase{Name: "airflow_db", Credential: "airflow-db"},
			DAGs:             model.DAGs{GitSync: model.GitSync{Enabled: true, Repository: "https://example.com/dags.git", Credential: "git-dags"}},
			Admin:            model.Admin{Username: "admin", Credential: "airflow-admin"},
		},
		Credentials: []model.Credential{
			{Name: "Registry_Creds", Type: "REGISTRY"}, {Name: "airflow-admin", Type: "USER_PASSWORD"},
			{Name: "airflow-db", Type: "USER_PASSWORD"}, {Name: "git", Type: "API_TOKEN"},
			{Name: "git-dags", Type: "GIT_SYNC"}, {Name: "postgres", Type: "USER_PASSWORD"}, {Name: "unused", Type: "CA_CERT_BUNDLE"},
		},
		Databases: []model.Database{{Name: "merge_db", Owner: "postgres", DataTransformers: []string{"postgres"}}},
	}
}

func names(list []Secret) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Name)
	}
	return out
}

func TestList(t *testing.T) {
	local, err := List(testEnv("LocalExecutor"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"airflow-admin", "airflow-api-secret-key", "airflow-db", "airflow-fernet-key", "airflow-jwt-secret",
		"airflow-metadata", "git", "git-dags", "postgres", "registry-creds", "unused"}
	if got := names(local); !slices.Equal(got, want) {
		t.Errorf("LocalExecutor Secrets %v, want %v", got, want)
	}
	celery, err := List(testEnv("CeleryExecutor"))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(celery); !slices.Contains(got, "airflow-broker-url") || !slices.Contains(got, "airflow-redis-password") {
		t.Errorf("CeleryExecutor Secrets %v lack the broker's", got)
	}
	by := map[string]Secret{}
	for _, s := range local {
		by[s.Name] = s
	}
	if s := by["registry-creds"]; s.Credential != "Registry_Creds" || !slices.Equal(s.Registries, []string{DockerHub, "registry.gitlab.com"}) || len(s.UsedBy) != 2 {
		t.Errorf("registry-creds: credential %q, registries %q (want both hosts), used by %v", s.Credential, s.Registries, s.UsedBy)
	}
	if s := by["postgres"]; len(s.UsedBy) != 3 {
		t.Errorf("postgres used by %v, want merge database, owner and DataTransformer", s.UsedBy)
	}
	if s := by["unused"]; len(s.UsedBy) != 1 || s.Layout.KeyNames()[0] != "CA_CERT" {
		t.Errorf("unused: %+v", s)
	}
	if s := by["airflow-metadata"]; s.Credential != "" || s.Kind != MetadataConnection {
		t.Errorf("airflow-metadata: %+v", s)
	}

	env := testEnv("LocalExecutor")
	env.Airflow.PullSecret = ""
	one, _ := List(env)
	for _, s := range one {
		if s.Name == "registry-creds" && !slices.Equal(s.Registries, []string{"registry.gitlab.com"}) {
			t.Errorf("registries of a credential used for one registry: %q", s.Registries)
		}
	}

	env = testEnv("LocalExecutor")
	env.Credentials = append(env.Credentials, model.Credential{Name: "Airflow_Metadata", Type: "USER_PASSWORD"})
	if _, err := List(env); err == nil {
		t.Error("a credential named like a chart Secret is accepted")
	}
}

func TestReferences(t *testing.T) {
	refs := References(testEnv("LocalExecutor"))
	var paths []string
	for _, r := range refs {
		paths = append(paths, r.PathString())
	}
	want := []string{"datasurface.pullSecret", "datasurface.model.credential", "datasurface.mergeDatabase.credential",
		"airflow.pullSecret", "airflow.metadataDatabase.credential", "airflow.dags.gitSync.credential", "airflow.admin.credential",
		"databases[0].owner", "databases[0].dataTransformers[0]"}
	if !slices.Equal(paths, want) {
		t.Errorf("references at %v, want %v", paths, want)
	}
}

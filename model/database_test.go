package model

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestServerDatabases(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []Database
		want  []Database
	}{
		{"metadata and merge only", nil, []Database{
			{Name: "airflow_db", Owner: "airflow-db"},
			{Name: "merge_db", Owner: "postgres"},
		}},
		{"spec databases follow, repeats merge their DataTransformers", []Database{
			{Name: "airflow_db", Owner: "airflow-db"},
			{Name: "merge_db", Owner: "postgres", DataTransformers: []string{"dt1"}},
			{Name: "customer_db", Owner: "postgres"},
			{Name: "merge_db", Owner: "postgres", DataTransformers: []string{"dt2", "dt1"}},
		}, []Database{
			{Name: "airflow_db", Owner: "airflow-db"},
			{Name: "merge_db", Owner: "postgres", DataTransformers: []string{"dt1", "dt2"}},
			{Name: "customer_db", Owner: "postgres"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &Environment{Databases: tc.specs}
			env.Airflow.MetadataDatabase = MetadataDatabase{Name: "airflow_db", Credential: "airflow-db"}
			env.DataSurface.MergeDatabase = DatabaseRef{Name: "merge_db", Credential: "postgres"}
			if diff := cmp.Diff(tc.want, env.ServerDatabases()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestInClusterDatabaseHost(t *testing.T) {
	if got := InClusterDatabaseHost("demo1"); got != "postgres.demo1.svc.cluster.local" {
		t.Errorf("got %s", got)
	}
}

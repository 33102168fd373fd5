package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/ydpgen/ydpgen/model"
)

// The binding names only the accounts the chart creates for the executor
// and the components that run: under LocalExecutor there is no worker.
func TestBindingNamesExistingAccounts(t *testing.T) {
	on := model.Component{Enabled: true}
	for _, tc := range []struct {
		name     string
		executor string
		release  string
		change   func(*model.Components)
		want     []string
	}{
		{"local", "LocalExecutor", "airflow", nil, []string{"airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}},
		{"celery", "CeleryExecutor", "airflow", nil, []string{"airflow-scheduler", "airflow-worker", "airflow-dag-processor", "airflow-triggerer"}},
		{"kubernetes, other release", "KubernetesExecutor", "yellow", nil, []string{"yellow-airflow-scheduler", "yellow-airflow-worker", "yellow-airflow-dag-processor", "yellow-airflow-triggerer"}},
		{"no triggerer", "LocalExecutor", "airflow", func(c *model.Components) { c.Triggerer.Enabled = false }, []string{"airflow-scheduler", "airflow-dag-processor"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := &model.Environment{Name: "dev", Namespace: model.Namespace{Name: "ns"}}
			env.Airflow.Executor = tc.executor
			env.Airflow.ReleaseName = tc.release
			env.Airflow.Components = model.Components{Scheduler: on, DAGProcessor: on, Triggerer: on}
			if tc.change != nil {
				tc.change(&env.Airflow.Components)
			}
			a, err := Generator{}.Generate(env)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range a.Objects {
				if b, ok := o.(*rbacv1.RoleBinding); ok {
					for _, s := range b.Subjects {
						got = append(got, s.Name)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("subjects %v, want %v", got, tc.want)
			}
		})
	}
}

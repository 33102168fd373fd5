package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// RoleName names the Role and its RoleBinding.
const RoleName = "datasurface-secret-reader"

// Generator renders the secret-reader Role and RoleBinding.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "rbac" }

// ServiceAccountName is the name the official Airflow chart gives a
// component's service account for a release: <release>-<suffix> when the
// release name contains "airflow", <release>-airflow-<suffix> otherwise.
func ServiceAccountName(release, suffix string) string {
	if containsAirflow(release) {
		return release + "-" + suffix
	}
	return release + "-airflow-" + suffix
}

func containsAirflow(s string) bool { return strings.Contains(s, "airflow") }

// PodLaunchingExecutor reports whether an executor runs tasks outside the
// scheduler (Celery workers or Kubernetes pods). Only then does the chart
// create the worker's service account.
func PodLaunchingExecutor(executor string) bool {
	return strings.Contains(executor, "Celery") || strings.Contains(executor, "Kubernetes")
}

// Readers are the service accounts of the chart's components that run
// DataSurface code, as the chart creates them for the environment: the
// scheduler always, the worker only for an executor with workers, the DAG
// processor and the triggerer when they run. A binding that names an
// account the chart never makes is a grant waiting for whoever creates one.
func Readers(env *model.Environment) []string {
	a := env.Airflow
	c := a.Components
	var out []string
	add := func(on bool, suffix string) {
		if on {
			out = append(out, ServiceAccountName(a.ReleaseName, suffix))
		}
	}
	add(c.Scheduler.Enabled, "scheduler")
	add(PodLaunchingExecutor(a.Executor), "worker")
	add(c.DAGProcessor.Enabled, "dag-processor")
	add(c.Triggerer.Enabled, "triggerer")
	return out
}

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	l := labels.For(env, RoleName, "rbac")
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: RoleName, Namespace: env.Namespace.Name, Labels: l},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""},
			Resources: []string{"secrets"},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: RoleName, Namespace: env.Namespace.Name, Labels: l},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: RoleName},
	}
	for _, sa := range Readers(env) {
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{
			Kind:      "ServiceAccount",
			Name:      sa,
			Namespace: env.Namespace.Name,
		})
	}
	return generators.Artifacts{Objects: []objset.Object{role, binding}}, nil
}

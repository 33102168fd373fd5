package stages

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/objset"
)

func entry(group, kind, component string, extra map[string]any) objset.Entry {
	l := map[string]any{}
	if component != "" {
		l["app.kubernetes.io/component"] = component
	}
	for k, v := range extra {
		l[k] = v
	}
	return objset.Entry{
		GVK:     schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind},
		Name:    "x",
		Content: map[string]any{"metadata": map[string]any{"name": "x", "labels": l}},
	}
}

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    objset.Entry
		want Stage
	}{
		{"namespace", entry("", "Namespace", "namespace", nil), Namespace},
		{"guard rail of another component", entry("networking.k8s.io", "NetworkPolicy", "mcp-server", nil), Namespace},
		{"quota", entry("", "ResourceQuota", "namespace", nil), Namespace},
		{"role", entry("rbac.authorization.k8s.io", "Role", "rbac", nil), RBAC},
		{"service account of the MCP server", entry("", "ServiceAccount", "mcp-server", nil), RBAC},
		{"external secret", entry("external-secrets.io", "ExternalSecret", "credentials", nil), Secrets},
		{"secret store", entry("external-secrets.io", "SecretStore", "", nil), Secrets},
		{"database server", entry("apps", "StatefulSet", "database", nil), Database},
		{"database service", entry("", "Service", "database", nil), Database},
		{"bootstrap script", entry("", "ConfigMap", "database-bootstrap", nil), DatabaseBootstrap},
		{"bootstrap job", entry("batch", "Job", "database-bootstrap", nil), DatabaseBootstrap},
		{"git cache claim", entry("", "PersistentVolumeClaim", "git-cache", nil), Airflow},
		{"logging config", entry("", "ConfigMap", "logging", nil), Airflow},
		{"airflow part", entry("", "Service", "airflow-api", nil), Airflow},
		{"infrastructure DAG publish job", entry("batch", "Job", "infrastructure-dag", nil), InfrastructureDAG},
		{"its script", entry("", "ConfigMap", "infrastructure-dag", nil), InfrastructureDAG},
		{"ring1-init", entry("batch", "Job", "ring1-init", nil), Ring1Init},
		{"model merge", entry("batch", "Job", "model-merge", nil), ModelMerge},
		{"reconcile views", entry("batch", "Job", "reconcile-views", nil), Workloads},
		{"mcp server", entry("apps", "Deployment", "mcp-server", nil), Workloads},
		{"cron job", entry("batch", "CronJob", "log-cleanup", nil), Workloads},
		{"smoke test job", entry("batch", "Job", "smoke-test", nil), SmokeTest},
		{"smoke test script", entry("", "ConfigMap", "smoke-test", nil), SmokeTest},
		{"no labels", objset.Entry{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Service"}, Content: map[string]any{}}, Workloads},
		{"explicit label wins", entry("helm.toolkit.fluxcd.io", "HelmRelease", "gitops", map[string]any{Label: "airflow"}), Airflow},
		{"unknown stage label ignored", entry("apps", "Deployment", "", map[string]any{Label: "later"}), Workloads},
	} {
		if got := Of(tc.e); got != tc.want {
			t.Errorf("%s: Of = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestOrderAndPresent(t *testing.T) {
	want := []Stage{Namespace, RBAC, Secrets, Database, DatabaseBootstrap, Airflow, InfrastructureDAG, Ring1Init, ModelMerge, Workloads, SmokeTest}
	for i, s := range want {
		if s.Index() != i {
			t.Errorf("%s.Index() = %d, want %d", s, s.Index(), i)
		}
	}
	if Stage("later").Index() != -1 {
		t.Error("an unknown stage has an index")
	}
	got := Present([]objset.Entry{
		entry("batch", "Job", "ring1-init", nil),
		entry("", "Namespace", "namespace", nil),
		entry("batch", "Job", "ring1-init", nil),
	})
	if len(got) != 2 || got[0] != Namespace || got[1] != Ring1Init {
		t.Errorf("Present = %v, want [namespace ring1-init]", got)
	}
}

func TestLabelAll(t *testing.T) {
	e := objset.Entry{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Content: map[string]any{}}
	LabelAll([]objset.Entry{e})
	l := e.Content["metadata"].(map[string]any)["labels"].(map[string]any)
	if l[Label] != "namespace" {
		t.Errorf("labels %v", l)
	}
}

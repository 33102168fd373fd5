package syncpolicy

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func obj(group, kind, ns, name, component string) objset.Entry {
	e := objset.Entry{GVK: schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind}, Namespace: ns, Name: name,
		Content: map[string]any{"metadata": map[string]any{"name": name, "labels": map[string]any{"app.kubernetes.io/component": component}}}}
	if ns != "" {
		e.Content["metadata"].(map[string]any)["namespace"] = ns
	}
	return e
}

func TestAnnotate(t *testing.T) {
	for _, engine := range []string{model.EngineNone, model.EngineFlux, model.EngineArgoCD} {
		env := model.Environment{Name: "dev", Namespace: model.Namespace{Name: "ns"}, GitOps: model.GitOps{Engine: engine}}
		entries := []objset.Entry{obj("", "Namespace", "", "ns", "namespace"), obj("batch", "Job", "ns", "j", "ring1-init")}
		Annotate(&env, entries)
		for _, e := range entries {
			ann, _ := e.Content["metadata"].(map[string]any)["annotations"].(map[string]any)
			if engine != model.EngineArgoCD {
				if ann != nil {
					t.Errorf("%s: %s got annotations %v", engine, e.ID(), ann)
				}
				continue
			}
			wave := map[string]string{"Namespace": "0", "Job": "7"}[e.GVK.Kind] // ring1-init follows the infrastructure DAG stage
			if ann["argocd.argoproj.io/sync-wave"] != wave {
				t.Errorf("%s: wave %v, want %s", e.ID(), ann["argocd.argoproj.io/sync-wave"], wave)
			}
			if (ann["argocd.argoproj.io/hook"] == "Sync") != (e.GVK.Kind == "Job") {
				t.Errorf("%s: hook %v", e.ID(), ann["argocd.argoproj.io/hook"])
			}
		}
	}
}

package syncpolicy

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func obj(group, kind, ns, name, component string) objset.Entry {
	e := objset.Entry{GVK: schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind}, Namespace: ns, Name: name,
		Content: map[string]any{"metadata": map[string]any{"name": name, "labels": map[string]any{
			"app.kubernetes.io/component": component,
			"app.kubernetes.io/instance":  "plat",
		}}}}
	if ns != "" {
		e.Content["metadata"].(map[string]any)["namespace"] = ns
	}
	return e
}

func meta(e objset.Entry, field string) map[string]any {
	m, _ := e.Content["metadata"].(map[string]any)[field].(map[string]any)
	return m
}

func TestAnnotate(t *testing.T) {
	for _, engine := range []string{model.EngineNone, model.EngineFlux, model.EngineArgoCD} {
		env := model.Environment{Name: "dev", Platform: "plat", Namespace: model.Namespace{Name: "ns"}, GitOps: model.GitOps{Engine: engine}}
		entries := []objset.Entry{
			obj("", "Namespace", "", "ns", "namespace"),
			obj("batch", "Job", "ns", "j", "ring1-init"),
			obj("", "PersistentVolumeClaim", "ns", "data", "git-cache"),
			obj("apps", "Deployment", "ns", "d", "mcp-server"),
		}
		Annotate(&env, entries)
		for _, e := range entries {
			ann, l := meta(e, "annotations"), meta(e, "labels")
			if l["ydpgen.dev/platform"] != "plat" {
				t.Errorf("%s: %s has no platform label: %v", engine, e.ID(), l)
			}
			// Under Argo CD the instance label is the tracking label: only
			// Argo CD writes it.
			if _, has := l["app.kubernetes.io/instance"]; has == (engine == model.EngineArgoCD) {
				t.Errorf("%s: %s instance label present: %v", engine, e.ID(), has)
			}
			// No engine runs a Job as a hook.
			for _, k := range []string{"argocd.argoproj.io/hook", "argocd.argoproj.io/hook-delete-policy"} {
				if _, ok := ann[k]; ok {
					t.Errorf("%s: %s has %s", engine, e.ID(), k)
				}
			}
			var want map[string]any
			switch engine {
			case model.EngineArgoCD:
				wave := map[string]string{"Namespace": "0", "Job": "7", "PersistentVolumeClaim": "5", "Deployment": "9"}[e.GVK.Kind] // ring1-init follows the infrastructure DAG stage
				want = map[string]any{"argocd.argoproj.io/sync-wave": wave}
				if e.GVK.Kind == "PersistentVolumeClaim" {
					want["argocd.argoproj.io/sync-options"] = "Prune=false,Delete=false"
				}
			case model.EngineFlux:
				switch e.GVK.Kind {
				case "PersistentVolumeClaim":
					want = map[string]any{"kustomize.toolkit.fluxcd.io/prune": "disabled"}
				case "Job":
					want = map[string]any{"kustomize.toolkit.fluxcd.io/force": "enabled"}
				}
			}
			if len(ann) != len(want) {
				t.Errorf("%s: %s annotations %v, want %v", engine, e.ID(), ann, want)
			}
			for k, v := range want {
				if ann[k] != v {
					t.Errorf("%s: %s %s = %v, want %v", engine, e.ID(), k, ann[k], v)
				}
			}
		}
	}
}

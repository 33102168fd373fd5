package syncpolicy

import (
	"strconv"

	"github.com/ydpgen/ydpgen/gitops/argocd"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// Flux's per-object policies, read by kustomize-controller.
const (
	// FluxPrune set to disabled keeps an object in the cluster when it
	// leaves the source.
	FluxPrune = "kustomize.toolkit.fluxcd.io/prune"
	// FluxForce set to enabled lets the controller delete and create again
	// an object whose immutable fields changed.
	FluxForce = "kustomize.toolkit.fluxcd.io/force"
)

// Annotate writes on the rendered objects (in place) what the environment's
// engine reads on the objects themselves. Every engine: the platform label
// at the top level. Argo CD: the stage as sync wave; no Job is a hook
// (a hook runs on every sync, and a Job without a time to live stays in
// sync, so a plain tracked Job runs once per content); claims are neither
// pruned nor deleted; the top-level instance label is left to Argo CD's
// label tracking. Flux: claims are never pruned; a Job may be replaced
// should its immutable template change under the same name. The whole
// lifecycle is in ARCHITECTURE.md, "Job lifecycle".
func Annotate(env *model.Environment, entries []objset.Entry) {
	for _, e := range entries {
		stages.SetMetadata(e, "labels", labels.Platform, env.Platform)
		switch env.GitOps.Engine {
		case model.EngineArgoCD:
			stages.SetMetadata(e, "annotations", argocd.SyncWave, strconv.Itoa(stages.Of(e).Index()))
			// Under label tracking Argo CD writes the owning Application's
			// name here; a different value would name another one.
			deleteMetadata(e, "labels", labels.Instance)
			if HoldsData(e) {
				stages.SetMetadata(e, "annotations", argocd.SyncOptions, argocd.KeepData)
			}
		case model.EngineFlux:
			if HoldsData(e) {
				stages.SetMetadata(e, "annotations", FluxPrune, "disabled")
			}
			if isJob(e) {
				stages.SetMetadata(e, "annotations", FluxForce, "enabled")
			}
		}
	}
}

// HoldsData reports whether an object is a claim whose volume holds data.
// (Claims a StatefulSet creates from its templates are not rendered: no
// engine applied them, so none prunes or deletes them, and the
// StatefulSets ydpgen renders retain them.)
func HoldsData(e objset.Entry) bool {
	return e.GVK.Group == "" && e.GVK.Kind == "PersistentVolumeClaim"
}

func isJob(e objset.Entry) bool { return e.GVK.Group == "batch" && e.GVK.Kind == "Job" }

func deleteMetadata(e objset.Entry, field, key string) {
	md, _ := e.Content["metadata"].(map[string]any)
	m, _ := md[field].(map[string]any)
	delete(m, key)
}

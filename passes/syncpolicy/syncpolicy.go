package syncpolicy

import (
	"strconv"

	"github.com/ydpgen/ydpgen/gitops/argocd"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// Annotate adds what the environment's engine reads on the rendered objects
// themselves (in place). For Argo CD: each object's sync wave is its
// stage, and Jobs become Sync hooks, so that Argo CD runs each Job once per
// sync and does not report the application out of sync, or create the Job
// again, after ttlSecondsAfterFinished removed it.
func Annotate(env *model.Environment, entries []objset.Entry) {
	if env.GitOps.Engine != model.EngineArgoCD {
		return
	}
	for _, e := range entries {
		stages.SetMetadata(e, "annotations", argocd.SyncWave, strconv.Itoa(stages.Of(e).Index()))
		if isJob(e) {
			stages.SetMetadata(e, "annotations", argocd.Hook, "Sync")
			stages.SetMetadata(e, "annotations", argocd.HookDeletePolicy, "BeforeHookCreation")
		}
	}
}

func isJob(e objset.Entry) bool { return e.GVK.Group == "batch" && e.GVK.Kind == "Job" }

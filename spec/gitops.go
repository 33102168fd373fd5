package spec

import (
	"fmt"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkGitOps checks what the schema alone does not: an engine that pulls
// from git needs to know the repository. The gitops section is
// platform-wide, so this runs for one environment only.
func checkGitOps(env *model.Environment) diag.List {
	g := env.GitOps
	if g.Engine == model.EngineNone || g.RepoURL != "" {
		return nil
	}
	c := &envChecker{env: env}
	c.add(cue.MakePath(cue.Str("gitops"), cue.Str("engine")),
		fmt.Sprintf("gitops engine %s needs the repository it syncs from, and gitops.repoURL is not set", g.Engine),
		"a git URL starting with https://, ssh:// or git@ in gitops.repoURL",
		"add repoURL: https://github.com/<owner>/<repo>.git under gitops, or set engine: none")
	return c.out
}

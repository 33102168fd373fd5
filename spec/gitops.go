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

// checkArgoCDCluster checks that an environment names its Argo CD cluster
// one way: Argo CD refuses a destination with both a server and a name.
func checkArgoCDCluster(env *model.Environment) diag.List {
	a := env.Cluster.ArgoCD
	if a == nil || (a.Server == "") != (a.Name == "") {
		return nil
	}
	c := &envChecker{env: env}
	what := "sets both server and name"
	if a.Server == "" {
		what = "sets neither server nor name"
	}
	c.addIn(cue.MakePath(cue.Str("environment"), cue.Str("cluster"), cue.Str("argocd")),
		"cluster.argocd "+what,
		"exactly one of server (the cluster's API server URL as registered with Argo CD) and name (its name in Argo CD); left out, the cluster Argo CD runs in",
		"keep one of the two keys")
	return c.out
}

// labelMax is the longest label value: Argo CD's label tracking writes an
// Application's name into app.kubernetes.io/instance, cut to this length.
const labelMax = 63

// checkArgoCDNames checks that the Argo CD Applications of a platform have
// names that differ in their first 63 characters. Two Applications whose
// names agree there would, under Argo CD's label tracking, each claim the
// other's objects (and prune them); the same name twice is one
// Application overwriting another. Environments named like another's
// Airflow Application (prod and prod-airflow) or like the root Application
// (gitops) collide.
func checkArgoCDNames(p *model.Platform) diag.List {
	if len(p.Environments) == 0 || p.Environments[0].GitOps.Engine != model.EngineArgoCD {
		return nil
	}
	type owner struct{ name, what string }
	seen := map[string]owner{}
	var out diag.List
	claim := func(env *model.Environment, name, what string) {
		key := name
		if len(key) > labelMax {
			key = key[:labelMax]
		}
		prev, dup := seen[key]
		if !dup {
			seen[key] = owner{name, what}
			return
		}
		c := &envChecker{env: env}
		same := "is also the name of"
		if prev.name != name {
			same = fmt.Sprintf("shares its first %d characters (the most a tracking label holds) with %s, the name of", labelMax, prev.name)
		}
		c.add(cue.MakePath(cue.Str("environment"), cue.Str("name")),
			fmt.Sprintf("with gitops.engine argocd, environment %s makes the Application %s (%s), which %s %s",
				env.Name, name, what, same, prev.what),
			"environment and platform names whose Argo CD Applications (<platform>-<env>, <platform>-<env>-airflow and, with a root Application, <platform>-gitops) differ within their first 63 characters",
			"rename the environment, or shorten metadata.name")
		out = append(out, c.out...)
	}
	first := &p.Environments[0]
	if first.GitOps.ArgoCD.RootApplication {
		claim(first, model.ArgoCDRootAppName(p.Name), "the root Application")
	}
	for i := range p.Environments {
		env := &p.Environments[i]
		claim(env, model.ArgoCDAppName(p.Name, env.Name), "environment "+env.Name+"'s platform Application")
		claim(env, model.ArgoCDAirflowAppName(p.Name, env.Name), "environment "+env.Name+"'s Airflow Application")
	}
	return out
}

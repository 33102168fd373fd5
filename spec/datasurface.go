package spec

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkDataSurface checks what the schema alone cannot about DataSurface's
// workloads in one resolved environment: the model repository names an
// owner and a repository, which DataSurface's command line takes apart; the
// MCP server's ingress is one the profile's ingress controller can serve.
// That the git cache is on a ReadWriteMany class is lint rule YDP002.
func checkDataSurface(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	add := c.addIn
	ds := env.DataSurface

	if _, _, ok := model.RepoOwnerName(ds.Model.Repository); !ok {
		add(cue.ParsePath("datasurface.model.repository"), fmt.Sprintf("repository %q has no owner and name in its path", ds.Model.Repository),
			"a git URL ending in <owner>/<name>, such as https://github.com/acme/model.git", "")
	}

	checkPublish(env, add)

	if ing := ds.MCPServer.Ingress; ing != nil {
		ingPath := cue.ParsePath("datasurface.mcpServer.ingress")
		if !ds.MCPServer.Enabled {
			add(ingPath, "the MCP server has an ingress but is not enabled", "an ingress only with mcpServer.enabled: true", "")
		}
		// The AWS Load Balancer Controller terminates TLS with certificates
		// from ACM, found by host name; it cannot read a Secret.
		if env.Profile == "eks" {
			fix := "leave it out: the AWS Load Balancer Controller finds the ACM certificate for the host (or name one with the annotation alb.ingress.kubernetes.io/certificate-arn)"
			if ing.TLSSecret != "" {
				add(cue.ParsePath("datasurface.mcpServer.ingress.tlsSecret"), "a TLS Secret cannot serve an ALB", "no tlsSecret: an ALB takes its certificate from ACM", fix)
			}
			if ing.Issuer != "" {
				add(cue.ParsePath("datasurface.mcpServer.ingress.issuer"), "a cert-manager issuer cannot serve an ALB", "no issuer: an ALB takes its certificate from ACM", fix)
			}
		}
	}
	return c.out
}

// commitHash is a full or abbreviated commit hash, which git-sync can check
// out but nobody can push to.
func commitHash(ref string) bool {
	if len(ref) < 7 || len(ref) > 64 {
		return false
	}
	for _, r := range ref {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// checkPublish checks what the publish Job of the infrastructure DAG needs:
// a credential, git-sync's repository over HTTPS at a branch, and a model
// it can clone over HTTPS or SSH. Problems are placed where publish: job was
// written, or at the credential that chose it.
func checkPublish(env *model.Environment, add func(cue.Path, string, string, string)) {
	dag := env.DataSurface.InfrastructureDAG
	if dag.Publish != model.PublishJob {
		return
	}
	at := "datasurface.infrastructureDAG.publish"
	if _, written := env.Origins[at]; !written {
		at = "datasurface.infrastructureDAG.credential"
	}
	gs := env.Airflow.DAGs.GitSync
	manual := "publish: manual (deploy/README.md then gives the commands)"
	switch {
	case dag.Credential == "":
		add(cue.ParsePath(at), "the publish Job of the infrastructure DAG has no credential to push with",
			"datasurface.infrastructureDAG.credential: a credential of type API_TOKEN or GIT_SYNC that may push to "+gs.Repository, manual)
	case !gs.Enabled:
		add(cue.ParsePath(at), "the publish Job pushes the infrastructure DAG to git-sync's repository, but git-sync is off",
			"publish: job only with airflow.dags.gitSync enabled", manual)
	case !strings.HasPrefix(gs.Repository, "https://"):
		add(cue.ParsePath("airflow.dags.gitSync.repository"), fmt.Sprintf("the publish Job pushes over HTTPS with a token, but the DAG repository is %s", gs.Repository),
			"an https:// DAG repository with publish: job", manual)
	case commitHash(gs.Ref) || strings.HasPrefix(gs.Ref, "refs/tags/"):
		add(cue.ParsePath("airflow.dags.gitSync.ref"), fmt.Sprintf("the publish Job pushes to a branch, but git-sync's ref %s is a commit or a tag", gs.Ref),
			"a branch name such as main with publish: job", manual)
	}
	// Over SSH the Job clones the model with its mounted key and known
	// hosts, as DataSurface's own Jobs do (kube/pod.ModelGit).
	if m := env.DataSurface.Model.Repository; !strings.HasPrefix(m, "https://") && !model.IsSSHURL(m) {
		add(cue.ParsePath("datasurface.model.repository"), fmt.Sprintf("the publish Job clones the model over HTTPS or SSH, but the model repository is %s", m),
			"an https:// or SSH (git@host:org/repo.git, ssh://) model repository with publish: job", manual)
	}
}

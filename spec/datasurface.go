package spec

import (
	"fmt"

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

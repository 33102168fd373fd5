package model

import "path"

// GitOps engines.
const (
	EngineNone   = "none"
	EngineArgoCD = "argocd"
	EngineFlux   = "flux"
)

// ArgoCD holds what the Argo CD wiring needs beyond the repository.
type ArgoCD struct {
	// Namespace is where Argo CD runs and where its Applications live.
	Namespace string `json:"namespace"`
	// ApplicationSet asks for one ApplicationSet that generates the
	// platform Application of every environment from the tree, instead of
	// one Application per environment.
	ApplicationSet bool `json:"applicationSet"`
	// RootApplication asks for an Application (app of apps) that syncs
	// gitops/ itself.
	RootApplication bool `json:"rootApplication"`
}

// Flux holds what the Flux wiring needs beyond the repository.
type Flux struct {
	// Namespace is where Flux runs and where its GitRepository and
	// Kustomizations live.
	Namespace string `json:"namespace"`
	// SecretName is the Secret in Namespace with the credentials of a
	// private repository (flux create secret git); empty for a public one.
	SecretName string `json:"secretName,omitempty"`
}

// TreePath returns the path of a directory of the rendered tree (such as
// overlays/prod) inside the GitOps repository, without a leading "./".
func (g GitOps) TreePath(dir string) string {
	if g.Path == "" {
		return dir
	}
	return path.Join(g.Path, dir)
}

// InClusterServer is the API server address of the cluster Argo CD runs in.
const InClusterServer = "https://kubernetes.default.svc"

// ArgoCDDestination is the cluster Argo CD deploys the environment to: the
// one the spec names, or the cluster Argo CD runs in.
func (env *Environment) ArgoCDDestination() ArgoCDCluster {
	if c := env.Cluster.ArgoCD; c != nil && (c.Server != "" || c.Name != "") {
		return *c
	}
	return ArgoCDCluster{Server: InClusterServer}
}

// Argo CD Application names. Every one must differ from the others in its
// first 63 characters: Argo CD's label tracking writes the name into a
// label, and label values stop there (the loader checks).

// ArgoCDAppName is the name of an environment's platform Application.
func ArgoCDAppName(platform, env string) string { return platform + "-" + env }

// ArgoCDAirflowAppName is the name of an environment's Airflow Application.
func ArgoCDAirflowAppName(platform, env string) string {
	return ArgoCDAppName(platform, env) + "-airflow"
}

// ArgoCDRootAppName is the name of the root Application, which syncs the
// other Argo CD objects.
func ArgoCDRootAppName(platform string) string { return platform + "-gitops" }

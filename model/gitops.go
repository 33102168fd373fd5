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

// Package argocd holds the part of Argo CD's v1alpha1 API that ydpgen
// writes: Application (one or several sources), ApplicationSet with a git
// files generator, and AppProject, as small local types.
//
// Argo CD's own Go API package cannot be imported here: v3.5.7 needs a
// gitops-engine pseudo-version that the module proxy refuses, and v3.6
// needs Go 1.27 while the project builds with Go 1.26. The field names and
// JSON keys below follow the v3.5.7 CRDs in testdata/crds, and the tests
// check every rendered object against those CRDs' openAPI schemas.
package argocd

// Package gitops wires the rendered tree to the engine that applies it, and
// makes the apply order of package stages something that engine enforces:
//
//   - argocd: gitops/ holds an AppProject, per environment an Application
//     for the overlay and one for the Airflow chart (chart from its
//     repository, values from the tree through a ref source), or an
//     ApplicationSet over a list of the environments, each Application
//     deploying to the cluster its environment names; gitops/root/ the
//     optional root Application that syncs gitops/. Every rendered object
//     carries its stage as a sync wave; Jobs are tracked, never hooks.
//   - flux: gitops/<env>/ holds a GitRepository and one Kustomization per
//     stage, each depending on the one before and waiting for its objects;
//     gitops/<env>/stages/<stage>/ selects that stage's objects from the
//     overlay by their stage label, so overlays/<env>/ still builds to the
//     whole environment. overlays/<env>/airflow/ gets the HelmRelease, its
//     HelmRepository and a kustomize configMapGenerator over values.yaml;
//     clusters/<env>/ is the path for flux bootstrap, listing the
//     flux-system/ it writes there and gitops/<env>/.
//   - none: only the README.
//
// Every engine gets README.md at the tree's root: the apply order of each
// environment, what happens to Jobs and claims over time under the engine
// (ARCHITECTURE.md, "Job lifecycle"), and how to deploy and bootstrap with
// it (for none, the kubectl and helm commands in order).
//
// It is not a generator: it runs after the layout, over the whole platform
// and the environments' rendered objects, because the AppProject spans
// environments and Flux's stages name the overlay directories the layout
// chose. The annotations an engine reads on the objects themselves are
// written earlier, by the pass in passes/syncpolicy.
package gitops

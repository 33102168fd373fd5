package gitops

import (
	"cmp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/gitops/argocd"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
)

// ValuesRef is the name under which the Airflow Application reads its
// values file from the GitOps repository.
const ValuesRef = "values"

// ArgoCD object names.
func projectName(p *model.Platform) string { return p.Name }

// AppName is the name of an environment's platform Application.
func AppName(env *model.Environment) string { return env.Platform + "-" + env.Name }

// AirflowAppName is the name of an environment's Airflow Application.
func AirflowAppName(env *model.Environment) string { return AppName(env) + "-airflow" }

func buildArgoCD(out *Output, p *model.Platform, envs []objset.RenderedEnvironment) error {
	first := &p.Environments[0]
	g := first.GitOps
	dir := overlays.GitOpsDir
	if err := out.object(dir, appProject(p, envs)); err != nil {
		return err
	}
	if g.ArgoCD.ApplicationSet {
		if err := out.object(dir, applicationSet(first)); err != nil {
			return err
		}
	} else {
		for i := range p.Environments {
			if err := out.object(dir, platformApp(&p.Environments[i])); err != nil {
				return err
			}
		}
	}
	for i := range p.Environments {
		if hydrated(&p.Environments[i]) {
			continue // the overlay holds the chart's objects
		}
		if err := out.object(dir, airflowApp(&p.Environments[i])); err != nil {
			return err
		}
	}
	k := &types.Kustomization{}
	for _, o := range out.Objects {
		k.Resources = append(k.Resources, o.Entry.FileName())
	}
	slices.Sort(k.Resources)
	return out.kustomization(dir, k,
		"Argo CD's objects for every environment: kubectl apply -k this directory once,",
		"or point an Application of your own at it.")
}

// appProject allows exactly what the platform deploys: the GitOps
// repository and the charts, the environments' namespaces, and of
// cluster-wide kinds only those rendered (the Namespace, which the overlay
// owns).
func appProject(p *model.Platform, envs []objset.RenderedEnvironment) *argocd.AppProject {
	first := &p.Environments[0]
	repos := []string{first.GitOps.RepoURL}
	var dests []argocd.Destination
	var kinds []argocd.GroupKind
	for i, env := range p.Environments {
		if !hydrated(&env) {
			repos = append(repos, chartRepoURL(env.Airflow.Chart.Repository))
		}
		dests = append(dests, argocd.Destination{Server: inClusterServer, Namespace: env.Namespace.Name})
		for _, e := range envs[i].Objects {
			if e.Namespace == "" {
				kinds = append(kinds, argocd.GroupKind{Group: e.GVK.Group, Kind: e.GVK.Kind})
			}
		}
	}
	slices.Sort(repos)
	slices.SortFunc(dests, func(a, b argocd.Destination) int { return cmp.Compare(a.Namespace, b.Namespace) })
	slices.SortFunc(kinds, func(a, b argocd.GroupKind) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Kind, b.Kind))
	})
	return &argocd.AppProject{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "AppProject"},
		ObjectMeta: metav1.ObjectMeta{Name: projectName(p), Namespace: first.GitOps.ArgoCD.Namespace, Labels: metaLabels(first, projectName(p))},
		Spec: argocd.AppProjectSpec{
			Description:              "YellowDataPlatform " + p.Name + ": the platform objects and the Airflow release of every environment",
			SourceRepos:              slices.Compact(repos),
			Destinations:             slices.Compact(dests),
			ClusterResourceWhitelist: slices.Compact(kinds),
		},
	}
}

// syncPolicy is the same for every Application: automated, pruning and
// self-healing; applied server-side (the chart's and ydpgen's objects
// carry no last-applied annotation then); the overlay creates the
// Namespace, so Argo CD must not; deletions wait until everything else is
// applied; failed syncs are retried, because the overlay and the chart
// converge independently (the chart waits for the namespace and the
// Secrets, ring1-init for the chart's service account).
func syncPolicy() *argocd.SyncPolicy {
	return &argocd.SyncPolicy{
		Automated:   &argocd.Automated{Prune: true, SelfHeal: true},
		SyncOptions: []string{"CreateNamespace=false", "PruneLast=true", "ServerSideApply=true"},
		Retry:       &argocd.Retry{Limit: 10, Backoff: &argocd.Backoff{Duration: "30s", Factor: 2, MaxDuration: "10m"}},
	}
}

func platformApp(env *model.Environment) *argocd.Application {
	g := env.GitOps
	return &argocd.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: AppName(env), Namespace: g.ArgoCD.Namespace, Labels: metaLabels(env, AppName(env))},
		Spec: argocd.ApplicationSpec{
			Project:     env.Platform,
			Source:      &argocd.ApplicationSource{RepoURL: g.RepoURL, TargetRevision: g.Revision, Path: g.TreePath(overlays.OverlayDir(env.Name))},
			Destination: argocd.Destination{Server: inClusterServer, Namespace: env.Namespace.Name},
			SyncPolicy:  syncPolicy(),
		},
	}
}

// applicationSet generates the platform Application of every environment
// from the tree: a git files generator over the overlays' namespace
// transformer configs gives each overlay's directory and, from the file's
// content, its namespace (Argo CD refuses an Application without one in a
// project that lists its destinations).
func applicationSet(env *model.Environment) *argocd.ApplicationSet {
	g := env.GitOps
	name := env.Platform
	return &argocd.ApplicationSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.ArgoCD.Namespace, Labels: metaLabels(env, name)},
		Spec: argocd.ApplicationSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators: []argocd.Generator{{Git: &argocd.GitGenerator{
				RepoURL: g.RepoURL, Revision: g.Revision,
				Files: []argocd.GitFile{{Path: g.TreePath(overlays.OverlaysDir + "/*/" + overlays.NamespaceFile)}},
			}}},
			Template: argocd.ApplicationSetTemplate{
				Metadata: argocd.TemplateMeta{Name: env.Platform + "-{{ .path.basename }}", Labels: metaLabels(env, name)},
				Spec: argocd.ApplicationSpec{
					Project:     env.Platform,
					Source:      &argocd.ApplicationSource{RepoURL: g.RepoURL, TargetRevision: g.Revision, Path: "{{ .path.path }}"},
					Destination: argocd.Destination{Server: inClusterServer, Namespace: "{{ .metadata.namespace }}"},
					SyncPolicy:  syncPolicy(),
				},
			},
		},
	}
}

// airflowApp installs the official chart at its pinned version with the
// environment's values file, read from the GitOps repository through a
// second source. (The values make the chart's migration Job a Sync hook
// under Argo CD; see package airflow.)
func airflowApp(env *model.Environment) *argocd.Application {
	g := env.GitOps
	a := env.Airflow
	values := "$" + ValuesRef + "/" + g.TreePath(overlays.OverlayDir(env.Name)+"/"+airflow.ValuesPath)
	return &argocd.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: AirflowAppName(env), Namespace: g.ArgoCD.Namespace, Labels: metaLabels(env, AirflowAppName(env))},
		Spec: argocd.ApplicationSpec{
			Project: env.Platform,
			Sources: []argocd.ApplicationSource{
				{
					RepoURL: chartRepoURL(a.Chart.Repository), Chart: a.Chart.Name, TargetRevision: a.Chart.Version,
					Helm: &argocd.Helm{ReleaseName: a.ReleaseName, ValueFiles: []string{values}},
				},
				{RepoURL: g.RepoURL, TargetRevision: g.Revision, Ref: ValuesRef},
			},
			Destination: argocd.Destination{Server: inClusterServer, Namespace: env.Namespace.Name},
			SyncPolicy:  syncPolicy(),
		},
	}
}

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

// RootDir holds the root Application, outside the kustomization of gitops/
// that it syncs.
const RootDir = overlays.GitOpsDir + "/root"

// RootProject is the AppProject of the root Application: Argo CD's own,
// which an administrator controls. The platform's AppProject allows only
// the environments' namespaces, not Argo CD's, where Applications live.
const RootProject = "default"

// ArgoCD object names.
func projectName(p *model.Platform) string { return p.Name }

// AppName is the name of an environment's platform Application.
func AppName(env *model.Environment) string { return model.ArgoCDAppName(env.Platform, env.Name) }

// AirflowAppName is the name of an environment's Airflow Application.
func AirflowAppName(env *model.Environment) string {
	return model.ArgoCDAirflowAppName(env.Platform, env.Name)
}

// RootAppName is the name of the root Application.
func RootAppName(p *model.Platform) string { return model.ArgoCDRootAppName(p.Name) }

func buildArgoCD(out *Output, p *model.Platform, envs []objset.RenderedEnvironment) error {
	first := &p.Environments[0]
	g := first.GitOps
	dir := overlays.GitOpsDir
	if err := out.object(dir, appProject(p, envs)); err != nil {
		return err
	}
	if g.ArgoCD.ApplicationSet {
		if err := out.object(dir, applicationSet(p)); err != nil {
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
	if err := out.kustomization(dir, k,
		"Argo CD's objects for every environment: kubectl apply -k this directory once,",
		"or let the root Application (gitops.argocd.rootApplication) keep it in sync."); err != nil {
		return err
	}
	if !g.ArgoCD.RootApplication {
		return nil
	}
	n := len(out.Objects)
	if err := out.object(RootDir, rootApp(p)); err != nil {
		return err
	}
	return out.kustomization(RootDir, &types.Kustomization{Resources: []string{out.Objects[n].Entry.FileName()}},
		"The root Application: kubectl apply -k this directory once; it keeps "+g.TreePath(dir)+"/ in sync.")
}

// destination is the environment's cluster as the spec names it, and its
// namespace.
func destination(env *model.Environment) argocd.Destination {
	c := env.ArgoCDDestination()
	return argocd.Destination{Server: c.Server, Name: c.Name, Namespace: env.Namespace.Name}
}

// appProject allows exactly what the platform deploys: the GitOps
// repository and the charts, the environments' namespaces on their
// clusters, and of cluster-wide kinds only those rendered (the Namespace,
// which the overlay owns).
func appProject(p *model.Platform, envs []objset.RenderedEnvironment) *argocd.AppProject {
	first := &p.Environments[0]
	repos := []string{first.GitOps.RepoURL}
	var dests []argocd.Destination
	var kinds []argocd.GroupKind
	for i := range p.Environments {
		env := &p.Environments[i]
		if !hydrated(env) {
			repos = append(repos, chartRepoURL(env.Airflow.Chart.Repository))
		}
		dests = append(dests, destination(env))
		for _, e := range envs[i].Objects {
			if e.Namespace == "" {
				kinds = append(kinds, argocd.GroupKind{Group: e.GVK.Group, Kind: e.GVK.Kind})
			}
		}
	}
	slices.Sort(repos)
	slices.SortFunc(dests, func(a, b argocd.Destination) int {
		return cmp.Or(cmp.Compare(a.Server, b.Server), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Namespace, b.Namespace))
	})
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

// syncOptions are the same for every Application: applied server-side
// (the chart's and ydpgen's objects carry no last-applied annotation then);
// the overlay creates the Namespace, so Argo CD must not; deletions wait
// until everything else is applied; and a sync fails rather than take over
// an object another Application already applied.
func syncOptions() []string {
	return []string{"CreateNamespace=false", "FailOnSharedResource=true", "PruneLast=true", "ServerSideApply=true"}
}

// syncPolicy is automated, pruning and self-healing; failed syncs are
// retried, because the overlay and the chart converge independently (the
// chart waits for the namespace and the Secrets, ring1-init for the chart's
// service account).
func syncPolicy(options ...string) *argocd.SyncPolicy {
	opts := append(syncOptions(), options...)
	slices.Sort(opts)
	return &argocd.SyncPolicy{
		Automated:   &argocd.Automated{Prune: true, SelfHeal: true},
		SyncOptions: opts,
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
			Destination: destination(env),
			SyncPolicy:  syncPolicy(),
		},
	}
}

// applicationSet generates the platform Application of every environment
// from a list: one element per environment with its overlay's path, its
// namespace and its cluster. A template cannot leave a field out, so a
// platform whose environments name clusters both ways writes both keys,
// one of them empty; otherwise only the one in use.
func applicationSet(p *model.Platform) *argocd.ApplicationSet {
	env := &p.Environments[0]
	g := env.GitOps
	name := p.Name
	var elements []map[string]string
	byServer, byName := false, false
	for i := range p.Environments {
		e := &p.Environments[i]
		d := destination(e)
		byServer, byName = byServer || d.Server != "", byName || d.Name != ""
		elements = append(elements, map[string]string{
			"environment": e.Name,
			"path":        g.TreePath(overlays.OverlayDir(e.Name)),
			"namespace":   d.Namespace,
			"server":      d.Server,
			"name":        d.Name,
		})
	}
	dest := argocd.Destination{Namespace: "{{ .namespace }}"}
	if byServer {
		dest.Server = "{{ .server }}"
	}
	if byName {
		dest.Name = "{{ .name }}"
	}
	for _, el := range elements {
		if !byServer {
			delete(el, "server")
		}
		if !byName {
			delete(el, "name")
		}
	}
	return &argocd.ApplicationSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "ApplicationSet"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: g.ArgoCD.Namespace, Labels: metaLabels(env, name)},
		Spec: argocd.ApplicationSetSpec{
			GoTemplate:        true,
			GoTemplateOptions: []string{"missingkey=error"},
			Generators:        []argocd.Generator{{List: &argocd.ListGenerator{Elements: elements}}},
			Template: argocd.ApplicationSetTemplate{
				Metadata: argocd.TemplateMeta{Name: model.ArgoCDAppName(p.Name, "{{ .environment }}"), Labels: metaLabels(env, name)},
				Spec: argocd.ApplicationSpec{
					Project:     p.Name,
					Source:      &argocd.ApplicationSource{RepoURL: g.RepoURL, TargetRevision: g.Revision, Path: "{{ .path }}"},
					Destination: dest,
					SyncPolicy:  syncPolicy(),
				},
			},
		},
	}
}

// CreateUserJobOptions are the sync options of the chart's user-creation
// Job under Argo CD (through createUserJob.jobAnnotations): a changed Job
// is deleted and created again instead of failing on its immutable
// template. With ApplyOutOfSyncOnly on the Airflow Application, an
// unchanged Job is not applied at all, so it runs once per content.
const CreateUserJobOptions = "Force=true,Replace=true"

// airflowApp installs the official chart at its pinned version with the
// environment's values file, read from the GitOps repository through a
// second source. It applies only what is out of sync, so that the
// user-creation Job (see CreateUserJobOptions) is replaced only when it
// changed; the migration Job is a Sync hook, as the chart documents for
// Argo CD (see package airflow).
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
			Destination: destination(env),
			SyncPolicy:  syncPolicy("ApplyOutOfSyncOnly=true"),
		},
	}
}

// rootApp keeps gitops/ in sync (app of apps): a change to an Application
// or the AppProject reaches Argo CD with the next sync, instead of waiting
// for someone to apply gitops/ again. It deploys into Argo CD's own
// namespace on Argo CD's own cluster.
func rootApp(p *model.Platform) *argocd.Application {
	env := &p.Environments[0]
	g := env.GitOps
	return &argocd.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: argocd.APIVersion, Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: RootAppName(p), Namespace: g.ArgoCD.Namespace, Labels: metaLabels(env, RootAppName(p))},
		Spec: argocd.ApplicationSpec{
			Project:     RootProject,
			Source:      &argocd.ApplicationSource{RepoURL: g.RepoURL, TargetRevision: g.Revision, Path: g.TreePath(overlays.GitOpsDir)},
			Destination: argocd.Destination{Server: model.InClusterServer, Namespace: g.ArgoCD.Namespace},
			SyncPolicy:  syncPolicy(),
		},
	}
}

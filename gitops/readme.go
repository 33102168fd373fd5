package gitops

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/gitops/argocd"
	"github.com/ydpgen/ydpgen/internal/markdown"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/overlays"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// Argo CD's annotation names and values as the README shows them.
const (
	argocdSyncOptions = argocd.SyncOptions
	argocdKeepData    = argocd.KeepData
)

// readme documents the tree: the apply order of every environment and how
// the chosen engine deploys it. Commands are relative to the tree's root.
func readme(p *model.Platform, envs []objset.RenderedEnvironment) ([]byte, error) {
	g := p.Environments[0].GitOps
	var d markdown.Doc
	d.Comment(objset.HeaderText)
	d.Line("# Platform %s", markdown.Code(p.Name))
	d.Blank()
	d.Line("The Kubernetes objects of YellowDataPlatform %s, rendered by ydpgen for the GitOps engine %s.", markdown.Code(p.Name), markdown.Code(g.Engine))
	d.Line("Commands below run from the directory of this file.")
	d.Blank()
	d.Line("- `%s/`: the objects every environment shares.", overlays.BaseDir)
	d.Line("- `%s/<env>/`: one kustomize overlay per environment; `kubectl kustomize %s/<env>` builds all of it.", overlays.OverlaysDir, overlays.OverlaysDir)
	valuesLine(&d, p)
	switch g.Engine {
	case model.EngineArgoCD:
		d.Line("- `%s/`: Argo CD's AppProject and Applications.", overlays.GitOpsDir)
		if g.ArgoCD.RootApplication {
			d.Line("- `%s/`: the root Application, which keeps `%s/` in sync.", RootDir, overlays.GitOpsDir)
		}
	case model.EngineFlux:
		d.Line("- `%s/<env>/`: Flux's GitRepository and one Kustomization per stage; `stages/<stage>/` selects each stage's objects from the overlay.", overlays.GitOpsDir)
		d.Line("- `%s/<env>/`: the path to bootstrap Flux with; it lists `%s/` (which `flux bootstrap` writes there) and `%s/<env>/`.", ClustersDir, FluxSystemDir, overlays.GitOpsDir)
		if !allHydrated(p) {
			d.Line("- `%s/<env>/%s/kustomization.yaml`: the Airflow HelmRelease, with its values as a generated ConfigMap.", overlays.OverlaysDir, path.Dir(airflow.ValuesPath))
		}
	}
	d.Line("- `%s`: the files ydpgen wrote; ydpgen removes only those when they are no longer rendered.", overlays.ManifestPath)
	d.Blank()
	d.Line("## Apply order")
	d.Blank()
	d.Line("Every object carries the label %s with its stage. The stages run in this order, each after the one before is ready:", markdown.Code(stages.Label+"=<stage>"))
	d.Line("the namespace and its guard rails, RBAC, Secrets, the database server, the database bootstrap, what Airflow mounts and Airflow itself,")
	d.Line("the publish Job of DataSurface's infrastructure DAG (when the spec asks for one), ring1-init (the platform tables; it runs as a service")
	d.Line("account the chart creates), the model merge, the rest,")
	d.Line("and last the smoke test, a Job that passes only when the platform works (see below).")
	hooksSection(&d, p)
	jobLifecycle(&d, p)
	dataClaims(&d, p)
	switch g.Engine {
	case model.EngineArgoCD:
		deployArgoCDAll(&d, p)
	case model.EngineFlux:
		d.Blank()
		d.Line("## Deploy with Flux")
		d.Blank()
		d.Line("Bootstrap each cluster's Flux with its environment's directory under %s; `flux bootstrap` writes %s there,", markdown.Code(ClustersDir+"/"), markdown.Code(FluxSystemDir+"/"))
		d.Line("which that directory's kustomization.yaml already lists, so Flux keeps itself and the platform's Kustomizations in sync.")
		d.Line("Use the `flux bootstrap` subcommand of your git host (github, gitlab, ...) with the same `--path`, or `git` as below.")
		d.Line("On a cluster whose Flux is installed otherwise, `kubectl apply -k %s/<env>` instead, again after each change under it.", overlays.GitOpsDir)
		d.Blank()
		d.Line("```sh")
		for i := range p.Environments {
			d.Line("%s", FluxBootstrapCommand(&p.Environments[i]))
		}
		d.Line("```")
		if !branchRevision(g.Revision) {
			d.Line("`flux bootstrap` follows a branch, and the spec's revision %s is not one: bootstrap with a branch, or apply the directory instead.", markdown.Code(g.Revision))
		}
		sopsKeySecret(&d, p)
	}
	for i := range p.Environments {
		env := &p.Environments[i]
		r := envs[i]
		d.Blank()
		d.Line("## Environment %s", markdown.Code(env.Name))
		d.Blank()
		a := env.Airflow
		d.Line("Namespace %s; Airflow chart %s %s from %s, release %s%s.", markdown.Code(env.Namespace.Name), markdown.Code(a.Chart.Name), a.Chart.Version, chartSource(env), markdown.Code(a.ReleaseName), hydratedNote(env))
		d.Blank()
		d.Line("Each environment's procedure, top to bottom: what must exist first, the deployment, DataSurface's infrastructure DAG, the checks.")
		d.Blank()
		d.Line("| Stage | Objects |")
		d.Line("| --- | --- |")
		for _, s := range stages.All() {
			var names []string
			for _, e := range r.Objects {
				if stages.Of(e) == s {
					names = append(names, e.GVK.Kind+" "+markdown.Code(e.Name))
				}
			}
			if s == stages.Airflow && !hydrated(env) {
				names = append(names, "the Airflow release "+markdown.Code(a.ReleaseName))
			}
			if len(names) > 0 {
				d.Line("| %s | %s |", markdown.Code(string(s)), strings.Join(names, ", "))
			}
		}
		d.Blank()
		before(&d, env, r)
		d.Line("### Deploy")
		d.Blank()
		switch g.Engine {
		case model.EngineNone:
			deployPlain(&d, env, r)
		case model.EngineArgoCD:
			deployArgoCD(&d, env)
		case model.EngineFlux:
			deployFlux(&d, env, r)
		}
		d.Blank()
		if err := infrastructureDAG(&d, env, r); err != nil {
			return nil, fmt.Errorf("environment %s: %w", env.Name, err)
		}
		verify(&d, env)
	}
	return []byte(strings.TrimRight(string(d.Bytes()), "\n") + "\n"), nil
}

func secretsDoc(env *model.Environment, r objset.RenderedEnvironment) string {
	for _, f := range r.Files {
		if strings.EqualFold(f.Path, "SECRETS.md") {
			return overlays.OverlayDir(env.Name) + "/" + f.Path
		}
	}
	return ""
}

// waits are the commands that wait for a stage's objects to be ready.
func waits(env *model.Environment, members []objset.Entry) []string {
	var out []string
	for _, e := range members {
		kind := strings.ToLower(e.GVK.Kind)
		switch e.GVK.Kind {
		case "Job":
			out = append(out, fmt.Sprintf("kubectl -n %s wait --for=condition=complete --timeout=30m job/%s", env.Namespace.Name, e.Name))
		case "Deployment", "StatefulSet", "DaemonSet":
			out = append(out, fmt.Sprintf("kubectl -n %s rollout status --timeout=10m %s/%s", env.Namespace.Name, kind, e.Name))
		case "ExternalSecret":
			out = append(out, fmt.Sprintf("kubectl -n %s wait --for=condition=Ready --timeout=5m externalsecret/%s", env.Namespace.Name, e.Name))
		}
	}
	return out
}

// HelmCommand installs or upgrades the environment's Airflow release with
// its values file, as the plain tree's README says.
func HelmCommand(env *model.Environment) string {
	a := env.Airflow
	chart := a.Chart.Name + " --repo " + a.Chart.Repository
	if strings.HasPrefix(a.Chart.Repository, "oci://") {
		chart = strings.TrimSuffix(a.Chart.Repository, "/") + "/" + a.Chart.Name
	}
	return fmt.Sprintf("helm upgrade --install %s %s --version %s --namespace %s --values %s --wait --wait-for-jobs --timeout 20m",
		a.ReleaseName, chart, a.Chart.Version, env.Namespace.Name, overlays.OverlayDir(env.Name)+"/"+airflow.ValuesPath)
}

func deployPlain(d *markdown.Doc, env *model.Environment, r objset.RenderedEnvironment) {
	d.Line("To deploy, run in order:")
	d.Blank()
	d.Line("```sh")
	for _, s := range stages.All() {
		var members []objset.Entry
		for _, e := range r.Objects {
			if stages.Of(e) == s {
				members = append(members, e)
			}
		}
		manual := ""
		switch s {
		case stages.Secrets:
			if doc := secretsDoc(env, r); doc != "" {
				manual = fmt.Sprintf("# provide the Secrets' values first, as %s says", doc)
			}
		case stages.InfrastructureDAG:
			manual = manualDAGStep(env)
		}
		release := s == stages.Airflow && !hydrated(env)
		if len(members) == 0 && !release && manual == "" {
			continue
		}
		d.Line("# %s", s)
		if manual != "" {
			d.Line("%s", manual)
		}
		if len(members) > 0 {
			d.Line("kubectl apply --server-side -k %s -l %s=%s", overlays.OverlayDir(env.Name), stages.Label, s)
			for _, w := range waits(env, members) {
				d.Line("%s", w)
			}
		}
		if release {
			d.Line("%s", HelmCommand(env))
		}
	}
	d.Line("# Jobs a new name replaced")
	d.Line("%s", StaleJobsCommand(env.Platform, env, r))
	d.Line("```")
}

func deployArgoCD(d *markdown.Doc, env *model.Environment) {
	dest := env.ArgoCDDestination()
	if hydrated(env) {
		d.Line("Argo CD Application: %s (overlay %s, with the Airflow chart's objects), deploying to %s.",
			markdown.Code(AppName(env)), markdown.Code(env.GitOps.TreePath(overlays.OverlayDir(env.Name))), argoCDCluster(dest))
		d.Line("Once the first sync has started, Argo CD keeps the environment in sync: `kubectl -n %s get application %s` shows how far it is.",
			env.GitOps.ArgoCD.Namespace, AppName(env))
		return
	}
	d.Line("Argo CD Applications: %s (overlay %s) and %s (chart), both deploying to %s.",
		markdown.Code(AppName(env)), markdown.Code(env.GitOps.TreePath(overlays.OverlayDir(env.Name))), markdown.Code(AirflowAppName(env)), argoCDCluster(dest))
	d.Line("Once the first sync has started, Argo CD keeps the environment in sync: `kubectl -n %s get application %s %s` shows how far it is.",
		env.GitOps.ArgoCD.Namespace, AppName(env), AirflowAppName(env))
}

// argoCDCluster names the cluster an Application deploys to.
func argoCDCluster(dest model.ArgoCDCluster) string {
	switch {
	case dest.Name != "":
		return "the cluster Argo CD knows as " + markdown.Code(dest.Name)
	case dest.Server != model.InClusterServer:
		return "the cluster at " + markdown.Code(dest.Server)
	}
	return "the cluster Argo CD runs in (" + markdown.Code(dest.Server) + ")"
}

// deployArgoCDAll says how Argo CD deploys the platform, how its
// Applications track what they own, and the bootstrap command.
func deployArgoCDAll(d *markdown.Doc, p *model.Platform) {
	g := p.Environments[0].GitOps
	d.Blank()
	d.Line("## Deploy with Argo CD")
	d.Blank()
	if allHydrated(p) {
		// One Application per environment: its overlay holds the chart's
		// objects, so no Helm source and no values reference.
		d.Line("Argo CD (namespace %s) syncs every environment with one Application of the AppProject %s: the overlay, which holds", markdown.Code(g.ArgoCD.Namespace), markdown.Code(p.Name))
		if g.ArgoCD.ApplicationSet {
			d.Line("the Airflow chart's objects too (no Helm source, no values reference); the ApplicationSet %s generates them from its list of environments.", markdown.Code(p.Name))
		} else {
			d.Line("the Airflow chart's objects too (no Helm source, no values reference).")
		}
		d.Line("Each deploys to the cluster its environment names (`cluster.argocd`); the AppProject allows exactly those clusters and namespaces.")
		d.Line("Each object's sync wave is its stage's place in the order above, from 0; Argo CD applies a wave once the one before is healthy.")
	} else {
		d.Line("Argo CD (namespace %s) syncs every environment with two Applications of the AppProject %s:", markdown.Code(g.ArgoCD.Namespace), markdown.Code(p.Name))
		if g.ArgoCD.ApplicationSet {
			d.Line("one for the overlay, generated by the ApplicationSet %s from its list of environments, and one for the Airflow chart.", markdown.Code(p.Name))
		} else {
			d.Line("one for the overlay and one for the Airflow chart.")
		}
		d.Line("Each deploys to the cluster its environment names (`cluster.argocd`); the AppProject allows exactly those clusters and namespaces.")
		d.Line("The chart comes from its repository at the pinned version; its values file from this repository.")
		d.Line("Each object's sync wave is its stage's place in the order above, from 0; Argo CD applies a wave once the one before is healthy.")
		d.Line("The two Applications converge on their own: the chart's sync is retried until the namespace, Secrets and databases exist,")
		d.Line("and ring1-init's pods start once the chart has created the service account they run as.")
	}
	d.Blank()
	d.Line("The Applications assume Argo CD's annotation tracking (`application.resourceTrackingMethod: annotation`, the default from Argo CD 3.0);")
	d.Line("the `label` and `annotation+label` methods work too. No rendered object carries %s at its top level: Argo CD writes the owning", markdown.Code(labels.Instance))
	d.Line("Application's name there under those methods. Every Application syncs with `FailOnSharedResource=true`, so none takes over an object")
	d.Line("another Application applied. Pod and claim templates keep %s, so under label tracking do not name an Application %s:", markdown.Code(labels.Instance+"="+p.Name), markdown.Code(p.Name))
	d.Line("it would claim the database's claim, which its StatefulSet creates from a template. %s selects the platform's objects.", markdown.Code(labels.Platform+"="+p.Name))
	d.Blank()
	d.Line("Register the repository with Argo CD if it is private, then, once:")
	d.Blank()
	d.Line("```sh")
	if g.ArgoCD.RootApplication {
		d.Line("kubectl apply -k %s", RootDir)
		d.Line("```")
		d.Line("The root Application %s (project %s) syncs %s from the repository: later changes to the AppProject and Applications", markdown.Code(RootAppName(p)), markdown.Code(RootProject), markdown.Code(g.TreePath(overlays.GitOpsDir)))
		d.Line("reach Argo CD like any other change.")
		return
	}
	d.Line("kubectl apply -k %s", overlays.GitOpsDir)
	d.Line("```")
	d.Line("Nothing syncs %s itself: apply it again after a render that changes it, or render with `gitops.argocd.rootApplication: true`.", markdown.Code(overlays.GitOpsDir+"/"))
}

// FluxBootstrapCommand bootstraps a cluster's Flux with an environment's
// directory under clusters/.
func FluxBootstrapCommand(env *model.Environment) string {
	g := env.GitOps
	branch := g.Revision
	if !branchRevision(branch) {
		branch = "<branch>"
	}
	return fmt.Sprintf("flux bootstrap git --url=%s --branch=%s --path=%s", g.RepoURL, branch, g.TreePath(ClusterDir(env.Name)))
}

// branchRevision reports whether a revision names a branch (flux bootstrap
// follows one), as gitReference reads it.
func branchRevision(rev string) bool { return gitReference(rev).Branch != "" }

// jobLifecycle says, for the tree's engine, what happens to every Job over
// time; ARCHITECTURE.md ("Job lifecycle") gives the engines' documented
// behaviour it relies on.
func jobLifecycle(d *markdown.Doc, p *model.Platform) {
	engine := p.Environments[0].GitOps.Engine
	d.Blank()
	d.Line("## Job lifecycle")
	d.Blank()
	d.Line("Every Job here (the database bootstrap, the infrastructure DAG's publish Job when the spec asks for one, ring1-init,")
	d.Line("the model merge and reconcile-views where the DataSurface release has them,")
	d.Line("and the smoke test) is named after a hash of what it runs: its spec and the ConfigMaps it reads. None has a time to live")
	d.Line("(`ttlSecondsAfterFinished`): a finished Job stays, with its pod and logs. So each Job runs once per content:")
	d.Blank()
	d.Line("- an unchanged Job keeps its name and is not run again, whatever else changes, however often the engine syncs;")
	d.Line("- a changed Job is a new Job under a new name: it runs once, and the old one is removed (see below);")
	d.Line("- the smoke test's content includes a digest of everything else the environment renders, so it runs once after every change.")
	d.Blank()
	d.Line("To run a Job again on purpose (the database bootstrap, to set rotated passwords), delete it; the engine creates it anew.")
	d.Blank()
	switch engine {
	case model.EngineArgoCD:
		d.Line("Under Argo CD the Jobs are ordinary resources of the platform Application, never hooks (a hook runs on every sync).")
		d.Line("A Job is healthy once complete, so the next wave waits for it. Self-heal finds a finished Job in sync and leaves it;")
		d.Line("a renamed Job's predecessor is pruned at the end of the sync (`PruneLast=true`).")
		if allHydrated(p) {
			break
		}
		d.Line("The chart's Jobs follow the chart's own guidance for Argo CD (`useHelmHooks: false`, `applyCustomEnv: false`):")
		d.Line("- the migration Job is a `Sync` hook with `BeforeHookCreation` (`migrateDatabaseJob.jobAnnotations`): Argo CD creates it again, and so runs it, on every sync")
		d.Line("  of the Airflow Application (a change of chart version or values, or self-heal repairing a chart object); `airflow db migrate`")
		d.Line("  at the head changes nothing. Its time to live is %d seconds; hooks are not tracked, so nothing creates it again after that;", airflow.ChartJobTTL)
		d.Line("- the user-creation Job is tracked, without a time to live, with `%s: %s`; the Airflow Application", argocdSyncOptions, CreateUserJobOptions)
		d.Line("  applies only what is out of sync (`ApplyOutOfSyncOnly=true`), so the Job runs once, and again only when it changes.")
	case model.EngineFlux:
		d.Line("Under Flux each stage's Kustomization applies its Jobs and waits for them to complete. kustomize-controller applies every")
		d.Line("object of its inventory again at each interval and creates one that is missing, which is why no Job expires: applying an")
		d.Line("unchanged Job changes nothing. A renamed Job's predecessor is pruned (`prune: true`). Jobs carry")
		d.Line("`kustomize.toolkit.fluxcd.io/force: enabled`, so a Job whose template changed under the same name would be replaced, not refused.")
		if allHydrated(p) {
			break
		}
		d.Line("The chart's Jobs belong to the HelmRelease (`useHelmHooks: false`, `applyCustomEnv: false`, as the chart's guidance for Flux says).")
		d.Line("They expire %d seconds after they finish; helm-controller's drift detection is off (`driftDetection.mode: disabled`), so nothing", airflow.ChartJobTTL)
		d.Line("creates them again until the next upgrade of the release (a change of chart version or values), which runs them once.")
		d.Line("An upgrade that changes a chart Job less than %d seconds after its last run fails on the Job's immutable template and is retried.", airflow.ChartJobTTL)
	default:
		d.Line("Running the commands below again applies unchanged Jobs without a change. They do not delete the Job a new name replaced;")
		d.Line("each environment's section ends with the command that deletes every Job of the platform the render no longer has.")
		if allHydrated(p) {
			break
		}
		d.Line("The chart's Jobs run without Helm hooks (`useHelmHooks: false`, which the chart asks for with `helm install --wait`). They expire")
		d.Line("%d seconds after they finish and `helm upgrade` creates them again, so each upgrade of the release runs them once;", airflow.ChartJobTTL)
		d.Line("an upgrade that changes a chart Job less than %d seconds after its last run fails on the Job's immutable template: run it again.", airflow.ChartJobTTL)
	}
	hydratedJobs(d, p)
}

// dataClaims says how the claims that hold data are protected.
func dataClaims(d *markdown.Doc, p *model.Platform) {
	engine := p.Environments[0].GitOps.Engine
	d.Blank()
	d.Line("## Claims that hold data")
	d.Blank()
	switch engine {
	case model.EngineArgoCD:
		d.Line("The git cache claim carries `%s: %s`, and the chart's logs and DAG claims the same (with `helm.sh/resource-policy: keep`):", argocdSyncOptions, argocdKeepData)
		d.Line("Argo CD neither prunes them when a render drops them nor deletes them with their Application.")
	case model.EngineFlux:
		d.Line("The git cache claim carries `kustomize.toolkit.fluxcd.io/prune: disabled`: Flux does not delete it when a render drops it.")
		d.Line("The chart's logs and DAG claims carry `helm.sh/resource-policy: keep`, which helm-controller honours like Helm.")
	default:
		d.Line("The commands below never delete a claim. The chart's logs and DAG claims carry `helm.sh/resource-policy: keep`.")
	}
	d.Line("The database's claim is created by its StatefulSet from a template and kept when the StatefulSet goes (`whenDeleted: Retain`).")
	d.Line("A claim a render drops stays in the cluster with its data, owned by nothing: `ydpgen diff` flags such a change (`pvc-orphaned`);")
	d.Line("delete the claim by hand once its data is safe.")
}

// StaleJobsCommand deletes the platform's Jobs in the environment's
// namespace that the render no longer has (engine none).
func StaleJobsCommand(p string, env *model.Environment, r objset.RenderedEnvironment) string {
	var keep []string
	for _, e := range r.Objects {
		if isJob(e) {
			keep = append(keep, "-e job.batch/"+e.Name)
		}
	}
	ns := env.Namespace.Name
	if len(keep) == 0 {
		return fmt.Sprintf("kubectl -n %s delete jobs -l %s=%s", ns, labels.Platform, p)
	}
	return fmt.Sprintf("kubectl -n %s get jobs -l %s=%s -o name | grep -v -x %s | xargs -r kubectl -n %s delete",
		ns, labels.Platform, p, strings.Join(keep, " "), ns)
}

func deployFlux(d *markdown.Doc, env *model.Environment, r objset.RenderedEnvironment) {
	g := env.GitOps
	dir := FluxDir(env.Name)
	d.Line("Flux (namespace %s) syncs this environment from the GitRepository %s with one Kustomization per stage,", markdown.Code(g.Flux.Namespace), markdown.Code(SourceName(env)))
	d.Line("each depending on the one before: %s.", strings.Join(func() []string {
		var names []string
		for _, s := range fluxStages(env, r) {
			names = append(names, markdown.Code(StageName(env, s)))
		}
		return names
	}(), ", "))
	d.Line("Bootstrap the cluster's Flux with the path %s of the repository (see above), or apply %s once (again after each change to it).",
		markdown.Code(g.TreePath(ClusterDir(env.Name))), markdown.Code(dir))
}

// sopsKeySecret says how to create, once per cluster, the Secret that
// holds the age key Flux decrypts the sops provider's files with. It is
// never in git: the one step of a sops environment outside the tree.
func sopsKeySecret(d *markdown.Doc, p *model.Platform) {
	var lines []string
	for i := range p.Environments {
		env := &p.Environments[i]
		if env.Secrets.Provider != model.ProviderSOPS {
			continue
		}
		l := fmt.Sprintf("kubectl create secret generic %s --namespace %s --from-file=age.agekey=<age key file of environment %s>",
			env.Secrets.SOPS.KeySecret, env.GitOps.Flux.Namespace, env.Name)
		if !slices.Contains(lines, l) {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return
	}
	d.Blank()
	d.Line("The Secrets of environments with secrets provider `sops` are in git encrypted for age keys; Flux decrypts them with")
	d.Line("the age private key in a Secret of its namespace, which you create once on each cluster, before the first sync")
	d.Line("(the file holds the `AGE-SECRET-KEY-1...` line `age-keygen` wrote; its public key is the spec's recipient):")
	d.Blank()
	d.Line("```sh")
	for _, l := range lines {
		d.Line("%s", l)
	}
	d.Line("```")
}

package gitops

import (
	"fmt"
	"path"
	"strings"

	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/gitops/argocd"
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

type doc struct{ b strings.Builder }

func (d *doc) line(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func (d *doc) blank() { d.b.WriteByte('\n') }

func code(s string) string {
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// readme documents the tree: the apply order of every environment and how
// the chosen engine deploys it. Commands are relative to the tree's root.
func readme(p *model.Platform, envs []objset.RenderedEnvironment) []byte {
	g := p.Environments[0].GitOps
	var d doc
	d.line("<!-- %s -->", strings.TrimSpace(strings.TrimPrefix(objset.Header, "#")))
	d.line("# Platform %s", code(p.Name))
	d.blank()
	d.line("The Kubernetes objects of YellowDataPlatform %s, rendered by ydpgen for the GitOps engine %s.", code(p.Name), code(g.Engine))
	d.line("Commands below run from the directory of this file.")
	d.blank()
	d.line("- `%s/`: the objects every environment shares.", overlays.BaseDir)
	d.line("- `%s/<env>/`: one kustomize overlay per environment; `kubectl kustomize %s/<env>` builds all of it.", overlays.OverlaysDir, overlays.OverlaysDir)
	d.line("  `%s` holds the values of the official Airflow Helm chart.", path.Join(overlays.OverlaysDir, "<env>", airflow.ValuesPath))
	switch g.Engine {
	case model.EngineArgoCD:
		d.line("- `%s/`: Argo CD's AppProject and Applications.", overlays.GitOpsDir)
		if g.ArgoCD.RootApplication {
			d.line("- `%s/`: the root Application, which keeps `%s/` in sync.", RootDir, overlays.GitOpsDir)
		}
	case model.EngineFlux:
		d.line("- `%s/<env>/`: Flux's GitRepository and one Kustomization per stage; `stages/<stage>/` selects each stage's objects from the overlay.", overlays.GitOpsDir)
		d.line("- `%s/<env>/`: the path to bootstrap Flux with; it lists `%s/` (which `flux bootstrap` writes there) and `%s/<env>/`.", ClustersDir, FluxSystemDir, overlays.GitOpsDir)
		d.line("- `%s/<env>/%s/kustomization.yaml`: the Airflow HelmRelease, with its values as a generated ConfigMap.", overlays.OverlaysDir, path.Dir(airflow.ValuesPath))
	}
	d.line("- `%s`: the files ydpgen wrote; ydpgen removes only those when they are no longer rendered.", overlays.ManifestPath)
	d.blank()
	d.line("## Apply order")
	d.blank()
	d.line("Every object carries the label %s with its stage. The stages run in this order, each after the one before is ready:", code(stages.Label+"=<stage>"))
	d.line("the namespace and its guard rails, RBAC, Secrets, the database server, the database bootstrap, what Airflow mounts and Airflow itself,")
	d.line("ring1-init (the platform tables; it runs as a service account the chart creates), the model merge, the rest,")
	d.line("and last the smoke test, a Job that passes only when the platform works (see below).")
	jobLifecycle(&d, p)
	dataClaims(&d, p)
	switch g.Engine {
	case model.EngineArgoCD:
		deployArgoCDAll(&d, p)
	case model.EngineFlux:
		d.blank()
		d.line("## Deploy with Flux")
		d.blank()
		d.line("Bootstrap each cluster's Flux with its environment's directory under %s; `flux bootstrap` writes %s there,", code(ClustersDir+"/"), code(FluxSystemDir+"/"))
		d.line("which that directory's kustomization.yaml already lists, so Flux keeps itself and the platform's Kustomizations in sync.")
		d.line("Use the `flux bootstrap` subcommand of your git host (github, gitlab, ...) with the same `--path`, or `git` as below.")
		d.line("On a cluster whose Flux is installed otherwise, `kubectl apply -k %s/<env>` instead, again after each change under it.", overlays.GitOpsDir)
		d.blank()
		d.line("```sh")
		for i := range p.Environments {
			d.line("%s", FluxBootstrapCommand(&p.Environments[i]))
		}
		d.line("```")
		if !branchRevision(g.Revision) {
			d.line("`flux bootstrap` follows a branch, and the spec's revision %s is not one: bootstrap with a branch, or apply the directory instead.", code(g.Revision))
		}
	}
	for i := range p.Environments {
		env := &p.Environments[i]
		r := envs[i]
		d.blank()
		d.line("## Environment %s", code(env.Name))
		d.blank()
		a := env.Airflow
		d.line("Namespace %s; Airflow chart %s %s from %s, release %s.", code(env.Namespace.Name), code(a.Chart.Name), a.Chart.Version, a.Chart.Repository, code(a.ReleaseName))
		d.blank()
		d.line("| Stage | Objects |")
		d.line("| --- | --- |")
		for _, s := range stages.All() {
			var names []string
			for _, e := range r.Objects {
				if stages.Of(e) == s {
					names = append(names, e.GVK.Kind+" "+code(e.Name))
				}
			}
			if s == stages.Airflow {
				names = append(names, "the Airflow release "+code(a.ReleaseName))
			}
			if len(names) > 0 {
				d.line("| %s | %s |", code(string(s)), strings.Join(names, ", "))
			}
		}
		d.blank()
		switch g.Engine {
		case model.EngineNone:
			deployPlain(&d, env, r)
		case model.EngineArgoCD:
			deployArgoCD(&d, env)
		case model.EngineFlux:
			deployFlux(&d, env, r)
		}
	}
	return []byte(d.b.String())
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

func deployPlain(d *doc, env *model.Environment, r objset.RenderedEnvironment) {
	d.line("To deploy, run in order:")
	d.blank()
	d.line("```sh")
	for _, s := range stages.All() {
		var members []objset.Entry
		for _, e := range r.Objects {
			if stages.Of(e) == s {
				members = append(members, e)
			}
		}
		manual := ""
		if s == stages.Secrets {
			manual = secretsDoc(env, r)
		}
		if len(members) == 0 && s != stages.Airflow && manual == "" {
			continue
		}
		d.line("# %s", s)
		if manual != "" {
			d.line("# provide the Secrets' values first, as %s says", manual)
		}
		if len(members) > 0 {
			d.line("kubectl apply --server-side -k %s -l %s=%s", overlays.OverlayDir(env.Name), stages.Label, s)
			for _, w := range waits(env, members) {
				d.line("%s", w)
			}
		}
		if s == stages.Airflow {
			d.line("%s", HelmCommand(env))
		}
	}
	d.line("# Jobs a new name replaced")
	d.line("%s", StaleJobsCommand(env.Platform, env, r))
	d.line("```")
}

func deployArgoCD(d *doc, env *model.Environment) {
	dest := env.ArgoCDDestination()
	cluster := "the cluster Argo CD runs in (" + code(dest.Server) + ")"
	switch {
	case dest.Name != "":
		cluster = "the cluster Argo CD knows as " + code(dest.Name)
	case dest.Server != model.InClusterServer:
		cluster = "the cluster at " + code(dest.Server)
	}
	d.line("Argo CD Applications: %s (overlay %s) and %s (chart), both deploying to %s.",
		code(AppName(env)), code(env.GitOps.TreePath(overlays.OverlayDir(env.Name))), code(AirflowAppName(env)), cluster)
}

// deployArgoCDAll says how Argo CD deploys the platform, how its
// Applications track what they own, and the bootstrap command.
func deployArgoCDAll(d *doc, p *model.Platform) {
	g := p.Environments[0].GitOps
	d.blank()
	d.line("## Deploy with Argo CD")
	d.blank()
	d.line("Argo CD (namespace %s) syncs every environment with two Applications of the AppProject %s:", code(g.ArgoCD.Namespace), code(p.Name))
	if g.ArgoCD.ApplicationSet {
		d.line("one for the overlay, generated by the ApplicationSet %s from its list of environments, and one for the Airflow chart.", code(p.Name))
	} else {
		d.line("one for the overlay and one for the Airflow chart.")
	}
	d.line("Each deploys to the cluster its environment names (`cluster.argocd`); the AppProject allows exactly those clusters and namespaces.")
	d.line("The chart comes from its repository at the pinned version; its values file from this repository.")
	d.line("Each object's sync wave is its stage's place in the order above, from 0; Argo CD applies a wave once the one before is healthy.")
	d.line("The two Applications converge on their own: the chart's sync is retried until the namespace, Secrets and databases exist,")
	d.line("and ring1-init's pods start once the chart has created the service account they run as.")
	d.blank()
	d.line("The Applications assume Argo CD's annotation tracking (`application.resourceTrackingMethod: annotation`, the default from Argo CD 3.0);")
	d.line("the `label` and `annotation+label` methods work too. No rendered object carries %s at its top level: Argo CD writes the owning", code(labels.Instance))
	d.line("Application's name there under those methods. Every Application syncs with `FailOnSharedResource=true`, so none takes over an object")
	d.line("another Application applied. Pod and claim templates keep %s, so under label tracking do not name an Application %s:", code(labels.Instance+"="+p.Name), code(p.Name))
	d.line("it would claim the database's claim, which its StatefulSet creates from a template. %s selects the platform's objects.", code(labels.Platform+"="+p.Name))
	d.blank()
	d.line("Register the repository with Argo CD if it is private, then, once:")
	d.blank()
	d.line("```sh")
	if g.ArgoCD.RootApplication {
		d.line("kubectl apply -k %s", RootDir)
		d.line("```")
		d.line("The root Application %s (project %s) syncs %s from the repository: later changes to the AppProject and Applications", code(RootAppName(p)), code(RootProject), code(g.TreePath(overlays.GitOpsDir)))
		d.line("reach Argo CD like any other change.")
		return
	}
	d.line("kubectl apply -k %s", overlays.GitOpsDir)
	d.line("```")
	d.line("Nothing syncs %s itself: apply it again after a render that changes it, or render with `gitops.argocd.rootApplication: true`.", code(overlays.GitOpsDir+"/"))
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
func jobLifecycle(d *doc, p *model.Platform) {
	engine := p.Environments[0].GitOps.Engine
	d.blank()
	d.line("## Job lifecycle")
	d.blank()
	d.line("Every Job here (the database bootstrap, ring1-init, the model merge and reconcile-views where the DataSurface release has them,")
	d.line("and the smoke test) is named after a hash of what it runs: its spec and the ConfigMaps it reads. None has a time to live")
	d.line("(`ttlSecondsAfterFinished`): a finished Job stays, with its pod and logs. So each Job runs once per content:")
	d.blank()
	d.line("- an unchanged Job keeps its name and is not run again, whatever else changes, however often the engine syncs;")
	d.line("- a changed Job is a new Job under a new name: it runs once, and the old one is removed (see below);")
	d.line("- the smoke test's content includes a digest of everything else the environment renders, so it runs once after every change.")
	d.blank()
	d.line("To run a Job again on purpose (the database bootstrap, to set rotated passwords), delete it; the engine creates it anew.")
	d.blank()
	switch engine {
	case model.EngineArgoCD:
		d.line("Under Argo CD the Jobs are ordinary resources of the platform Application, never hooks (a hook runs on every sync).")
		d.line("A Job is healthy once complete, so the next wave waits for it. Self-heal finds a finished Job in sync and leaves it;")
		d.line("a renamed Job's predecessor is pruned at the end of the sync (`PruneLast=true`).")
		d.line("The chart's Jobs follow the chart's own guidance for Argo CD (`useHelmHooks: false`, `applyCustomEnv: false`):")
		d.line("- the migration Job is a `Sync` hook with `BeforeHookCreation` (`migrateDatabaseJob.jobAnnotations`): Argo CD creates it again, and so runs it, on every sync")
		d.line("  of the Airflow Application (a change of chart version or values, or self-heal repairing a chart object); `airflow db migrate`")
		d.line("  at the head changes nothing. Its time to live is %d seconds; hooks are not tracked, so nothing creates it again after that;", airflow.ChartJobTTL)
		d.line("- the user-creation Job is tracked, without a time to live, with `%s: %s`; the Airflow Application", argocdSyncOptions, CreateUserJobOptions)
		d.line("  applies only what is out of sync (`ApplyOutOfSyncOnly=true`), so the Job runs once, and again only when it changes.")
	case model.EngineFlux:
		d.line("Under Flux each stage's Kustomization applies its Jobs and waits for them to complete. kustomize-controller applies every")
		d.line("object of its inventory again at each interval and creates one that is missing, which is why no Job expires: applying an")
		d.line("unchanged Job changes nothing. A renamed Job's predecessor is pruned (`prune: true`). Jobs carry")
		d.line("`kustomize.toolkit.fluxcd.io/force: enabled`, so a Job whose template changed under the same name would be replaced, not refused.")
		d.line("The chart's Jobs belong to the HelmRelease (`useHelmHooks: false`, `applyCustomEnv: false`, as the chart's guidance for Flux says).")
		d.line("They expire %d seconds after they finish; helm-controller's drift detection is off (`driftDetection.mode: disabled`), so nothing", airflow.ChartJobTTL)
		d.line("creates them again until the next upgrade of the release (a change of chart version or values), which runs them once.")
		d.line("An upgrade that changes a chart Job less than %d seconds after its last run fails on the Job's immutable template and is retried.", airflow.ChartJobTTL)
	default:
		d.line("Running the commands below again applies unchanged Jobs without a change. They do not delete the Job a new name replaced;")
		d.line("each environment's section ends with the command that deletes every Job of the platform the render no longer has.")
		d.line("The chart's Jobs run without Helm hooks (`useHelmHooks: false`, which the chart asks for with `helm install --wait`). They expire")
		d.line("%d seconds after they finish and `helm upgrade` creates them again, so each upgrade of the release runs them once;", airflow.ChartJobTTL)
		d.line("an upgrade that changes a chart Job less than %d seconds after its last run fails on the Job's immutable template: run it again.", airflow.ChartJobTTL)
	}
}

// dataClaims says how the claims that hold data are protected.
func dataClaims(d *doc, p *model.Platform) {
	engine := p.Environments[0].GitOps.Engine
	d.blank()
	d.line("## Claims that hold data")
	d.blank()
	switch engine {
	case model.EngineArgoCD:
		d.line("The git cache claim carries `%s: %s`, and the chart's logs and DAG claims the same (with `helm.sh/resource-policy: keep`):", argocdSyncOptions, argocdKeepData)
		d.line("Argo CD neither prunes them when a render drops them nor deletes them with their Application.")
	case model.EngineFlux:
		d.line("The git cache claim carries `kustomize.toolkit.fluxcd.io/prune: disabled`: Flux does not delete it when a render drops it.")
		d.line("The chart's logs and DAG claims carry `helm.sh/resource-policy: keep`, which helm-controller honours like Helm.")
	default:
		d.line("The commands below never delete a claim. The chart's logs and DAG claims carry `helm.sh/resource-policy: keep`.")
	}
	d.line("The database's claim is created by its StatefulSet from a template and kept when the StatefulSet goes (`whenDeleted: Retain`).")
	d.line("A claim a render drops stays in the cluster with its data, owned by nothing: `ydpgen diff` flags such a change (`pvc-orphaned`);")
	d.line("delete the claim by hand once its data is safe.")
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

func deployFlux(d *doc, env *model.Environment, r objset.RenderedEnvironment) {
	g := env.GitOps
	dir := FluxDir(env.Name)
	d.line("Flux (namespace %s) syncs this environment from the GitRepository %s with one Kustomization per stage,", code(g.Flux.Namespace), code(SourceName(env)))
	d.line("each depending on the one before: %s.", strings.Join(func() []string {
		var names []string
		for _, s := range insertStage(stages.Present(r.Objects), stages.Airflow) {
			names = append(names, code(StageName(env, s)))
		}
		return names
	}(), ", "))
	if doc := secretsDoc(env, r); doc != "" {
		d.line("Provide the Secrets' values as %s says before the first sync.", doc)
	}
	d.line("Bootstrap the cluster's Flux with the path %s of the repository (see above), or apply %s once (again after each change to it).",
		code(g.TreePath(ClusterDir(env.Name))), code(dir))
}

package gitops

import (
	"fmt"
	"path"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators/datasurface"
	"github.com/ydpgen/ydpgen/generators/maintenance"
	"github.com/ydpgen/ydpgen/generators/rbac"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
	"github.com/ydpgen/ydpgen/passes/stages"
)

// The README's procedure for one environment follows the install guide the
// project started from (seed 002): what must exist before the first
// deployment, the deployment itself, DataSurface's ring 0 (Phase 5: clone
// the model, pull the image, generate the bootstrap artifacts, commit the
// infrastructure DAG to the DAG repository, run ring 1, wait for git-sync),
// and the checks of Phase 6. Steps ydpgen does itself say which stage does
// them, so that none of the guide's steps goes missing.

// dagsMountPath is where the Airflow chart mounts the DAGs in its pods.
const dagsMountPath = "/opt/airflow/dags"

// componentName is the name the Airflow chart gives a component's
// Deployment, the same rule as its service accounts.
func componentName(env *model.Environment, component string) string {
	return rbac.ServiceAccountName(env.Airflow.ReleaseName, component)
}

// before writes what must exist before the first deployment: the DAG
// branch git-sync starts from, the Secrets' values, the registry login.
func before(d *doc, env *model.Environment, r objset.RenderedEnvironment) {
	d.line("### Before the first deployment")
	d.blank()
	n := 1
	if gs := env.Airflow.DAGs.GitSync; gs.Enabled {
		branch := datasurface.DAGBranch(env)
		d.line("%d. The DAG repository's branch must exist: git-sync's init container fails on a ref that does not, and Airflow with it.", n)
		d.line("   This creates %s in %s when it is missing (with the credential git asks for), and does nothing otherwise:", code(branch), gs.Repository)
		d.blank()
		d.line("   ```sh")
		d.line("   git ls-remote --exit-code --heads %s %s >/dev/null || (", gs.Repository, branch)
		d.line("     dir=$(mktemp -d) && git -C \"$dir\" init --quiet --initial-branch=%s &&", branch)
		d.line("     git -C \"$dir\" commit --quiet --allow-empty -m \"Start the DAG branch\" &&")
		d.line("     git -C \"$dir\" push %s %s )", gs.Repository, branch)
		d.line("   ```")
		d.blank()
		n++
	}
	if doc := secretsDoc(env, r); doc != "" {
		d.line("%d. The Secrets' values: %s lists every Secret, its keys and who reads it.", n, code(doc))
		n++
	}
	if ds := env.DataSurface; ds.PullSecret != "" {
		d.line("%d. The DataSurface image %s is private: its pull secret %s is among those Secrets. Pods pull with it:", n, code(ds.Image.Ref()), code(model.K8sName(ds.PullSecret)))
		d.line("   ydpgen's own pods name it, and the namespace's %s ServiceAccount carries it for the task pods DataSurface starts.", code("default"))
		d.line("   Pre-pulling the image on every node (seed 002, Phase 5, step 2) only makes the first pods start sooner.")
		n++
	}
	d.line("%d. The DataSurface model at %s (branch or tag %s) names the platform %s and the runtime environment %s.", n, env.DataSurface.Model.Repository, code(env.DataSurface.Model.Ref), code(env.DataSurface.PSP), code(env.DataSurface.RTE))
	d.blank()
}

// infrastructureDAG writes how ring 0's DAG reaches Airflow: the publish
// Job's stage, or the commands that do it by hand.
func infrastructureDAG(d *doc, env *model.Environment, r objset.RenderedEnvironment) error {
	ds := env.DataSurface
	n := env.DataSurfaceNames()
	d.line("### The infrastructure DAG")
	d.blank()
	d.line("DataSurface's ring 0 writes %s, the DAG that schedules everything DataSurface does", code(n.InfrastructureDAGFile))
	d.line("(from 1.8 on it also merges the model). Without it Airflow runs and nothing ingests.")
	gs := env.Airflow.DAGs.GitSync
	if ds.InfrastructureDAG.Publish == model.PublishJob {
		job := ""
		for _, e := range r.Objects {
			if isJob(e) && stages.Of(e) == stages.InfrastructureDAG {
				job = e.Name
			}
		}
		d.line("The stage %s does it with the Job %s, as seed 002's Phase 5 does by hand: it clones the model at %s (step 1),",
			code(string(stages.InfrastructureDAG)), code(job), code(ds.Model.Ref))
		d.line("runs ring 0 with the image %s (steps 2 and 3), and commits the DAG to %s, branch %s, directory %s (step 5),",
			code(ds.Image.Ref()), gs.Repository, code(datasurface.DAGBranch(env)), code(dagDir(env)))
		d.line("creating the branch if it is missing, committing only a changed DAG and never forcing a push. Its log says what it did:")
		d.blank()
		d.line("```sh")
		d.line("kubectl -n %s logs job/%s", env.Namespace.Name, job)
		d.line("```")
		d.blank()
		ring1Steps(d, env)
		return nil
	}
	d.line("Publish it by hand, in the order of seed 002's Phase 5, after Airflow is installed and before ring1-init runs")
	d.line("(later works too: git-sync picks the DAG up within %s). Ring 0 needs no cluster; it runs where Docker and git are:", gitSyncPeriod(env))
	d.blank()
	cmd, err := datasurface.Ring0Command(env, datasurface.Ring0Paths{Model: "/workspace/model", Output: "/workspace/model/generated_output"})
	if err != nil {
		return err
	}
	generated := "model/generated_output/" + ds.PSP
	d.line("```sh")
	d.line("# step 1: the model, at the ref the platform runs")
	d.line("git clone --branch %s %s model", ds.Model.Ref, ds.Model.Repository)
	d.line("# step 2: the DataSurface image")
	if ds.PullSecret != "" {
		login := "docker login"
		if host := credentials.RegistryHost(ds.Image.Repository); !strings.Contains(host, "docker.io") {
			login += " " + host
		}
		d.line("%s", login)
	}
	d.line("docker pull %s", ds.Image.Ref())
	d.line("# step 3: ring 0 writes the bootstrap artifacts, among them the infrastructure DAG")
	d.line("docker run --rm -v \"$PWD/model\":/workspace/model -w /workspace/model %s \\", ds.Image.Ref())
	d.line("  %s", strings.Join(cmd, " "))
	d.line("ls %s/%s", generated, n.InfrastructureDAGFile)
	d.line("# step 4 is not needed: ydpgen renders ring 1's Jobs (stage ring1-init)")
	if gs.Enabled {
		branch := datasurface.DAGBranch(env)
		dir := "dags/" + datasurface.DAGPath(env)
		d.line("# step 5: commit the DAGs to the DAG repository, which git-sync serves Airflow from")
		d.line("git clone --branch %s %s dags", branch, gs.Repository)
		d.line("mkdir -p %s", strings.TrimSuffix(dir, "/"))
		d.line("cp %s/*_dag.py %s", generated, strings.TrimSuffix(dir, "/")+"/")
		d.line("git -C dags add -A %s", dagDir(env))
		d.line("git -C dags diff --cached --quiet || git -C dags commit -m \"Publish the infrastructure DAG %s\"", n.InfrastructureDAGFile)
		d.line("git -C dags push origin %s", branch)
	} else {
		d.line("# step 5: copy the DAGs into the DAG volume, which every Airflow component mounts")
		d.line("pod=$(kubectl -n %s get pod -l component=scheduler,release=%s -o name | head -n 1 | cut -d/ -f2)", env.Namespace.Name, env.Airflow.ReleaseName)
		d.line("for f in %s/*_dag.py; do kubectl -n %s cp \"$f\" \"$pod:%s/\" -c scheduler; done", generated, env.Namespace.Name, dagsMountPath)
	}
	d.line("```")
	d.blank()
	d.line("Run it again whenever the model's platform or runtime environment changes, or the DataSurface version does.")
	d.blank()
	ring1Steps(d, env)
	return nil
}

// ring1Steps says where the rest of Phase 5 happens: ring 0's Job YAMLs
// (step 4) are not needed, ring 1's Jobs (step 6) are stages, and git-sync
// serving the DAG (step 7) is checked below.
func ring1Steps(d *doc, env *model.Environment) {
	jobs := "ring1-init"
	if merge, err := datasurface.HasModelMergeJob(env.DataSurface.Version); err == nil && merge {
		jobs += ", model-merge"
	}
	d.line("The rest of Phase 5 is in the tree: ring 0's Job YAMLs (step 4) are not needed, because ydpgen renders ring 1's Jobs,")
	d.line("which the stages %s and workloads (reconcile-views) run (step 6); git-sync serving the DAG (step 7) is checked below.", jobs)
	d.blank()
}

func dagDir(env *model.Environment) string {
	if p := datasurface.DAGPath(env); p != "" {
		return p
	}
	return "."
}

func gitSyncPeriod(env *model.Environment) string {
	if p := env.Airflow.DAGs.GitSync.Period; p != "" {
		return p
	}
	return "a minute"
}

// verify writes the checks of seed 002's Phase 5, step 7, and Phase 6:
// git-sync has the DAG, the DAG processor parsed it without errors, and
// the infrastructure DAG runs.
func verify(d *doc, env *model.Environment) {
	ns := env.Namespace.Name
	rel := env.Airflow.ReleaseName
	n := env.DataSurfaceNames()
	scheduler := componentName(env, "scheduler")
	d.line("### Check that DataSurface runs")
	d.blank()
	d.line("Once every stage is ready:")
	d.blank()
	d.line("```sh")
	if env.Airflow.DAGs.GitSync.Enabled {
		d.line("# git-sync fetched the DAG repository (it polls every %s)", gitSyncPeriod(env))
		d.line("kubectl -n %s logs -l component=scheduler,release=%s -c git-sync --tail=20", ns, rel)
	}
	dagFile := path.Join(dagsMountPath, "repo", datasurface.DAGPath(env), n.InfrastructureDAGFile)
	if !env.Airflow.DAGs.GitSync.Enabled {
		dagFile = path.Join(dagsMountPath, n.InfrastructureDAGFile)
	}
	d.line("kubectl -n %s exec deploy/%s -c scheduler -- ls -l %s", ns, scheduler, dagFile)
	d.line("# the DAGs import without errors, and the infrastructure DAG runs")
	d.line("kubectl -n %s exec deploy/%s -c scheduler -- airflow dags list-import-errors", ns, scheduler)
	d.line("kubectl -n %s exec deploy/%s -c scheduler -- airflow dags list-runs %s_infrastructure", ns, scheduler, model.K8sName(env.DataSurface.PSP))
	d.line("```")
	d.blank()
	if env.Maintenance.GitCacheClear.Enabled {
		clear := maintenance.NamesFor(env).GitCacheClear
		d.line("When DataSurface does not pick up a model change (a new release tag on a branch that did not move), empty its git cache;")
		d.line("the next DataSurface process clones the model afresh:")
		d.blank()
		d.line("```sh")
		d.line("kubectl -n %s create job --from=cronjob/%s %s-$(date +%%s)", ns, clear, clear)
		d.line("```")
		d.blank()
	}
}

// manualDAGStep is the comment the plain tree's deploy script carries at
// the infrastructure DAG's place when it is published by hand.
func manualDAGStep(env *model.Environment) string {
	if env.DataSurface.InfrastructureDAG.Publish == model.PublishJob {
		return ""
	}
	return fmt.Sprintf("# publish the infrastructure DAG now, as %q below says", "The infrastructure DAG")
}

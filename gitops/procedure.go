package gitops

import (
	"fmt"
	"path"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators/datasurface"
	"github.com/ydpgen/ydpgen/generators/maintenance"
	"github.com/ydpgen/ydpgen/generators/rbac"
	"github.com/ydpgen/ydpgen/internal/markdown"
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
func before(d *markdown.Doc, env *model.Environment, r objset.RenderedEnvironment) {
	d.Line("### Before the first deployment")
	d.Blank()
	n := 1
	if gs := env.Airflow.DAGs.GitSync; gs.Enabled {
		branch := datasurface.DAGBranch(env)
		d.Line("%d. The DAG repository's branch must exist: git-sync's init container fails on a ref that does not, and Airflow with it.", n)
		d.Line("   This creates %s in %s when it is missing (with the credential git asks for), and does nothing otherwise:", markdown.Code(branch), gs.Repository)
		d.Blank()
		d.Line("   ```sh")
		d.Line("   git ls-remote --exit-code --heads %s %s >/dev/null || (", gs.Repository, branch)
		d.Line("     dir=$(mktemp -d) && git -C \"$dir\" init --quiet --initial-branch=%s &&", branch)
		d.Line("     git -C \"$dir\" commit --quiet --allow-empty -m \"Start the DAG branch\" &&")
		d.Line("     git -C \"$dir\" push %s %s )", gs.Repository, branch)
		d.Line("   ```")
		d.Blank()
		n++
	}
	if doc := secretsDoc(env, r); doc != "" {
		d.Line("%d. The Secrets' values: %s lists every Secret, its keys and who reads it.", n, markdown.Code(doc))
		n++
	}
	if ds := env.DataSurface; ds.PullSecret != "" {
		d.Line("%d. The DataSurface image %s is private: its pull secret %s is among those Secrets. Pods pull with it:", n, markdown.Code(ds.Image.Ref()), markdown.Code(model.K8sName(ds.PullSecret)))
		d.Line("   ydpgen's own pods name it, and the namespace's %s ServiceAccount carries it for the task pods DataSurface starts.", markdown.Code("default"))
		d.Line("   Pre-pulling the image on every node (seed 002, Phase 5, step 2) only makes the first pods start sooner.")
		n++
	}
	d.Line("%d. The DataSurface model at %s (branch or tag %s) names the platform %s and the runtime environment %s.", n, env.DataSurface.Model.Repository, markdown.Code(env.DataSurface.Model.Ref), markdown.Code(env.DataSurface.PSP), markdown.Code(env.DataSurface.RTE))
	d.Blank()
}

// infrastructureDAG writes how ring 0's DAG reaches Airflow: the publish
// Job's stage, or the commands that do it by hand.
func infrastructureDAG(d *markdown.Doc, env *model.Environment, r objset.RenderedEnvironment) error {
	ds := env.DataSurface
	n := env.DataSurfaceNames()
	d.Line("### The infrastructure DAG")
	d.Blank()
	d.Line("DataSurface's ring 0 writes %s, the DAG that schedules everything DataSurface does", markdown.Code(n.InfrastructureDAGFile))
	d.Line("(from 1.8 on it also merges the model). Without it Airflow runs and nothing ingests.")
	gs := env.Airflow.DAGs.GitSync
	if ds.InfrastructureDAG.Publish == model.PublishJob {
		job := ""
		for _, e := range r.Objects {
			if isJob(e) && stages.Of(e) == stages.InfrastructureDAG {
				job = e.Name
			}
		}
		d.Line("The stage %s does it with the Job %s, as seed 002's Phase 5 does by hand: it clones the model at %s (step 1),",
			markdown.Code(string(stages.InfrastructureDAG)), markdown.Code(job), markdown.Code(ds.Model.Ref))
		d.Line("runs ring 0 with the image %s (steps 2 and 3), and commits the DAG to %s, branch %s, directory %s (step 5),",
			markdown.Code(ds.Image.Ref()), gs.Repository, markdown.Code(datasurface.DAGBranch(env)), markdown.Code(dagDir(env)))
		d.Line("creating the branch if it is missing, committing only a changed DAG and never forcing a push. Its log says what it did:")
		d.Blank()
		d.Line("```sh")
		d.Line("kubectl -n %s logs job/%s", env.Namespace.Name, job)
		d.Line("```")
		d.Blank()
		ring1Steps(d, env)
		return nil
	}
	d.Line("Publish it by hand, in the order of seed 002's Phase 5, after Airflow is installed and before ring1-init runs")
	d.Line("(later works too: git-sync picks the DAG up within %s). Ring 0 needs no cluster; it runs where Docker and git are:", gitSyncPeriod(env))
	d.Blank()
	cmd, err := datasurface.Ring0Command(env, datasurface.Ring0Paths{Model: "/workspace/model", Output: "/workspace/model/generated_output"})
	if err != nil {
		return err
	}
	generated := "model/generated_output/" + ds.PSP
	d.Line("```sh")
	d.Line("# step 1: the model, at the ref the platform runs")
	d.Line("git clone --branch %s %s model", ds.Model.Ref, ds.Model.Repository)
	d.Line("# step 2: the DataSurface image")
	if ds.PullSecret != "" {
		login := "docker login"
		if host := credentials.RegistryHost(ds.Image.Repository); !strings.Contains(host, "docker.io") {
			login += " " + host
		}
		d.Line("%s", login)
	}
	d.Line("docker pull %s", ds.Image.Ref())
	d.Line("# step 3: ring 0 writes the bootstrap artifacts, among them the infrastructure DAG")
	d.Line("docker run --rm -v \"$PWD/model\":/workspace/model -w /workspace/model %s \\", ds.Image.Ref())
	d.Line("  %s", strings.Join(cmd, " "))
	d.Line("ls %s/%s", generated, n.InfrastructureDAGFile)
	d.Line("# step 4 is not needed: ydpgen renders ring 1's Jobs (stage ring1-init)")
	if gs.Enabled {
		branch := datasurface.DAGBranch(env)
		dir := "dags/" + datasurface.DAGPath(env)
		d.Line("# step 5: commit the DAGs to the DAG repository, which git-sync serves Airflow from")
		d.Line("git clone --branch %s %s dags", branch, gs.Repository)
		d.Line("mkdir -p %s", strings.TrimSuffix(dir, "/"))
		d.Line("cp %s/*_dag.py %s", generated, strings.TrimSuffix(dir, "/")+"/")
		d.Line("git -C dags add -A %s", dagDir(env))
		d.Line("git -C dags diff --cached --quiet || git -C dags commit -m \"Publish the infrastructure DAG %s\"", n.InfrastructureDAGFile)
		d.Line("git -C dags push origin %s", branch)
	} else {
		d.Line("# step 5: copy the DAGs into the DAG volume, which every Airflow component mounts")
		d.Line("pod=$(kubectl -n %s get pod -l component=scheduler,release=%s -o name | head -n 1 | cut -d/ -f2)", env.Namespace.Name, env.Airflow.ReleaseName)
		d.Line("for f in %s/*_dag.py; do kubectl -n %s cp \"$f\" \"$pod:%s/\" -c scheduler; done", generated, env.Namespace.Name, dagsMountPath)
	}
	d.Line("```")
	d.Blank()
	d.Line("Run it again whenever the model's platform or runtime environment changes, or the DataSurface version does.")
	d.Blank()
	ring1Steps(d, env)
	return nil
}

// ring1Steps says where the rest of Phase 5 happens: ring 0's Job YAMLs
// (step 4) are not needed, ring 1's Jobs (step 6) are stages, and git-sync
// serving the DAG (step 7) is checked below.
func ring1Steps(d *markdown.Doc, env *model.Environment) {
	jobs := "ring1-init"
	if merge, err := datasurface.HasModelMergeJob(env.DataSurface.Version); err == nil && merge {
		jobs += ", model-merge"
	}
	d.Line("The rest of Phase 5 is in the tree: ring 0's Job YAMLs (step 4) are not needed, because ydpgen renders ring 1's Jobs,")
	d.Line("which the stages %s and workloads (reconcile-views) run (step 6); git-sync serving the DAG (step 7) is checked below.", jobs)
	d.Blank()
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
func verify(d *markdown.Doc, env *model.Environment) {
	ns := env.Namespace.Name
	rel := env.Airflow.ReleaseName
	n := env.DataSurfaceNames()
	scheduler := componentName(env, "scheduler")
	d.Line("### Check that DataSurface runs")
	d.Blank()
	d.Line("Once every stage is ready:")
	d.Blank()
	d.Line("```sh")
	if env.Airflow.DAGs.GitSync.Enabled {
		d.Line("# git-sync fetched the DAG repository (it polls every %s)", gitSyncPeriod(env))
		d.Line("kubectl -n %s logs -l component=scheduler,release=%s -c git-sync --tail=20", ns, rel)
	}
	dagFile := path.Join(dagsMountPath, "repo", datasurface.DAGPath(env), n.InfrastructureDAGFile)
	if !env.Airflow.DAGs.GitSync.Enabled {
		dagFile = path.Join(dagsMountPath, n.InfrastructureDAGFile)
	}
	d.Line("kubectl -n %s exec deploy/%s -c scheduler -- ls -l %s", ns, scheduler, dagFile)
	d.Line("# the DAGs import without errors, and the infrastructure DAG runs")
	d.Line("kubectl -n %s exec deploy/%s -c scheduler -- airflow dags list-import-errors", ns, scheduler)
	d.Line("kubectl -n %s exec deploy/%s -c scheduler -- airflow dags list-runs %s_infrastructure", ns, scheduler, model.K8sName(env.DataSurface.PSP))
	d.Line("```")
	d.Blank()
	if env.Maintenance.GitCacheClear.Enabled {
		clear := maintenance.NamesFor(env).GitCacheClear
		d.Line("When DataSurface does not pick up a model change (a new release tag on a branch that did not move), empty its git cache;")
		d.Line("the next DataSurface process clones the model afresh:")
		d.Blank()
		d.Line("```sh")
		d.Line("kubectl -n %s create job --from=cronjob/%s %s-$(date +%%s)", ns, clear, clear)
		d.Line("```")
		d.Blank()
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

package datasurface

import (
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// backoffLimit is DataSurface's own: a Job that fails three times needs a
// person, not a fourth try.
const backoffLimit = 3

// job is one bootstrap Job before it becomes an object.
type job struct {
	name      string
	component string // also the container's name
	resources model.Resources
	specPath  string // of the resources, for errors
	args      []string
	module    string
	// mergeDB says whether the Job reads the merge database's credential.
	mergeDB bool
}

// Jobs returns DataSurface's bootstrap Jobs for an environment, in the
// order they must run: ring1-init creates the platform tables, then the
// model merge (for the releases that have its Job) and reconcile-views.
func Jobs(env *model.Environment) ([]objset.Object, error) {
	ds := env.DataSurface
	n := env.DataSurfaceNames()
	mods, err := ModulesFor(ds.Version)
	if err != nil {
		return nil, err
	}
	merge, err := HasModelMergeJob(ds.Version)
	if err != nil {
		return nil, err
	}
	git, err := modelArgs(ds)
	if err != nil {
		return nil, err
	}
	cache := concat(git, []string{"--use-git-cache", "--max-cache-age-minutes", strconv.Itoa(cacheMaxAgeMinutes)})
	output := []string{"--output", model.DataSurfaceWorkspacePath + "/generated_artifacts", "--psp", ds.PSP}

	ring1 := concat([]string{"generatePlatformBootstrap", "--ringLevel", "1"}, cache, output)
	rteName, err := TakesRTEName(ds.Version, Ring1)
	if err != nil {
		return nil, err
	}
	if rteName {
		ring1 = append(ring1, "--rte-name", ds.RTE)
	}
	specs := []job{{
		name: n.Ring1Init, component: "ring1-init", module: mods.Platform, mergeDB: true,
		resources: ds.Jobs.Ring1Init.Resources, specPath: "datasurface.jobs.ring1Init.resources",
		args: ring1,
	}}
	if merge {
		specs = append(specs, job{
			name: n.ModelMerge, component: "model-merge", module: mods.Platform, mergeDB: true,
			resources: ds.Jobs.ModelMerge.Resources, specPath: "datasurface.jobs.modelMerge.resources",
			args: concat([]string{"handleModelMerge"}, cache, output),
		})
	}
	specs = append(specs, job{
		name: n.ReconcileViews, component: "reconcile-views", module: mods.ReconcileViews, mergeDB: true,
		resources: ds.Jobs.ReconcileViews.Resources, specPath: "datasurface.jobs.reconcileViews.resources",
		args: concat([]string{"--psp", ds.PSP}, cache),
	})

	var out []objset.Object
	for _, j := range specs {
		o, err := j.build(env, n)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// modelArgs are the flags that tell DataSurface where the model is and how
// to read it, shared by every bootstrap command.
func modelArgs(ds model.DataSurface) ([]string, error) {
	owner, name, ok := model.RepoOwnerName(ds.Model.Repository)
	if !ok {
		return nil, fmt.Errorf("datasurface.model.repository %q has no owner and name", ds.Model.Repository)
	}
	args := []string{
		"--git-repo-path", model.DataSurfaceGitCachePath,
		"--git-repo-owner", owner,
		"--git-repo-name", name,
		"--git-repo-branch", ds.Model.Ref,
	}
	// Over SSH git reads the mounted key (GIT_SSH_COMMAND); there is no
	// token for DataSurface to look up.
	if ds.Model.Credential != "" && !model.IsSSHURL(ds.Model.Repository) {
		args = append(args, "--git-platform-repo-credential-name", ds.Model.Credential)
	}
	return args, nil
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (j job) build(env *model.Environment, n model.DataSurfaceNames) (*batchv1.Job, error) {
	ds := env.DataSurface
	res, err := pod.Resources(j.specPath, j.resources)
	if err != nil {
		return nil, err
	}
	env1 := commonEnv()
	if j.mergeDB {
		vars, err := credentials.EnvVars(ds.MergeDatabase.Credential, credentials.UserPassword, ds.Version)
		if err != nil {
			return nil, err
		}
		env1 = append(env1, vars...)
	}
	git, err := pod.ModelGit(env)
	if err != nil {
		return nil, err
	}
	env1 = append(env1, git.Env...)
	l := labels.For(env, j.name, j.component)
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: j.name, Namespace: env.Namespace.Name, Labels: l},
		Spec: batchv1.JobSpec{
			// No ttlSecondsAfterFinished: a GitOps engine would create the
			// expired Job again and it would run again (ARCHITECTURE.md,
			// "Job lifecycle").
			BackoffLimit: ptr.To[int32](backoffLimit),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{
					RestartPolicy:      corev1.RestartPolicyNever,
					ServiceAccountName: ServiceAccount(env),
					ImagePullSecrets:   pod.PullSecrets(ds.PullSecret),
					SecurityContext:    pod.PodSecurity(ds.RunAsUser),
					Containers: []corev1.Container{{
						Name:            j.component,
						Image:           ds.Image.Ref(),
						ImagePullPolicy: corev1.PullPolicy(ds.Image.PullPolicy),
						Command:         []string{"python", "-m", j.module},
						Args:            j.args,
						Env:             env1,
						EnvFrom:         loggingEnvFrom(n),
						Resources:       res,
						SecurityContext: pod.ContainerSecurity(),
						VolumeMounts:    volumeMounts(git),
					}},
					Volumes: volumes(n, git),
				},
			},
		},
	}, nil
}

package datasurface

import (
	"fmt"
	"path"
	"strings"

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

// Where the publish Job keeps things.
const (
	// PublishComponent is the component label of the publish Job and its
	// ConfigMap; passes/stages gives it a stage of its own.
	PublishComponent = "infrastructure-dag"
	// publishScriptKey is the script's key in the ConfigMap.
	publishScriptKey = "publish.sh"
	// publishScriptDir is where the ConfigMap is mounted.
	publishScriptDir = "/opt/ydpgen"
	// pushAttempts bounds the pushes of a branch that keeps moving.
	pushAttempts = 5
	// tokenUser is the user name a token is sent with over HTTPS: GitHub
	// takes it for any token, GitLab and others take any name with a
	// personal access token.
	tokenUser = "x-access-token"
)

// Ring0Paths are where ring 0 reads the model and writes its output, in
// the publish Job and in the README's docker commands.
type Ring0Paths struct{ Model, Output string }

// Ring0Command is the whole ring-0 command line for an environment: python
// -m <the release's platform module> and Ring0Args.
func Ring0Command(env *model.Environment, p Ring0Paths) ([]string, error) {
	ds := env.DataSurface
	mods, err := ModulesFor(ds.Version)
	if err != nil {
		return nil, err
	}
	args, err := Ring0Args(ds.Version, ds.PSP, ds.RTE, p.Model, p.Output)
	if err != nil {
		return nil, err
	}
	return append([]string{"python", "-m", mods.Platform}, args...), nil
}

// DAGBranch is the branch git-sync's ref names, which the DAG is pushed to.
func DAGBranch(env *model.Environment) string {
	return strings.TrimPrefix(env.Airflow.DAGs.GitSync.Ref, "refs/heads/")
}

// DAGPath is the directory of the DAG repository git-sync serves (its
// subPath), "" for the root.
func DAGPath(env *model.Environment) string {
	p := strings.Trim(env.Airflow.DAGs.GitSync.SubPath, "/")
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// publishJob renders the infrastructure DAG's publish Job and the
// ConfigMap of its script, when the spec publishes with a Job.
func publishJob(env *model.Environment, n model.DataSurfaceNames) ([]objset.Object, error) {
	ds := env.DataSurface
	dag := ds.InfrastructureDAG
	if dag.Publish != model.PublishJob {
		return nil, nil
	}
	res, err := pod.Resources("datasurface.infrastructureDAG.resources", dag.Resources)
	if err != nil {
		return nil, err
	}
	work := model.DataSurfaceWorkspacePath
	p := Ring0Paths{Model: work + "/model", Output: work + "/generated"}
	ring0, err := Ring0Command(env, p)
	if err != nil {
		return nil, err
	}
	gs := env.Airflow.DAGs.GitSync
	vars := []corev1.EnvVar{
		{Name: "HOME", Value: work},
		{Name: "MODEL_REPOSITORY", Value: ds.Model.Repository},
		{Name: "MODEL_REF", Value: ds.Model.Ref},
		{Name: "MODEL_DIR", Value: p.Model},
		{Name: "GENERATED_DIR", Value: p.Output + "/" + ds.PSP},
		{Name: "DAG_FILE", Value: n.InfrastructureDAGFile},
		{Name: "DAG_REPOSITORY", Value: gs.Repository},
		{Name: "DAG_BRANCH", Value: DAGBranch(env)},
		{Name: "DAG_PATH", Value: DAGPath(env)},
		{Name: "DAG_CREDENTIAL", Value: fmt.Sprintf("the credential %s (Secret %s)", dag.Credential, model.K8sName(dag.Credential))},
		{Name: "WORK_DIR", Value: work + "/publish"},
		{Name: "PUSH_ATTEMPTS", Value: fmt.Sprint(pushAttempts)},
		{Name: "GIT_AUTHOR_NAME", Value: "ydpgen"},
		{Name: "GIT_AUTHOR_EMAIL", Value: "ydpgen@ydpgen.invalid"},
	}
	// Over SSH git reads the model's mounted key and known hosts
	// (GIT_SSH_COMMAND), as DataSurface's own Jobs do.
	git, err := pod.ModelGit(env)
	if err != nil {
		return nil, err
	}
	if git.SSH {
		vars = append(vars, git.Env...)
	} else if c := ds.Model.Credential; c != "" {
		login, err := gitLogin(env, c, "MODEL")
		if err != nil {
			return nil, err
		}
		vars = append(vars, login...)
	}
	login, err := gitLogin(env, dag.Credential, "DAG")
	if err != nil {
		return nil, err
	}
	vars = append(vars, login...)

	l := labels.For(env, n.InfrastructureDAG, PublishComponent)
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: n.InfrastructureDAG, Namespace: env.Namespace.Name, Labels: l},
		Data:       map[string]string{publishScriptKey: PublishScript()},
	}
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: n.InfrastructureDAG, Namespace: env.Namespace.Name, Labels: l},
		Spec: batchv1.JobSpec{
			// No ttlSecondsAfterFinished: a GitOps engine would create the
			// expired Job again and it would run again (ARCHITECTURE.md,
			// "Job lifecycle").
			BackoffLimit: ptr.To[int32](backoffLimit),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					// It talks to git hosts only, never to the API server.
					AutomountServiceAccountToken: ptr.To(false),
					ImagePullSecrets:             pod.PullSecrets(ds.PullSecret),
					SecurityContext:              pod.PodSecurity(ds.RunAsUser),
					Containers: []corev1.Container{{
						Name:            PublishComponent,
						Image:           ds.Image.Ref(),
						ImagePullPolicy: corev1.PullPolicy(ds.Image.PullPolicy),
						Command:         append([]string{"/bin/sh", publishScriptDir + "/" + publishScriptKey}, ring0...),
						Env:             vars,
						Resources:       res,
						SecurityContext: pod.ContainerSecurity(),
						VolumeMounts: append([]corev1.VolumeMount{
							{Name: "script", MountPath: publishScriptDir, ReadOnly: true},
							{Name: "workspace", MountPath: work},
						}, git.Mounts...),
					}},
					Volumes: append([]corev1.Volume{
						{Name: "script", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: n.InfrastructureDAG},
						}}},
						{Name: "workspace", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					}, git.Volumes...),
				},
			},
		},
	}
	return []objset.Object{cm, job}, nil
}

// gitLogin is the user name and password the publish script gives git for
// one repository (prefix MODEL or DAG), from a credential's Secret: a token
// with the user name tokenUser, or git-sync's own user name and password.
func gitLogin(env *model.Environment, credential, prefix string) ([]corev1.EnvVar, error) {
	var kind credentials.Kind
	for _, c := range env.Credentials {
		if c.Name == credential {
			kind = credentials.KindOf(c.Type)
		}
	}
	secret := func(key string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(credential)}, Key: key}}
	}
	switch kind {
	case credentials.APIToken:
		layout, err := credentials.LayoutOf(kind, env.DataSurface.Version)
		if err != nil {
			return nil, err
		}
		return []corev1.EnvVar{
			{Name: prefix + "_GIT_USERNAME", Value: tokenUser},
			{Name: prefix + "_GIT_PASSWORD", ValueFrom: secret(layout.Keys[0].Name)},
		}, nil
	case credentials.GitSync:
		return []corev1.EnvVar{
			{Name: prefix + "_GIT_USERNAME", ValueFrom: secret("GITSYNC_USERNAME")},
			{Name: prefix + "_GIT_PASSWORD", ValueFrom: secret("GITSYNC_PASSWORD")},
		}, nil
	}
	return nil, fmt.Errorf("credential %s: the publish Job pushes with a credential of type API_TOKEN or GIT_SYNC, not %q", credential, kind)
}

package database

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
)

// SQLPathEnv is the Job's variable that names the SQL file; the script reads
// the file from it, so that a test can run the same script on another path.
const SQLPathEnv = "YDP_BOOTSTRAP_SQL"

const sqlMount = "/bootstrap"

// Script is what the bootstrap container runs: wait for the server to
// accept connections (an in-cluster one may still be initialising), then
// run the SQL once, stopping at the first error.
const Script = `set -eu
tries=0
until pg_isready --quiet; do
  tries=$((tries + 1))
  if [ "$tries" -ge 120 ]; then
    echo "PostgreSQL at $PGHOST:$PGPORT did not accept connections for 10 minutes" >&2
    exit 1
  fi
  sleep 5
done
exec psql --no-psqlrc --set ON_ERROR_STOP=1 --file "$` + SQLPathEnv + `"
`

// bootstrap returns the ConfigMap holding the SQL and the Job that runs it.
func bootstrap(env *model.Environment) (*corev1.ConfigMap, *batchv1.Job, error) {
	md := env.Airflow.MetadataDatabase
	plan, err := NewPlan(env)
	if err != nil {
		return nil, nil, err
	}
	sql := SQL(plan)
	res, err := pod.Resources("airflow.metadataDatabase.bootstrap.resources", md.Bootstrap.Resources)
	if err != nil {
		return nil, nil, err
	}
	l := labels.For(env, BootstrapName, "database-bootstrap")

	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapName, Namespace: env.Namespace.Name, Labels: l},
		Data:       map[string]string{SQLKey: sql},
	}

	envVars := []corev1.EnvVar{
		{Name: "PGHOST", Value: md.Host},
		{Name: "PGPORT", Value: strconv.Itoa(md.Port)},
		// Every server has it; the script connects to each database in turn.
		{Name: "PGDATABASE", Value: "postgres"},
		{Name: "PGSSLMODE", Value: md.SSLMode},
		{Name: "PGCONNECT_TIMEOUT", Value: "10"},
		{Name: "PGAPPNAME", Value: "ydpgen-bootstrap"},
		{Name: SQLPathEnv, Value: sqlMount + "/" + SQLKey},
		{Name: OwnerEnv, Value: env.Platform + "/" + env.Name},
	}
	for _, r := range plan.Roles {
		envVars = append(envVars, secretEnv(r.UserEnv, r.Credential, "USER"))
		if r.Admin {
			envVars = append(envVars, secretEnv(adminPasswordEnv, r.Credential, "PASSWORD"))
		} else {
			envVars = append(envVars, secretEnv(r.PasswordEnv, r.Credential, "PASSWORD"))
		}
	}

	spec := batchv1.JobSpec{
		BackoffLimit: ptr.To[int32](4),
		// The script waits up to 10 minutes for the server; a Job still
		// running after 30 is stuck.
		ActiveDeadlineSeconds: ptr.To[int64](1800),
		// No ttlSecondsAfterFinished: an engine would create the expired
		// Job again and run it again. To apply rotated passwords, delete
		// the Job; the engine (or the README's commands) creates it anew.
		Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: l},
			Spec: corev1.PodSpec{
				RestartPolicy:                corev1.RestartPolicyNever,
				AutomountServiceAccountToken: ptr.To(false),
				EnableServiceLinks:           ptr.To(false),
				SecurityContext:              podSecurity(),
				Containers: []corev1.Container{{
					Name:            "bootstrap",
					Image:           md.Server.Image.Ref(),
					ImagePullPolicy: corev1.PullPolicy(md.Server.Image.PullPolicy),
					Command:         []string{"sh", "-c", Script},
					Env:             envVars,
					Resources:       res,
					SecurityContext: containerSecurity(),
					VolumeMounts:    []corev1.VolumeMount{{Name: "sql", MountPath: sqlMount, ReadOnly: true}},
				}},
				Volumes: []corev1.Volume{{Name: "sql", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: BootstrapName},
					Items:                []corev1.KeyToPath{{Key: SQLKey, Path: SQLKey}},
					DefaultMode:          ptr.To[int32](0o444),
				}}}},
			},
		},
	}
	// Named without a suffix: render's pass (package jobhash) appends the
	// hash of this spec and of the SQL ConfigMap it mounts, so a changed
	// bootstrap is a new Job rather than an apply that fails.
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapName, Namespace: env.Namespace.Name, Labels: l},
		Spec:       spec,
	}
	return cm, job, nil
}

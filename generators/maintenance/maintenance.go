package maintenance

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Generator renders the maintenance CronJobs.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "maintenance" }

// Paths and identities the CronJobs rely on.
const (
	// LogsMountPath is where Airflow keeps its logs, in its image and on the
	// chart's claim.
	LogsMountPath = "/opt/airflow/logs"
	// airflowUID and airflowGID are the Airflow image's user and group,
	// which own the log files.
	airflowUID = 50000
	airflowGID = 0
	// activeDeadline bounds one run: find on a network file system with
	// many files takes minutes, never this long.
	activeDeadline = 1800
)

// Names are the CronJobs' names in an environment.
type Names struct {
	LogCleanup    string
	GitCacheClear string
}

// NamesFor returns the CronJobs' names: the log cleanup is named after the
// Airflow release whose volume it cleans, the refresh after the PSP.
func NamesFor(env *model.Environment) Names {
	return Names{
		LogCleanup:    env.Airflow.ReleaseName + "-log-cleanup",
		GitCacheClear: model.K8sName(env.DataSurface.PSP) + "-git-cache-clear",
	}
}

// LogsClaim is the name of the claim the chart makes for logs persistence.
func LogsClaim(release string) string { return release + "-logs" }

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	var objs []objset.Object
	if LogCleanupNeeded(env) {
		cj, err := logCleanup(env)
		if err != nil {
			return generators.Artifacts{}, err
		}
		objs = append(objs, cj)
	}
	if env.Maintenance.GitCacheClear.Enabled {
		cj, err := gitCacheClear(env)
		if err != nil {
			return generators.Artifacts{}, err
		}
		objs = append(objs, cj)
	}
	return generators.Artifacts{Objects: objs}, nil
}

// LogCleanupNeeded reports whether the log cleanup CronJob is rendered: it
// is asked for, and logs go to the shared claim (see the package doc).
func LogCleanupNeeded(env *model.Environment) bool {
	return env.Maintenance.LogCleanup.Enabled && env.Airflow.Logs.Persistence.Enabled
}

// LogCleanupScript deletes files older than retentionDays, then empty
// directories, under dir, and reports the space before and after. A
// directory that a task writes to while it is being removed is not an
// error: it is kept.
func LogCleanupScript(dir string, retentionDays int) string {
	// -mmin rather than -mtime: -mtime +2 keeps files for three days.
	return fmt.Sprintf(`set -eu
df -h %[1]s
find %[1]s -mindepth 1 -type f -mmin +%[2]d -delete
find %[1]s -mindepth 1 -type d -empty -delete || true
df -h %[1]s
`, dir, retentionDays*24*60)
}

func logCleanup(env *model.Environment) (*batchv1.CronJob, error) {
	s := env.Maintenance.LogCleanup
	if s.RetentionDays < 1 {
		return nil, fmt.Errorf("maintenance.logCleanup.retentionDays is %d, want at least 1", s.RetentionDays)
	}
	res, err := pod.Resources("maintenance.resources", env.Maintenance.Resources)
	if err != nil {
		return nil, err
	}
	a := env.Airflow
	name := NamesFor(env).LogCleanup
	pod := corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever,
		// Needs no Kubernetes API.
		AutomountServiceAccountToken: ptr.To(false),
		ImagePullSecrets:             pod.PullSecrets(a.PullSecret),
		// No fsGroup: the kubelet would walk the whole logs volume to
		// change its group on every run.
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](airflowUID),
			RunAsGroup:     ptr.To[int64](airflowGID),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:            "log-cleanup",
			Image:           a.Image.Ref(),
			ImagePullPolicy: corev1.PullPolicy(a.Image.PullPolicy),
			Command:         []string{"/bin/sh", "-c", LogCleanupScript(LogsMountPath, s.RetentionDays)},
			Resources:       res,
			SecurityContext: pod.ContainerSecurity(),
			VolumeMounts:    []corev1.VolumeMount{{Name: "logs", MountPath: LogsMountPath}},
		}},
		Volumes: []corev1.Volume{{Name: "logs", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: LogsClaim(a.ReleaseName)},
		}}},
	}
	return cronJob(env, name, "log-cleanup", s.Schedule, pod), nil
}

// GitCacheClearScript empties dir, the git cache, the way DataSurface's
// own guide clears a cache that does not pick up a model change: every
// clone goes, and the next DataSurface process clones afresh.
func GitCacheClearScript(dir string) string {
	return fmt.Sprintf(`set -eu
echo "clearing the git cache at %[1]s"
find %[1]s -mindepth 1 -maxdepth 1 -exec rm -rf {} +
echo "cleared: the next DataSurface process clones the model again"
`, dir)
}

// neverSchedule is the schedule of a CronJob that only runs when someone
// creates a Job from it: the CronJob is suspended, and the schedule, which
// the API requires, is a date that would come once a year.
const neverSchedule = "0 0 1 1 *"

func gitCacheClear(env *model.Environment) (*batchv1.CronJob, error) {
	ds := env.DataSurface
	res, err := pod.Resources("maintenance.resources", env.Maintenance.Resources)
	if err != nil {
		return nil, err
	}
	dn := env.DataSurfaceNames()
	name := NamesFor(env).GitCacheClear
	spec := corev1.PodSpec{
		RestartPolicy:                corev1.RestartPolicyNever,
		AutomountServiceAccountToken: ptr.To(false),
		ImagePullSecrets:             pod.PullSecrets(ds.PullSecret),
		// The cache's user and group, which own every clone (see the
		// package doc), so that it may remove them.
		SecurityContext: pod.PodSecurity(ds.RunAsUser),
		Containers: []corev1.Container{{
			Name:            "git-cache-clear",
			Image:           ds.Image.Ref(),
			ImagePullPolicy: corev1.PullPolicy(ds.Image.PullPolicy),
			Command:         []string{"/bin/sh", "-c", GitCacheClearScript(model.DataSurfaceGitCachePath)},
			// It runs no git, but every pod on the cache gets the same.
			Env:             pod.GitTrust(),
			Resources:       res,
			SecurityContext: pod.ContainerSecurity(),
			VolumeMounts:    []corev1.VolumeMount{{Name: "git-cache", MountPath: model.DataSurfaceGitCachePath}},
		}},
		Volumes: []corev1.Volume{
			{Name: "git-cache", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: dn.GitCacheClaim}}},
		},
	}
	cj := cronJob(env, name, "git-cache-clear", neverSchedule, spec)
	cj.Spec.Suspend = ptr.To(true)
	return cj, nil
}

// cronJob wraps a pod in a CronJob that never overlaps itself, keeps little
// history and reads its schedule in UTC whatever the controller's zone.
func cronJob(env *model.Environment, name, component, schedule string, pod corev1.PodSpec) *batchv1.CronJob {
	l := labels.For(env, name, component)
	return &batchv1.CronJob{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: env.Namespace.Name, Labels: l},
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			TimeZone:                   ptr.To("Etc/UTC"),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To[int64](300),
			SuccessfulJobsHistoryLimit: ptr.To[int32](1),
			FailedJobsHistoryLimit:     ptr.To[int32](3),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: l},
				Spec: batchv1.JobSpec{
					BackoffLimit:          ptr.To[int32](1),
					ActiveDeadlineSeconds: ptr.To[int64](activeDeadline),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Labels: l},
						Spec:       pod,
					},
				},
			},
		},
	}
}

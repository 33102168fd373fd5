package maintenance

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
)

func loadExample(t *testing.T, name string) *model.Environment {
	t.Helper()
	return exampletest.First(t, name)
}

func cronJobs(t *testing.T, env *model.Environment) map[string]*batchv1.CronJob {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*batchv1.CronJob{}
	for _, o := range a.Objects {
		out[o.GetName()] = o.(*batchv1.CronJob)
	}
	return out
}

func TestLogCleanupNeeded(t *testing.T) {
	for _, tc := range []struct {
		enabled, persistence, want bool
	}{
		{true, true, true},
		{true, false, false}, // logs live on each pod: the chart's groomers clean them
		{false, true, false},
		{false, false, false},
	} {
		env := &model.Environment{}
		env.Maintenance.LogCleanup.Enabled = tc.enabled
		env.Airflow.Logs.Persistence.Enabled = tc.persistence
		if got := LogCleanupNeeded(env); got != tc.want {
			t.Errorf("enabled %v persistence %v: %v, want %v", tc.enabled, tc.persistence, got, tc.want)
		}
	}
}

func TestLogCleanupScript(t *testing.T) {
	for _, tc := range []struct {
		days int
		want string
	}{
		{1, "-mmin +1440 -delete"},
		{2, "-mmin +2880 -delete"},
		{30, "-mmin +43200 -delete"},
	} {
		got := LogCleanupScript("/opt/airflow/logs", tc.days)
		if !strings.Contains(got, "find /opt/airflow/logs -mindepth 1 -type f "+tc.want) {
			t.Errorf("%d days:\n%s\nlacks %q", tc.days, got, tc.want)
		}
		if !strings.HasPrefix(got, "set -eu\n") {
			t.Errorf("script does not stop on errors:\n%s", got)
		}
	}
}

func TestLogCleanupCronJob(t *testing.T) {
	env := loadExample(t, "onprem")
	env.Maintenance.LogCleanup.RetentionDays = 3
	cj := cronJobs(t, env)["airflow-log-cleanup"]
	if cj == nil {
		t.Fatal("no airflow-log-cleanup CronJob")
	}
	if cj.Spec.Schedule != "0 * * * *" || cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("schedule %q policy %s", cj.Spec.Schedule, cj.Spec.ConcurrencyPolicy)
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if got := pod.Volumes[0].PersistentVolumeClaim.ClaimName; got != "airflow-logs" {
		t.Errorf("claim %q, want the chart's airflow-logs", got)
	}
	if pod.SecurityContext.FSGroup != nil {
		t.Error("fsGroup set: the kubelet would walk the whole logs volume")
	}
	c := pod.Containers[0]
	if c.Image != "datasurface/airflow:3.1.7-ds1.8.4" || !strings.Contains(c.Command[2], "-mmin +4320 ") {
		t.Errorf("image %s command %q", c.Image, c.Command)
	}

	env.Airflow.ReleaseName = "yellow"
	if cj := cronJobs(t, env)["yellow-log-cleanup"]; cj == nil ||
		cj.Spec.JobTemplate.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "yellow-logs" {
		t.Error("the cleanup does not follow the release's logs claim")
	}

	env.Airflow.Logs.Persistence.Enabled = false
	if _, ok := cronJobs(t, env)["yellow-log-cleanup"]; ok {
		t.Error("log cleanup rendered without logs persistence")
	}
}

func TestGitCacheClear(t *testing.T) {
	env := loadExample(t, "onprem")
	cj := cronJobs(t, env)["test-dp-git-cache-clear"]
	if cj == nil {
		t.Fatal("no git cache clear")
	}
	// It runs only when someone starts a Job from it.
	if cj.Spec.Suspend == nil || !*cj.Spec.Suspend {
		t.Error("the cache clear is not suspended: it would empty the cache on a schedule")
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if got := pod.Volumes[0].PersistentVolumeClaim.ClaimName; got != "git-cache-pvc" {
		t.Errorf("claim %q", got)
	}
	// As the cache's one user and group, which own every clone.
	sc := pod.SecurityContext
	if *sc.RunAsUser != env.DataSurface.RunAsUser || *sc.RunAsGroup != env.DataSurface.RunAsUser || *sc.FSGroup != env.DataSurface.RunAsUser {
		t.Errorf("security context %+v", sc)
	}

	env.Maintenance.GitCacheClear.Enabled = false
	if _, ok := cronJobs(t, env)["test-dp-git-cache-clear"]; ok {
		t.Error("cache clear rendered while disabled")
	}
}

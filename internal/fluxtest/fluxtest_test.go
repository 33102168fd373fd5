package fluxtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/internal/proc"
)

// TestControllers starts both controllers, checks that they reconcile and
// that the stand-ins are accepted by the API server, and that every process
// is gone once the subtest that started them has ended.
func TestControllers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kube-apiserver, etcd and two Flux controllers")
	}
	var pids map[string]int
	t.Run("start", func(t *testing.T) {
		kube := kubetest.Start(t)
		c := Start(t, kube)
		pids = c.PIDs()
		if len(pids) != 2 {
			t.Fatalf("PIDs() = %v, want two controllers", pids)
		}
		for name := range pids {
			if b, err := os.ReadFile(c.LogPath(name)); err != nil || !strings.Contains(string(b), "127.0.0.1:") {
				t.Errorf("%s log: %v (want the command line with loopback addresses first)", name, err)
			}
		}
		testStandIns(t, kube)
		testExpireJobs(t, kube)
	})
	for name, pid := range pids {
		// The cleanup waited for the process; signal 0 only checks that
		// the PID no longer names a process of ours.
		if alive, err := proc.Exists(pid); alive || err != nil {
			if b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline")); strings.Contains(string(b), name) {
				t.Errorf("%s (pid %d) still runs after its test ended", name, pid)
			}
		}
	}
}

func testStandIns(t *testing.T, kube *kubetest.Server) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	objs, err := kubetest.DecodeObjects([]byte(`
apiVersion: v1
kind: Namespace
metadata: {name: standin}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: standin}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: standin}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: standin}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: app, namespace: standin}
spec:
  interval: 10m
  chart:
    spec:
      chart: app
      sourceRef: {kind: HelmRepository, name: repo}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Apply(ctx, objs, kubetest.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	did, err := StandIn(ctx, kube)
	if err != nil {
		t.Fatalf("StandIn: %v", err)
	}
	if len(did) != 4 {
		t.Errorf("StandIn changed %d objects, want 4:\n%s", len(did), strings.Join(did, "\n"))
	}
	again, err := StandIn(ctx, kube)
	if err != nil || len(again) != 0 {
		t.Errorf("a second StandIn changed %v (err %v), want nothing", again, err)
	}
	job, err := kube.Get(ctx, JobGVK(), "standin", "once")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := FindCondition(job, "Complete"); !ok || c.Status != "True" {
		t.Errorf("Job conditions after StandIn: %v", job.Object["status"])
	}
	hr, err := kube.Get(ctx, HelmReleaseGVK(), "standin", "app")
	if err != nil {
		t.Fatal(err)
	}
	if ok, c := IsReady(hr); !ok {
		t.Errorf("HelmRelease not Ready after StandIn: %+v", c)
	}
	// A spec change makes the HelmRelease stale again until the next pass.
	if _, err := kube.Apply(ctx, []*unstructured.Unstructured{objs[4]}, kubetest.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(objs[4].Object, "20m", "spec", "interval"); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Apply(ctx, []*unstructured.Unstructured{objs[4]}, kubetest.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	hr, err = kube.Get(ctx, HelmReleaseGVK(), "standin", "app")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := IsReady(hr); ok {
		t.Error("HelmRelease still Ready after a spec change (IsReady ignores observedGeneration)")
	}
	if err := RequestReconcile(ctx, kube, HelmReleaseGVK(), "standin", "app", "now"); err != nil {
		t.Fatal(err)
	}
	hr, err = kube.Get(ctx, HelmReleaseGVK(), "standin", "app")
	if err != nil {
		t.Fatal(err)
	}
	if got := hr.GetAnnotations()[ReconcileRequestAnnotation]; got != "now" {
		t.Errorf("annotation %s = %q, want now", ReconcileRequestAnnotation, got)
	}
}

// testExpireJobs: the TTL stand-in deletes a finished Job once its time to
// live has passed, and leaves alone a Job without one, an unfinished one,
// and one whose time has not come.
func testExpireJobs(t *testing.T, kube *kubetest.Server) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	job := func(name, ttl string) string {
		y := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: " + name + ", namespace: ttl}\nspec:\n"
		if ttl != "" {
			y += "  ttlSecondsAfterFinished: " + ttl + "\n"
		}
		return y + "  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n"
	}
	objs, err := kubetest.DecodeObjects([]byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: ttl}\n---\n" +
		strings.Join([]string{job("expires", "5"), job("kept", ""), job("later", "3600"), job("running", "0")}, "---\n")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Apply(ctx, objs, kubetest.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"expires", "kept", "later"} {
		if err := MarkJobComplete(ctx, kube, "ttl", name); err != nil {
			t.Fatal(err)
		}
	}
	// Not yet: five seconds have not passed.
	if did, err := ExpireJobs(ctx, kube, "ttl", time.Now()); err != nil || len(did) != 0 {
		t.Fatalf("ExpireJobs before the time to live passed: %v, %v", did, err)
	}
	did, err := ExpireJobs(ctx, kube, "ttl", time.Now().Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(did) != 1 || !strings.Contains(did[0], "ttl/expires") {
		t.Errorf("ExpireJobs deleted %q, want only ttl/expires", did)
	}
	for name, gone := range map[string]bool{"expires": true, "kept": false, "later": false, "running": false} {
		j, err := kube.Get(ctx, JobGVK(), "ttl", name)
		deleted := apierrors.IsNotFound(err) || (err == nil && j.GetDeletionTimestamp() != nil)
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if deleted != gone {
			t.Errorf("Job %s deleted %v, want %v", name, deleted, gone)
		}
	}
}

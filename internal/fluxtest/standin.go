package fluxtest

import (
	"context"
	"fmt"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// StandIn writes, once per object, the status that a controller absent
// from the harness would write when the object is healthy, so that Flux
// health checks (wait: true) can pass:
//
//   - Job: Complete, as the kubelet and the Job controller would report
//     once its pod succeeded;
//   - Deployment and StatefulSet: all replicas available, as the kubelet and
//     kube-controller-manager would;
//   - PersistentVolumeClaim: Bound, as a storage provisioner would;
//   - HelmRelease: Ready, as helm-controller would after an install.
//
// It returns one line per object it changed, for the test log. Objects
// that are already healthy are left alone, so calling it in a loop is
// cheap and writes each status once per generation.
func StandIn(ctx context.Context, kube *kubetest.Server) ([]string, error) {
	var did []string
	for _, k := range standIns() {
		items, err := kube.List(ctx, k.gvk, "")
		if err != nil {
			return did, fmt.Errorf("listing %s: %w", k.gvk.Kind, err)
		}
		for i := range items {
			obj := &items[i]
			if obj.GetDeletionTimestamp() != nil || k.healthy(obj) {
				continue
			}
			err := k.mark(ctx, kube, obj)
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				continue // gone or changed meanwhile; the next pass sees it again
			}
			if err != nil {
				return did, fmt.Errorf("standing in for the %s on %s %s/%s: %w", k.controller, k.gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
			}
			gen := ""
			if g := obj.GetGeneration(); g > 0 {
				gen = fmt.Sprintf(" (generation %d)", g)
			}
			did = append(did, fmt.Sprintf("standing in for the %s: marked %s %s/%s%s %s",
				k.controller, k.gvk.Kind, obj.GetNamespace(), obj.GetName(), gen, k.state))
		}
	}
	return did, nil
}

type standIn struct {
	gvk        schema.GroupVersionKind
	controller string // who would write the status in a real cluster
	state      string // what the test writes, for the log
	healthy    func(*unstructured.Unstructured) bool
	mark       func(context.Context, *kubetest.Server, *unstructured.Unstructured) error
}

func standIns() []standIn {
	return []standIn{
		{
			gvk: JobGVK(), controller: "kubelet and Job controller", state: "Complete",
			healthy: func(o *unstructured.Unstructured) bool {
				c, ok := FindCondition(o, "Complete")
				return ok && c.Status == "True"
			},
			mark: func(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured) error {
				return MarkJobComplete(ctx, kube, o.GetNamespace(), o.GetName())
			},
		},
		{
			gvk:        schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			controller: "kubelet and Deployment controller", state: "Available",
			healthy: replicasHealthy("availableReplicas"),
			mark:    markDeploymentAvailable,
		},
		{
			gvk:        schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "StatefulSet"},
			controller: "kubelet and StatefulSet controller", state: "ready",
			healthy: replicasHealthy("readyReplicas"),
			mark:    markStatefulSetReady,
		},
		{
			gvk:        schema.GroupVersionKind{Version: "v1", Kind: "PersistentVolumeClaim"},
			controller: "storage provisioner", state: "Bound",
			healthy: func(o *unstructured.Unstructured) bool {
				phase, _, _ := unstructured.NestedString(o.Object, "status", "phase")
				return phase == "Bound"
			},
			mark: markPVCBound,
		},
		{
			gvk: HelmReleaseGVK(), controller: "helm-controller", state: "Ready",
			healthy: func(o *unstructured.Unstructured) bool {
				ok, _ := IsReady(o)
				return ok
			},
			mark: func(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured) error {
				return MarkReady(ctx, kube, HelmReleaseGVK(), o.GetNamespace(), o.GetName(),
					"Helm install succeeded (written by the test in place of helm-controller)")
			},
		},
	}
}

// replicasHealthy: the status describes the current generation and the
// given replica count has reached spec.replicas (default 1).
func replicasHealthy(field string) func(*unstructured.Unstructured) bool {
	return func(o *unstructured.Unstructured) bool {
		observed, _, _ := unstructured.NestedInt64(o.Object, "status", "observedGeneration")
		have, _, _ := unstructured.NestedInt64(o.Object, "status", field)
		return observed == o.GetGeneration() && have == specReplicas(o)
	}
}

func specReplicas(o *unstructured.Unstructured) int64 {
	n, found, _ := unstructured.NestedInt64(o.Object, "spec", "replicas")
	if !found {
		return 1
	}
	return n
}

func updateStatus(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured, status map[string]any) error {
	ri, err := resource(kube, o.GroupVersionKind(), o.GetNamespace())
	if err != nil {
		return err
	}
	o = o.DeepCopy()
	o.Object["status"] = status
	_, err = ri.UpdateStatus(ctx, o, metav1.UpdateOptions{FieldManager: "ydpgen-fluxtest"})
	return err
}

func markDeploymentAvailable(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured) error {
	n := specReplicas(o)
	now := time.Now().UTC().Format(time.RFC3339)
	cond := func(typ, reason string) map[string]any {
		return map[string]any{"type": typ, "status": "True", "reason": reason,
			"message":        "written by the test in place of kube-controller-manager",
			"lastUpdateTime": now, "lastTransitionTime": now}
	}
	return updateStatus(ctx, kube, o, map[string]any{
		"observedGeneration": o.GetGeneration(),
		"replicas":           n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
		"conditions": []any{
			cond("Available", "MinimumReplicasAvailable"),
			cond("Progressing", "NewReplicaSetAvailable"),
		},
	})
}

func markStatefulSetReady(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured) error {
	n := specReplicas(o)
	rev := fmt.Sprintf("%s-g%d", o.GetName(), o.GetGeneration())
	return updateStatus(ctx, kube, o, map[string]any{
		"observedGeneration": o.GetGeneration(),
		"replicas":           n, "readyReplicas": n, "currentReplicas": n, "updatedReplicas": n, "availableReplicas": n,
		"currentRevision": rev, "updateRevision": rev,
	})
}

func markPVCBound(ctx context.Context, kube *kubetest.Server, o *unstructured.Unstructured) error {
	status := map[string]any{"phase": "Bound"}
	if modes, found, _ := unstructured.NestedStringSlice(o.Object, "spec", "accessModes"); found {
		am := make([]any, len(modes))
		for i, m := range modes {
			am[i] = m
		}
		status["accessModes"] = am
	}
	if size, found, _ := unstructured.NestedString(o.Object, "spec", "resources", "requests", "storage"); found {
		status["capacity"] = map[string]any{"storage": size}
	}
	return updateStatus(ctx, kube, o, status)
}

package fluxtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// The kinds the loop test reads and writes, at the API versions the pinned
// controllers serve (functions, not package variables).
func GitRepositoryGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "GitRepository"}
}

func HelmRepositoryGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "source.toolkit.fluxcd.io", Version: "v1", Kind: "HelmRepository"}
}

func KustomizationGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}
}

func HelmReleaseGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "helm.toolkit.fluxcd.io", Version: "v2", Kind: "HelmRelease"}
}

func JobGVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
}

// ReconcileRequestAnnotation asks a Flux controller to reconcile an object
// now; its value is any string that differs from the previous request.
const ReconcileRequestAnnotation = "reconcile.fluxcd.io/requestedAt"

// Condition is one entry of status.conditions.
type Condition struct {
	Type, Status, Reason, Message string
	ObservedGeneration            int64
	LastTransitionTime            time.Time
}

// FindCondition returns the condition of type typ in obj's
// status.conditions, and whether there is one.
func FindCondition(obj *unstructured.Unstructured, typ string) (Condition, bool) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		out := Condition{Type: typ}
		out.Status, _ = m["status"].(string)
		out.Reason, _ = m["reason"].(string)
		out.Message, _ = m["message"].(string)
		out.ObservedGeneration, _, _ = unstructured.NestedInt64(m, "observedGeneration")
		if s, _ := m["lastTransitionTime"].(string); s != "" {
			out.LastTransitionTime, _ = time.Parse(time.RFC3339, s)
		}
		return out, true
	}
	return Condition{}, false
}

// IsReady reports whether a Flux object's Ready condition is True for its
// current generation, and returns that condition (zero if absent).
func IsReady(obj *unstructured.Unstructured) (bool, Condition) {
	c, ok := FindCondition(obj, "Ready")
	if !ok {
		return false, c
	}
	observed, found, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	if !found {
		observed = c.ObservedGeneration
	}
	return c.Status == string(metav1.ConditionTrue) && observed == obj.GetGeneration(), c
}

// RequestReconcile sets ReconcileRequestAnnotation on an object to at.
func RequestReconcile(ctx context.Context, kube *kubetest.Server, gvk schema.GroupVersionKind, namespace, name, at string) error {
	ri, err := resource(kube, gvk, namespace)
	if err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, ReconcileRequestAnnotation, at)
	_, err = ri.Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "ydpgen-fluxtest"})
	return err
}

// MarkJobComplete writes, through the status subresource, the status the
// Job controller writes when every pod of the Job has succeeded. It stands
// in for the kubelet and kube-controller-manager, neither of which runs.
func MarkJobComplete(ctx context.Context, kube *kubetest.Server, namespace, name string) error {
	ri, err := resource(kube, JobGVK(), namespace)
	if err != nil {
		return err
	}
	job, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	completions, found, _ := unstructured.NestedInt64(job.Object, "spec", "completions")
	if !found {
		completions = 1
	}
	now := time.Now().UTC().Format(time.RFC3339)
	cond := func(typ string) map[string]any {
		return map[string]any{
			"type": typ, "status": "True", "reason": "CompletionsReached",
			"message":       "Reached expected number of succeeded pods (written by the test in place of the Job controller)",
			"lastProbeTime": now, "lastTransitionTime": now,
		}
	}
	// The API server accepts Complete only after SuccessCriteriaMet, with
	// start and completion times and no active or uncounted pods.
	job.Object["status"] = map[string]any{
		"startTime":      now,
		"completionTime": now,
		"succeeded":      completions,
		"active":         int64(0),
		"ready":          int64(0),
		"terminating":    int64(0),
		"conditions":     []any{cond("SuccessCriteriaMet"), cond("Complete")},
	}
	_, err = ri.UpdateStatus(ctx, job, metav1.UpdateOptions{FieldManager: "ydpgen-fluxtest"})
	return err
}

// MarkReady writes a Ready=True condition for the current generation into
// a Flux object's status, as its own controller would after a successful
// reconcile. It stands in for controllers that do not run here, such as
// helm-controller for a HelmRelease.
func MarkReady(ctx context.Context, kube *kubetest.Server, gvk schema.GroupVersionKind, namespace, name, message string) error {
	ri, err := resource(kube, gvk, namespace)
	if err != nil {
		return err
	}
	obj, err := ri.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	status, _, _ := unstructured.NestedMap(obj.Object, "status")
	if status == nil {
		status = map[string]any{}
	}
	status["observedGeneration"] = obj.GetGeneration()
	status["conditions"] = []any{map[string]any{
		"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
		"message": message, "observedGeneration": obj.GetGeneration(),
		"lastTransitionTime": now,
	}}
	obj.Object["status"] = status
	_, err = ri.UpdateStatus(ctx, obj, metav1.UpdateOptions{FieldManager: "ydpgen-fluxtest"})
	return err
}

func resource(kube *kubetest.Server, gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		kube.ResetRESTMapper()
		m, err = kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return kube.Dynamic().Resource(m.Resource).Namespace(namespace), nil
	}
	return kube.Dynamic().Resource(m.Resource), nil
}

// ServeHelmRepository serves a Helm chart repository index with no charts
// on a free 127.0.0.1 port until the test ends, and returns its URL. A
// HelmRepository pointed at it becomes Ready without network access; no
// chart is ever pulled because no helm-controller runs.
func ServeHelmRepository(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("fluxtest: listen: %v", err)
	}
	const index = "apiVersion: v1\nentries: {}\ngenerated: \"2026-01-01T00:00:00Z\"\n"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-yaml")
		fmt.Fprint(w, index)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

package fluxtest

import (
	"context"
	"fmt"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// ExpireJobs stands in for kube-controller-manager's TTL-after-finished
// controller: it deletes, in namespace (every namespace when empty), each
// Job that has finished (a Complete or Failed condition) and whose
// spec.ttlSecondsAfterFinished has passed since it finished (its
// completionTime, or the condition's transition time), as of now. The
// deletion propagates in the background, as the controller's does. It
// returns one line per Job it deleted, for the test log.
//
// With it, a test sees what a cluster does to a finished Job over days: an
// engine that still has the Job in its desired state creates it again, and
// it runs again. Tests shorten the times to live they render instead of
// waiting for them.
func ExpireJobs(ctx context.Context, kube *kubetest.Server, namespace string, now time.Time) ([]string, error) {
	items, err := kube.List(ctx, JobGVK(), namespace)
	if err != nil {
		return nil, fmt.Errorf("listing Jobs: %w", err)
	}
	var did []string
	for i := range items {
		job := &items[i]
		ttl, found, _ := unstructured.NestedInt64(job.Object, "spec", "ttlSecondsAfterFinished")
		if !found || job.GetDeletionTimestamp() != nil {
			continue
		}
		finished, ok := finishedAt(job)
		if !ok {
			continue
		}
		if expiry := finished.Add(time.Duration(ttl) * time.Second); now.Before(expiry) {
			continue
		}
		ri, err := resource(kube, JobGVK(), job.GetNamespace())
		if err != nil {
			return did, err
		}
		background := metav1.DeletePropagationBackground
		err = ri.Delete(ctx, job.GetName(), metav1.DeleteOptions{
			PropagationPolicy: &background,
			// Only the Job the decision was made for, not one created
			// again under its name meanwhile.
			Preconditions: &metav1.Preconditions{UID: ptrUID(job)},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return did, fmt.Errorf("standing in for the TTL controller on Job %s/%s: %w", job.GetNamespace(), job.GetName(), err)
		}
		did = append(did, fmt.Sprintf("standing in for the TTL-after-finished controller: deleted Job %s/%s (uid %s), %ds after it finished",
			job.GetNamespace(), job.GetName(), job.GetUID(), ttl))
	}
	return did, nil
}

// finishedAt is when a Job finished, if it has.
func finishedAt(job *unstructured.Unstructured) (time.Time, bool) {
	for _, typ := range []string{"Complete", "Failed"} {
		c, ok := FindCondition(job, typ)
		if !ok || c.Status != "True" {
			continue
		}
		if s, found, _ := unstructured.NestedString(job.Object, "status", "completionTime"); found {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return t, true
			}
		}
		return c.LastTransitionTime, !c.LastTransitionTime.IsZero()
	}
	return time.Time{}, false
}

func ptrUID(o *unstructured.Unstructured) *types.UID {
	u := o.GetUID()
	return &u
}

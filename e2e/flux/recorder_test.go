package flux

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// creation is when the server created an object, as the etcd revision of
// the write (the resourceVersion of its ADDED event). Revisions of one etcd
// are totally ordered across all kinds, unlike creationTimestamp, which has
// one-second steps.
type creation struct {
	uid      string
	revision int64
	round    int // the commit round during which the object appeared
}

// recorder watches kinds from before the first commit and remembers the
// creation revision of every object, keyed by inventory ID and UID.
type recorder struct {
	mu      sync.Mutex
	round   int
	created map[string][]creation // by inventory ID; several if recreated
	errs    []error
}

func startRecorder(t *testing.T, ctx context.Context, kube *kubetest.Server, kinds []schema.GroupVersionKind) *recorder {
	t.Helper()
	r := &recorder{created: map[string][]creation{}}
	ns := namespacedFunc(kube)
	for _, gvk := range kinds {
		m, err := kube.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Fatalf("recorder: %s: %v", gvk, err)
		}
		if _, err := ns(gvk); err != nil {
			t.Fatalf("recorder: %s: %v", gvk, err)
		}
		ri := kube.Dynamic().Resource(m.Resource)
		list, err := ri.List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("recorder: listing %s: %v", gvk.Kind, err)
		}
		for i := range list.Items {
			r.add(&list.Items[i], gvk.GroupKind(), -1) // there before the test
		}
		go r.watch(ctx, ri, gvk, list.GetResourceVersion())
	}
	return r
}

// watch follows one kind from revision rv until ctx ends, starting a new
// watch from the last revision seen whenever the server closes one.
func (r *recorder) watch(ctx context.Context, ri dynamic.NamespaceableResourceInterface, gvk schema.GroupVersionKind, rv string) {
	for ctx.Err() == nil {
		w, err := ri.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			if ctx.Err() == nil {
				r.fail(fmt.Errorf("watch %s from %s: %w", gvk.Kind, rv, err))
			}
			return
		}
		for ev := range w.ResultChan() {
			o, ok := ev.Object.(*unstructured.Unstructured)
			switch {
			case ev.Type == watch.Error:
				r.fail(fmt.Errorf("watch %s: %v", gvk.Kind, ev.Object))
				w.Stop()
				return
			case !ok:
				continue
			case ev.Type == watch.Added:
				r.add(o, gvk.GroupKind(), 0)
			}
			rv = o.GetResourceVersion()
		}
		w.Stop()
	}
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *recorder) add(o *unstructured.Unstructured, gk schema.GroupKind, round int) {
	rev, err := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: resourceVersion %q is not an etcd revision", describe(o), o.GetResourceVersion()))
		return
	}
	id := inventoryID(o.GetNamespace(), o.GetName(), gk)
	for _, c := range r.created[id] {
		if c.uid == string(o.GetUID()) {
			return // a re-delivered ADDED after a watch restart
		}
	}
	if round == 0 {
		round = r.round
	}
	r.created[id] = append(r.created[id], creation{uid: string(o.GetUID()), revision: rev, round: round})
}

// setRound marks the objects that appear from now on as created in round n.
func (r *recorder) setRound(n int) {
	r.mu.Lock()
	r.round = n
	r.mu.Unlock()
}

// createdIn returns the creation of the object with this ID and UID, if the
// recorder saw it.
func (r *recorder) lookup(id, uid string) (creation, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.created[id] {
		if c.uid == uid {
			return c, true
		}
	}
	return creation{}, false
}

func (r *recorder) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// createdDuring lists, sorted, the IDs of the objects the recorder saw
// created during round n.
func (r *recorder) createdDuring(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, cs := range r.created {
		for _, c := range cs {
			if c.round == n {
				out = append(out, id)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// creations is how many times the recorder saw the object with this ID
// created (a Job created again is a Job run again).
func (r *recorder) creations(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.created[id])
}

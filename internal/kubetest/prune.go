package kubetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ObjectRef names one object.
type ObjectRef struct {
	GVK       schema.GroupVersionKind
	Namespace string
	Name      string
}

func (r ObjectRef) String() string {
	s := r.GVK.GroupVersion().String() + " " + r.GVK.Kind + " "
	if r.Namespace != "" {
		s += r.Namespace + "/"
	}
	return s + r.Name
}

// PruneOptions say what Prune may delete.
type PruneOptions struct {
	// Namespaces to look in.
	Namespaces []string
	// Kinds to look for. Cluster-scoped kinds are skipped: pruning them
	// would reach beyond the namespaces.
	Kinds []schema.GroupVersionKind
	// Selector is a label selector every pruned object matches, such as
	// app.kubernetes.io/managed-by=ydpgen. It must not be empty.
	Selector string
	// Keep are the objects that stay: the current render.
	Keep []*unstructured.Unstructured
}

// Prune deletes the objects of opts.Kinds in opts.Namespaces that match
// opts.Selector and are not in opts.Keep (compared by group, kind,
// namespace and name), as a GitOps engine does with objects no longer in
// git. It waits until each is gone and returns what it deleted, sorted.
func (s *Server) Prune(ctx context.Context, opts PruneOptions) ([]ObjectRef, error) {
	if strings.TrimSpace(opts.Selector) == "" {
		return nil, errors.New("prune needs a label selector")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	type key struct {
		gk       schema.GroupKind
		ns, name string
	}
	keep := map[key]bool{}
	for _, o := range opts.Keep {
		keep[key{o.GroupVersionKind().GroupKind(), o.GetNamespace(), o.GetName()}] = true
	}
	seen := map[schema.GroupKind]bool{}
	var deleted []ObjectRef
	for _, gvk := range opts.Kinds {
		if seen[gvk.GroupKind()] {
			continue
		}
		seen[gvk.GroupKind()] = true
		m, err := s.mapping(gvk)
		if err != nil {
			return deleted, err
		}
		if m.Scope.Name() != meta.RESTScopeNameNamespace {
			continue
		}
		for _, ns := range opts.Namespaces {
			ri := s.dyn.Resource(m.Resource).Namespace(ns)
			l, err := ri.List(ctx, metav1.ListOptions{LabelSelector: opts.Selector})
			if err != nil {
				return deleted, fmt.Errorf("listing %s in %s: %w", m.Resource.Resource, ns, err)
			}
			for _, item := range l.Items {
				if keep[key{gvk.GroupKind(), ns, item.GetName()}] {
					continue
				}
				ref := ObjectRef{GVK: item.GroupVersionKind(), Namespace: ns, Name: item.GetName()}
				if err := deleteObject(ctx, ri, item.GetName()); err != nil {
					return deleted, fmt.Errorf("pruning %s: %w", ref, err)
				}
				err := poll(ctx, func() (bool, error) {
					_, err := ri.Get(ctx, item.GetName(), metav1.GetOptions{})
					if apierrors.IsNotFound(err) {
						return true, nil
					}
					return false, err
				})
				if err != nil {
					return deleted, fmt.Errorf("waiting for pruned %s to be gone: %w", ref, err)
				}
				deleted = append(deleted, ref)
			}
		}
	}
	sort.Slice(deleted, func(i, j int) bool { return deleted[i].String() < deleted[j].String() })
	return deleted, nil
}

package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// DefaultFieldManager is the server-side apply field manager used when
// ApplyOptions.FieldManager is empty.
const DefaultFieldManager = "ydpgen-test"

// defaultWait bounds the waits in InstallCRDs when ctx has no deadline.
const defaultWait = 60 * time.Second

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ApplyOptions tunes Apply.
type ApplyOptions struct {
	// DryRun sends every object except Namespaces with server-side dry-run
	// (dryRun=All): the server validates, defaults and admits it but stores
	// nothing. Namespaces in the list are applied for real first, because
	// the server rejects a dry-run create in a namespace that does not exist.
	DryRun bool
	// FieldManager defaults to DefaultFieldManager. Conflicts are always
	// forced.
	FieldManager string
	// FieldValidation is the server's fieldValidation directive: "Strict"
	// (the default), "Warn" or "Ignore". Note that server-side apply
	// refuses a field its schema does not declare whatever this says (the
	// server answers 500 "field not declared in schema" while building the
	// typed patch); Strict also turns duplicate fields into errors.
	FieldValidation string
	// NoForce makes a field that another field manager owns a conflict
	// (HTTP 409) instead of taking it over. A second apply of the same
	// objects under the same manager never conflicts, so this proves that.
	NoForce bool
	// KeepGoing sends every object even after one was rejected, so that a
	// run reports every rejection at once. Each rejection is in its
	// ObjectResult.Err, and Apply returns them joined.
	KeepGoing bool
}

// ObjectResult tells what the server did with one object.
type ObjectResult struct {
	GVK       schema.GroupVersionKind
	Namespace string // empty for cluster-scoped objects
	Name      string
	// DryRun is true if the object was sent as a server-side dry-run.
	DryRun bool
	// Created is true if the object did not exist before.
	Created bool
	// Changed is true if the apply created the object or wrote it again.
	// For a real apply it compares the resourceVersion before and after.
	// A dry-run never bumps the resourceVersion, so for a dry-run it is
	// ContentChanged.
	//
	// One write the server makes without a change of content: applying a
	// Namespace that sets nothing but its name leaves no managedFields
	// entry, so the next apply records the existing fields under the
	// manager "before-first-apply" and bumps the resourceVersion once.
	// Such a write has Changed true and ContentChanged false. So has the
	// write that persists read-time defaults of a custom resource's status
	// (Flux's CRDs default status.observedGeneration): the status a create
	// drops is stored by the next apply.
	Changed bool
	// ContentChanged is true if the object was created, or if the object
	// returned by the server differs from the one stored before the apply
	// in anything but resourceVersion, generation and managedFields.
	ContentChanged bool
	// ManagedFieldsChanged is true if the object was created, or if its
	// managedFields (owners, operations, timestamps) differ from before.
	ManagedFieldsChanged  bool
	ResourceVersionBefore string // empty if the object did not exist
	ResourceVersionAfter  string
	// Object is the object as the server returned it (nil if rejected).
	Object *unstructured.Unstructured
	// Err is why the server rejected the object (only with KeepGoing).
	Err error
}

// ApplyResult is what Apply reports.
type ApplyResult struct {
	// Objects lists the objects in the order they were sent: Namespaces
	// first, then the others in their input order.
	Objects []ObjectResult
	// Warnings holds every warning the server returned during the call.
	Warnings []string
}

// Changed returns the results whose object the server created or changed.
func (r ApplyResult) Changed() []ObjectResult {
	var out []ObjectResult
	for _, o := range r.Objects {
		if o.Changed {
			out = append(out, o)
		}
	}
	return out
}

// Apply sends objs with server-side apply (forced unless opts.NoForce,
// under the field manager from opts) and reports, per object, whether the
// server changed it, plus every warning it returned. It stops at the first
// object the server rejects (unless opts.KeepGoing) and returns the results
// so far with an error naming the object. A namespaced object without a
// namespace goes to "default".
//
// Server-side apply names only the first schema problem (an unknown field,
// a wrong type) of an object, so when it rejects one for such a reason,
// Apply also sends the object as a dry-run create (or update) with strict
// field validation, which lists every problem, and adds that list to the
// error. Invalid answers (422) already list every field error.
func (s *Server) Apply(ctx context.Context, objs []*unstructured.Unstructured, opts ApplyOptions) (ApplyResult, error) {
	if opts.FieldManager == "" {
		opts.FieldManager = DefaultFieldManager
	}
	if opts.FieldValidation == "" {
		opts.FieldValidation = metav1.FieldValidationStrict
	}

	// A client of its own, so the warnings of this call are told apart
	// from those of concurrent calls; they still reach s.Warnings.
	rec := &warningRecorder{parent: s.warnings}
	cfg := s.Config()
	cfg.WarningHandler = rec
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return ApplyResult{}, err
	}

	var ordered []*unstructured.Unstructured
	for _, o := range objs {
		if isNamespace(o) {
			ordered = append(ordered, o)
		}
	}
	for _, o := range objs {
		if !isNamespace(o) {
			ordered = append(ordered, o)
		}
	}

	var res ApplyResult
	var errs []error
	for _, o := range ordered {
		dry := opts.DryRun && !isNamespace(o)
		r, err := s.applyOne(ctx, dyn, o, dry, opts)
		res.Warnings = rec.all()
		if err != nil {
			err = fmt.Errorf("apply %s: %w", describe(o), err)
			if !opts.KeepGoing {
				return res, err
			}
			r.Err = err
			errs = append(errs, err)
		}
		res.Objects = append(res.Objects, r)
	}
	return res, errors.Join(errs...)
}

func (s *Server) applyOne(ctx context.Context, dyn dynamic.Interface, obj *unstructured.Unstructured, dry bool, opts ApplyOptions) (ObjectResult, error) {
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" || gvk.Version == "" {
		return ObjectResult{}, errors.New("object has no apiVersion or kind")
	}
	if obj.GetName() == "" {
		return ObjectResult{}, errors.New("object has no metadata.name (server-side apply needs one)")
	}
	mapping, err := s.mapping(gvk)
	if err != nil {
		return ObjectResult{}, err
	}
	obj = obj.DeepCopy()
	var ri dynamic.ResourceInterface
	ns := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns = obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
			obj.SetNamespace(ns)
		}
		ri = dyn.Resource(mapping.Resource).Namespace(ns)
	} else {
		ri = dyn.Resource(mapping.Resource)
	}
	r := ObjectResult{GVK: gvk, Namespace: ns, Name: obj.GetName(), DryRun: dry}

	before, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		before = nil
	case err != nil:
		return r, fmt.Errorf("reading the current object: %w", err)
	}

	body, err := obj.MarshalJSON()
	if err != nil {
		return r, err
	}
	force := !opts.NoForce
	popts := metav1.PatchOptions{
		FieldManager:    opts.FieldManager,
		Force:           &force,
		FieldValidation: opts.FieldValidation,
	}
	if dry {
		popts.DryRun = []string{metav1.DryRunAll}
	}
	after, err := ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, popts)
	if err != nil {
		// An Invalid answer already lists every field error; a strict
		// dry-run update would add noise (fields the server defaults).
		if apierrors.IsConflict(err) || apierrors.IsInvalid(err) {
			return r, err
		}
		if full := strictDryRun(ctx, ri, obj, before, opts.FieldManager); full != nil && full.Error() != err.Error() {
			return r, fmt.Errorf("%w\n    every problem, from a strict dry-run create/update: %v", err, full)
		}
		return r, err
	}
	r.Object = after
	r.ResourceVersionAfter = after.GetResourceVersion()
	if before == nil {
		r.Created = true
		r.Changed = true
		r.ContentChanged = true
		r.ManagedFieldsChanged = true
		return r, nil
	}
	r.ResourceVersionBefore = before.GetResourceVersion()
	r.ContentChanged = !sameContent(before, after)
	r.ManagedFieldsChanged = !equality.Semantic.DeepEqual(before.GetManagedFields(), after.GetManagedFields())
	if dry {
		r.Changed = r.ContentChanged
	} else {
		r.Changed = r.ResourceVersionBefore != r.ResourceVersionAfter
	}
	return r, nil
}

// strictDryRun sends obj as a dry-run create, or, if it exists (before is
// not nil), as a dry-run update, with strict field validation. Unlike
// server-side apply, these list every unknown field and every invalid value
// in one error.
func strictDryRun(ctx context.Context, ri dynamic.ResourceInterface, obj, before *unstructured.Unstructured, manager string) error {
	obj = obj.DeepCopy()
	var err error
	if before == nil {
		_, err = ri.Create(ctx, obj, metav1.CreateOptions{
			DryRun: []string{metav1.DryRunAll}, FieldManager: manager, FieldValidation: metav1.FieldValidationStrict,
		})
	} else {
		obj.SetResourceVersion(before.GetResourceVersion())
		_, err = ri.Update(ctx, obj, metav1.UpdateOptions{
			DryRun: []string{metav1.DryRunAll}, FieldManager: manager, FieldValidation: metav1.FieldValidationStrict,
		})
	}
	return err
}

// mapping resolves gvk, refreshing discovery once if the kind is unknown
// (for example right after a CRD was added).
func (s *Server) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		s.mapper.Reset()
		m, err = s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	return m, err
}

// resource returns the client for gvk in namespace (ignored for
// cluster-scoped kinds).
func (s *Server) resource(gvk schema.GroupVersionKind, namespace string) (dynamic.ResourceInterface, error) {
	m, err := s.mapping(gvk)
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return s.dyn.Resource(m.Resource).Namespace(namespace), nil
	}
	return s.dyn.Resource(m.Resource), nil
}

// Get reads one object. namespace is ignored for cluster-scoped kinds.
func (s *Server) Get(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) (*unstructured.Unstructured, error) {
	ri, err := s.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	return ri.Get(ctx, name, metav1.GetOptions{})
}

// List returns the objects of kind gvk in namespace ("" lists all
// namespaces; ignored for cluster-scoped kinds), sorted by namespace and name.
func (s *Server) List(ctx context.Context, gvk schema.GroupVersionKind, namespace string) ([]unstructured.Unstructured, error) {
	ri, err := s.resource(gvk, namespace)
	if err != nil {
		return nil, err
	}
	l, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	items := l.Items
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	return items, nil
}

// Delete deletes one object with background propagation (as kubectl does;
// the server warns about a Job deleted without a propagation policy); a
// missing object is not an error. There is no controller manager, so
// nothing garbage-collects dependents and a deleted Namespace stays
// Terminating.
func (s *Server) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	ri, err := s.resource(gvk, namespace)
	if err != nil {
		return err
	}
	return deleteObject(ctx, ri, name)
}

func deleteObject(ctx context.Context, ri dynamic.ResourceInterface, name string) error {
	bg := metav1.DeletePropagationBackground
	err := ri.Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &bg})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

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

// InstallCRDs server-side-applies every CustomResourceDefinition found in
// the *.yaml, *.yml and *.json files of dir (multi-document YAML allowed;
// any other kind is an error), waits until each is Established, then
// refreshes discovery and waits until each served version of each kind can
// be mapped.
func (s *Server) InstallCRDs(ctx context.Context, dir string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultWait)
		defer cancel()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var crds []*unstructured.Unstructured
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		objs, err := ReadObjectsFile(path)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.GroupVersionKind() != (schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}) {
				return fmt.Errorf("%s: %s is not an apiextensions.k8s.io/v1 CustomResourceDefinition", path, describe(o))
			}
			crds = append(crds, o)
		}
	}
	if len(crds) == 0 {
		return fmt.Errorf("no CustomResourceDefinitions found in %s", dir)
	}

	force := true
	for _, crd := range crds {
		body, err := crd.MarshalJSON()
		if err != nil {
			return err
		}
		_, err = s.dyn.Resource(crdGVR).Patch(ctx, crd.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
			FieldManager:    DefaultFieldManager,
			Force:           &force,
			FieldValidation: metav1.FieldValidationStrict,
		})
		if err != nil {
			return fmt.Errorf("apply %s: %w", describe(crd), err)
		}
	}

	for _, crd := range crds {
		name := crd.GetName()
		err := poll(ctx, func() (bool, error) {
			got, err := s.dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return crdEstablished(got), nil
		})
		if err != nil {
			return fmt.Errorf("waiting for CustomResourceDefinition %s to be Established: %w", name, err)
		}
	}

	s.mapper.Reset()
	for _, crd := range crds {
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if served, _ := vm["served"].(bool); !served {
				continue
			}
			version, _ := vm["name"].(string)
			gvk := schema.GroupVersionKind{Group: group, Version: version, Kind: kind}
			err := poll(ctx, func() (bool, error) {
				_, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
				if meta.IsNoMatchError(err) {
					s.mapper.Reset()
					return false, nil
				}
				return err == nil, err
			})
			if err != nil {
				return fmt.Errorf("waiting for %s to appear in discovery: %w", gvk, err)
			}
		}
	}
	return nil
}

func crdEstablished(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		cm, _ := c.(map[string]any)
		if cm["type"] == "Established" && cm["status"] == "True" {
			return true
		}
	}
	return false
}

// poll calls cond every pollInterval until it returns true or an error, or
// ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// ReadObjectsFile decodes every object in a YAML (multi-document) or JSON
// file. Empty documents are skipped.
func ReadObjectsFile(path string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := DecodeObjects(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// DecodeObjects decodes every object in YAML (multi-document) or JSON data.
// Empty documents are skipped; a document without apiVersion or kind is an
// error.
func DecodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for i := 0; ; i++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("document %d has no apiVersion or kind", i+1)
		}
		out = append(out, u)
	}
}

func isNamespace(o *unstructured.Unstructured) bool {
	gvk := o.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Namespace"
}

func describe(o *unstructured.Unstructured) string {
	s := o.GetAPIVersion() + " " + o.GetKind() + " "
	if ns := o.GetNamespace(); ns != "" {
		s += ns + "/"
	}
	return s + o.GetName()
}

// sameContent compares two versions of an object, ignoring the fields every
// write (or dry-run) may touch without a change of content.
func sameContent(a, b *unstructured.Unstructured) bool {
	strip := func(u *unstructured.Unstructured) map[string]any {
		c := u.DeepCopy()
		unstructured.RemoveNestedField(c.Object, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
		unstructured.RemoveNestedField(c.Object, "metadata", "generation")
		return c.Object
	}
	return equality.Semantic.DeepEqual(strip(a), strip(b))
}

// ensure the recorder satisfies client-go's interface.
var _ rest.WarningHandler = (*warningRecorder)(nil)

package kubetest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
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

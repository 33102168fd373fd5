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
	// Such a write has Changed true and ContentChanged false.
	Changed bool
	// ContentChanged is true if the object was created, or if the object
	// returned by the server differs from the one stored before the apply
	// in anything but resourceVersion, generation and managedFields.
	ContentChanged        bool
	ResourceVersionBefore string // empty if the object did not exist
	ResourceVersionAfter  string
	// Object is the object as the server returned it.
	Object *unstructured.Unstructured
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

// Apply sends objs with server-side apply (forced, under the field manager
// from opts) and reports, per object, whether the server changed it, plus
// every warning it returned. It stops at the first object the server
// rejects and returns the results so far with an error naming the object.
// A namespaced object without a namespace goes to "default".
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
	for _, o := range ordered {
		dry := opts.DryRun && !isNamespace(o)
		r, err := s.applyOne(ctx, dyn, o, dry, opts)
		res.Warnings = rec.all()
		if err != nil {
			return res, fmt.Errorf("apply %s: %w", describe(o), err)
		}
		res.Objects = append(res.Objects, r)
	}
	return res, nil
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
	force := true
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
		return r, err
	}
	r.Object = after
	r.ResourceVersionAfter = after.GetResourceVersion()
	if before == nil {
		r.Created = true
		r.Changed = true
		r.ContentChanged = true
		return r, nil
	}
	r.ResourceVersionBefore = before.GetResourceVersion()
	r.ContentChanged = !sameContent(before, after)
	if dry {
		r.Changed = r.ContentChanged
	} else {
		r.Changed = r.ResourceVersionBefore != r.ResourceVersionAfter
	}
	return r, nil
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

// Delete deletes one object; a missing object is not an error. There is no
// controller manager, so nothing garbage-collects dependents and a deleted
// Namespace stays Terminating.
func (s *Server) Delete(ctx context.Context, gvk schema.GroupVersionKind, namespace, name string) error {
	ri, err := s.resource(gvk, namespace)
	if err != nil {
		return err
	}
	err = ri.Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
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

package kubetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

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

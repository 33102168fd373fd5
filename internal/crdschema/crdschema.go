package crdschema

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// Set holds, for every served version of every kind of a set of CRDs, what
// the API server builds from the CRD to check that kind's objects.
type Set struct {
	kinds map[schema.GroupVersionKind]*kind
}

type kind struct {
	namespaced bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	// rules is nil when the schema has no x-kubernetes-validations.
	rules *cel.Validator
}

// LoadDir reads every CustomResourceDefinition in the *.yaml files of dir.
// A CRD whose schema the API server would not serve (not structural, or
// not convertible) is an error.
func LoadDir(dir string) (*Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	s := &Set{kinds: map[schema.GroupVersionKind]*kind{}}
	for _, f := range files {
		if err := s.loadFile(f); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	return s, nil
}

func (s *Set) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return err
		}
		if tm.Kind != "CustomResourceDefinition" {
			continue
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(doc, &crd); err != nil {
			return err
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
			k, err := newKind(v.Schema, crd.Spec.Scope == apiextensionsv1.NamespaceScoped)
			if err != nil {
				return fmt.Errorf("%s: %w", gvk, err)
			}
			s.kinds[gvk] = k
		}
	}
}

// newKind prepares the checks the API server prepares when it starts
// serving a CRD version: the structural schema (defaults pruned, as the
// server keeps it), the openAPI validator and the compiled CEL rules.
func newKind(v *apiextensionsv1.CustomResourceValidation, namespaced bool) (*kind, error) {
	var internal apiextensions.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v, &internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	st, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not structural: %w", err)
	}
	if errs := structuralschema.ValidateStructural(nil, st); len(errs) > 0 {
		return nil, fmt.Errorf("the schema is not structural: %w", errs.ToAggregate())
	}
	st = st.DeepCopy()
	if err := defaulting.PruneDefaults(st); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, err
	}
	return &kind{
		namespaced: namespaced,
		structural: st,
		schema:     validator,
		rules:      cel.NewValidator(st, true, celconfig.PerCallLimit),
	}, nil
}

// Has reports whether the set has a schema for gvk.
func (s *Set) Has(gvk schema.GroupVersionKind) bool { return s.kinds[gvk] != nil }

// Validate checks obj (an object as JSON decodes it; numbers may be
// json.Number) as the API server checks a create with strict field
// validation, and returns every problem, each naming the field, sorted.
// obj is not changed.
func (s *Set) Validate(gvk schema.GroupVersionKind, obj map[string]any) []error {
	k := s.kinds[gvk]
	if k == nil {
		return []error{fmt.Errorf("no CRD schema for %s", gvk)}
	}
	u, err := asServerDecodes(obj)
	if err != nil {
		return []error{err}
	}
	var errs field.ErrorList
	notChecked := false
	if u["kind"] != gvk.Kind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), u["kind"], "must be "+gvk.Kind))
	}
	if want := gvk.GroupVersion().String(); u["apiVersion"] != want {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), u["apiVersion"], "must be "+want))
	}

	// Decoding: unknown fields (which strict field validation refuses),
	// nulls the schema does not allow (which the server drops), then
	// defaults, so that the checks below see what the server would store.
	md, foundMeta, unknown, err := objectmeta.GetObjectMetaWithOptions(u, objectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
	}
	unknown = append(unknown, pruning.PruneWithOptions(u, k.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	defaulting.PruneNonNullableNullsWithoutDefaults(u, k.structural)
	fe, embedded := objectmeta.CoerceWithOptions(nil, u, k.structural, false, objectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if fe != nil {
		errs = append(errs, fe)
	}
	unknown = append(unknown, embedded...)
	if foundMeta && md != nil {
		// The server keeps metadata only as far as ObjectMeta has it.
		if err := objectmeta.SetObjectMeta(u, md); err != nil {
			errs = append(errs, field.Invalid(field.NewPath("metadata"), nil, err.Error()))
		}
	}
	defaulting.Default(u, k.structural)

	if md != nil {
		errs = append(errs, k.validateMeta(*md)...)
	}
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u, k.schema)...)
	errs = append(errs, objectmeta.Validate(context.Background(), nil, u, k.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, k.structural, u)...)
	if k.rules != nil {
		if blocking(errs) {
			// The server does not run the rules on an object of the wrong
			// shape either: they could fail for the same cause.
			notChecked = true
		} else {
			ruleErrs, _ := k.rules.Validate(context.Background(), nil, k.structural, u, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, ruleErrs...)
		}
	}

	out := make([]error, 0, len(errs)+len(unknown))
	for _, e := range errs {
		if e.Field == "" || e.Field == "<nil>" {
			// A failed anyOf, oneOf or not names its field in the detail.
			out = append(out, errors.New(e.ErrorBody()))
			continue
		}
		out = append(out, e)
	}
	if notChecked {
		out = append(out, errors.New("CEL rules (x-kubernetes-validations) were not checked because of the other errors"))
	}
	for _, p := range unknown {
		out = append(out, fmt.Errorf("%s: unknown field", p))
	}
	slices.SortFunc(out, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return out
}

// validateMeta checks names, labels, annotations and the like. A client
// (kubectl, kustomize, the GitOps engine) gives a namespaced object without
// a namespace the one it applies to, so only the wrong use of one is
// checked here.
func (k *kind) validateMeta(md metav1.ObjectMeta) field.ErrorList {
	if k.namespaced && md.Namespace == "" {
		md.Namespace = "default"
	}
	return metavalidation.ValidateObjectMeta(&md, k.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// blocking reports errors after which the server skips the CEL rules:
// the object does not have the shape the rules were compiled for.
func blocking(errs field.ErrorList) bool {
	return slices.ContainsFunc(errs, func(e *field.Error) bool {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
		return false
	})
}

// asServerDecodes returns a deep copy of obj with numbers as the server's
// JSON decoding makes them (int64 when integral, else float64), which is
// what the validators and CEL expect.
func asServerDecodes(obj map[string]any) (map[string]any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var u map[string]any
	if err := utiljson.Unmarshal(b, &u); err != nil {
		return nil, err
	}
	return u, nil
}

package crdschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// Schema is the part of a CRD's structural schema that is checked here.
type Schema struct {
	Type                 string             `json:"type"`
	Properties           map[string]*Schema `json:"properties"`
	Required             []string           `json:"required"`
	Items                *Schema            `json:"items"`
	AdditionalProperties *Additional        `json:"additionalProperties"`
	Enum                 []any              `json:"enum"`
	Pattern              string             `json:"pattern"`
	MinLength            *int               `json:"minLength"`
	MaxLength            *int               `json:"maxLength"`
	MinProperties        *int               `json:"minProperties"`
	MaxProperties        *int               `json:"maxProperties"`
	MinItems             *int               `json:"minItems"`
	MaxItems             *int               `json:"maxItems"`
	Minimum              *float64           `json:"minimum"`
	Maximum              *float64           `json:"maximum"`
	Nullable             bool               `json:"nullable"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string"`
}

// Additional is additionalProperties: a boolean or a schema.
type Additional struct {
	Allowed bool
	Schema  *Schema
}

// UnmarshalJSON reads either form.
func (a *Additional) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &a.Allowed); err == nil {
		return nil
	}
	a.Allowed = true
	return json.Unmarshal(b, &a.Schema)
}

type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema *Schema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// Set holds the schema of every served version of every kind of a set of CRDs.
type Set struct {
	schemas map[schema.GroupVersionKind]*Schema
	regexps map[string]*regexp.Regexp
}

// LoadDir reads every CustomResourceDefinition in the *.yaml files of dir.
func LoadDir(dir string) (*Set, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	s := &Set{schemas: map[schema.GroupVersionKind]*Schema{}, regexps: map[string]*regexp.Regexp{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			var c crd
			if err := yaml.Unmarshal(doc, &c); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if c.Kind != "CustomResourceDefinition" {
				continue
			}
			for _, v := range c.Spec.Versions {
				if !v.Served || v.Schema.OpenAPIV3Schema == nil {
					continue
				}
				s.schemas[schema.GroupVersionKind{Group: c.Spec.Group, Version: v.Name, Kind: c.Spec.Names.Kind}] = v.Schema.OpenAPIV3Schema
			}
		}
	}
	return s, nil
}

// Has reports whether the set has a schema for gvk.
func (s *Set) Has(gvk schema.GroupVersionKind) bool { return s.schemas[gvk] != nil }

// Validate checks obj (an object as JSON decodes it, numbers as
// json.Number or float64) against the schema of gvk and returns every
// problem, each naming the field.
func (s *Set) Validate(gvk schema.GroupVersionKind, obj map[string]any) []error {
	root := s.schemas[gvk]
	if root == nil {
		return []error{fmt.Errorf("no CRD schema for %s", gvk)}
	}
	var errs []error
	if obj["apiVersion"] != gvk.GroupVersion().String() || obj["kind"] != gvk.Kind {
		errs = append(errs, fmt.Errorf("apiVersion/kind %v/%v, want %s/%s", obj["apiVersion"], obj["kind"], gvk.GroupVersion(), gvk.Kind))
	}
	// The API server checks metadata against ObjectMeta, whatever the CRD
	// says; do the same with a strict decode.
	if md, ok := obj["metadata"]; ok {
		b, _ := json.Marshal(md)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var om metav1.ObjectMeta
		if err := dec.Decode(&om); err != nil {
			errs = append(errs, fmt.Errorf("metadata: %w", err))
		}
	}
	rest := map[string]any{}
	for k, v := range obj {
		if k != "metadata" {
			rest[k] = v
		}
	}
	// Checked above; an empty stand-in satisfies CRDs that require it
	// (Argo CD's) without matching ObjectMeta against their bare schema.
	if _, ok := obj["metadata"]; ok {
		rest["metadata"] = map[string]any{}
	}
	s.check(root, rest, "", &errs)
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errs
}

func (s *Set) check(sch *Schema, v any, path string, errs *[]error) {
	fail := func(format string, args ...any) {
		p := path
		if p == "" {
			p = "<root>"
		}
		*errs = append(*errs, fmt.Errorf("%s: %s", p, fmt.Sprintf(format, args...)))
	}
	if v == nil {
		if !sch.Nullable {
			fail("null is not allowed")
		}
		return
	}
	if sch.IntOrString {
		if _, isStr := v.(string); !isStr && !isInteger(v) {
			fail("want an integer or a string, got %T", v)
		}
		return
	}
	switch sch.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object, got %T", v)
			return
		}
		for _, r := range sch.Required {
			if _, ok := m[r]; !ok {
				fail("required field %q is missing", r)
			}
		}
		if sch.MinProperties != nil && len(m) < *sch.MinProperties {
			fail("has %d properties, at least %d required", len(m), *sch.MinProperties)
		}
		if sch.MaxProperties != nil && len(m) > *sch.MaxProperties {
			fail("has %d properties, at most %d allowed", len(m), *sch.MaxProperties)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			child := k
			if path != "" {
				child = path + "." + k
			}
			switch {
			case sch.Properties[k] != nil:
				s.check(sch.Properties[k], m[k], child, errs)
			case sch.AdditionalProperties != nil && sch.AdditionalProperties.Schema != nil:
				s.check(sch.AdditionalProperties.Schema, m[k], child, errs)
			case sch.AdditionalProperties != nil && sch.AdditionalProperties.Allowed, sch.PreserveUnknown:
			default:
				*errs = append(*errs, fmt.Errorf("%s: unknown field", child))
			}
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return
		}
		if sch.MinItems != nil && len(l) < *sch.MinItems {
			fail("has %d items, at least %d required", len(l), *sch.MinItems)
		}
		if sch.MaxItems != nil && len(l) > *sch.MaxItems {
			fail("has %d items, at most %d allowed", len(l), *sch.MaxItems)
		}
		if sch.Items != nil {
			for i, e := range l {
				s.check(sch.Items, e, fmt.Sprintf("%s[%d]", path, i), errs)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return
		}
		n := utf8.RuneCountInString(str)
		if sch.MinLength != nil && n < *sch.MinLength {
			fail("%q is shorter than %d", str, *sch.MinLength)
		}
		if sch.MaxLength != nil && n > *sch.MaxLength {
			fail("%q is longer than %d", str, *sch.MaxLength)
		}
		if sch.Pattern != "" {
			re, err := s.regexp(sch.Pattern)
			if err != nil {
				fail("pattern %q does not compile: %v", sch.Pattern, err)
			} else if !re.MatchString(str) {
				fail("%q does not match %s", str, sch.Pattern)
			}
		}
	case "integer":
		if !isInteger(v) {
			fail("want an integer, got %v", v)
			return
		}
		s.checkRange(sch, v, fail)
	case "number":
		if _, ok := number(v); !ok {
			fail("want a number, got %T", v)
			return
		}
		s.checkRange(sch, v, fail)
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	case "":
		if !sch.PreserveUnknown {
			fail("the schema has no type and does not preserve unknown fields")
		}
	default:
		fail("unknown schema type %q", sch.Type)
	}
	if len(sch.Enum) > 0 && !slices.ContainsFunc(sch.Enum, func(e any) bool { return sameValue(e, v) }) {
		fail("%v is not one of %v", v, sch.Enum)
	}
}

func (s *Set) checkRange(sch *Schema, v any, fail func(string, ...any)) {
	f, _ := number(v)
	if sch.Minimum != nil && f < *sch.Minimum {
		fail("%v is less than %v", v, *sch.Minimum)
	}
	if sch.Maximum != nil && f > *sch.Maximum {
		fail("%v is more than %v", v, *sch.Maximum)
	}
}

func (s *Set) regexp(p string) (*regexp.Regexp, error) {
	if re, ok := s.regexps[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	s.regexps[p] = re
	return re, nil
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func isInteger(v any) bool {
	if n, ok := v.(json.Number); ok {
		_, err := n.Int64()
		return err == nil
	}
	f, ok := number(v)
	return ok && f == math.Trunc(f)
}

func sameValue(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

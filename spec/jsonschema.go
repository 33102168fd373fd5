package spec

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/encoding/jsonschema"
)

// JSONSchema returns a JSON Schema (draft 2020-12) of the spec, generated
// from #Platform, for editors. Profile defaults are not in it: they depend on
// the environment.
func (s *Schema) JSONSchema() ([]byte, error) {
	expr, err := jsonschema.Generate(s.platform, &jsonschema.GenerateConfig{Version: jsonschema.VersionDraft2020_12})
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	v := s.ctx.BuildExpr(expr)
	if err := v.Err(); err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	raw, err := v.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	if err := forEditors(doc); err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	// encoding/json sorts map keys, so the output is stable.
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// keepRequired lists the schema locations whose required fields a user
// must write in the spec itself. Everywhere else a field may come from a
// profile default or from an environment override, so only the loader,
// after merging, can say it is missing; an editor must not.
func keepRequired() []string {
	return []string{
		"",
		"/properties/metadata",
		"/$defs/Environment",
		"/$defs/Database",
		"/properties/spec/properties/credentials/patternProperties/*",
	}
}

// forEditors turns the schema CUE generates for #Platform into one that
// describes what a user writes: the platform-wide sections embedded in spec
// become its own properties (a $ref next to additionalProperties: false
// would reject them), and fields that defaults fill are not required.
func forEditors(doc map[string]any) error {
	defs, _ := doc["$defs"].(map[string]any)
	spec, ok := lookupNode(doc, "properties", "spec")
	if !ok {
		return fmt.Errorf("no spec in the generated schema")
	}
	if ref, ok := spec["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		embedded, ok := defs[name].(map[string]any)
		if !ok {
			return fmt.Errorf("spec refers to %s, which the schema does not define", ref)
		}
		props, _ := spec["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			spec["properties"] = props
		}
		if own, ok := embedded["properties"].(map[string]any); ok {
			for k, v := range own {
				if _, exists := props[k]; !exists {
					props[k] = v
				}
			}
		}
		delete(spec, "$ref")
		delete(defs, name)
	}
	dropRequired(doc, "", keepRequired())
	return nil
}

func lookupNode(n map[string]any, keys ...string) (map[string]any, bool) {
	for _, k := range keys {
		next, ok := n[k].(map[string]any)
		if !ok {
			return nil, false
		}
		n = next
	}
	return n, true
}

func dropRequired(n any, at string, keep []string) {
	switch n := n.(type) {
	case map[string]any:
		if !slices.ContainsFunc(keep, func(p string) bool { return pointerMatch(p, at) }) {
			delete(n, "required")
		}
		for k, v := range n {
			dropRequired(v, at+"/"+k, keep)
		}
	case []any:
		for i, v := range n {
			dropRequired(v, fmt.Sprintf("%s/%d", at, i), keep)
		}
	}
}

// pointerMatch reports whether the location at matches pattern, where a
// "*" segment matches any one segment.
func pointerMatch(pattern, at string) bool {
	ps, as := strings.Split(pattern, "/"), strings.Split(at, "/")
	if len(ps) != len(as) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != as[i] {
			return false
		}
	}
	return true
}

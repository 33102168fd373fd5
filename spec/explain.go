package spec

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/diag"
)

// Explanation is what `ydpgen explain` says about one field of the spec,
// read from the schema itself: its comments (the same text the JSON
// Schema's descriptions carry), its @ydp attributes and what each profile
// gives and forbids. One source, so the three never disagree.
type Explanation struct {
	// Path is the field as asked for, such as spec.airflow.executor.
	Path string `json:"path"`
	// Type is the field's kind: a string, a mapping, ...
	Type string `json:"type"`
	// Allowed says in words what the field may hold.
	Allowed string `json:"allowed"`
	// Required is true when a spec (after profile defaults) must have it.
	Required bool `json:"required"`
	// Doc is the schema's comment on the field, paragraphs as written.
	Doc string `json:"doc,omitempty"`
	// Renders is what the field puts in the rendered tree: the paragraph
	// of the comment that starts with "Renders:".
	Renders string `json:"renders,omitempty"`
	// Profiles gives, per profile, the default and any limit the profile
	// adds, with the profile's reason.
	Profiles []ProfileRule `json:"profiles,omitempty"`
	// Fields are a mapping's fields, with the first line of their comment.
	Fields []FieldSummary `json:"fields,omitempty"`
}

// ProfileRule is what one profile says about a field.
type ProfileRule struct {
	Profile string `json:"profile"`
	// Default is the value an environment of this profile gets when the
	// spec is silent, as YAML-ish text; empty when there is none.
	Default string `json:"default,omitempty"`
	// Limit is what the profile allows when it narrows the schema, with
	// Why, the profile's comment on the limit.
	Limit string `json:"limit,omitempty"`
	Why   string `json:"why,omitempty"`
}

// FieldSummary is one field of a mapping.
type FieldSummary struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	Summary  string `json:"summary,omitempty"`
}

// UnknownPathError is a path the schema does not have; Fix suggests one it
// does.
type UnknownPathError struct {
	Path string
	// Known are the fields allowed where the path went wrong.
	Known []string
	Fix   string
}

func (e *UnknownPathError) Error() string {
	msg := fmt.Sprintf("the spec has no field %s", e.Path)
	if e.Path == "" {
		msg = "give a spec path such as spec.airflow.executor"
	}
	if len(e.Known) > 0 {
		msg += "; fields there: " + strings.Join(e.Known, ", ")
	}
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

// Explain describes the field at a dotted spec path: spec.airflow.executor,
// metadata.name, or an environment's override such as
// spec.environments.prod.airflow.executor (any environment name works).
func (s *Schema) Explain(path string) (*Explanation, error) {
	parts := strings.Split(strings.TrimPrefix(path, "."), ".")
	if path == "" || slices.Contains(parts, "") {
		return nil, &UnknownPathError{Path: path, Known: s.fieldNames(s.platform)}
	}
	v := s.platform
	required := true
	for i, name := range parts {
		next, ok := s.child(v, name)
		if !ok {
			known := s.fieldNames(v)
			e := &UnknownPathError{Path: path, Known: known}
			if near := diag.Nearest(name, known); near != "" {
				e.Fix = "did you mean " + strings.Join(append(slices.Clone(parts[:i]), near), ".") + "?"
			} else if elsewhere := s.FieldsNamed(name); len(elsewhere) > 0 {
				e.Fix = "did you mean " + strings.Join(elsewhere, " or ") + "?"
			} else if near := diag.Nearest(name, s.allFieldNames()); near != "" {
				e.Fix = "did you mean " + strings.Join(s.FieldsNamed(near), " or ") + "?"
			}
			return nil, e
		}
		required = required && !isOptional(v, name)
		v = next
	}
	ex := &Explanation{Path: path, Type: typeName(v), Allowed: describe(v), Required: required}
	for _, para := range strings.Split(docOf(v), "\n\n") {
		if r, ok := strings.CutPrefix(para, "Renders:"); ok {
			ex.Renders = strings.Join(strings.Fields(r), " ")
		} else if para != "" {
			ex.Doc = strings.TrimPrefix(ex.Doc+"\n\n"+para, "\n\n")
		}
	}
	if v.IncompleteKind() == cue.StructKind {
		ex.Allowed = ""
	}
	if st := narrowStruct(v); st.IncompleteKind() == cue.StructKind {
		v = st
		if keys := attr(v, "keys"); keys != "" {
			ex.Allowed = "keys: " + keys
		}
		for _, name := range s.fieldNames(v) {
			f, ok := s.child(v, name)
			if !ok {
				continue
			}
			f = narrowStruct(f)
			ex.Fields = append(ex.Fields, FieldSummary{Name: name, Type: typeName(f), Required: !isOptional(v, name), Summary: firstLine(docOf(f))})
		}
	}
	if rp, ok := resolvedPath(parts); ok {
		ex.Profiles = s.profileRules(rp, v)
	}
	return ex, nil
}

// child is the schema of field name of v, including fields that only a
// pattern constraint declares (environment and credential names).
func (s *Schema) child(v cue.Value, name string) (cue.Value, bool) {
	v = narrowStruct(v)
	if v.IncompleteKind()&cue.StructKind == 0 {
		return cue.Value{}, false
	}
	sel := cue.Str(name)
	if f := v.LookupPath(cue.MakePath(sel)); f.Exists() {
		return f, true
	}
	if f := v.LookupPath(cue.MakePath(sel.Optional())); f.Exists() {
		return f, true
	}
	if len(s.fieldNames(v)) > 0 || attr(v, "keys") == "" && !hasPattern(v) {
		return cue.Value{}, false
	}
	f := fieldSchema(v, s.top, sel)
	return f, f.Exists()
}

// hasPattern reports a mapping whose keys only a pattern constrains.
func hasPattern(v cue.Value) bool {
	return v.Allows(cue.AnyString)
}

// fieldNames lists the named fields of a mapping, in schema order.
func (s *Schema) fieldNames(v cue.Value) []string {
	if !v.Exists() {
		return nil
	}
	v = narrowStruct(v)
	iter, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []string
	for iter.Next() {
		out = append(out, iter.Selector().Unquoted())
	}
	return out
}

func isOptional(parent cue.Value, name string) bool {
	if !parent.Exists() {
		return true
	}
	iter, err := narrowStruct(parent).Fields(cue.Optional(true))
	if err != nil {
		return true
	}
	for iter.Next() {
		if iter.Selector().Unquoted() == name {
			return iter.Selector().ConstraintType() == cue.OptionalConstraint
		}
	}
	return false // a pattern field: a name the spec writes, then required as any
}

// narrowStruct picks the mapping of a value that may also be written as a
// scalar (namespace: a name or a mapping), so that its fields can be read.
func narrowStruct(v cue.Value) cue.Value {
	if v.IncompleteKind()&cue.StructKind != 0 && v.IncompleteKind() != cue.StructKind {
		return narrow(v, cue.StructKind)
	}
	return v
}

func typeName(v cue.Value) string {
	k := v.IncompleteKind()
	var names []string
	for _, c := range []cue.Kind{cue.StringKind, cue.IntKind, cue.FloatKind, cue.BoolKind, cue.StructKind, cue.ListKind} {
		if k&c != 0 {
			names = append(names, map[cue.Kind]string{cue.StringKind: "string", cue.IntKind: "integer", cue.FloatKind: "number",
				cue.BoolKind: "boolean", cue.StructKind: "mapping", cue.ListKind: "list"}[c])
		}
	}
	if k&cue.NumberKind == cue.NumberKind {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "integer" })
	}
	if len(names) == 0 {
		return "any"
	}
	return strings.Join(names, " or ")
}

// docOf joins the comments on a field (and, for a field declared as a
// reference, those on the definition it names), paragraphs kept.
func docOf(v cue.Value) string {
	var paras []string
	add := func(x cue.Value) {
		for _, c := range x.Doc() {
			t := strings.TrimSpace(c.Text())
			if t != "" && !slices.Contains(paras, t) {
				paras = append(paras, t)
			}
		}
	}
	add(v)
	if root, ref := v.ReferencePath(); len(ref.Selectors()) > 0 {
		add(root.LookupPath(ref))
	}
	return strings.Join(paras, "\n\n")
}

func firstLine(doc string) string {
	doc, _, _ = strings.Cut(doc, "\n\n")
	doc = strings.Join(strings.Fields(doc), " ")
	if i := strings.Index(doc, ". "); i >= 0 {
		doc = doc[:i+1]
	}
	return doc
}

// resolvedPath maps a spec path to the path of the same value in a
// resolved environment (what profiles default and constrain):
// spec.airflow.executor and spec.environments.<env>.airflow.executor are
// airflow.executor; spec.environments.<env>.cluster.nodes is
// environment.cluster.nodes.
func resolvedPath(parts []string) ([]string, bool) {
	if len(parts) < 2 || parts[0] != "spec" {
		return nil, false
	}
	rest := parts[1:]
	if rest[0] == "environments" {
		if len(rest) < 3 {
			return nil, false
		}
		rest = rest[2:]
		if !slices.Contains(overridable(), rest[0]) {
			return append([]string{"environment"}, rest...), true
		}
	}
	return rest, true
}

// profileRules says, per profile, the default of a resolved path and the
// limit the profile puts on it, where that is narrower than the schema's.
func (s *Schema) profileRules(rp []string, schema cue.Value) []ProfileRule {
	var out []ProfileRule
	base := s.root.LookupPath(cue.ParsePath("#Resolved"))
	sels := make([]cue.Selector, len(rp))
	for i, p := range rp {
		sels[i] = cue.Str(p)
	}
	plain := describe(base.LookupPath(cue.MakePath(sels...)))
	for _, p := range ProfileNames() {
		r := ProfileRule{Profile: p}
		// A mapping's default is told field by field.
		if d, ok := lookupData(s.defaults[p], rp); ok && schema.IncompleteKind() != cue.StructKind {
			r.Default = showData(d)
		}
		lim := s.profiles[p].LookupPath(cue.MakePath(sels...))
		if lim.Exists() {
			if got := describe(lim); got != plain && got != "" {
				r.Limit = got
				r.Why = s.limitReason(p, sels)
			}
		}
		if r.Default != "" || r.Limit != "" {
			out = append(out, r)
		}
	}
	return out
}

// limitReason is the comment profiles.cue writes on a profile's limit: on
// the field itself, or on the nearest enclosing mapping of the profile.
func (s *Schema) limitReason(profile string, sels []cue.Selector) string {
	src := s.profileSource(profile)
	// Only a field the profile itself constrains has a reason; the comment
	// may sit on it or on the mapping written around it (a: b: "x").
	if !src.LookupPath(cue.MakePath(sels...)).Exists() {
		return ""
	}
	for n := len(sels); n > 0; n-- {
		if d := docOf(src.LookupPath(cue.MakePath(sels[:n]...))); d != "" {
			return strings.Join(strings.Fields(d), " ")
		}
	}
	return ""
}

// profileSource is a profile's own declaration (without #Resolved), whose
// comments are the reasons for its limits.
func (s *Schema) profileSource(profile string) cue.Value {
	v := s.profiles[profile]
	_, parts := v.Expr()
	for _, p := range parts {
		if root, ref := p.ReferencePath(); len(ref.Selectors()) > 0 && root.Exists() {
			continue // #Resolved itself
		}
		if p.IncompleteKind() == cue.StructKind {
			return p
		}
	}
	return v
}

func lookupData(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// showData prints a default compactly: scalars as written, mappings and
// lists inline with sorted keys.
func showData(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + showData(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showData(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		if x == "" {
			return `""`
		}
		return x
	}
	return fmt.Sprint(v)
}

// Sections lists the top-level sections of spec with the first line of
// their comment, for `ydpgen explain --list`.
func (s *Schema) Sections() []FieldSummary {
	spec := s.platform.LookupPath(cue.ParsePath("spec"))
	var out []FieldSummary
	for _, name := range s.fieldNames(spec) {
		f, ok := s.child(spec, name)
		if !ok {
			continue
		}
		out = append(out, FieldSummary{Name: "spec." + name, Type: typeName(narrowStruct(f)), Required: !isOptional(spec, name), Summary: firstLine(docOf(f))})
	}
	return out
}

// FieldsNamed lists every spec path (environment overrides left out) whose
// last field is name, such as spec.airflow.apiServer.ingress for ingress:
// the suggestion when a field is written in the wrong place.
func (s *Schema) FieldsNamed(name string) []string {
	if s.fieldIndex == nil {
		s.fieldIndex = map[string][]string{}
		var walk func(v cue.Value, path string, depth int)
		walk = func(v cue.Value, path string, depth int) {
			if depth > 12 {
				return
			}
			for _, f := range s.fieldNames(v) {
				if path == "spec" && f == "environments" {
					// An environment's own fields (profile, cluster, ...);
					// the sections it overrides are the platform's.
					env, ok := s.child(v, f)
					if env, ok2 := s.child(env, "name"); ok && ok2 {
						for _, ef := range s.fieldNames(env) {
							if slices.Contains(overridable(), ef) {
								continue
							}
							c, ok := s.child(env, ef)
							if !ok {
								continue
							}
							p := "spec.environments.<name>." + ef
							s.fieldIndex[ef] = append(s.fieldIndex[ef], p)
							walk(c, p, depth+2)
						}
					}
					continue
				}
				c, ok := s.child(v, f)
				if !ok {
					continue
				}
				p := path + "." + f
				if path == "" {
					p = f
				}
				s.fieldIndex[f] = append(s.fieldIndex[f], p)
				walk(c, p, depth+1)
			}
		}
		walk(s.platform, "", 0)
	}
	return s.fieldIndex[name]
}

// allFieldNames lists every field name of the spec, sorted.
func (s *Schema) allFieldNames() []string {
	s.FieldsNamed("")
	names := make([]string, 0, len(s.fieldIndex))
	for n := range s.fieldIndex {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

package spec

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/secretscan"
)

// secretFix says what to do instead of writing a secret into the spec.
const secretFix = "declare a credential under spec.credentials (name: {type: ...}) and name it where it is needed; its value goes into the secret store (secrets.provider external-secrets) or into the Secret created from overlays/<env>/SECRETS.md (secrets.provider manual)"

// secretValues finds values in the user's document that look like secrets.
// The spec only names credentials; a value in it would end up in git. It
// walks the document next to the schema, so that fields the schema declares
// are judged by their value only, while free-form keys (airflow.config) and
// unknown keys are also judged by their name.
func (s *Schema) secretValues(filename string, doc cue.Value) diag.List {
	var out diag.List
	add := func(sels []cue.Selector, v cue.Value, msg, allowed, fix string) {
		p := cue.MakePath(sels...)
		pos := valuePos(v)
		if !pos.IsValid() {
			org := originOf(filename, doc, p)
			out = append(out, diag.Finding{Severity: diag.Error, File: org.File, Line: org.Line, Col: org.Col, Path: p.String(), Message: msg, Allowed: allowed, Fix: fix})
			return
		}
		out = append(out, diag.Finding{Severity: diag.Error, File: filename, Line: pos.Line(), Col: pos.Column(),
			Path: p.String(), Message: msg, Allowed: allowed, Fix: fix})
	}
	typeAllowed := "only type: one of " + strings.Join(kindNames(), ", ")

	var visit func(v, sch cue.Value, sels []cue.Selector)
	visit = func(v, sch cue.Value, sels []cue.Selector) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			iter, err := v.Fields()
			if err != nil {
				return
			}
			decl := declaredFields(sch)
			for iter.Next() {
				sel := iter.Selector()
				child := append(slices.Clone(sels), sel)
				fv := iter.Value()
				name := selName(sel)
				switch {
				case isCredentialsMap(sels) && fv.IsConcrete() && fv.IncompleteKind() != cue.StructKind:
					add(child, fv, fmt.Sprintf("credential %s is written as a value; the spec declares a credential by its type and never holds its value", name),
						"a mapping {type: ...}; "+typeAllowed, secretFix)
					continue
				case len(sels) >= 3 && isCredentialsMap(sels[:len(sels)-1]) && name != "type":
					add(child, fv, fmt.Sprintf("credential %s has a field %q; a credential holds only its type, never its value", selName(sels[len(sels)-1]), name),
						typeAllowed, secretFix)
					continue
				}
				// A key is text the spec holds too (an annotation key, a
				// credential name, an airflow.cfg key).
				if what, ok := s.scan.Value(name); ok {
					add(child, fv, fmt.Sprintf("the key holds %s; the spec never holds secret values", what), "", secretFix)
					continue
				}
				var fs cue.Value
				declared := false
				switch {
				case decl[name]:
					declared = true
					// An optional field is found only by an optional selector;
					// much cheaper than filling the schema in.
					if fs = sch.LookupPath(cue.MakePath(sel.Optional())); !fs.Exists() {
						fs = fieldSchema(sch, s.top, sel)
					}
				case sch.Exists() && sch.Allows(sel):
					fs = fieldSchema(sch, s.top, sel)
				}
				// Annotations are free-form, and their keys often name Secrets
				// (auth-secret); judge them by value only. airflow.cfg keys
				// are judged by name by lint rule YDP010, which knows their
				// _secret and _cmd variants.
				byName := !declared && !isAnnotations(sels) && !underAirflowConfig(sels)
				if byName && secretscan.SecretName(name) && isSetScalar(fv) {
					add(child, fv, fmt.Sprintf("%q looks like a secret: the spec never holds secret values", name),
						"settings that are not secrets; Airflow's fernet key, API and JWT secrets, metadata connection and broker URL are read from Secrets that ydpgen names", secretFix)
					continue
				}
				visit(fv, fs, child)
				if byName && fv.Kind() == cue.StringKind {
					str, _ := fv.String()
					if blob, ok := s.scan.Blob(str, 32); ok {
						add(child, fv, fmt.Sprintf("the value holds what looks like encoded secret material (%s...); the spec never holds secret values", blob[:8]), "", secretFix)
					}
				}
			}
		case cue.ListKind:
			iter, err := v.List()
			if err != nil {
				return
			}
			elem := cue.Value{}
			if sch.Exists() {
				elem = sch.LookupPath(cue.MakePath(cue.AnyIndex))
			}
			for i := 0; iter.Next(); i++ {
				visit(iter.Value(), elem, append(slices.Clone(sels), cue.Index(i)))
			}
		case cue.StringKind:
			str, err := v.String()
			if err != nil {
				return
			}
			if what, ok := s.scan.Value(str); ok {
				add(sels, v, fmt.Sprintf("the value holds %s; the spec never holds secret values", what), "", secretFixFor(sels))
			}
		}
	}
	visit(doc, s.platform, nil)
	return out
}

// secretFixFor tailors the fix for URLs, which usually carry a git token.
func secretFixFor(sels []cue.Selector) string {
	if len(sels) > 0 && selName(sels[len(sels)-1]) == "repository" {
		return "write the URL without user and password and name a credential that holds them (dags.gitSync.credential of type GIT_SYNC, datasurface.model.credential of type API_TOKEN)"
	}
	return secretFix
}

// isCredentialsMap reports whether sels is spec.credentials or an
// environment's credentials.
func isCredentialsMap(sels []cue.Selector) bool {
	switch {
	case len(sels) == 2:
		return selName(sels[0]) == "spec" && selName(sels[1]) == "credentials"
	case len(sels) == 4:
		return selName(sels[0]) == "spec" && selName(sels[1]) == "environments" && selName(sels[3]) == "credentials"
	}
	return false
}

// underAirflowConfig reports whether sels is inside an airflow.config.
func underAirflowConfig(sels []cue.Selector) bool {
	for i := 0; i+1 < len(sels); i++ {
		if selName(sels[i]) == "airflow" && selName(sels[i+1]) == "config" {
			return true
		}
	}
	return false
}

func isAnnotations(sels []cue.Selector) bool {
	return len(sels) > 0 && selName(sels[len(sels)-1]) == "annotations"
}

// isSetScalar reports whether v is a non-empty string or a number: what a
// secret would be written as.
func isSetScalar(v cue.Value) bool {
	switch v.Kind() {
	case cue.StringKind:
		s, _ := v.String()
		return strings.TrimSpace(s) != ""
	case cue.IntKind, cue.FloatKind, cue.NumberKind:
		return true
	}
	return false
}

func kindNames() []string {
	var out []string
	for _, k := range credentials.SpecKinds() {
		out = append(out, string(k))
	}
	return out
}

// dropShadowed removes findings at the paths of secret findings: a field
// that holds a secret is usually also unknown or mistyped, and the secret is
// what the user must hear about.
func dropShadowed(findings, secrets diag.List) diag.List {
	if len(secrets) == 0 {
		return findings
	}
	paths := map[string]bool{}
	for _, f := range secrets {
		paths[f.Path] = true
	}
	var out diag.List
	for _, f := range findings {
		if !paths[f.Path] {
			out = append(out, f)
		}
	}
	return append(out, secrets...)
}

// selName is the name of a field selector, or "" for a list index.
func selName(s cue.Selector) string {
	if s.LabelType() == cue.StringLabel {
		return s.Unquoted()
	}
	return ""
}

// declaredFields are the fields schema names itself (optional ones
// included), as opposed to those it accepts through a pattern.
func declaredFields(schema cue.Value) map[string]bool {
	out := map[string]bool{}
	if !schema.Exists() {
		return out
	}
	iter, err := schema.Fields(cue.Optional(true))
	for err == nil && iter.Next() {
		out[selName(iter.Selector())] = true
	}
	return out
}

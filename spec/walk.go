package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/errors"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// walker compares the user's data with the schema, value by value, and
// writes findings in the spec's terms. CUE's own unification decides what is
// wrong (unified holds schema & data); the walker only decides how to say it.
type walker struct {
	file string
	// concrete asks for every value to be set: true once an environment is
	// resolved, false for the platform-wide check where overrides may be partial.
	concrete bool
	// where names the environment and profile in messages, when resolving one.
	where  string
	origin func(cue.Path) model.Origin
	// keyOrigin, when set, places findings about a field itself (unknown,
	// misplaced) at its key rather than its value.
	keyOrigin func(cue.Path) model.Origin
	// elsewhere, when set, lists the spec paths where a field of that name
	// belongs, for "did you mean" on a misplaced field.
	elsewhere func(name string) []string
	// why, when set, gives the profile's reason for a limit at a path of
	// the resolved environment, so that a forbidden value says why.
	why func(path []cue.Selector) string
	// top is the Schema's top value, for fieldSchema.
	top cue.Value
	out diag.List
	// backstopped, when set, sees each finding backstop adds (tests only:
	// Schema.backstopped).
	backstopped func(diag.Finding)
}

func (w *walker) add(p []cue.Selector, msg, allowed, fix string) {
	w.addAt(w.origin(cue.MakePath(p...)), p, msg, allowed, fix)
}

// addKey is add for a finding about the field itself, placed at its key.
func (w *walker) addKey(p []cue.Selector, msg, allowed, fix string) {
	if w.keyOrigin == nil {
		w.add(p, msg, allowed, fix)
		return
	}
	w.addAt(w.keyOrigin(cue.MakePath(p...)), p, msg, allowed, fix)
}

func (w *walker) addAt(o model.Origin, p []cue.Selector, msg, allowed, fix string) {
	path := o.Path
	if path == "" {
		path = cue.MakePath(p...).String()
	}
	if w.where != "" {
		msg += " in " + w.where
	}
	w.out = append(w.out, diag.Finding{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col,
		Path: path, Message: msg, Allowed: allowed, Fix: fix})
}

// walk checks data (the user's value at path) against schema and unified.
func (w *walker) walk(schema, unified, data cue.Value, path []cue.Selector) {
	// The walk only explains errors; a value that validates has none.
	if unified.Validate(cue.Concrete(w.concrete)) == nil {
		return
	}
	before := len(w.out)
	w.check(schema, unified, data, path)
	if w.concrete && len(w.out) == before {
		w.missing(schema, unified, path, data)
	}
	if len(w.out) == before && len(path) == 0 {
		w.backstop(unified)
	}
}

func (w *walker) check(schema, unified, data cue.Value, path []cue.Selector) {
	dk := data.IncompleteKind()
	if dk == cue.ListKind || dk == cue.StructKind {
		n := narrow(schema, dk)
		if dk == cue.StructKind && n != schema && schema.IncompleteKind()&cue.ListKind != 0 && !anyFieldAllowed(n, data) {
			// A mapping where a list is expected, that shares no field
			// with the mapping form either: the list is what was meant.
			w.add(path, "expected a list, got a mapping", describe(schema), "")
			return
		}
		if n != schema && unified.Err() != nil {
			// The data failed every alternative, and CUE's failed
			// disjunction keeps no error on the fields below it (it reports
			// each alternative's failure at the disjunction instead). The
			// data's kind has chosen the alternative the user meant: check
			// the data against that one alone, so that the error lands on
			// the value that is wrong.
			unified = n.Unify(data)
		}
		schema = n
	}
	sk := schema.IncompleteKind()
	if data.IsConcrete() && dk&sk == 0 && sk != cue.BottomKind {
		w.add(path, "expected "+kindName(sk)+", got "+kindOf(data), describe(schema), "")
		return
	}
	switch {
	case dk == cue.StructKind && sk&cue.StructKind != 0:
		iter, err := data.Fields()
		if err != nil {
			return
		}
		for iter.Next() {
			sel := iter.Selector()
			p := append(slices.Clone(path), sel)
			if !schema.Allows(sel) {
				w.unknown(schema, p, sel)
				continue
			}
			fs := fieldSchema(schema, w.top, sel)
			// A key only a pattern allows (an environment name) may be a
			// field written one level too high.
			if !declared(schema, sel) && iter.Value().IncompleteKind() == cue.StructKind && w.misplacedBlock(fs, iter.Value(), p) {
				continue
			}
			w.check(fs, unified.LookupPath(cue.MakePath(sel)), iter.Value(), p)
		}
	case dk == cue.ListKind && sk&cue.ListKind != 0:
		iter, err := data.List()
		if err != nil {
			return
		}
		elem := schema.LookupPath(cue.MakePath(cue.AnyIndex))
		before, n := len(w.out), 0
		for i := 0; iter.Next(); i++ {
			n++
			sel := cue.Index(i)
			es := elem
			if !es.Exists() {
				es = schema.LookupPath(cue.MakePath(sel))
			}
			if !es.Exists() {
				w.add(append(slices.Clone(path), sel), "this list takes no more elements", describe(schema), "")
				continue
			}
			w.check(es, unified.LookupPath(cue.MakePath(sel)), iter.Value(), append(slices.Clone(path), sel))
		}
		// Every element is fine, yet the list is not: its length is wrong.
		if len(w.out) == before && unified.Err() != nil {
			msg := fmt.Sprintf("a list of %d elements is not allowed", n)
			if n == 0 {
				msg = "an empty list is not allowed"
			}
			w.add(path, msg, describe(schema), "")
		}
	default:
		if !data.IsConcrete() {
			return // a CUE spec may leave a value to its profile
		}
		if err := unified.Err(); err != nil {
			fix := ""
			if w.why != nil {
				if why := w.why(path); why != "" {
					fix = "the profile forbids it: " + why
				}
			}
			w.add(path, show(data)+" is not allowed", describe(schema), fix)
		}
	}
}

// narrow picks, of a schema that allows a list or a mapping (spec.databases),
// the one alternative of the data's kind, so that the walk explains the
// data against that alternative and not against the disjunction.
func narrow(schema cue.Value, kind cue.Kind) cue.Value {
	op, parts := schema.Expr()
	if op == cue.AndOp {
		// A field found through fieldSchema is the schema and _.
		for _, p := range parts {
			if pop, _ := p.Expr(); pop == cue.OrOp {
				return narrow(p, kind)
			}
		}
	}
	if op != cue.OrOp {
		return schema
	}
	var match []cue.Value
	for _, p := range parts {
		if p.IncompleteKind()&kind != 0 {
			match = append(match, p)
		}
	}
	if len(match) == 1 {
		return match[0]
	}
	return schema
}

// anyFieldAllowed reports whether schema declares any of data's fields.
func anyFieldAllowed(schema, data cue.Value) bool {
	iter, err := data.Fields()
	for err == nil && iter.Next() {
		if schema.Allows(iter.Selector()) {
			return true
		}
	}
	return false
}

// fieldSchema is the schema of field sel, including fields that only a
// pattern constraint ([#Name]: ...) declares; top is CUE's top value,
// compiled in the schema's context.
func fieldSchema(schema, top cue.Value, sel cue.Selector) cue.Value {
	if v := schema.LookupPath(cue.MakePath(sel)); v.Exists() {
		return v
	}
	return schema.FillPath(cue.MakePath(sel), top).LookupPath(cue.MakePath(sel))
}

// unknown reports a field the schema does not allow, with the nearest known
// field as a suggestion, or the rule for keys of a mapping.
func (w *walker) unknown(schema cue.Value, p []cue.Selector, sel cue.Selector) {
	var known []string
	iter, _ := schema.Fields(cue.Optional(true))
	for iter != nil && iter.Next() {
		known = append(known, iter.Selector().Unquoted())
	}
	name := sel.Unquoted()
	if len(known) == 0 {
		if keys := attr(schema, "keys"); keys != "" {
			w.add(p, fmt.Sprintf("%q is not a valid name here", name), keys, "")
			return
		}
		w.add(p, fmt.Sprintf("field %q is not allowed here", name), "no fields", "")
		return
	}
	slices.Sort(known)
	if hint, fix, ok := gitSyncV3Hint(p, name); ok {
		w.add(p, hint, "one of "+strings.Join(known, ", "), fix)
		w.out[len(w.out)-1].Rule = "YDP012"
		return
	}
	fix := ""
	if near := diag.Nearest(name, known); near != "" {
		fix = fmt.Sprintf("did you mean %q?", near)
	} else if paths := w.placesIn(name, p); len(paths) > 0 {
		fix = "did you mean " + strings.Join(paths, " or ") + "?"
	}
	w.addKey(p, fmt.Sprintf("unknown field %q", name), "one of "+strings.Join(known, ", "), fix)
}

// placesOf lists where a field of this name belongs in the spec.
func (w *walker) placesOf(name string) []string {
	if w.elsewhere == nil {
		return nil
	}
	return w.elsewhere(name)
}

// declared reports whether sel is a field schema names, not a key that
// only a pattern allows.
func declared(schema cue.Value, sel cue.Selector) bool {
	if sel.LabelType() != cue.StringLabel {
		return true
	}
	iter, err := schema.Fields(cue.Optional(true))
	if err != nil {
		return true
	}
	for iter.Next() {
		if iter.Selector().LabelType() == cue.StringLabel && iter.Selector().Unquoted() == sel.Unquoted() {
			return true
		}
	}
	return false
}

// placesIn is placesOf with the environment of p, when it lies in one,
// named in the environment's own fields.
func (w *walker) placesIn(name string, p []cue.Selector) []string {
	paths := w.placesOf(name)
	if len(p) < 3 || p[0].LabelType() != cue.StringLabel || p[0].Unquoted() != "spec" ||
		p[1].LabelType() != cue.StringLabel || p[1].Unquoted() != "environments" || p[2].LabelType() != cue.StringLabel {
		return paths
	}
	out := make([]string, len(paths))
	for i, q := range paths {
		out[i] = strings.Replace(q, "<name>", p[2].Unquoted(), 1)
	}
	return out
}

// misplacedBlock reports, as one finding at its key, a mapping written
// under a name the schema reads as a key of its own (an environment name,
// say) when the name is a field that belongs elsewhere and none of the
// mapping's fields fit where it is: a block indented one level too little,
// not a list of unknown fields.
func (w *walker) misplacedBlock(schema, data cue.Value, path []cue.Selector) bool {
	if len(path) == 0 || w.elsewhere == nil || path[len(path)-1].LabelType() != cue.StringLabel {
		return false
	}
	name := path[len(path)-1].Unquoted()
	places := w.placesOf(name)
	if len(places) == 0 {
		return false
	}
	iter, err := data.Fields()
	if err != nil {
		return false
	}
	n := 0
	for iter.Next() {
		if schema.Allows(iter.Selector()) || iter.Selector().LabelType() != cue.StringLabel {
			return false
		}
		n++
	}
	if n == 0 {
		return false
	}
	parent := cue.MakePath(path[:len(path)-1]...).String()
	w.addKey(path, fmt.Sprintf("%q is read as a name under %s, but it is a field that belongs elsewhere, and none of its fields fit here", name, parent),
		"", "did you mean "+strings.Join(places, " or ")+"? (check the indentation)")
	return true
}

// missing reports values that are still unset after unification.
func (w *walker) missing(schema, unified cue.Value, path []cue.Selector, data cue.Value) {
	if d, ok := unified.Default(); ok {
		unified = d
	}
	if unified.IncompleteKind() == cue.ListKind {
		w.missingElements(schema, unified, path, data)
		return
	}
	if unified.IsConcrete() && unified.IncompleteKind() != cue.StructKind {
		return
	}
	switch unified.IncompleteKind() {
	case cue.StructKind:
		iter, err := unified.Fields()
		if err != nil {
			return
		}
		for iter.Next() {
			sel := iter.Selector()
			w.missing(fieldSchema(schema, w.top, sel), iter.Value(), append(slices.Clone(path), sel), data.LookupPath(cue.MakePath(sel)))
		}
	default:
		if unified.Err() != nil || unified.IsConcrete() {
			return
		}
		what := "is not set"
		if data.Exists() {
			what = "has no concrete value"
		}
		w.add(path, fmt.Sprintf("required value %s %s", specName(path), what), describe(schema), "")
	}
}

// missingElements is missing for a list: a list the spec does not write
// but the schema requires elements of (secrets.sops.ageRecipients) is one
// unset value; in a list the spec writes, each element is checked, so that
// a database written without its name is told so.
func (w *walker) missingElements(schema, unified cue.Value, path []cue.Selector, data cue.Value) {
	if unified.Validate(cue.Concrete(true)) == nil {
		return
	}
	elem := schema.LookupPath(cue.MakePath(cue.AnyIndex))
	if !data.Exists() {
		allowed := describe(schema)
		if d, _ := conjunctAttr(schema); elem.Exists() && attr(schema, "allowed") == "" && d == "" {
			// A list with no words of its own: say what its elements are.
			allowed = "a list of at least one value, each " + describe(elem)
		}
		w.add(path, fmt.Sprintf("required value %s is not set", specName(path)), allowed, "")
		return
	}
	iter, err := unified.List()
	if err != nil {
		return
	}
	for i := 0; iter.Next(); i++ {
		sel := cue.Index(i)
		es := elem
		if !es.Exists() {
			es = schema.LookupPath(cue.MakePath(sel))
		}
		w.missing(es, iter.Value(), append(slices.Clone(path), sel), data.LookupPath(cue.MakePath(sel)))
	}
}

// specName is a value's path as a spec writes it: the resolved
// environment's own section (environment.namespace.name) is written
// under the environment itself (namespace.name).
func specName(path []cue.Selector) string {
	return strings.TrimPrefix(cue.MakePath(path...).String(), "environment.")
}

// backstop reports, in CUE's words, anything the walk above did not explain.
// It should stay silent; TestBackstopSilent asserts that for every spec in
// the suite.
func (w *walker) backstop(unified cue.Value) {
	err := unified.Validate(cue.Concrete(w.concrete))
	for _, e := range errors.Errors(err) {
		var sels []cue.Selector
		for _, s := range e.Path() {
			sels = append(sels, cue.ParsePath(s).Selectors()...)
		}
		format, args := e.Msg()
		w.add(sels, fmt.Sprintf(format, args...), "", "")
		if w.backstopped != nil {
			w.backstopped(w.out[len(w.out)-1])
		}
	}
}

// open reports each value a CUE spec writes but leaves open (string, a
// disjunction without a default): the spec is read as data, before any
// profile's defaults, so each value it writes must be concrete. Values
// the spec does not write are the profile's to give and are not reported.
func (w *walker) open(schema, doc cue.Value) {
	for _, e := range errors.Errors(doc.Validate(cue.Concrete(true))) {
		var sels []cue.Selector
		for _, s := range e.Path() {
			sels = append(sels, cue.ParsePath(s).Selectors()...)
		}
		// The open value as written, when it is short enough to quote.
		msg := "the value is left open"
		if what := fmt.Sprint(doc.LookupPath(cue.MakePath(sels...))); !strings.Contains(what, "\n") && len(what) <= 60 {
			msg = "the value " + what + " is left open"
		}
		w.add(sels, msg+"; a spec is read as data, so each value it writes must be concrete",
			describe(schemaAt(schema, w.top, doc, sels)), "")
	}
}

// schemaAt is the schema of the value at sels in data, through the
// alternative of each value's kind where the schema offers several.
func schemaAt(schema, top, data cue.Value, sels []cue.Selector) cue.Value {
	for i, sel := range sels {
		here := data.LookupPath(cue.MakePath(sels[:i]...))
		schema = narrow(schema, here.IncompleteKind())
		if sel.LabelType() == cue.IndexLabel {
			if elem := schema.LookupPath(cue.MakePath(cue.AnyIndex)); elem.Exists() {
				schema = elem
				continue
			}
			schema = schema.LookupPath(cue.MakePath(sel))
			continue
		}
		schema = fieldSchema(schema, top, sel)
	}
	return schema
}

// describe says in words what a schema value allows.
func describe(v cue.Value) string {
	if d := attr(v, "allowed"); d != "" {
		return d
	}
	if root, ref := v.ReferencePath(); len(ref.Selectors()) > 0 {
		if d := describe(root.LookupPath(ref)); d != "" {
			return d
		}
	}
	alts := alternatives(v)
	// A definition's own words win over its list of values, unless a
	// profile has narrowed the list: then what is left is the answer.
	if d, def := conjunctAttr(v); d != "" && (len(alts) == 0 || slices.Equal(alternatives(def), alts)) {
		return d
	}
	switch len(alts) {
	case 0:
	case 1:
		return "only " + alts[0]
	default:
		return "one of " + strings.Join(alts, ", ")
	}
	op, parts := v.Expr()
	switch op {
	case cue.AndOp:
		for _, p := range parts {
			if pop, _ := p.Expr(); pop == cue.OrOp {
				return describe(p)
			}
		}
	case cue.OrOp:
		var alts []string
		for _, p := range parts {
			if p.IsConcrete() {
				alts = append(alts, show(p))
			} else {
				alts = append(alts, describe(p))
			}
		}
		alts = slices.Compact(alts)
		if len(alts) > 1 {
			return "one of " + strings.Join(alts, ", ")
		}
		if len(alts) == 1 {
			return alts[0]
		}
	}
	if v.IsConcrete() && v.IncompleteKind() != cue.StructKind && v.IncompleteKind() != cue.ListKind {
		return "only " + show(v)
	}
	return kindName(v.IncompleteKind())
}

// conjunctAttr finds, among the conjuncts of v (a field's type and _, a
// type and a profile's limit), one that says in words what it allows, and
// returns the words and that conjunct.
func conjunctAttr(v cue.Value) (string, cue.Value) {
	op, parts := v.Expr()
	if op != cue.AndOp {
		return "", cue.Value{}
	}
	for _, p := range parts {
		if d := attr(p, "allowed"); d != "" {
			return d, p
		}
		if root, ref := p.ReferencePath(); len(ref.Selectors()) > 0 {
			def := root.LookupPath(ref)
			if d := attr(def, "allowed"); d != "" {
				return d, def
			}
		}
	}
	return "", cue.Value{}
}

// alternatives lists the concrete values a schema value can take when it is
// an enumeration: every disjunct found among its conjuncts that the whole
// value accepts (a profile may narrow the schema's list).
func alternatives(v cue.Value) []string {
	var cands []cue.Value
	var collect func(x cue.Value, depth int)
	collect = func(x cue.Value, depth int) {
		if depth > 4 {
			return
		}
		op, parts := x.Expr()
		switch op {
		case cue.OrOp:
			for _, p := range parts {
				if p.IsConcrete() && p.Kind() != cue.StructKind && p.Kind() != cue.ListKind {
					cands = append(cands, p)
				}
			}
		case cue.AndOp:
			for _, p := range parts {
				collect(p, depth+1)
			}
		}
		if root, ref := x.ReferencePath(); len(ref.Selectors()) > 0 {
			collect(root.LookupPath(ref), depth+1)
		}
	}
	collect(v, 0)
	var out []string
	for _, c := range cands {
		if v.Unify(c).Validate() != nil {
			continue
		}
		if s := show(c); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) < 2 && len(cands) < 2 {
		return nil
	}
	return out
}

// attr reads key from a @ydp(...) attribute of v.
func attr(v cue.Value, key string) string {
	a := v.Attribute("ydp")
	if a.Err() != nil {
		return ""
	}
	s, ok, err := a.Lookup(0, key)
	if err != nil || !ok {
		return ""
	}
	return s
}

func kindName(k cue.Kind) string {
	switch k {
	case cue.StringKind:
		return "a string"
	case cue.IntKind:
		return "a whole number"
	case cue.FloatKind, cue.NumberKind:
		return "a number"
	case cue.BoolKind:
		return "true or false"
	case cue.StructKind:
		return "a mapping"
	case cue.ListKind:
		return "a list"
	case cue.NullKind:
		return "null"
	}
	// A schema that takes values of several kinds (a name or a mapping, a
	// list or a mapping) names each, so that a value of another kind is
	// told what it could have been.
	var names []string
	for _, one := range []struct {
		kind cue.Kind
		name string
	}{
		{cue.StringKind, "a string"}, {cue.NumberKind, "a number"}, {cue.IntKind, "a whole number"},
		{cue.FloatKind, "a number"}, {cue.BoolKind, "a boolean"}, {cue.StructKind, "a mapping"},
		{cue.ListKind, "a list"}, {cue.NullKind, "null"},
	} {
		if k&one.kind == one.kind {
			names = append(names, one.name)
			k &^= one.kind
		}
	}
	if k != 0 || len(names) < 2 {
		return "a value"
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// kindOf names the kind of a user's value with the value itself.
func kindOf(v cue.Value) string {
	switch v.Kind() {
	case cue.StringKind:
		return "the string " + show(v)
	case cue.StructKind, cue.ListKind:
		return show(v)
	case cue.BoolKind:
		return "the boolean " + show(v)
	case cue.NullKind:
		return "null (an empty value)"
	}
	return "the number " + show(v)
}

// show prints a user's value the way they wrote it: strings unquoted unless
// they would read as another type, mappings and lists by kind.
func show(v cue.Value) string {
	switch v.Kind() {
	case cue.StringKind:
		s, _ := v.String()
		if s == "" {
			return `""`
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil || s == "true" || s == "false" || strings.ContainsAny(s, " :#") {
			return strconv.Quote(s)
		}
		return s
	case cue.StructKind:
		return "a mapping"
	case cue.ListKind:
		return "a list"
	case cue.BoolKind, cue.IntKind, cue.FloatKind, cue.NumberKind, cue.NullKind:
		return fmt.Sprint(v)
	}
	return fmt.Sprint(v)
}

// gitSyncV3Hint explains the git-sync v3 settings that copied values files
// still carry: git-sync v4, which the chart runs, ignores them silently, so
// a DAG branch set with them is never checked out (lint rule YDP012).
func gitSyncV3Hint(p []cue.Selector, name string) (msg, fix string, ok bool) {
	// The parent of an unknown field may be a list element, which has no name.
	if len(p) < 2 || p[len(p)-2].LabelType() != cue.StringLabel || p[len(p)-2].Unquoted() != "gitSync" {
		return "", "", false
	}
	switch name {
	case "branch", "rev":
		return fmt.Sprintf("%q is a git-sync v3 setting that git-sync v4 ignores, so its default ref would be checked out", name), "write the branch or tag as ref", true
	case "wait":
		return `"wait" is a git-sync v3 setting that git-sync v4 ignores`, "write the interval as period, such as 60s", true
	}
	return "", "", false
}

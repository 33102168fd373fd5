package chart

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	helmchart "helm.sh/helm/v4/pkg/chart/v2"
)

// Difference is one object that two renders of the same input rendered
// differently.
type Difference struct {
	// Kind, Namespace and Name identify the object as the first render
	// named it; Namespace is the release namespace when the object sets none.
	Kind      string
	Namespace string
	Name      string
	// Template is the template that rendered the object.
	Template string
	// Fields are the paths that differ, as data.fernet-key or
	// spec.template.metadata.annotations["checksum/config"]. Empty when
	// the two renders gave a different number of objects.
	Fields []string
	// Pins are values the template reads that are unset and would most
	// likely make it stable (a Secret's name, a password); may be empty.
	Pins []string
	// Hint says in words what to do.
	Hint string
}

func (d Difference) String() string {
	var b strings.Builder
	kind := d.Kind
	if kind == "" {
		kind = "object"
	}
	fmt.Fprintf(&b, "%s %s/%s (%s)", kind, d.Namespace, d.Name, d.Template)
	switch len(d.Fields) {
	case 0:
		b.WriteString(": the number of objects differs")
	case 1:
		fmt.Fprintf(&b, ": %s differs", d.Fields[0])
	default:
		fmt.Fprintf(&b, ": %s differ", strings.Join(d.Fields, ", "))
	}
	if d.Hint != "" {
		b.WriteString("; ")
		b.WriteString(d.Hint)
	}
	return b.String()
}

// NondeterminismError says that a chart renders differently each time, so
// a GitOps tree would never settle: it lists the objects and fields.
type NondeterminismError struct {
	Chart       string // "chart airflow 1.19.0"
	Differences []Difference
}

func (e *NondeterminismError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s renders differently each time (random values or the clock), so the rendered tree would change on every render:", e.Chart)
	const shown = 10
	for i, d := range e.Differences {
		if i == shown {
			fmt.Fprintf(&b, "\n  and %d more objects", len(e.Differences)-shown)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// compareRenders pairs the objects of two renders by template and position
// within the template (names may be random too) and lists what differs.
func compareRenders(a, b *Result, namespace string) []Difference {
	group := func(r *Result) (map[string][]map[string]any, []string) {
		g := map[string][]map[string]any{}
		var order []string
		add := func(o Object) {
			if _, ok := g[o.Template]; !ok {
				order = append(order, o.Template)
			}
			g[o.Template] = append(g[o.Template], o.Body)
		}
		for _, o := range r.Objects {
			add(o)
		}
		for _, h := range r.Hooks {
			add(h.Object)
		}
		return g, order
	}
	ga, order := group(a)
	gb, orderB := group(b)
	for _, t := range orderB {
		if _, ok := ga[t]; !ok {
			order = append(order, t)
		}
	}
	slices.Sort(order)
	var diffs []Difference
	for _, t := range order {
		xs, ys := ga[t], gb[t]
		if len(xs) != len(ys) {
			d := Difference{Template: t}
			if len(xs) > 0 {
				d.Kind, d.Namespace, d.Name = identity(xs[0], namespace)
			} else {
				d.Kind, d.Namespace, d.Name = identity(ys[0], namespace)
			}
			diffs = append(diffs, d)
			continue
		}
		for i := range xs {
			var fields []string
			diffValues(nil, xs[i], ys[i], &fields)
			if len(fields) == 0 {
				continue
			}
			d := Difference{Template: t, Fields: fields}
			d.Kind, d.Namespace, d.Name = identity(xs[i], namespace)
			diffs = append(diffs, d)
		}
	}
	return diffs
}

func identity(obj map[string]any, namespace string) (kind, ns, name string) {
	o := Object{Body: obj}
	ns = o.Namespace()
	if ns == "" {
		ns = namespace
	}
	return o.Kind(), ns, o.Name()
}

// diffValues appends the paths at which x and y differ, down to the
// smallest differing part.
func diffValues(path []string, x, y any, out *[]string) {
	switch xt := x.(type) {
	case map[string]any:
		yt, ok := y.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(xt)+len(yt))
		for k := range xt {
			keys = append(keys, k)
		}
		for k := range yt {
			if _, ok := xt[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			diffValues(append(path, keyElem(k)), xt[k], yt[k], out)
		}
		return
	case []any:
		yt, ok := y.([]any)
		if !ok || len(xt) != len(yt) {
			break
		}
		for i := range xt {
			diffValues(append(path, "["+strconv.Itoa(i)+"]"), xt[i], yt[i], out)
		}
		return
	}
	if !reflect.DeepEqual(x, y) {
		*out = append(*out, joinPath(path))
	}
}

// keyElem writes a map key as a path element: .name, or ["a.b"] when the
// key holds characters a dotted path cannot show.
func keyElem(k string) string {
	if k != "" && !strings.ContainsAny(k, ".[]\"/ ") {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func joinPath(p []string) string {
	return strings.TrimPrefix(strings.Join(p, ""), ".")
}

// addHints says, for each difference, which unset values its template reads:
// setting one of them (most often to the name of an existing Secret) is
// what usually stops a chart from generating a value.
func addHints(diffs []Difference, hc *helmchart.Chart, values map[string]any) {
	// .Values.a.b.c (and $.Values...) in template source.
	valuesRef := regexp.MustCompile(`\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`)
	sources := map[string]templateSource{}
	collectSources(hc, nil, sources)
	for i := range diffs {
		d := &diffs[i]
		if len(d.Fields) > 0 && allChecksums(d.Fields) {
			d.Hint = "a checksum of other rendered content that differs; pinning that content fixes this"
			continue
		}
		src, ok := sources[d.Template]
		if !ok {
			continue
		}
		d.Pins = unsetPins(valuesRef, src, values)
		if len(d.Pins) > 0 {
			d.Hint = "set one of " + strings.Join(d.Pins, ", ") + " (for generated secrets, the name of an existing Secret)"
		} else {
			d.Hint = "no unset value of this template could pin it: it uses random data or the clock unconditionally (randAlphaNum, uuidv4, genCA, now)"
		}
	}
}

type templateSource struct {
	text   string
	prefix []string // where the template's chart finds its .Values
}

func collectSources(hc *helmchart.Chart, prefix []string, out map[string]templateSource) {
	for _, t := range hc.Templates {
		out[pathJoin(hc.ChartFullPath(), t.Name)] = templateSource{text: string(t.Data), prefix: prefix}
	}
	for _, sub := range hc.Dependencies() {
		collectSources(sub, append(slices.Clone(prefix), sub.Name()), out)
	}
}

func pathJoin(a, b string) string { return strings.TrimSuffix(a, "/") + "/" + b }

func allChecksums(fields []string) bool {
	for _, f := range fields {
		if !strings.Contains(f, `annotations["checksum/`) {
			return false
		}
	}
	return true
}

// unsetPins lists the values a template reads that are unset (absent, null
// or ""), keeping only those whose name suggests a secret, key or existing
// object when there are any.
func unsetPins(valuesRef *regexp.Regexp, src templateSource, values map[string]any) []string {
	// Words that mark values which usually pin generated content.
	pinWords := []string{"secret", "password", "key", "token", "cert", "existing"}
	var unset, pins []string
	for _, m := range valuesRef.FindAllStringSubmatch(src.text, -1) {
		segs := strings.Split(strings.TrimPrefix(m[1], "."), ".")
		if segs[0] != "global" {
			segs = append(slices.Clone(src.prefix), segs...)
		}
		if !isUnset(values, segs) {
			continue
		}
		p := strings.Join(segs, ".")
		unset = append(unset, p)
		last := strings.ToLower(segs[len(segs)-1])
		if slices.ContainsFunc(pinWords, func(w string) bool { return strings.Contains(last, w) }) {
			pins = append(pins, p)
		}
	}
	if len(pins) == 0 {
		pins = unset
	}
	slices.Sort(pins)
	return slices.Compact(pins)
}

func isUnset(values map[string]any, segs []string) bool {
	var cur any = values
	for _, s := range segs {
		if cur == nil {
			return true
		}
		m, ok := cur.(map[string]any)
		if !ok {
			// A path through a non-object: the template does not read a
			// setting here.
			return false
		}
		cur, ok = m[s]
		if !ok {
			return true
		}
	}
	return cur == nil || cur == ""
}

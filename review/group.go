package review

import (
	"fmt"
	"slices"
	"strings"
)

// A change that repeats in several environments (a new image, a values
// field, a Job's new template) is shown once, under all of them: the
// report is then as long as the change, not as long as the change times
// the environments. Grouping compares what would be printed, with the
// namespace left out (environments usually have one each) and a Job's hash
// suffix left out (the hash covers the namespace), so only changes that
// read the same are grouped.

// section is what the report prints under one heading: the changes shared
// by its environments (one environment, several, or none for the files
// outside the overlays).
type section struct {
	envs []string
	// namespaces of the objects, one per environment, when the lines leave
	// them out (a group of several environments).
	namespaces []string
	items      []item
	outside    bool
}

// item is one object, a part of one file, or an overlay error, as printed.
type item struct {
	order int // position in its environment's report
	file  bool
	path  string
	part  int
	kind  string
	op    Op
	flags []Flag
	// subjects names what each flag is about, for the list of flags.
	subjects []string
	subject  string
	lines    []string
	// key is what must be equal for the item to be shared; glines and
	// gsubject are how a shared item is printed.
	key      string
	glines   []string
	gsubject string
	ns       string
}

// envItems lists an environment's changes as items.
func envItems(e EnvChange) []item {
	var out []item
	for i, err := range e.Errors {
		line := "!" + pad(1) + "overlay " + e.Name + " does not build: " + oneLine(err)
		out = append(out, item{order: len(out), lines: []string{line}, key: fmt.Sprintf("error %d %s", i, line)})
	}
	for _, c := range e.Objects {
		g := generalise(c)
		it := item{order: len(out), kind: c.Kind, op: c.Op, flags: c.Flags, ns: c.Namespace,
			subject: c.Kind + " " + c.Ref(), gsubject: c.Kind + " " + g.ref,
			lines: objectLines(c, 2, false), glines: g.lines(c)}
		it.key = "object " + c.Group + "/" + c.Kind + "\n" + strings.Join(it.glines, "\n")
		out = append(out, it)
	}
	for _, it := range fileItems(e.Files, 2) {
		it.order = len(out)
		out = append(out, it)
	}
	return out
}

// fileItems splits each file into what its data says: flags and objects,
// each changed field, and its comment or text lines; so that a values
// field changed alike everywhere is shared although the header, which
// names the environment, and the fields that differ are not.
func fileItems(fs []FileChange, depth int) []item {
	var out []item
	for _, f := range fs {
		head := marker(f.Op) + pad(depth) + f.Path
		if f.Note != "" {
			head += " (" + f.Note + ")"
		}
		add := func(part int, lines []string, flags []Flag, subjects []string) {
			lines = append([]string{head}, lines...)
			out = append(out, item{file: true, path: f.Path, part: part, op: f.Op, flags: flags, subjects: subjects,
				subject: f.Path, gsubject: f.Path, lines: lines, glines: lines,
				key: fmt.Sprintf("file %s\n%s", f.Path, strings.Join(lines, "\n"))})
		}
		var lines []string
		flags := slices.Clone(f.Flags)
		var subjects []string
		for _, fl := range f.Flags {
			lines = append(lines, flagLine(fl, depth+1))
			subjects = append(subjects, f.Path)
		}
		for _, c := range f.Objects {
			lines = append(lines, objectLines(c, depth+1, true)...)
			for _, fl := range c.Flags {
				flags = append(flags, fl)
				subjects = append(subjects, f.Path+": "+c.Kind+" "+c.Ref())
			}
		}
		if len(lines) > 0 || (len(f.Fields) == 0 && len(f.Lines) == 0) {
			add(0, lines, flags, subjects)
		}
		for i, fc := range f.Fields {
			add(1+i, fieldLines([]FieldChange{fc}, depth+1), nil, nil)
		}
		if len(f.Lines) > 0 {
			add(1+len(f.Fields), lineLines(f.Lines, depth+1), nil, nil)
		}
	}
	return out
}

// general is an object change as it reads in any environment.
type general struct {
	ref  string
	hash bool // renamed only by a new hash suffix
}

func generalise(c ObjectChange) general {
	g := general{ref: c.Name}
	if c.WasName != "" && c.WasNamespace == c.Namespace {
		a, oka := suffixStem(c.Name)
		b, okb := suffixStem(c.WasName)
		if oka && okb && a == b {
			g.ref, g.hash = a+"-<hash>", true
		}
	}
	return g
}

// lines prints the change without its namespace; a new hash suffix is
// said, not spelled out, and so is the name field it changed.
func (g general) lines(c ObjectChange) []string {
	head := marker(c.Op) + pad(2) + g.ref
	switch {
	case g.hash:
		head += " (new hash suffix)"
	case c.WasRef() != "":
		head += " (was " + c.WasRef() + ")"
	}
	out := []string{head}
	for _, f := range c.Flags {
		out = append(out, flagLine(f, 3))
	}
	fields := c.Fields
	if g.hash {
		fields = slices.DeleteFunc(slices.Clone(fields), func(f FieldChange) bool { return f.Path == "metadata.name" })
	}
	return append(out, fieldLines(fields, 3)...)
}

// sections groups the report's changes: each distinct change once, under
// every environment it occurs in; then the files outside the overlays.
func (r *Report) sections() []section {
	type occurrence struct {
		env int
		it  item
	}
	var keys []string
	byKey := map[string][]occurrence{}
	for i, e := range r.Environments {
		seen := map[string]int{}
		for _, it := range envItems(e) {
			// The same key twice in one environment stays two items.
			k := it.key
			seen[k]++
			if n := seen[k]; n > 1 {
				k = fmt.Sprintf("%s\n#%d", k, n)
			}
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], occurrence{i, it})
		}
	}
	var out []section
	index := map[string]int{}
	for _, k := range keys {
		occ := byKey[k]
		s := section{}
		for _, o := range occ {
			s.envs = append(s.envs, r.Environments[o.env].Name)
			s.namespaces = append(s.namespaces, o.it.ns)
		}
		it := occ[0].it
		if len(occ) > 1 {
			it.lines, it.subject = it.glines, it.gsubject
		} else {
			s.namespaces = nil
		}
		if slices.IndexFunc(s.namespaces, func(ns string) bool { return ns != "" }) < 0 {
			s.namespaces = nil
		}
		// Files have no namespace: they join the first section of their
		// environments.
		envKey := strings.Join(s.envs, ",")
		sk := envKey + "|" + strings.Join(s.namespaces, ",")
		i, ok := index[sk]
		if it.file {
			i, ok = index[envKey]
		}
		if !ok {
			i = len(out)
			index[sk] = i
			out = append(out, s)
		}
		if _, ok := index[envKey]; !ok {
			index[envKey] = i
		}
		out[i].items = append(out[i].items, it)
	}
	envIndex := func(name string) int {
		return slices.IndexFunc(r.Environments, func(e EnvChange) bool { return e.Name == name })
	}
	// Each environment's sections in report order, the shared ones first.
	slices.SortStableFunc(out, func(a, b section) int {
		if d := envIndex(a.envs[0]) - envIndex(b.envs[0]); d != 0 {
			return d
		}
		return len(b.envs) - len(a.envs)
	})
	for i := range out {
		slices.SortStableFunc(out[i].items, func(a, b item) int {
			switch {
			case a.file != b.file:
				if a.file {
					return 1
				}
				return -1
			case a.file:
				if c := strings.Compare(a.path, b.path); c != 0 {
					return c
				}
				return a.part - b.part
			}
			return a.order - b.order
		})
	}
	if len(r.Files) > 0 {
		out = append(out, section{outside: true, items: fileItems(r.Files, 1)})
	}
	return out
}

// title names a section: its environments, with their namespaces when the
// lines leave them out.
func (s section) title() string {
	if s.outside {
		return "files outside the overlays"
	}
	t := strings.Join(s.envs, ", ")
	if len(s.namespaces) > 0 {
		ns := slices.Compact(slices.Clone(s.namespaces))
		if len(ns) == 1 {
			t += " (namespace " + ns[0] + ")"
		} else {
			t += " (namespaces " + strings.Join(s.namespaces, ", ") + ")"
		}
	}
	return t
}

// body prints a section's items: objects under their kind, then files.
func (s section) body() []string {
	var out []string
	kind, path, files := "", "", false
	for _, it := range s.items {
		lines := it.lines
		switch {
		case s.outside:
			if it.file && it.path == path {
				lines = lines[1:]
			}
			path = it.path
		case it.file:
			if !files {
				out = append(out, " "+pad(1)+"files")
				files = true
			}
			if it.path == path {
				lines = lines[1:]
			}
			path = it.path
		case it.kind != "" && it.kind != kind:
			kind = it.kind
			out = append(out, " "+pad(1)+kind)
		}
		out = append(out, lines...)
	}
	return out
}

// counts says what a section holds, as the summary does for an environment.
func (s section) counts() string {
	n := map[Op]int{}
	flags, errs := 0, 0
	counted := map[string]bool{}
	for _, it := range s.items {
		flags += len(it.flags)
		switch {
		case it.kind == "" && !it.file:
			errs++
		case it.file && counted[it.path]:
			// the same file, counted once
		default:
			n[it.op]++
			if it.file {
				counted[it.path] = true
			}
		}
	}
	return countLine(n, errs, flags)
}

// heads prints a section's items by their first line only: what changed,
// not how.
func (s section) heads() []string {
	short := s
	short.items = nil
	for _, it := range s.items {
		it.lines = it.lines[:1]
		short.items = append(short.items, it)
	}
	var out []string
	for _, l := range short.body() {
		if len(out) == 0 || out[len(out)-1] != l {
			out = append(out, l)
		}
	}
	return out
}

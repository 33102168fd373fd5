package review

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/ydpgen/ydpgen/internal/markdown"
)

// Summary is one line per report: each environment's counts, then the
// files outside the overlays, such as
// "prod: 2 added, 1 removed, 3 changed, 1 risk flag; staging: no changes".
func (r *Report) Summary() string {
	var parts []string
	for _, e := range r.Environments {
		name := e.Name
		switch e.Op {
		case Added:
			name += " (new environment)"
		case Removed:
			name += " (environment removed)"
		}
		parts = append(parts, name+": "+counts(e.Objects, e.Files, len(e.Errors)))
	}
	if len(r.Files) > 0 {
		parts = append(parts, "files outside the overlays: "+counts(nil, r.Files, 0))
	}
	if len(parts) == 0 {
		return "no environments on either side"
	}
	return strings.Join(parts, "; ")
}

func counts(objs []ObjectChange, files []FileChange, errs int) string {
	n := map[Op]int{}
	flags := 0
	for _, o := range objs {
		n[o.Op]++
		flags += len(o.Flags)
	}
	for _, f := range files {
		n[f.Op]++
		flags += len(f.Flags)
		for _, o := range f.Objects {
			flags += len(o.Flags)
		}
	}
	var out []string
	for _, op := range []Op{Added, Removed, Changed} {
		if n[op] > 0 {
			out = append(out, fmt.Sprintf("%d %s", n[op], op))
		}
	}
	if errs > 0 {
		out = append(out, plural(errs, "build error"))
	}
	if flags > 0 {
		out = append(out, plural(flags, "risk flag"))
	}
	if len(out) == 0 {
		return "no changes"
	}
	return strings.Join(out, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Text writes the report for a terminal.
func (r *Report) Text(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ydpgen diff: %s -> %s\n", r.Old, r.New)
	if r.OldNote != "" {
		fmt.Fprintf(&b, "(%s: %s)\n", r.Old, r.OldNote)
	}
	b.WriteString(r.Summary() + "\n")
	for _, sec := range r.sections() {
		body := sec.body()
		if len(body) == 0 {
			continue
		}
		b.WriteString("\n" + sec.title() + "\n")
		for _, l := range body {
			b.WriteString(l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Marker is the first line of the Markdown report: an HTML comment a code
// host does not show, by which CI finds the comment it posted before and
// edits it instead of adding another (docs/ci).
const Marker = "<!-- ydpgen-diff -->"

// Markdown writes the report as a pull-request comment: the marker, the
// summary and the risk flags in view, each environment's changes folded.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	b.WriteString("### ydpgen diff\n\n")
	fmt.Fprintf(&b, "%s → %s", markdown.Code(r.Old), markdown.Code(r.New))
	if r.OldNote != "" {
		fmt.Fprintf(&b, " (%s)", markdown.Text(r.OldNote))
	}
	b.WriteString("\n\n**" + markdown.Text(r.Summary()) + "**\n")
	sections := r.sections()
	var flags []string
	for _, sec := range sections {
		for _, it := range sec.items {
			for i, f := range it.flags {
				where := it.subject
				if i < len(it.subjects) {
					where = it.subjects[i]
				}
				if !sec.outside {
					where = strings.Join(sec.envs, ", ") + " " + where
				}
				line := fmt.Sprintf("- %s %s: %s", markdown.Code(f.ID), markdown.Text(where), markdown.Text(f.Why))
				if f.Detail != "" {
					line += " (" + markdown.Text(f.Detail) + ")"
				}
				flags = append(flags, line)
			}
		}
	}
	if len(flags) > 0 {
		fmt.Fprintf(&b, "\n:warning: **%s**\n\n", plural(len(flags), "risk flag"))
		for _, l := range flags {
			b.WriteString(l + "\n")
		}
	}
	section := func(title string, body []string) {
		fence := markdown.Fence(body)
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n%sdiff\n", html.EscapeString(title), fence)
		for _, l := range body {
			b.WriteString(l + "\n")
		}
		b.WriteString(fence + "\n\n</details>\n")
	}
	for _, sec := range sections {
		if body := sec.body(); len(body) > 0 {
			section(sec.title()+": "+sec.counts(), body)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Lines of a body start with a marker column ("+", "-", "~", "!" or a
// space) and then indentation, so that a diff highlighter colours them.
// pad gives the indentation after the marker for a nesting depth: text at
// depth d starts at column 2d.
func pad(depth int) string { return strings.Repeat(" ", 2*depth-1) }

// objectLines describes one object; inside a file, where objects of
// several kinds mix, the kind leads its name.
func objectLines(c ObjectChange, depth int, withKind bool) []string {
	head := marker(c.Op) + pad(depth)
	if withKind {
		head += c.Kind + " "
	}
	head += c.Ref()
	if was := c.WasRef(); was != "" {
		head += " (was " + was + ")"
	}
	out := []string{head}
	for _, f := range c.Flags {
		out = append(out, flagLine(f, depth+1))
	}
	out = append(out, fieldLines(c.Fields, depth+1)...)
	return out
}

func flagLine(f Flag, depth int) string {
	s := "!" + pad(depth) + f.ID + ": " + f.Why
	if f.Detail != "" {
		s += " (" + f.Detail + ")"
	}
	return s
}

func fieldLines(fs []FieldChange, depth int) []string {
	var out []string
	for _, f := range fs {
		var s string
		switch f.Op {
		case Added:
			s = "+" + pad(depth) + f.Path + ": " + f.New
		case Removed:
			s = "-" + pad(depth) + f.Path + ": " + f.Old
		default:
			s = "~" + pad(depth) + f.Path + ": " + f.Old + " -> " + f.New
		}
		out = append(out, s)
		out = append(out, lineLines(f.Lines, depth+1)...)
	}
	return out
}

func lineLines(ls []Line, depth int) []string {
	var out []string
	for _, l := range ls {
		op := l.Op
		if op == "@" {
			op = " "
		}
		out = append(out, op+pad(depth)+l.Text)
	}
	return out
}

func marker(op Op) string {
	switch op {
	case Added:
		return "+"
	case Removed:
		return "-"
	}
	return "~"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

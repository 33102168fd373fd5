package review

import (
	"fmt"
	"html"
	"io"
	"slices"
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
	return countLine(n, errs, flags)
}

// countLine says how many objects and files were added, removed and
// changed, how many builds failed and how many risk flags were raised: the
// summary's words for an environment, and for a group of them.
func countLine(n map[Op]int, errs, flags int) string {
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
func (r *Report) Text(w io.Writer) error { return r.TextColor(w, false) }

// ANSI colours of a terminal: what is added green, removed red, changed
// yellow, risk flags bold red, hunk headers cyan, headings bold.
const (
	colorAdded   = "\x1b[32m"
	colorRemoved = "\x1b[31m"
	colorChanged = "\x1b[33m"
	colorFlag    = "\x1b[1;31m"
	colorHunk    = "\x1b[36m"
	colorHeading = "\x1b[1m"
	colorReset   = "\x1b[0m"
)

// paint colours one line of a body by its marker column.
func paint(l string) string {
	c := ""
	switch {
	case strings.HasPrefix(l, "+"):
		c = colorAdded
	case strings.HasPrefix(l, "-"):
		c = colorRemoved
	case strings.HasPrefix(l, "~"):
		c = colorChanged
	case strings.HasPrefix(l, "!"):
		c = colorFlag
	case strings.HasPrefix(strings.TrimSpace(l), "@@ "):
		c = colorHunk
	}
	if c == "" {
		return l
	}
	return c + l + colorReset
}

// TextColor writes the report for a terminal, coloured when color is true.
func (r *Report) TextColor(w io.Writer, color bool) error {
	var b strings.Builder
	heading := func(s string) string {
		if color {
			return colorHeading + s + colorReset
		}
		return s
	}
	fmt.Fprintf(&b, "%s\n", heading("ydpgen diff: "+r.Old+" -> "+r.New))
	if r.OldNote != "" {
		fmt.Fprintf(&b, "(%s: %s)\n", r.Old, r.OldNote)
	}
	b.WriteString(r.Summary() + "\n")
	for _, sec := range r.sections() {
		body := sec.body()
		if len(body) == 0 {
			continue
		}
		b.WriteString("\n" + heading(sec.title()) + "\n")
		for _, l := range body {
			if color {
				l = paint(l)
			}
			b.WriteString(l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Only limits the report to the named environments; the files outside
// the overlays (GitOps wiring, the tree's README) stay, since they serve
// every environment. A name that neither side has is an error that lists
// the environments there are.
func (r *Report) Only(names []string) error {
	if len(names) == 0 {
		return nil
	}
	var all []string
	for _, e := range r.Environments {
		all = append(all, e.Name)
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			return fmt.Errorf("--env %s: no such environment on either side; environments: %s", n, strings.Join(all, ", "))
		}
	}
	r.Environments = slices.DeleteFunc(r.Environments, func(e EnvChange) bool { return !slices.Contains(names, e.Name) })
	differs := len(r.Files) > 0
	for _, e := range r.Environments {
		differs = differs || e.Op != "" || len(e.Objects) > 0 || len(e.Files) > 0 || len(e.Errors) > 0
	}
	r.Differs = r.Differs && differs
	return nil
}

// Marker is the first line of the Markdown report: an HTML comment a code
// host does not show, by which CI finds the comment it posted before and
// edits it instead of adding another (docs/ci).
const Marker = "<!-- ydpgen-diff -->"

// MarkdownBudget is the most bytes Markdown writes. GitHub refuses a
// comment of more than 65536 characters (a byte is at most one character)
// and GitLab's notes allow more; the rest is margin for what CI adds.
const MarkdownBudget = 60000

// Markdown writes the report as a pull-request comment: the marker, the
// summary and the risk flags in view, each section's changes folded in a
// <details> block. It stays within MarkdownBudget.
func (r *Report) Markdown(w io.Writer) error {
	_, err := io.WriteString(w, r.markdown(MarkdownBudget))
	return err
}

// markdown lays the comment out within budget bytes. When the whole does
// not fit, sections are shortened whole, the largest first: first to the
// names of what changed, then to their counts; then the list of flags is
// shortened. A <details> block or a code fence is never cut.
func (r *Report) markdown(budget int) string {
	var head strings.Builder
	head.WriteString(Marker + "\n")
	head.WriteString("### ydpgen diff\n\n")
	fmt.Fprintf(&head, "%s → %s", markdown.Code(r.Old), markdown.Code(r.New))
	if r.OldNote != "" {
		fmt.Fprintf(&head, " (%s)", markdown.Text(r.OldNote))
	}
	head.WriteString("\n\n**" + markdown.Text(r.Summary()) + "**\n")
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
	flagList := func(n int) string {
		if len(flags) == 0 {
			return ""
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n:warning: **%s**\n\n", plural(len(flags), "risk flag"))
		for _, l := range flags[:n] {
			b.WriteString(l + "\n")
		}
		if n < len(flags) {
			fmt.Fprintf(&b, "- ... and %d more: `ydpgen diff` lists them all\n", len(flags)-n)
		}
		return b.String()
	}
	details := func(title string, body []string, note string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "\n<details><summary>%s</summary>\n\n", html.EscapeString(title))
		if note != "" {
			b.WriteString(markdown.Text(note) + "\n\n")
		}
		if len(body) > 0 {
			fence := markdown.Fence(body)
			b.WriteString(fence + "diff\n")
			for _, l := range body {
				b.WriteString(l + "\n")
			}
			b.WriteString(fence + "\n\n")
		}
		b.WriteString("</details>\n")
		return b.String()
	}
	// Each section at three levels of detail: everything, the names of
	// what changed, the counts alone.
	type block struct{ full, names, counts string }
	var blocks []block
	for _, sec := range sections {
		body := sec.body()
		if len(body) == 0 {
			continue
		}
		title := sec.title() + ": " + sec.counts()
		blocks = append(blocks, block{
			full:   details(title, body, ""),
			names:  details(title, sec.heads(), "Shortened to fit a comment: the names of what changed; ydpgen diff shows the fields."),
			counts: details(title, nil, "Left out to fit a comment: ydpgen diff shows it."),
		})
	}
	level := make([]int, len(blocks))
	text := func(i int) string {
		return [...]string{blocks[i].full, blocks[i].names, blocks[i].counts}[level[i]]
	}
	nFlags := len(flags)
	const folded = "\n_Shortened to fit a comment; `ydpgen diff` shows everything._\n"
	render := func() string {
		var b strings.Builder
		b.WriteString(head.String())
		b.WriteString(flagList(nFlags))
		shortened := nFlags < len(flags)
		for i := range blocks {
			shortened = shortened || level[i] > 0
		}
		if shortened {
			b.WriteString(folded)
		}
		for i := range blocks {
			b.WriteString(text(i))
		}
		return b.String()
	}
	size := func() int {
		n := len(head.String()) + len(flagList(nFlags)) + len(folded)
		for i := range blocks {
			n += len(text(i))
		}
		return n
	}
	for lvl := 1; lvl <= 2 && size() > budget; lvl++ {
		for size() > budget {
			// The largest section that is not yet at this level.
			best := -1
			for i := range blocks {
				if level[i] < lvl && (best < 0 || len(text(i)) > len(text(best))) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			level[best] = lvl
		}
	}
	for nFlags > 0 && size() > budget {
		nFlags--
	}
	// Give the room left back, in report order: more detail where it fits.
	for lvl := 1; lvl >= 0; lvl-- {
		for i := range blocks {
			if level[i] == lvl+1 {
				level[i] = lvl
				if size() > budget {
					level[i] = lvl + 1
				}
			}
		}
	}
	return render()
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

package markdown

import (
	"fmt"
	"strings"
)

// Doc builds a Markdown file line by line.
type Doc struct{ b strings.Builder }

// Line writes one formatted line.
func (d *Doc) Line(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

// Blank writes an empty line, which ends a paragraph, list or table.
func (d *Doc) Blank() { d.b.WriteByte('\n') }

// Comment writes an HTML comment line, which renderers hide; generated files
// open with one because '#' would be a heading.
func (d *Doc) Comment(text string) { d.Line("<!-- %s -->", strings.ReplaceAll(text, "--", "- -")) }

// Bytes is the document so far.
func (d *Doc) Bytes() []byte { return []byte(d.b.String()) }

// Code is s as an inline code span. A span is delimited by a run of
// backticks that s does not hold, padded with spaces when s holds
// backticks, so that any text survives.
func Code(s string) string {
	longest := longestRun(s)
	if longest == 0 {
		return "`" + s + "`"
	}
	delim := strings.Repeat("`", longest+1)
	return delim + " " + s + " " + delim
}

// CodeList is names as code spans, separated by commas.
func CodeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Code(n)
	}
	return strings.Join(out, ", ")
}

// Cell escapes s for a table cell: a '|' would end the cell, a line break
// the row.
func Cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// Text escapes what Markdown would read as markup in running text.
func Text(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<|~", r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Fence is a code fence longer than any run of backticks in the body's
// lines, and at least three backticks long.
func Fence(body []string) string {
	longest := 0
	for _, l := range body {
		longest = max(longest, longestRun(l))
	}
	return strings.Repeat("`", max(3, longest+1))
}

// longestRun is the length of the longest run of backticks in s.
func longestRun(s string) int {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings: errors stop a render, warnings do not.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem with a spec.
type Finding struct {
	Severity Severity `json:"severity"`
	// Rule is a lint rule ID (YDP001); empty for schema errors.
	Rule string `json:"rule,omitempty"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
	// Path is the dotted spec path the finding is about.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Allowed says what the spec may write instead.
	Allowed string `json:"allowed,omitempty"`
	// Fix is a suggestion, such as the nearest known field name.
	Fix string `json:"fix,omitempty"`
}

// Position formats file:line:col, dropping the parts that are unknown.
func (f Finding) Position() string {
	switch {
	case f.File == "":
		return ""
	case f.Line == 0:
		return f.File
	default:
		return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
	}
}

// String is the one-line text form: position: path: message; allowed; fix.
func (f Finding) String() string {
	var b strings.Builder
	if p := f.Position(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	if f.Severity == Warning {
		b.WriteString("warning: ")
	}
	if f.Rule != "" {
		b.WriteString(f.Rule)
		b.WriteString(": ")
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	if f.Allowed != "" {
		b.WriteString("; allowed: ")
		b.WriteString(f.Allowed)
	}
	if f.Fix != "" {
		b.WriteString("; ")
		b.WriteString(f.Fix)
	}
	return b.String()
}

// List is a set of findings that is also an error when it holds an error.
type List []Finding

// Error joins the findings, one a line.
func (l List) Error() string {
	lines := make([]string, len(l))
	for i, f := range l {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any finding is an error.
func (l List) HasErrors() bool {
	return slices.ContainsFunc(l, func(f Finding) bool { return f.Severity == Error })
}

// Sort orders findings by file, line, column, path and message, and drops
// exact duplicates, so that output does not depend on discovery order.
func (l List) Sort() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.Compact(out)
}

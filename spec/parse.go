package spec

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/ydpgen/ydpgen/diag"
)

// Parse only reads a spec (text checks and YAML or CUE syntax), without
// validating it; Load does this first.
func (s *Schema) Parse(filename string, src []byte) error {
	src = lineEndings(src)
	if f := checkSize(filename, src); f != nil {
		return diag.List{*f}
	}
	if f := checkText(filename, src); f != nil {
		return diag.List{*f}
	}
	if _, findings := s.parse(filename, src); len(findings) > 0 {
		return findings.Sort()
	}
	return nil
}

// checkText refuses input that cannot be a spec before any parser sees it.
func checkText(filename string, src []byte) *diag.Finding {
	allowed := "a Platform spec in YAML or CUE, starting with apiVersion: ydpgen.dev/v1alpha1 (ydpgen init writes one)"
	if i := bytes.IndexByte(src, 0); i >= 0 || !utf8.Valid(src) {
		if i < 0 {
			i = firstInvalidUTF8(src)
		}
		line, col := lineCol(src, i)
		return &diag.Finding{Severity: diag.Error, File: filename, Line: line, Col: col,
			Message: "the file is not text: it holds binary data", Allowed: allowed}
	}
	empty := true
	for _, l := range strings.Split(string(src), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "//") && l != "---" {
			empty = false
			break
		}
	}
	if empty {
		return &diag.Finding{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: "the file is empty", Allowed: allowed}
	}
	return nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func lineCol(src []byte, off int) (int, int) {
	line := 1 + bytes.Count(src[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// parse reads YAML or CUE into a value, reporting syntax errors positioned.
func (s *Schema) parse(filename string, src []byte) (cue.Value, diag.List) {
	var file *ast.File
	var err error
	if strings.EqualFold(filepath.Ext(filename), ".cue") {
		file, err = parser.ParseFile(filename, src)
	} else {
		if n := countYAMLDocuments(src); n > 1 {
			return cue.Value{}, diag.List{{Severity: diag.Error, File: filename, Line: 1, Col: 1,
				Message: fmt.Sprintf("the file holds %d YAML documents", n), Allowed: "exactly one document: one Platform per file"}}
		}
		file, err = cueyaml.Extract(filename, src)
		if err != nil {
			return cue.Value{}, yamlSyntaxError(filename, src, err)
		}
		if dups := duplicateKeys(filename, file); len(dups) > 0 {
			return cue.Value{}, dups
		}
	}
	if err != nil {
		return cue.Value{}, fromCUEErrors(err, "syntax error: ")
	}
	v := s.ctx.BuildFile(file)
	if err := v.Err(); err != nil {
		return cue.Value{}, placeUnpositioned(fromCUEErrors(err, ""), filename, file, src)
	}
	if v.IncompleteKind() != cue.StructKind {
		return cue.Value{}, diag.List{{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: "the spec is not a mapping", Allowed: "a mapping with apiVersion, kind, metadata and spec"}}
	}
	return v, nil
}

// yamlSyntaxError reports a YAML parser error. The parser gives its
// position only inside its message ("file:line: what"), so the line is read
// back from there; the message is kept as the parser wrote it.
func yamlSyntaxError(filename string, src []byte, err error) diag.List {
	var out diag.List
	for _, e := range errors.Errors(err) {
		f := diag.Finding{Severity: diag.Error, File: filename, Line: 1, Col: 1}
		msg := e.Error()
		if rest, ok := strings.CutPrefix(msg, filename+":"); ok {
			msg = strings.TrimSpace(rest)
			if num, after, ok := strings.Cut(rest, ":"); ok {
				if n, err := strconv.Atoi(num); err == nil {
					f.Line, msg = n, strings.TrimSpace(after)
				}
			}
		}
		// The parser names the line where the construct it was reading
		// began, which for a mis-indented key is far above the mistake. The
		// first line at which a prefix of the file stops parsing is where
		// the text went wrong; point there when it is further down.
		if l := firstFailingLine(filename, src); l > f.Line {
			f.Line = l
			f.Col = firstColumn(src, l)
		}
		f.Message = "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")
		f.Allowed = "YAML mappings with consistent indentation; quote values that contain ': ' or start with a special character"
		out = append(out, f)
	}
	return out
}

// firstFailingLine returns the first line n such that lines 1..n do not
// parse as YAML, or 0. Large files are not searched.
func firstFailingLine(filename string, src []byte) int {
	lines := strings.SplitAfter(string(src), "\n")
	if len(lines) > 2000 {
		return 0
	}
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		if _, err := cueyaml.Extract(filename, []byte(prefix.String())); err != nil {
			return i + 1
		}
	}
	return 0
}

func firstColumn(src []byte, line int) int {
	lines := strings.Split(string(src), "\n")
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return len(l) - len(strings.TrimLeft(l, " \t")) + 1
}

// duplicateKeys finds keys written twice in one mapping, which YAML forbids
// and which would otherwise be merged silently.
func duplicateKeys(filename string, f *ast.File) diag.List {
	var out diag.List
	var visit func(decls []ast.Decl, path string)
	visit = func(decls []ast.Decl, path string) {
		seen := map[string]token.Pos{}
		for _, d := range decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil {
				continue
			}
			p := name
			if path != "" {
				p = path + "." + name
			}
			if first, dup := seen[name]; dup {
				pos := field.Pos()
				out = append(out, diag.Finding{Severity: diag.Error, File: filename, Line: pos.Line(), Col: pos.Column(),
					Path: p, Message: fmt.Sprintf("key %q is written twice in this mapping (first at line %d)", name, first.Line()),
					Allowed: "each key once per mapping"})
				continue
			}
			seen[name] = field.Pos()
			switch v := field.Value.(type) {
			case *ast.StructLit:
				visit(v.Elts, p)
			case *ast.ListLit:
				for i, e := range v.Elts {
					if st, ok := e.(*ast.StructLit); ok {
						visit(st.Elts, fmt.Sprintf("%s[%d]", p, i))
					}
				}
			}
		}
	}
	visit(f.Decls, "")
	return out
}

// countYAMLDocuments counts documents separated by '---' lines, ignoring a
// leading separator and empty documents.
func countYAMLDocuments(src []byte) int {
	n, content := 0, false
	for _, l := range strings.Split(string(src), "\n") {
		t := strings.TrimRight(l, " \t\r")
		if t == "---" || strings.HasPrefix(t, "--- ") {
			if content {
				n++
			}
			content = false
			continue
		}
		if s := strings.TrimSpace(t); s != "" && !strings.HasPrefix(s, "#") {
			content = true
		}
	}
	if content {
		n++
	}
	return n
}

// fromCUEErrors turns parser errors into findings. These come from the YAML or
// CUE parser and already speak of the user's text, so their message is kept.
func fromCUEErrors(err error, prefix string) diag.List {
	var out diag.List
	for _, e := range errors.Errors(err) {
		f := diag.Finding{Severity: diag.Error}
		if pos := e.Position(); pos.IsValid() {
			f.File, f.Line, f.Col = pos.Filename(), pos.Line(), pos.Column()
		} else if ps := e.InputPositions(); len(ps) > 0 {
			f.File, f.Line, f.Col = ps[0].Filename(), ps[0].Line(), ps[0].Column()
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		msg = strings.TrimPrefix(msg, "yaml: ")
		f.Message = prefix + msg
		if p := e.Path(); len(p) > 0 {
			f.Path = strings.Join(p, ".")
		}
		out = append(out, f)
	}
	return out
}

// lineEndings turns a lone carriage return (old Mac line endings) into a
// newline, so that such a file reads as lines with their positions instead
// of as one line; CRLF is left to the parsers, which read it.
func lineEndings(src []byte) []byte {
	if !bytes.ContainsRune(src, '\r') {
		return src
	}
	out := make([]byte, 0, len(src))
	for i, b := range src {
		if b == '\r' && (i+1 == len(src) || src[i+1] != '\n') {
			b = '\n'
		}
		out = append(out, b)
	}
	return out
}

// Limits on a spec's text, documented in SECURITY.md: a platform spec is a
// few hundred lines, and these keep a hostile one from costing more than a
// fraction of a second to refuse.
const (
	maxSpecBytes = MaxSpecBytes
	maxSpecDepth = 64
)

// checkSize refuses a spec larger or more deeply nested than any real one,
// before a parser spends time on it.
// MaxSpecBytes is the largest spec the loader accepts; a reader of an
// unbounded stream (standard input) need not read more than one byte past it.
const MaxSpecBytes = 1 << 20

func checkSize(filename string, src []byte) *diag.Finding {
	if len(src) > maxSpecBytes {
		return &diag.Finding{Severity: diag.Error, File: filename, Line: 1, Col: 1,
			Message: fmt.Sprintf("the spec is %d bytes long", len(src)), Allowed: fmt.Sprintf("a spec of at most %d bytes", maxSpecBytes)}
	}
	// Nesting by brackets (flow style, CUE) or by indentation (block
	// style), whichever is deeper; quoted text is skipped.
	depth, line, col := 0, 1, 0
	var quote byte
	indents := []int{}
	lineStart := true
	indent := 0
	for i := 0; i < len(src); i++ {
		b := src[i]
		col++
		switch {
		case b == '\n':
			line, col, lineStart, indent = line+1, 0, true, 0
			continue
		case lineStart && (b == ' ' || b == '-'):
			indent++
			continue
		case lineStart && b != '#':
			lineStart = false
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
		case lineStart:
			lineStart = false
		}
		if quote != 0 {
			if b == '\\' {
				i++
			} else if b == quote {
				quote = 0
			}
			continue
		}
		// Comments (YAML's # after a space, CUE's //) run to the line's end.
		if (b == '#' && (i == 0 || src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n')) || (b == '/' && i+1 < len(src) && src[i+1] == '/') {
			for i+1 < len(src) && src[i+1] != '\n' {
				i++
			}
			continue
		}
		switch b {
		case '"', '\'':
			quote = b
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		}
		if depth+len(indents) > maxSpecDepth {
			return &diag.Finding{Severity: diag.Error, File: filename, Line: line, Col: col,
				Message: fmt.Sprintf("the spec nests deeper than %d levels here", maxSpecDepth), Allowed: fmt.Sprintf("at most %d levels of nesting", maxSpecDepth)}
		}
	}
	return nil
}

// placeUnpositioned gives a position to findings the CUE evaluator left
// without one (structural cycles, @embed outside a module): the field its
// path names, or the text that caused it, or at least the file.
func placeUnpositioned(l diag.List, filename string, file *ast.File, src []byte) diag.List {
	for i := range l {
		f := &l[i]
		if f.Line > 0 {
			continue
		}
		f.File, f.Line, f.Col = filename, 1, 1
		if f.Path != "" {
			if pos := fieldPos(file, strings.Split(f.Path, ".")); pos.IsValid() {
				f.Line, f.Col = pos.Line(), pos.Column()
				continue
			}
		}
		if strings.Contains(f.Message, "embed") {
			if j := bytes.Index(src, []byte("@embed")); j >= 0 {
				f.Line, f.Col = lineCol(src, j)
			}
			f.Allowed = "a spec without @embed: ydpgen reads one file and nothing it names"
		}
	}
	return l
}

// fieldPos finds the label of a field path in a parsed file.
func fieldPos(file *ast.File, path []string) token.Pos {
	decls := file.Decls
	var pos token.Pos
	for _, name := range path {
		found := false
		for _, d := range decls {
			fd, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			label, _, err := ast.LabelName(fd.Label)
			if err != nil || label != name {
				continue
			}
			pos, found = fd.Label.Pos(), true
			if st, ok := fd.Value.(*ast.StructLit); ok {
				decls = st.Elts
			} else {
				decls = nil
			}
			break
		}
		if !found {
			return pos
		}
	}
	return pos
}

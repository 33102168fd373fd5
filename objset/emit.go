package objset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// emitter writes the generic tree objects become (maps with string keys,
// lists, strings, json.Number, bools, nulls) as block-style YAML: two-space
// indent, lists at their key's indent, keys sorted by byte order. It is the
// only YAML writer of the project. It is written for this one shape of data
// because rendering spends most of its time encoding files, and a general
// encoder pays for node trees and styles this data never needs; a test
// holds its output to what go.yaml.in/yaml/v3 reads back.
type emitter struct {
	b bytes.Buffer
}

func (e *emitter) top(v any) error {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			e.b.WriteString("{}\n")
			return nil
		}
		return e.mapping(v, 0, false)
	case []any:
		if len(v) == 0 {
			e.b.WriteString("[]\n")
			return nil
		}
		return e.sequence(v, 0, false)
	}
	return e.scalarLine(v, 0)
}

func (e *emitter) indent(n int) {
	for range n {
		e.b.WriteByte(' ')
	}
}

// mapping writes m's entries at indent; afterDash says the first entry goes
// on the line a "- " already opened.
func (e *emitter) mapping(m map[string]any, indent int, afterDash bool) error {
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 || !afterDash {
			e.indent(indent)
		}
		key := scalarString(k)
		if len(key) > 128 {
			// An implicit key is at most 1024 characters long; past a
			// safe length the key gets the explicit "? " form.
			e.b.WriteString("? ")
			e.b.WriteString(key)
			e.b.WriteByte('\n')
			e.indent(indent)
		} else {
			e.b.WriteString(key)
		}
		e.b.WriteByte(':')
		if err := e.value(m[k], indent); err != nil {
			return err
		}
	}
	return nil
}

// value writes what follows "key:" for a key at indent.
func (e *emitter) value(v any, indent int) error {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			e.b.WriteString(" {}\n")
			return nil
		}
		e.b.WriteByte('\n')
		return e.mapping(v, indent+2, false)
	case []any:
		if len(v) == 0 {
			e.b.WriteString(" []\n")
			return nil
		}
		e.b.WriteByte('\n')
		return e.sequence(v, indent, false)
	}
	e.b.WriteByte(' ')
	return e.scalarLine(v, indent+2)
}

// sequence writes l's items as "- " lines at indent.
func (e *emitter) sequence(l []any, indent int, afterDash bool) error {
	for i, item := range l {
		if i > 0 || !afterDash {
			e.indent(indent)
		}
		e.b.WriteString("- ")
		var err error
		switch item := item.(type) {
		case map[string]any:
			if len(item) == 0 {
				e.b.WriteString("{}\n")
				continue
			}
			err = e.mapping(item, indent+2, true)
		case []any:
			if len(item) == 0 {
				e.b.WriteString("[]\n")
				continue
			}
			err = e.sequence(item, indent+2, true)
		default:
			err = e.scalarLine(item, indent+2)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scalarLine writes a scalar and ends the line; a multi-line string becomes
// a literal block whose lines sit at blockIndent.
func (e *emitter) scalarLine(v any, blockIndent int) error {
	switch v := v.(type) {
	case string:
		if literalAllowed(v) {
			e.literal(v, blockIndent)
			return nil
		}
		e.b.WriteString(scalarString(v))
	case json.Number:
		e.b.WriteString(v.String())
	case bool:
		e.b.WriteString(strconv.FormatBool(v))
	case nil:
		e.b.WriteString("null")
	case float64:
		e.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case int:
		e.b.WriteString(strconv.Itoa(v))
	case int64:
		e.b.WriteString(strconv.FormatInt(v, 10))
	default:
		return fmt.Errorf("objset: cannot encode %T as YAML", v)
	}
	e.b.WriteByte('\n')
	return nil
}

func (e *emitter) literal(s string, indent int) {
	body := strings.TrimRight(s, "\n")
	switch trailing := len(s) - len(body); trailing {
	case 0:
		e.b.WriteString("|-\n")
	case 1:
		e.b.WriteString("|\n")
	default:
		e.b.WriteString("|+\n")
		body = s[:len(s)-1]
	}
	for line := range strings.SplitSeq(body, "\n") {
		if line != "" {
			e.indent(indent)
			e.b.WriteString(line)
		}
		e.b.WriteByte('\n')
	}
}

// literalAllowed says a multi-line string can be a literal block that reads
// back exactly: printable, no tabs, no spaces at line ends or at the start.
func literalAllowed(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasPrefix(s, " ") || strings.HasPrefix(s, "\n") {
		return false
	}
	for line := range strings.SplitSeq(s, "\n") {
		if strings.HasSuffix(line, " ") || !printable(line) || strings.ContainsRune(line, '\t') {
			return false
		}
	}
	return true
}

func printable(s string) bool {
	for _, r := range s {
		// U+2028 and U+2029 are line breaks to YAML 1.1 readers.
		if r < 0x20 || r == 0x7f || r == 0xfeff || (r >= 0x80 && r < 0xa0) || r == '\ufffd' || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// scalarString is s as a one-line YAML scalar: plain when a reader takes it
// back as this same string, single-quoted when only its first characters or
// an indicator inside get in the way, double-quoted when it needs escapes
// or would read as another type.
func scalarString(s string) string {
	switch {
	case s == "" || s == "<<" || resolvesToNonString(s) || yaml11NonString(s):
		// "<<" plain is a merge key to YAML readers.
		return strconv.Quote(s)
	case !printable(s) || strings.ContainsAny(s, "\n\t"):
		return strconv.Quote(s)
	case plainAllowed(s):
		return s
	default:
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
}

func plainAllowed(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' || strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	switch s[0] {
	case ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' {
			return false
		}
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #") && !strings.HasSuffix(s, ":")
}

// resolvesToNonString reports whether a plain s would read as a null, a
// boolean or a number.
func resolvesToNonString(s string) bool {
	switch s {
	case "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return true
	}
	c := s[0]
	if !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
		return false
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return true
	}
	if _, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
		return true
	}
	return false
}

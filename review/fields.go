package review

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ydpgen/ydpgen/internal/secretscan"
)

// Op says what happened to an object, a file or a field.
type Op string

const (
	Added   Op = "added"
	Removed Op = "removed"
	Changed Op = "changed"
)

// FieldChange is one changed field of an object or a YAML file. Old and New
// are short renderings of the values ("(masked)" for secret material);
// Lines holds a line diff when both values are multi-line strings.
type FieldChange struct {
	Path   string `json:"path"`
	Op     Op     `json:"op"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	Masked bool   `json:"masked,omitempty"`
	Lines  []Line `json:"lines,omitempty"`
	segs   []seg
}

// seg is one step of a field path: a mapping key, or a list item picked by
// name ("[name=scheduler]") or by index ("[2]").
type seg struct {
	key string
	sel string
}

// last returns the field's own key, or "" when it is a list item.
func (f FieldChange) last() string {
	if len(f.segs) == 0 {
		return ""
	}
	return f.segs[len(f.segs)-1].key
}

func formatPath(segs []seg) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.sel != "":
			b.WriteString(s.sel)
		case plainKey(s.key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isWordByte(k[i]) {
			return false
		}
	}
	return true
}

// maxValue caps the rendering of one value.
const maxValue = 160

// fieldDiff compares two generic trees (maps, lists, scalars as decoded
// from JSON with numbers kept as json.Number). secretData masks the
// top-level data and stringData, as in a Secret.
func fieldDiff(a, b any, secretData bool) []FieldChange {
	d := &differ{secretData: secretData}
	d.walk(nil, a, b, false)
	return d.out
}

type differ struct {
	secretData bool
	out        []FieldChange
	// scan finds secret-looking values under keys that do not say so (a
	// URL with a password); made on first use.
	scan *secretscan.Scanner
}

// looksSecret reports a string value that holds secret material.
func (d *differ) looksSecret(v any) bool {
	s, ok := v.(string)
	if !ok || s == "" {
		return false
	}
	if d.scan == nil {
		d.scan = secretscan.New()
	}
	_, found := d.scan.Find(s)
	return found
}

func (d *differ) childMasked(segs []seg, masked bool, ma, mb map[string]any, k string) bool {
	if masked || sensitiveKey(k) {
		return true
	}
	if d.secretData && len(segs) == 0 && (k == "data" || k == "stringData") {
		return true
	}
	return k == "value" && (sensitiveName(nameOf(ma)) || sensitiveName(nameOf(mb)))
}

func nameOf(m map[string]any) string {
	s, _ := m["name"].(string)
	return s
}

func (d *differ) emit(segs []seg, op Op, a, b any, masked bool) {
	masked = masked || d.looksSecret(a) || d.looksSecret(b)
	f := FieldChange{Path: formatPath(segs), Op: op, Masked: masked, segs: slices.Clone(segs)}
	if op != Added {
		f.Old = short(a, masked)
	}
	if op != Removed {
		f.New = short(b, masked)
	}
	if as, ok := a.(string); ok && !masked && op == Changed {
		if bs, ok := b.(string); ok && (strings.Contains(as, "\n") || strings.Contains(bs, "\n")) {
			f.Lines = lineDiff(as, bs, true)
		}
	}
	d.out = append(d.out, f)
}

func (d *differ) walk(segs []seg, a, b any, masked bool) {
	if reflect.DeepEqual(a, b) {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := slices.Sorted(maps.Keys(am))
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			av, ina := am[k]
			bv, inb := bm[k]
			cm := d.childMasked(segs, masked, am, bm, k)
			ks := append(slices.Clip(segs), seg{key: k})
			switch {
			case !inb:
				d.emit(ks, Removed, av, nil, cm)
			case !ina:
				d.emit(ks, Added, nil, bv, cm)
			default:
				d.walk(ks, av, bv, cm)
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		d.list(segs, al, bl, masked)
		return
	}
	d.emit(segs, Changed, a, b, masked)
}

func (d *differ) list(segs []seg, a, b []any, masked bool) {
	if named(a) && named(b) {
		byName := func(l []any) map[string]any {
			m := map[string]any{}
			for _, x := range l {
				m[nameOf(x.(map[string]any))] = x
			}
			return m
		}
		am, bm := byName(a), byName(b)
		var order []string
		for _, x := range b {
			order = append(order, nameOf(x.(map[string]any)))
		}
		for _, x := range a {
			if n := nameOf(x.(map[string]any)); bm[n] == nil {
				order = append(order, n)
			}
		}
		before := len(d.out)
		for _, n := range order {
			s := append(slices.Clip(segs), seg{sel: "[name=" + n + "]"})
			av, bv := am[n], bm[n]
			switch {
			case bv == nil:
				d.emit(s, Removed, av, nil, masked)
			case av == nil:
				d.emit(s, Added, nil, bv, masked)
			default:
				d.walk(s, av, bv, masked)
			}
		}
		if len(d.out) == before {
			// Same items, another order: order matters (containers, env).
			d.emit(segs, Changed, names(a), names(b), false)
		}
		return
	}
	if scalars(a) && scalars(b) && len(a) != len(b) {
		d.emit(segs, Changed, a, b, masked)
		return
	}
	for i := range max(len(a), len(b)) {
		s := append(slices.Clip(segs), seg{sel: fmt.Sprintf("[%d]", i)})
		switch {
		case i >= len(b):
			d.emit(s, Removed, a[i], nil, masked)
		case i >= len(a):
			d.emit(s, Added, nil, b[i], masked)
		default:
			d.walk(s, a[i], b[i], masked)
		}
	}
}

// named reports whether every item is a mapping with a name, unique in the
// list, so that items can be matched by name rather than by position.
func named(l []any) bool {
	seen := map[string]bool{}
	for _, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		n := nameOf(m)
		if n == "" || seen[n] {
			return false
		}
		seen[n] = true
	}
	return len(l) > 0
}

func names(l []any) []any {
	out := make([]any, len(l))
	for i, x := range l {
		out[i] = nameOf(x.(map[string]any))
	}
	return out
}

func scalars(l []any) bool {
	for _, x := range l {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// short gives a value a short, one-line form: flow-style YAML with sorted
// keys, masked where the masking rules say, cut at maxValue characters.
func short(v any, masked bool) string {
	var b strings.Builder
	shortTo(&b, v, masked)
	s := b.String()
	if utf8.RuneCountInString(s) > maxValue {
		r := []rune(s)
		s = string(r[:maxValue]) + "…"
	}
	return s
}

func shortTo(b *strings.Builder, v any, masked bool) {
	switch t := v.(type) {
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(t)) {
			if i > 0 {
				b.WriteString(", ")
			}
			if plainKey(k) {
				b.WriteString(k)
			} else {
				b.WriteString(strconv.Quote(k))
			}
			b.WriteString(": ")
			cm := masked || sensitiveKey(k) || (k == "value" && sensitiveName(nameOf(t)))
			shortTo(b, t[k], cm)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			shortTo(b, x, masked)
		}
		b.WriteByte(']')
	default:
		if masked {
			b.WriteString(Masked)
			return
		}
		b.WriteString(scalar(v))
	}
}

func scalar(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if n := strings.Count(t, "\n"); n > 0 && strings.TrimRight(t, "\n") != "" {
			lines := n + 1
			if strings.HasSuffix(t, "\n") {
				lines--
			}
			return fmt.Sprintf("(text, %d lines)", lines)
		}
		if plainString(t) {
			return t
		}
		return strconv.Quote(t)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	default:
		return fmt.Sprint(t)
	}
}

// plainString reports whether a string reads unambiguously without quotes:
// no spaces or flow punctuation, and not a number, boolean or null.
func plainString(s string) bool {
	if s == "" {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "~":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	for _, r := range s {
		if r <= ' ' || strings.ContainsRune(`,[]{}"'#&*!|>%`+"`", r) {
			return false
		}
	}
	return true
}

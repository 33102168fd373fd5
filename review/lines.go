package review

import (
	"fmt"
	"strings"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/ydpgen/ydpgen/internal/secretscan"
)

// Line is one line of a line diff: Op is "-" (only old), "+" (only new),
// " " (context) or "@" (a hunk header in Text).
type Line struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// maxLines caps a line diff so that a rewritten file does not drown the
// review.
const maxLines = 60

// contextLines around each change.
const contextLines = 2

// lineDiff compares two texts line by line and returns hunks with a little
// context. mask hides secret-looking values in every line shown.
func lineDiff(a, b string, mask bool) []Line {
	ops := lineOps(a, b)
	var sc *secretscan.Scanner
	if mask {
		sc = secretscan.New()
	}
	// Mark the lines to show: changes and their context.
	show := make([]bool, len(ops))
	for i, o := range ops {
		if o.op != ' ' {
			for j := max(0, i-contextLines); j <= min(len(ops)-1, i+contextLines); j++ {
				show[j] = true
			}
		}
	}
	var out []Line
	shown := 0
	for i := 0; i < len(ops); i++ {
		if !show[i] {
			continue
		}
		if i == 0 || !show[i-1] {
			out = append(out, Line{Op: "@", Text: fmt.Sprintf("@@ old line %d, new line %d @@", ops[i].ai+1, ops[i].bi+1)})
		}
		if shown == maxLines {
			rest := 0
			for _, o := range ops[i:] {
				if o.op != ' ' {
					rest++
				}
			}
			out = append(out, Line{Op: "@", Text: fmt.Sprintf("... %d more changed lines", rest)})
			break
		}
		text := ops[i].text
		if mask {
			text = maskLine(sc, text)
		}
		out = append(out, Line{Op: string(ops[i].op), Text: text})
		shown++
	}
	return out
}

type lineOp struct {
	op     byte // ' ', '-', '+'
	text   string
	ai, bi int // line indexes in a and b where this op stands
}

// lineOps is every line of a and b in diff order, each marked kept, removed
// or added. The alignment is go-internal's anchored diff: lines unique to
// both sides anchor the match, in O(n log n), so a large file gets a small
// diff where a quadratic search would have to give up.
func lineOps(a, b string) []lineOp {
	al, bl := splitLines(a), splitLines(b)
	unified := string(diff.Diff("a", joinLines(al), "b", joinLines(bl)))
	if ops, ok := fromUnified(al, bl, unified); ok {
		return ops
	}
	// Not the output fromUnified knows: still a true diff, if a coarse one.
	var ops []lineOp
	for i, l := range al {
		ops = append(ops, lineOp{'-', l, i, 0})
	}
	for j, l := range bl {
		ops = append(ops, lineOp{'+', l, len(al), j})
	}
	return ops
}

// fromUnified rebuilds the whole sequence from a unified diff of al and bl.
// The lines between its hunks are equal on both sides, so its fixed three
// lines of context do not limit lineDiff's own. It reports false when the
// diff does not fit the texts.
func fromUnified(al, bl []string, unified string) ([]lineOp, bool) {
	var ops []lineOp
	i, j := 0, 0
	// keep adds the common lines before a's line end.
	keep := func(end int) bool {
		for ; i < end; i, j = i+1, j+1 {
			if j >= len(bl) || al[i] != bl[j] {
				return false
			}
			ops = append(ops, lineOp{' ', al[i], i, j})
		}
		return true
	}
	lines := strings.Split(unified, "\n")
	if unified == "" {
		lines = nil
	} else if len(lines) < 4 || !strings.HasPrefix(lines[0], "diff ") {
		return nil, false
	} else {
		// The header ("diff", "---", "+++") and the empty string after the
		// final newline.
		lines = lines[3 : len(lines)-1]
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "@@ "):
			var sa, na, sb, nb int
			if _, err := fmt.Sscanf(l, "@@ -%d,%d +%d,%d @@", &sa, &na, &sb, &nb); err != nil {
				return nil, false
			}
			// Lines are numbered from 1, but an empty range names the
			// line before it.
			if na > 0 {
				sa--
			}
			if !keep(sa) {
				return nil, false
			}
		case strings.HasPrefix(l, " "):
			if !keep(i + 1) {
				return nil, false
			}
		case strings.HasPrefix(l, "-") && i < len(al) && al[i] == l[1:]:
			ops = append(ops, lineOp{'-', al[i], i, j})
			i++
		case strings.HasPrefix(l, "+") && j < len(bl) && bl[j] == l[1:]:
			ops = append(ops, lineOp{'+', bl[j], i, j})
			j++
		default:
			return nil, false
		}
	}
	if !keep(len(al)) || j != len(bl) {
		return nil, false
	}
	return ops, true
}

// splitLines splits a text into lines; a final newline ends the last line
// rather than starting an empty one, so "a" and "a\n" are the same text.
func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// joinLines is splitLines' inverse with every line ended, so that the diff
// never reports a missing final newline.
func joinLines(ls []string) []byte {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

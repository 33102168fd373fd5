package review

import (
	"fmt"
	"strings"
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
	al, bl := splitLines(a), splitLines(b)
	ops := lcsOps(al, bl)
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
			text = maskLine(text)
		}
		out = append(out, Line{Op: string(ops[i].op), Text: text})
		shown++
	}
	return out
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

type lineOp struct {
	op     byte // ' ', '-', '+'
	text   string
	ai, bi int // line indexes in a and b where this op stands
}

// lcsOps is a longest-common-subsequence diff. Common prefix and suffix
// are taken off first, so that the quadratic part only sees what changed;
// beyond a size limit the middle is shown as replaced whole.
func lcsOps(a, b []string) []lineOp {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	var ops []lineOp
	for i := 0; i < p; i++ {
		ops = append(ops, lineOp{' ', a[i], i, i})
	}
	am, bm := a[p:len(a)-s], b[p:len(b)-s]
	n, m := len(am), len(bm)
	if n*m > 1<<20 {
		for i, x := range am {
			ops = append(ops, lineOp{'-', x, p + i, p})
		}
		for j, x := range bm {
			ops = append(ops, lineOp{'+', x, p + n, p + j})
		}
	} else {
		// l[i][j] is the LCS length of am[i:] and bm[j:].
		l := make([][]int, n+1)
		for i := range l {
			l[i] = make([]int, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if am[i] == bm[j] {
					l[i][j] = l[i+1][j+1] + 1
				} else {
					l[i][j] = max(l[i+1][j], l[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && am[i] == bm[j]:
				ops = append(ops, lineOp{' ', am[i], p + i, p + j})
				i++
				j++
			case i < n && (j == m || l[i+1][j] >= l[i][j+1]):
				ops = append(ops, lineOp{'-', am[i], p + i, p + j})
				i++
			default:
				ops = append(ops, lineOp{'+', bm[j], p + i, p + j})
				j++
			}
		}
	}
	for k := 0; k < s; k++ {
		ops = append(ops, lineOp{' ', a[len(a)-s+k], len(a) - s + k, len(b) - s + k})
	}
	return ops
}

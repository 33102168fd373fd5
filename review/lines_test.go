package review

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// numbered is n lines "line 1" to "line n", each unique, as most lines of
// a large rendered file are.
func numbered(n int) []string {
	ls := make([]string, n)
	for i := range ls {
		ls[i] = fmt.Sprintf("line %d", i+1)
	}
	return ls
}

func TestLineDiffLargeFile(t *testing.T) {
	a := numbered(50000)
	b := append([]string(nil), a...)
	b[99] = "line 100 changed"                                           // a change near the top
	b = append(b[:20000], b[20001:]...)                                  // line 20001 removed
	b = append(b[:40000], append([]string{"inserted"}, b[40000:]...)...) // after old line 40001
	b = append(b, "the end")                                             // an added last line
	start := time.Now()
	got := lineDiff(strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n", false)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	want := []Line{
		{"@", "@@ old line 98, new line 98 @@"}, {" ", "line 98"}, {" ", "line 99"},
		{"-", "line 100"}, {"+", "line 100 changed"},
		{" ", "line 101"}, {" ", "line 102"},
		{"@", "@@ old line 19999, new line 19999 @@"}, {" ", "line 19999"}, {" ", "line 20000"},
		{"-", "line 20001"},
		{" ", "line 20002"}, {" ", "line 20003"},
		{"@", "@@ old line 40000, new line 39999 @@"}, {" ", "line 40000"}, {" ", "line 40001"},
		{"+", "inserted"},
		{" ", "line 40002"}, {" ", "line 40003"},
		{"@", "@@ old line 49999, new line 49999 @@"}, {" ", "line 49999"}, {" ", "line 50000"},
		{"+", "the end"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLineOpsRebuildBothSides checks the property every diff must have,
// on texts whose lines look like the unified diff's own syntax.
func TestLineOpsRebuildBothSides(t *testing.T) {
	for _, tc := range []struct{ name, a, b string }{
		{"equal", "a\nb\n", "a\nb\n"},
		{"both empty", "", ""},
		{"from empty", "", "a\nb\n"},
		{"to empty", "a\nb\n", ""},
		{"final newline only", "a\nb", "a\nb\n"},
		{"diff syntax", "-- x\n++ y\n@@ -1,2 +1,2 @@\ndiff a b\n--- a\n", "+++ b\n-- x\n@@ z\n\\ No newline at end of file\n"},
		{"repeated lines", "x\nx\ny\nx\nx\n", "x\ny\ny\nx\n"},
		{"blank lines", "\n\na\n\n", "a\n\n\n\nb\n"},
		{"yaml", "a:\n  - name: x\n    value: 1\n  - name: y\n    value: 1\n", "a:\n  - name: y\n    value: 1\n  - name: x\n    value: 2\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b []string
			for _, o := range lineOps(tc.a, tc.b) {
				if o.op != '+' {
					if o.ai != len(a) {
						t.Errorf("%q at old index %d, want %d", o.text, o.ai, len(a))
					}
					a = append(a, o.text)
				}
				if o.op != '-' {
					if o.bi != len(b) {
						t.Errorf("%q at new index %d, want %d", o.text, o.bi, len(b))
					}
					b = append(b, o.text)
				}
			}
			if diff := cmp.Diff(splitLines(tc.a), a); diff != "" {
				t.Errorf("old side (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(splitLines(tc.b), b); diff != "" {
				t.Errorf("new side (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromUnifiedRefusesWhatDoesNotFit(t *testing.T) {
	al, bl := []string{"a", "b"}, []string{"a", "c"}
	for name, u := range map[string]string{
		"no header":       "@@ -2,1 +2,1 @@\n-b\n+c\n",
		"bad hunk header": "diff a b\n--- a\n+++ b\n@@ two @@\n-b\n+c\n",
		"wrong line":      "diff a b\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n-x\n+c\n",
		"short":           "diff a b\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n-b\n",
		"unknown op":      "diff a b\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n*b\n+c\n",
	} {
		if _, ok := fromUnified(al, bl, u); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, ok := fromUnified(al, bl, "diff a b\n--- a\n+++ b\n@@ -2,1 +2,1 @@\n-b\n+c\n"); !ok {
		t.Error("refused a good diff")
	}
}

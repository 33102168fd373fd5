package ydpgen_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/lint"
)

// TestReadmeListsEveryLintRule holds the README's lint section to the
// rules: its count and one table row per rule ID, with the rule's
// severity.
func TestReadmeListsEveryLintRule(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	rules := lint.Rules()
	if want := fmt.Sprintf("Each of the %d rules", len(rules)); !strings.Contains(text, want) {
		t.Errorf("README.md's lint section does not say %q", want)
	}
	row := regexp.MustCompile(`(?m)^\| (YDP\d{3}(?:, YDP\d{3})*) \| ([a-z, ]+) \|`)
	listed := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		for _, id := range strings.Split(m[1], ", ") {
			listed[id] = m[2]
		}
	}
	for _, r := range rules {
		sev, ok := listed[r.ID]
		if !ok {
			t.Errorf("README.md's lint table has no row for %s (%s)", r.ID, r.Name)
			continue
		}
		if !strings.Contains(sev, string(r.Severity)) {
			t.Errorf("README.md lists %s as %q, but the rule's severity is %s", r.ID, sev, r.Severity)
		}
		delete(listed, r.ID)
	}
	for id := range listed {
		t.Errorf("README.md's lint table lists %s, which is no rule", id)
	}
}

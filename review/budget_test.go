package review

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// bigReport changes many objects in three environments, each differently,
// with a risk flag on some, so that nothing groups and the whole runs to
// several hundred kilobytes.
func bigReport(objects int) *Report {
	r := &Report{Old: "deploy", New: "platform.yaml", Differs: true}
	for _, env := range []string{"dev", "prod", "staging"} {
		e := EnvChange{Name: env}
		for i := range objects {
			c := ObjectChange{Op: Changed, Group: "apps", Kind: "Deployment", Namespace: env, Name: fmt.Sprintf("worker-%04d", i)}
			for j := range 5 {
				c.Fields = append(c.Fields, FieldChange{Op: Changed, Path: fmt.Sprintf("spec.template.spec.containers[name=c%d].image", j),
					Old: "registry.example.com/" + env + "/image:1.0." + fmt.Sprint(i), New: "registry.example.com/" + env + "/image:1.1." + fmt.Sprint(i)})
			}
			if i%10 == 0 {
				c.Flags = []Flag{flag(SelectorImmutable, "spec.selector changed")}
			}
			e.Objects = append(e.Objects, c)
		}
		r.Environments = append(r.Environments, e)
	}
	return r
}

// checkMarkdown fails when a comment is over budget, or cuts a <details>
// block or a code fence.
func checkMarkdown(t *testing.T, md string, budget int) {
	t.Helper()
	if len(md) > budget {
		t.Errorf("%d bytes, over the budget of %d", len(md), budget)
	}
	if !strings.HasPrefix(md, Marker+"\n") {
		t.Errorf("does not start with the marker")
	}
	open, close := strings.Count(md, "<details>"), strings.Count(md, "</details>")
	if open != close {
		t.Errorf("%d <details> and %d </details>", open, close)
	}
	// Fences open and close in pairs, inside a <details> block.
	fence := regexp.MustCompile("^(```+)(diff)?$")
	inDetails, openFence := false, ""
	for n, l := range strings.Split(md, "\n") {
		switch {
		case strings.HasPrefix(l, "<details>"):
			if inDetails || openFence != "" {
				t.Fatalf("line %d: <details> inside a block or fence", n+1)
			}
			inDetails = true
		case l == "</details>":
			if !inDetails || openFence != "" {
				t.Fatalf("line %d: </details> with a fence open or no block", n+1)
			}
			inDetails = false
		case fence.MatchString(l):
			m := fence.FindStringSubmatch(l)
			switch {
			case openFence == "" && m[2] == "diff":
				openFence = m[1]
			case openFence == m[1] && m[2] == "":
				openFence = ""
			default:
				t.Fatalf("line %d: unexpected fence %q", n+1, l)
			}
		}
	}
	if inDetails || openFence != "" {
		t.Errorf("ends inside a block (%v) or fence (%q)", inDetails, openFence)
	}
}

func TestMarkdownBudget(t *testing.T) {
	// Small: nothing is shortened.
	small := bigReport(3).markdown(MarkdownBudget)
	checkMarkdown(t, small, MarkdownBudget)
	if strings.Contains(small, "Shortened") || !strings.Contains(small, "image:1.1.2") {
		t.Errorf("a small report is shortened:\n%s", small)
	}

	r := bigReport(400)
	var full strings.Builder
	if err := r.Text(&full); err != nil {
		t.Fatal(err)
	}
	if full.Len() < 4*MarkdownBudget {
		t.Fatalf("the test report is only %d bytes", full.Len())
	}
	var b strings.Builder
	if err := r.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	checkMarkdown(t, md, MarkdownBudget)
	for _, want := range []string{
		"_Shortened to fit a comment; `ydpgen diff` shows everything._",
		"**dev: 400 changed, 40 risk flags; prod: 400 changed, 40 risk flags; staging: 400 changed, 40 risk flags**",
		"<details><summary>dev: 400 changed, 40 risk flags</summary>",
		"<details><summary>staging: 400 changed, 40 risk flags</summary>",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the shortened comment lacks %q", want)
		}
	}

	// A tighter budget shortens further, down to the counts and part of
	// the flags, and still cuts nothing in half.
	for _, budget := range []int{20000, 5000, 2500} {
		md := r.markdown(budget)
		checkMarkdown(t, md, budget)
		if strings.Count(md, "<details>") != 3 {
			t.Errorf("budget %d: %d sections, want 3", budget, strings.Count(md, "<details>"))
		}
	}
	if md := r.markdown(5000); !strings.Contains(md, "more: `ydpgen diff` lists them all") {
		t.Errorf("budget 5000: the flags are not shortened:\n%s", md)
	}
}

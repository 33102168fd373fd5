package review

import (
	"strings"
	"testing"
)

func TestOnly(t *testing.T) {
	r := &Report{Differs: true, Environments: []EnvChange{
		{Name: "prod", Objects: []ObjectChange{{Op: Changed, Kind: "Deployment", Namespace: "yellow", Name: "mcp"}}},
		{Name: "staging"},
	}}
	if err := r.Only([]string{"nope"}); err == nil || err.Error() != "--env nope: no such environment on either side; environments: prod, staging" {
		t.Errorf("unknown environment: %v", err)
	}
	if err := r.Only([]string{"staging"}); err != nil {
		t.Fatal(err)
	}
	if r.Differs || len(r.Environments) != 1 || r.Environments[0].Name != "staging" {
		t.Errorf("only staging: differs %v, environments %v", r.Differs, r.Environments)
	}
}

func TestTextColor(t *testing.T) {
	r := &Report{Old: "a", New: "b", Differs: true, Environments: []EnvChange{{Name: "prod", Objects: []ObjectChange{
		{Op: Added, Kind: "ConfigMap", Namespace: "y", Name: "new"},
		{Op: Removed, Kind: "ConfigMap", Namespace: "y", Name: "old", Flags: []Flag{flag(NamespaceDeleted, "x")}},
	}}}}
	var plain, color strings.Builder
	if err := r.TextColor(&plain, false); err != nil {
		t.Fatal(err)
	}
	if err := r.TextColor(&color, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Errorf("plain text has escapes:\n%q", plain.String())
	}
	for _, want := range []string{"\x1b[32m+   y/new\x1b[0m\n", "\x1b[31m-   y/old\x1b[0m\n", "\x1b[1;31m!     namespace-deleted:", "\x1b[1mprod\x1b[0m\n"} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("coloured text lacks %q:\n%q", want, color.String())
		}
	}
	// Without the escapes, the same text.
	stripped := color.String()
	for _, c := range []string{colorAdded, colorRemoved, colorChanged, colorFlag, colorHunk, colorHeading, colorReset} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	if stripped != plain.String() {
		t.Errorf("coloured text differs beyond colour:\n%s\n%s", stripped, plain.String())
	}
}

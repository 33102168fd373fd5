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

// TestGroupedSections: a change that reads the same is printed once under
// all its environments; one that differs stays under each.
func TestGroupedSections(t *testing.T) {
	image := func(ns, to string) ObjectChange {
		return ObjectChange{Op: Changed, Group: "apps", Kind: "Deployment", Namespace: ns, Name: "mcp",
			Fields: []FieldChange{{Op: Changed, Path: "spec.replicas", Old: "1", New: to}}}
	}
	job := func(ns, from, to string) ObjectChange {
		return ObjectChange{Op: Changed, Group: "batch", Kind: "Job", Namespace: ns, Name: "init-" + to, WasNamespace: ns, WasName: "init-" + from,
			Fields: []FieldChange{{Op: Changed, Path: "metadata.name", Old: "init-" + from, New: "init-" + to}, {Op: Changed, Path: "spec.x", Old: "a", New: "b"}}}
	}
	r := &Report{Old: "a", New: "b", Differs: true, Environments: []EnvChange{
		{Name: "dev", Objects: []ObjectChange{image("ds-dev", "2"), job("ds-dev", "a1b2c3d4", "e5f6g7h8")}},
		{Name: "prod", Objects: []ObjectChange{image("ds", "3"), job("ds", "k1l2m3n4", "p5q6r7s8")}},
		{Name: "staging", Objects: []ObjectChange{image("ds-staging", "2"), job("ds-staging", "t1u2v3w4", "x5y6z7a8")}},
	}}
	want := `ydpgen diff: a -> b
dev: 2 changed; prod: 2 changed; staging: 2 changed

dev, prod, staging (namespaces ds-dev, ds, ds-staging)
  Job
~   init-<hash> (new hash suffix)
~     spec.x: a -> b

dev, staging (namespaces ds-dev, ds-staging)
  Deployment
~   mcp
~     spec.replicas: 1 -> 2

prod
  Deployment
~   ds/mcp
~     spec.replicas: 1 -> 3
`
	if got := textOf(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

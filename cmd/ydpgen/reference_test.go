package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/internal/update"
)

const readmePath = "../../README.md"

// TestREADMECommandReference fails when the README's command reference is
// not what the command tree says; YDPGEN_UPDATE=1 rewrites it.
func TestREADMECommandReference(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	begin := strings.Index(s, referenceBegin)
	end := strings.Index(s, referenceEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md has no command reference between %q and %q", referenceBegin, referenceEnd)
	}
	var out bytes.Buffer
	want := commandReference(newRootCommand(&app{stdout: &out, stderr: &out, output: "text"}))
	got := s[begin : end+len(referenceEnd)]
	if got == want {
		return
	}
	if update.Requested() {
		if err := os.WriteFile(readmePath, []byte(s[:begin]+want+s[end+len(referenceEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's command reference is stale; %s", update.Hint("./cmd/ydpgen/"))
}

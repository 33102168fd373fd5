package toolcache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindFromDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "srv"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("YDPGEN_TEST_BIN", dir)
	got, err := Find("YDPGEN_TEST_BIN", "hack/none.sh", []Tool{{"SRV", "srv"}})
	if err != nil || got["SRV"] != filepath.Join(dir, "srv") {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := Find("YDPGEN_TEST_BIN", "hack/none.sh", []Tool{{"DATA", "data"}}); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("a non-executable file was accepted: %v", err)
	}
	if _, err := Find("YDPGEN_TEST_BIN", "hack/none.sh", []Tool{{"GONE", "gone"}}); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestLastLines(t *testing.T) {
	if got := LastLines("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("LastLines = %q", got)
	}
}

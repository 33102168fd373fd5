// Package exampletest loads the project's example specs for tests: the
// generators' tests run against the same real specs the golden trees hold,
// found from the module root wherever the test package sits.
package exampletest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ydpgen/ydpgen/internal/toolcache"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/spec"
)

// Example is one loaded example spec.
type Example struct {
	Name     string // the directory under examples/
	Path     string
	Platform *model.Platform
}

// All loads every examples/*/platform.yaml, in name order; a test fails
// when there are none or one does not load.
func All(t testing.TB) []Example {
	t.Helper()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "examples", "*", "platform.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples under %s: %v", root, err)
	}
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	var out []Example
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		pl, err := s.Load(p, src)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, Example{Name: filepath.Base(filepath.Dir(p)), Path: p, Platform: pl})
	}
	return out
}

// Environments are the environments of every example, in example order.
func Environments(t testing.TB) []*model.Environment {
	t.Helper()
	var out []*model.Environment
	for _, e := range All(t) {
		for i := range e.Platform.Environments {
			out = append(out, &e.Platform.Environments[i])
		}
	}
	return out
}

// First is the first environment of the named example.
func First(t testing.TB, name string) *model.Environment {
	t.Helper()
	for _, e := range All(t) {
		if e.Name == name {
			return &e.Platform.Environments[0]
		}
	}
	t.Fatalf("no example %s", name)
	return nil
}

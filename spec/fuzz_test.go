package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/spec"
)

// FuzzLoad feeds the loader arbitrary bytes as YAML and as CUE. Whatever the
// input, it must return a platform that renders, or findings (of the loader
// or the render) that each point into the file; never a panic or another
// kind of error. The seed
// corpus (examples, starters, the CLI suite's bad specs) runs on every
// `go test`.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/*/platform.yaml")
	starters, _ := filepath.Glob("starters/*.yaml")
	for _, p := range append(seeds, starters...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, script := range []string{"../cmd/ydpgen/testdata/script/bad_specs.txtar", "../cmd/ydpgen/testdata/script/cue.txtar"} {
		a, err := txtar.ParseFile(script)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if ext := filepath.Ext(file.Name); ext == ".yaml" || ext == ".cue" {
				f.Add(file.Data)
			}
		}
	}
	f.Add([]byte("apiVersion: ydpgen.dev/v1alpha1\nkind: Platform\nmetadata: {name: x}\nspec: {environments: {a: {}}}\n"))
	f.Add([]byte("{\"apiVersion\": 1e999}"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("spec: {environments: {dev: {cluster: {storageClasses: {\"\": {rwx: true}}}}}}\n"))

	s, err := spec.New()
	if err != nil {
		f.Fatal(err)
	}
	charts := charttest.Charts(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"spec.yaml", "spec.cue"} {
			p, err := s.Load(name, data)
			if err == nil {
				if p == nil || len(p.Environments) == 0 {
					t.Fatalf("%s: loaded a platform without environments", name)
				}
				// Rendering may refuse the spec too (a chart version the
				// lock does not pin, values the chart's schema refuses),
				// with findings in the file like the loader's. The seeds' sealed
				// files are pi-lab's, the one example that keeps its Secrets
				// in git.
				_, err = render.Platform(p, render.Options{Verify: true, SpecDir: os.DirFS("../examples/pi-lab"), Charts: charts})
				if err == nil {
					continue
				}
			}
			var findings diag.List
			if !errors.As(err, &findings) {
				t.Fatalf("%s: error that is not a finding: %v", name, err)
			}
			if len(findings) == 0 {
				t.Fatalf("%s: an empty list of findings", name)
			}
			for _, fd := range findings {
				if fd.File != name || fd.Line < 1 || fd.Col < 1 || fd.Message == "" {
					t.Fatalf("%s: finding without a position or message: %+v", name, fd)
				}
			}
		}
	})
}

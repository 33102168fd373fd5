package render_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/render"
	"github.com/ydpgen/ydpgen/spec"
)

func exampleSpecs(b *testing.B) map[string][]byte {
	b.Helper()
	paths, err := filepath.Glob("../examples/*/platform.yaml")
	if err != nil || len(paths) == 0 {
		b.Fatalf("no examples: %v", err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out[filepath.Base(filepath.Dir(p))] = src
	}
	return out
}

func names(m map[string][]byte) []string {
	return slices.Sorted(maps.Keys(m))
}

// BenchmarkSchemaCompile is the once-per-process cost of the embedded schema.
func BenchmarkSchemaCompile(b *testing.B) {
	for b.Loop() {
		if _, err := spec.New(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad measures reading a spec: text checks and YAML parsing.
func BenchmarkLoad(b *testing.B) {
	specs := exampleSpecs(b)
	s, err := spec.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range names(specs) {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := s.Parse("platform.yaml", specs[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate measures loading with validation against the schema and
// profiles, resolving every environment.
func BenchmarkValidate(b *testing.B) {
	specs := exampleSpecs(b)
	for _, name := range names(specs) {
		b.Run(name, func(b *testing.B) {
			s, err := spec.New()
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Load("platform.yaml", specs[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender measures generators and layout from a loaded platform;
// BenchmarkRenderVerify adds the in-process kustomize build of every overlay.
func BenchmarkRender(b *testing.B)       { benchRender(b, render.Options{}) }
func BenchmarkRenderVerify(b *testing.B) { benchRender(b, render.Options{Verify: true}) }

func benchRender(b *testing.B, opts render.Options) {
	specs := exampleSpecs(b)
	s, err := spec.New()
	if err != nil {
		b.Fatal(err)
	}
	opts.Charts = charttest.Charts(b)
	for _, name := range names(specs) {
		p, err := s.Load("platform.yaml", specs[name])
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				opts.SpecDir = os.DirFS(filepath.Join("..", "examples", name))
				if _, err := render.Platform(p, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

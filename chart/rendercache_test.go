package chart

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRenderCache(t *testing.T) {
	ctx := context.Background()
	c := testChart(t, "parent")
	dir := t.TempDir()
	o := opts("rel")
	o.CacheDir = dir
	vals := map[string]any{"workers": map[string]any{"celery": map[string]any{"replicas": 2}}}

	cold, err := Render(ctx, c, vals, o)
	if err != nil {
		t.Fatal(err)
	}
	if cold.FromCache {
		t.Error("the first render came from the cache")
	}
	// The same values written differently (a float, as from a values
	// file) are the same key.
	warm, err := Render(ctx, c, map[string]any{"workers": map[string]any{"celery": map[string]any{"replicas": 2.0}}}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !warm.FromCache {
		t.Error("the second render did not come from the cache")
	}
	if d := cmp.Diff(cold, warm, cmpopts.IgnoreFields(Result{}, "FromCache")); d != "" {
		t.Errorf("cached result differs (-cold +warm):\n%s", d)
	}

	// A warm render never loads the chart: a Chart with the same digest
	// but content Helm cannot read still renders from the cache.
	broken := &Chart{Name: c.Name, Version: c.Version, Digest: c.Digest, archive: []byte("not a chart")}
	if res, err := Render(ctx, broken, vals, o); err != nil || !res.FromCache {
		t.Errorf("warm render of an unreadable chart = %v, %v", res, err)
	}
	if _, err := Render(ctx, broken, vals, opts("rel")); err == nil {
		t.Error("the unreadable chart renders without the cache")
	}

	// Anything that changes the output is another key.
	for name, change := range map[string]func(*Options, map[string]any) map[string]any{
		"values":       func(_ *Options, v map[string]any) map[string]any { return map[string]any{"extraContainers": []any{}} },
		"release":      func(o *Options, v map[string]any) map[string]any { o.ReleaseName = "other"; return v },
		"namespace":    func(o *Options, v map[string]any) map[string]any { o.Namespace = "other"; return v },
		"kube version": func(o *Options, v map[string]any) map[string]any { o.KubeVersion = "1.34.1"; return v },
		"api versions": func(o *Options, v map[string]any) map[string]any {
			o.APIVersions = []string{"example.com/v1"}
			return v
		},
		"crds": func(o *Options, v map[string]any) map[string]any { o.IncludeCRDs = true; return v },
	} {
		o2 := o
		v2 := change(&o2, vals)
		res, err := Render(ctx, c, v2, o2)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.FromCache {
			t.Errorf("a different %s hit the cache", name)
		}
	}

	// A damaged cache file is a miss, and is rewritten.
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 7 {
		t.Fatalf("cache files = %v, %v; want 7", files, err)
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if res, err := Render(ctx, c, vals, o); err != nil || res.FromCache {
		t.Errorf("render over a damaged cache = %v, %v", res, err)
	}
	if res, err := Render(ctx, c, vals, o); err != nil || !res.FromCache {
		t.Errorf("the damaged cache file was not rewritten: %v, %v", res, err)
	}
}

func TestRenderCacheKeepsNoFailure(t *testing.T) {
	// A chart that renders differently each time is never cached: every
	// render reports it.
	ctx := context.Background()
	c := testChart(t, "random")
	o := opts("rnd")
	o.CacheDir = t.TempDir()
	for range 2 {
		_, err := Render(ctx, c, nil, o)
		var nd *NondeterminismError
		if !errors.As(err, &nd) {
			t.Fatalf("error = %v, want a NondeterminismError", err)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(o.CacheDir, "*")); len(files) != 0 {
		t.Errorf("cache holds %v", files)
	}
}

package chart

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// packageChart packages a test chart directory as version, with a
// description that changes the archive's bytes (and so its digest)
// without changing the chart's name or version.
func packageChart(t *testing.T, name, version, description string) []byte {
	t.Helper()
	hc, err := loader.LoadDir(filepath.Join("testdata", "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	hc.Metadata.Version = version
	hc.Metadata.Description = description
	dir := t.TempDir()
	p, err := chartutil.Save(hc, dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// chartRepo is a chart repository on loopback: an index.yaml and archives,
// with relative URLs as most repositories write them. It counts requests,
// so tests can prove that a cached chart costs none.
type chartRepo struct {
	srv *httptest.Server

	mu       sync.Mutex
	archives map[string][]byte // version → archive served
	digests  map[string]string // version → digest the index states ("" for none)
	requests int
}

func newChartRepo(t *testing.T) *chartRepo {
	r := &chartRepo{archives: map[string][]byte{}, digests: map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve)) // 127.0.0.1
	t.Cleanup(r.srv.Close)
	return r
}

func (r *chartRepo) add(version string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.archives[version] = data
	r.digests[version] = sha256Hex(data)
}

func (r *chartRepo) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

func (r *chartRepo) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if req.URL.Path == "/charts/index.yaml" {
		var b strings.Builder
		b.WriteString("apiVersion: v1\nentries:\n  hooks:\n")
		for v := range r.archives {
			fmt.Fprintf(&b, "  - name: hooks\n    version: %s\n    urls: [archives/hooks-%s.tgz]\n", v, v)
			if d := r.digests[v]; d != "" {
				fmt.Fprintf(&b, "    digest: %s\n", d)
			}
		}
		b.WriteString("generated: \"2026-01-01T00:00:00Z\"\n")
		w.Write([]byte(b.String()))
		return
	}
	if v, ok := strings.CutPrefix(req.URL.Path, "/charts/archives/hooks-"); ok {
		if data, ok := r.archives[strings.TrimSuffix(v, ".tgz")]; ok {
			w.Write(data)
			return
		}
	}
	http.NotFound(w, req)
}

func (r *chartRepo) ref(version string) Ref {
	return Ref{Name: "hooks", Version: version, Source: r.srv.URL + "/charts"}
}

func TestRepositoryUpdateAndResolve(t *testing.T) {
	ctx := context.Background()
	repo := newChartRepo(t)
	v010 := packageChart(t, "hooks", "0.1.0", "first")
	v020 := packageChart(t, "hooks", "0.2.0", "second")
	repo.add("0.1.0", v010)
	repo.add("0.2.0", v020)
	repo.add("0.3.0-rc.1", packageChart(t, "hooks", "0.3.0-rc.1", "candidate"))
	cache := t.TempDir()
	r := &Resolver{CacheDir: cache}
	lock := &Lock{}

	// No constraint: the newest stable version.
	e, err := r.Update(ctx, repo.ref(""), lock)
	if err != nil {
		t.Fatal(err)
	}
	want := LockEntry{Name: "hooks", Version: "0.2.0", Source: repo.srv.URL + "/charts", Digest: "sha256:" + sha256Hex(v020)}
	if e != want {
		t.Errorf("entry = %+v, want %+v", e, want)
	}
	if _, err := os.Stat(filepath.Join(cache, sha256Hex(v020)+".tgz")); err != nil {
		t.Errorf("archive not cached by digest: %v", err)
	}
	// A constraint picks within it, and replaces the entry.
	if e, err = r.Update(ctx, repo.ref("~0.1"), lock); err != nil || e.Version != "0.1.0" {
		t.Fatalf("Update ~0.1 = %+v, %v", e, err)
	}
	if len(lock.Charts) != 1 || lock.Charts[0].Version != "0.1.0" {
		t.Errorf("lock = %+v", lock.Charts)
	}
	if _, err := r.Update(ctx, repo.ref(">=1.0.0"), lock); err == nil || !strings.Contains(err.Error(), `no version that satisfies ">=1.0.0"`) {
		t.Errorf("Update >=1.0.0: %v", err)
	}

	// Warm cache: resolving a locked chart makes no request.
	before := repo.count()
	c, err := r.Resolve(ctx, repo.ref("~0.1"), lock)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "hooks" || c.Version != "0.1.0" || c.Digest != "sha256:"+sha256Hex(v010) {
		t.Errorf("chart = %s %s %s", c.Name, c.Version, c.Digest)
	}
	if n := repo.count() - before; n != 0 {
		t.Errorf("a cached chart cost %d requests", n)
	}
	if _, err := c.load(); err != nil {
		t.Errorf("the resolved chart does not load: %v", err)
	}

	// Cold cache, online: downloaded, checked, stored.
	cold := &Resolver{CacheDir: t.TempDir()}
	if c, err = cold.Resolve(ctx, repo.ref("~0.1"), lock); err != nil || c.Version != "0.1.0" {
		t.Fatalf("cold Resolve = %v, %v", c, err)
	}
	if _, err := os.Stat(filepath.Join(cold.CacheDir, sha256Hex(v010)+".tgz")); err != nil {
		t.Errorf("downloaded archive not cached: %v", err)
	}
}

func TestResolveRefuses(t *testing.T) {
	ctx := context.Background()
	repo := newChartRepo(t)
	v010 := packageChart(t, "hooks", "0.1.0", "first")
	repo.add("0.1.0", v010)
	lock := &Lock{}
	if _, err := (&Resolver{CacheDir: t.TempDir()}).Update(ctx, repo.ref("0.1.0"), lock); err != nil {
		t.Fatal(err)
	}
	entry := lock.Charts[0]

	check := func(t *testing.T, err error, wants ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("no error, want one saying %q", wants)
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
	}

	t.Run("offline with a cold cache", func(t *testing.T) {
		before := repo.count()
		_, err := (&Resolver{CacheDir: t.TempDir(), Offline: true}).Resolve(ctx, repo.ref("0.1.0"), lock)
		check(t, err, "ydpgen.lock entry hooks 0.1.0", entry.Source, entry.Digest, "not in the chart cache", "offline")
		if repo.count() != before {
			t.Error("offline resolve made a request")
		}
	})
	t.Run("no lock entry", func(t *testing.T) {
		_, err := (&Resolver{CacheDir: t.TempDir()}).Resolve(ctx, repo.ref("0.1.0"), &Lock{})
		check(t, err, "chart hooks 0.1.0 from "+entry.Source, "no entry in ydpgen.lock", "ydpgen chart update")
	})
	t.Run("locked version outside the constraint", func(t *testing.T) {
		_, err := (&Resolver{CacheDir: t.TempDir()}).Resolve(ctx, repo.ref("^0.2.0"), lock)
		check(t, err, "ydpgen.lock entry hooks 0.1.0", `version 0.1.0 does not satisfy "^0.2.0"`)
	})
	t.Run("the repository changed the archive", func(t *testing.T) {
		repo.add("0.1.0", packageChart(t, "hooks", "0.1.0", "republished"))
		defer repo.add("0.1.0", v010)
		_, err := (&Resolver{CacheDir: t.TempDir()}).Resolve(ctx, repo.ref("0.1.0"), lock)
		check(t, err, "ydpgen.lock entry hooks 0.1.0", "changed after it was locked", entry.Digest)
	})
	t.Run("a download that does not match the index", func(t *testing.T) {
		repo.add("0.1.0", v010)
		repo.mu.Lock()
		repo.digests["0.1.0"] = strings.Repeat("f", 64)
		repo.mu.Unlock()
		defer repo.add("0.1.0", v010)
		_, err := (&Resolver{CacheDir: t.TempDir()}).Update(ctx, repo.ref("0.1.0"), &Lock{})
		check(t, err, "chart hooks 0.1.0", "but the repository's index.yaml says "+strings.Repeat("f", 64))
	})
	t.Run("a damaged cache is not fetched again", func(t *testing.T) {
		cache := t.TempDir()
		p := filepath.Join(cache, strings.TrimPrefix(entry.Digest, "sha256:")+".tgz")
		if err := os.WriteFile(p, []byte("not the archive"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := repo.count()
		_, err := (&Resolver{CacheDir: cache}).Resolve(ctx, repo.ref("0.1.0"), lock)
		check(t, err, "ydpgen.lock entry hooks 0.1.0", "the cache is damaged", p)
		if repo.count() != before {
			t.Error("a damaged cache entry was fetched again")
		}
	})
	t.Run("update offline", func(t *testing.T) {
		_, err := (&Resolver{CacheDir: t.TempDir(), Offline: true}).Update(ctx, repo.ref(""), &Lock{})
		check(t, err, "chart hooks from", "offline")
	})
	t.Run("local charts are not locked", func(t *testing.T) {
		_, err := (&Resolver{}).Update(ctx, Ref{Name: "hooks", Source: "testdata/charts/hooks"}, &Lock{})
		check(t, err, "local charts are not locked")
	})
	t.Run("no such chart in the repository", func(t *testing.T) {
		_, err := (&Resolver{CacheDir: t.TempDir()}).Update(ctx, Ref{Name: "nope", Source: repo.srv.URL + "/charts"}, &Lock{})
		check(t, err, "chart nope from", "lists no chart nope")
	})
}

func TestResolveLocal(t *testing.T) {
	ctx := context.Background()
	r := &Resolver{BaseDir: "testdata"}
	c, err := r.Resolve(ctx, Ref{Name: "parent", Version: "^1.2", Source: "charts/parent"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "parent" || c.Version != "1.2.3" || !strings.HasPrefix(c.Digest, "sha256:") {
		t.Errorf("chart = %+v", c)
	}
	// The directory digest follows content.
	again, _ := r.Resolve(ctx, Ref{Name: "parent", Source: "charts/parent"}, nil)
	if again.Digest != c.Digest {
		t.Error("the same directory has two digests")
	}
	dir := t.TempDir()
	copyDir(t, filepath.Join("testdata", "charts", "parent"), dir)
	if err := os.WriteFile(filepath.Join(dir, "templates", "extra.yaml"), []byte("# more\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := LoadLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if changed.Digest == c.Digest {
		t.Error("a changed directory keeps its digest")
	}

	// A .tgz works too, and its digest is the file's.
	data := packageChart(t, "hooks", "0.4.0", "local")
	p := filepath.Join(t.TempDir(), "hooks.tgz")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = r.Resolve(ctx, Ref{Name: "hooks", Source: p}, nil); err != nil || c.Digest != "sha256:"+sha256Hex(data) {
		t.Errorf("Resolve tgz = %+v, %v", c, err)
	}

	for _, tc := range []struct {
		ref  Ref
		want string
	}{
		{Ref{Name: "other", Source: "charts/parent"}, "holds chart parent"},
		{Ref{Name: "parent", Version: "2.x", Source: "charts/parent"}, `version 1.2.3 does not satisfy "2.x"`},
		{Ref{Name: "parent", Source: "charts/absent"}, "no such file"},
	} {
		if _, err := r.Resolve(ctx, tc.ref, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Resolve(%v) = %v, want %q", tc.ref, err, tc.want)
		}
	}
}

func TestLockFile(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	l := &Lock{}
	l.Set(LockEntry{Name: "zeta", Version: "2.0.0", Source: "oci://registry.example/charts", Digest: d2})
	l.Set(LockEntry{Name: "airflow", Version: "1.18.0", Source: "https://airflow.apache.org", Digest: d2})
	l.Set(LockEntry{Name: "airflow", Version: "1.19.0", Source: "https://airflow.apache.org", Digest: d1})
	got := string(l.Marshal())
	want := `# ydpgen.lock: the exact chart archives this platform renders, pinned by
# digest. Written by "ydpgen chart update"; do not edit by hand.
version: 1
charts:
  - name: airflow
    version: 1.19.0
    source: https://airflow.apache.org
    digest: sha256:` + strings.Repeat("a", 64) + `
  - name: zeta
    version: 2.0.0
    source: oci://registry.example/charts
    digest: sha256:` + strings.Repeat("b", 64) + `
`
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("lock file (-want +got):\n%s", d)
	}

	// Round trip through a file; entry order does not change the bytes.
	p := filepath.Join(t.TempDir(), LockFileName)
	if err := WriteLock(p, l); err != nil {
		t.Fatal(err)
	}
	back, err := ReadLock(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(back.Marshal()) != got {
		t.Error("a read lock marshals differently")
	}
	back.Charts[0], back.Charts[1] = back.Charts[1], back.Charts[0]
	if string(back.Marshal()) != got {
		t.Error("entry order changes the bytes")
	}
	if e, ok := back.Find("airflow", "https://airflow.apache.org"); !ok || e.Digest != d1 {
		t.Errorf("Find = %+v, %v", e, ok)
	}
	back.Remove("airflow", "https://airflow.apache.org")
	if _, ok := back.Find("airflow", "https://airflow.apache.org"); ok {
		t.Error("Remove left the entry")
	}

	// A missing file is an empty lock.
	empty, err := ReadLock(filepath.Join(t.TempDir(), LockFileName))
	if err != nil || len(empty.Charts) != 0 {
		t.Errorf("missing lock = %+v, %v", empty, err)
	}

	for _, tc := range []struct{ text, want string }{
		{"version: 2\ncharts: []\n", "version 2 is not one this ydpgen reads"},
		{"version: 1\ncharts: []\nextra: 1\n", "field extra not found"},
		{"version: 1\ncharts:\n  - {name: a, version: 1.0.0, source: https://x}\n", "charts[0] (a) lacks digest"},
		{"version: 1\ncharts:\n  - {name: a, version: 1.0.0, source: https://x, digest: sha256:abc}\n", "is not sha256:<64"},
		{"version: 1\ncharts:\n  - {name: a, version: 1.0.0, source: ./charts/a, digest: " + d1 + "}\n", "is a local path"},
		{"version: 1\ncharts:\n  - {name: a, version: 1.0.0, source: https://x, digest: " + d1 + "}\n  - {name: a, version: 1.1.0, source: https://x, digest: " + d2 + "}\n", "listed twice"},
		{"", "is empty"},
	} {
		if _, err := ParseLock([]byte(tc.text)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseLock(%q) = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

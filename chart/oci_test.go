package chart

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/registry"
)

// ociRegistry is the read side of the OCI distribution API, enough for
// Helm's registry client to list tags and pull a chart: manifests by tag or
// digest, blobs by digest, the tag list. Everything is in memory, on
// loopback, over plain HTTP.
type ociRegistry struct {
	srv *httptest.Server

	mu        sync.Mutex
	blobs     map[string][]byte            // digest → content
	tags      map[string]map[string]string // repository → tag → manifest digest
	requests  int
	tagLists  int
	manifests int
}

func newOCIRegistry(t *testing.T) *ociRegistry {
	r := &ociRegistry{blobs: map[string][]byte{}, tags: map[string]map[string]string{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *ociRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

func (r *ociRegistry) putBlob(data []byte) (string, int) {
	d := "sha256:" + sha256Hex(data)
	r.blobs[d] = data
	return d, len(data)
}

// push stores a chart archive as Helm pushes one: a config blob with the
// chart's metadata, the archive as the one layer, a manifest, a tag.
func (r *ociRegistry) push(repo, version string, archive []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, _ := json.Marshal(map[string]string{"apiVersion": "v2", "name": filepath.Base(repo), "version": version})
	cd, cs := r.putBlob(cfg)
	ld, ls := r.putBlob(archive)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": registry.ConfigMediaType, "digest": cd, "size": cs},
		"layers":        []any{map[string]any{"mediaType": registry.ChartLayerMediaType, "digest": ld, "size": ls}},
	})
	md, _ := r.putBlob(manifest)
	if r.tags[repo] == nil {
		r.tags[repo] = map[string]string{}
	}
	r.tags[repo][strings.ReplaceAll(version, "+", "_")] = md
}

func (r *ociRegistry) counts() (requests, tagLists, manifests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.tagLists, r.manifests
}

func (r *ociRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	p, ok := strings.CutPrefix(req.URL.Path, "/v2/")
	if !ok {
		http.NotFound(w, req)
		return
	}
	if p == "" {
		w.Write([]byte("{}"))
		return
	}
	if repo, ok := strings.CutSuffix(p, "/tags/list"); ok {
		r.tagLists++
		var tags []string
		for t := range r.tags[repo] {
			tags = append(tags, t)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"name": repo, "tags": tags})
		return
	}
	send := func(digest, mediaType string) {
		data, ok := r.blobs[digest]
		if !ok {
			http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", mediaType)
		w.Header().Set("Docker-Content-Digest", digest)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if req.Method != http.MethodHead {
			w.Write(data)
		}
	}
	if i := strings.LastIndex(p, "/manifests/"); i >= 0 {
		r.manifests++
		repo, ref := p[:i], p[i+len("/manifests/"):]
		if !strings.HasPrefix(ref, "sha256:") {
			d, ok := r.tags[repo][ref]
			if !ok {
				http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`, http.StatusNotFound)
				return
			}
			ref = d
		}
		send(ref, "application/vnd.oci.image.manifest.v1+json")
		return
	}
	if i := strings.LastIndex(p, "/blobs/"); i >= 0 {
		send(p[i+len("/blobs/"):], "application/octet-stream")
		return
	}
	http.NotFound(w, req)
}

func TestOCI(t *testing.T) {
	ctx := context.Background()
	// Helm's client reads registry credentials only when a registry asks
	// for them; keep it away from the user's files all the same.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := newOCIRegistry(t)
	v010 := packageChart(t, "hooks", "0.1.0", "first")
	v020 := packageChart(t, "hooks", "0.2.0", "second")
	reg.push("charts/hooks", "0.1.0", v010)
	reg.push("charts/hooks", "0.2.0", v020)
	rc, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	source := "oci://" + reg.host() + "/charts"
	r := &Resolver{CacheDir: t.TempDir(), Registry: rc}
	lock := &Lock{}

	// No version: the newest tag.
	e, err := r.Update(ctx, Ref{Name: "hooks", Source: source}, lock)
	if err != nil {
		t.Fatal(err)
	}
	if want := (LockEntry{Name: "hooks", Version: "0.2.0", Source: source, Digest: "sha256:" + sha256Hex(v020)}); e != want {
		t.Errorf("entry = %+v, want %+v", e, want)
	}
	// An exact version pulls its tag without listing tags.
	_, listsBefore, _ := reg.counts()
	if e, err = r.Update(ctx, Ref{Name: "hooks", Version: "0.1.0", Source: source}, lock); err != nil || e.Version != "0.1.0" {
		t.Fatalf("Update 0.1.0 = %+v, %v", e, err)
	}
	if _, lists, _ := reg.counts(); lists != listsBefore {
		t.Error("an exact version listed the tags")
	}

	// Warm: no request. Cold: pulled and checked against the lock.
	ref := Ref{Name: "hooks", Version: "0.1.x", Source: source}
	before, _, _ := reg.counts()
	c, err := r.Resolve(ctx, ref, lock)
	if err != nil || c.Version != "0.1.0" || c.Digest != e.Digest {
		t.Fatalf("Resolve = %v, %v", c, err)
	}
	if n, _, _ := reg.counts(); n != before {
		t.Errorf("a cached chart cost %d requests", n-before)
	}
	cold := &Resolver{CacheDir: t.TempDir(), Registry: rc}
	_, _, manifestsBefore := reg.counts()
	if c, err = cold.Resolve(ctx, ref, lock); err != nil || c.Digest != e.Digest {
		t.Fatalf("cold Resolve = %v, %v", c, err)
	}
	if _, _, m := reg.counts(); m == manifestsBefore {
		t.Error("a cold resolve fetched no manifest")
	}
	if _, err := Render(ctx, c, nil, opts("demo")); err != nil {
		t.Errorf("render of the pulled chart: %v", err)
	}

	// The tag now points at another archive: refused, named.
	reg.push("charts/hooks", "0.1.0", packageChart(t, "hooks", "0.1.0", "republished"))
	_, err = (&Resolver{CacheDir: t.TempDir(), Registry: rc}).Resolve(ctx, ref, lock)
	if err == nil || !strings.Contains(err.Error(), "changed after it was locked") || !strings.Contains(err.Error(), e.String()) {
		t.Errorf("error = %v, want the changed archive refused and %q named", err, e)
	}

	// A version the registry lacks.
	_, err = r.Update(ctx, Ref{Name: "hooks", Version: "9.9.9", Source: source}, lock)
	if err == nil || !strings.Contains(err.Error(), "cannot pull version 9.9.9") {
		t.Errorf("error = %v", err)
	}
}

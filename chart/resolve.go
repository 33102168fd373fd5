package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v4/pkg/registry"
	"sigs.k8s.io/yaml"
)

// maxDownload bounds what one HTTP response may hold: big public
// repositories' index.yaml files run to tens of megabytes, charts to a few.
const maxDownload = 256 << 20

// Resolver finds chart archives: in its cache by digest, or over the network.
// The zero value is usable: default cache directory, online, Helm's usual
// registry credentials.
type Resolver struct {
	// CacheDir holds pulled archives, one file per sha256 digest. Empty
	// means DefaultCacheDir().
	CacheDir string
	// Offline forbids the network: a locked chart missing from the cache is
	// an error, and Update fails.
	Offline bool
	// BaseDir is where relative local chart paths start; empty means the
	// working directory.
	BaseDir string
	// HTTPClient fetches repository indexes and archives; nil means a client
	// with a two-minute timeout.
	HTTPClient *http.Client
	// Registry pulls OCI charts; nil means a client with Helm's usual
	// credentials ("helm registry login", then Docker's configuration).
	Registry *registry.Client
}

// DefaultCacheDir is ~/.cache/ydpgen/charts (or $XDG_CACHE_HOME/ydpgen/charts).
func DefaultCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for charts: %w", err)
	}
	return filepath.Join(base, "ydpgen", "charts"), nil
}

// Resolve gives the chart a Ref names. A local chart is read from disk. A
// remote chart must have an entry in lock (Update writes it): the archive
// with the locked digest comes from the cache, or, when the cache lacks it
// and the resolver is online, from the source, and must have the locked
// digest. Resolve never picks another version or accepts another archive.
func (r *Resolver) Resolve(ctx context.Context, ref Ref, lock *Lock) (*Chart, error) {
	if ref.Kind() == Local {
		return r.resolveLocal(ref)
	}
	entry, ok := lock.Find(ref.Name, ref.Source)
	if !ok {
		return nil, fmt.Errorf("%s has no entry in %s: run \"ydpgen chart update\" to pin it", ref, LockFileName)
	}
	if err := checkVersion(ref, entry.Version); err != nil {
		return nil, fmt.Errorf("%s: %w; run \"ydpgen chart update\" to pin a version that does", entry, err)
	}
	dir, err := r.cacheDir()
	if err != nil {
		return nil, err
	}
	data, found, err := readCached(dir, entry.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", entry, err)
	}
	if !found {
		if r.Offline {
			return nil, fmt.Errorf("%s: the archive is not in the chart cache %s and ydpgen is offline; run once online to fetch it", entry, dir)
		}
		data, err = r.download(ctx, ref, entry.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", entry, err)
		}
		if got := "sha256:" + sha256Hex(data); got != entry.Digest {
			return nil, fmt.Errorf("%s: the source now serves an archive with digest %s: the chart was changed after it was locked; check the change, then run \"ydpgen chart update\" to accept it", entry, got)
		}
		if _, err := storeCached(dir, data); err != nil {
			return nil, fmt.Errorf("%s: %w", entry, err)
		}
	}
	c, err := LoadArchive(data, ref.Source)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", entry, err)
	}
	if c.Name != entry.Name || c.Version != entry.Version {
		return nil, fmt.Errorf("%s: the archive holds chart %s %s", entry, c.Name, c.Version)
	}
	c.Source = ref.Source
	return c, nil
}

// Update pins a remote chart: it picks the newest version the Ref allows,
// downloads it, stores it in the cache and sets its entry in lock (adding
// or replacing it). It is what "ydpgen chart update" runs; the caller writes
// the lock file.
func (r *Resolver) Update(ctx context.Context, ref Ref, lock *Lock) (LockEntry, error) {
	if ref.Kind() == Local {
		return LockEntry{}, fmt.Errorf("%s: local charts are not locked; the repository holds them", ref)
	}
	if r.Offline {
		return LockEntry{}, fmt.Errorf("%s: cannot update while offline", ref)
	}
	dir, err := r.cacheDir()
	if err != nil {
		return LockEntry{}, err
	}
	version, err := r.pickVersion(ctx, ref)
	if err != nil {
		return LockEntry{}, fmt.Errorf("%s: %w", ref, err)
	}
	data, err := r.download(ctx, ref, version)
	if err != nil {
		return LockEntry{}, fmt.Errorf("%s: %w", ref, err)
	}
	c, err := LoadArchive(data, ref.Source)
	if err != nil {
		return LockEntry{}, fmt.Errorf("%s: %w", ref, err)
	}
	if c.Name != ref.Name || c.Version != version {
		return LockEntry{}, fmt.Errorf("%s: version %s's archive holds chart %s %s", ref, version, c.Name, c.Version)
	}
	digest, err := storeCached(dir, data)
	if err != nil {
		return LockEntry{}, fmt.Errorf("%s: %w", ref, err)
	}
	e := LockEntry{Name: ref.Name, Version: version, Source: ref.Source, Digest: digest}
	lock.Set(e)
	return e, nil
}

func (r *Resolver) resolveLocal(ref Ref) (*Chart, error) {
	p := ref.Source
	if !filepath.IsAbs(p) && r.BaseDir != "" {
		p = filepath.Join(r.BaseDir, p)
	}
	c, err := LoadLocal(p)
	if err != nil {
		return nil, err
	}
	if ref.Name != "" && c.Name != ref.Name {
		return nil, fmt.Errorf("%s: %s holds chart %s", ref, p, c.Name)
	}
	if err := checkVersion(ref, c.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return c, nil
}

func (r *Resolver) cacheDir() (string, error) {
	if r.CacheDir != "" {
		return r.CacheDir, nil
	}
	return DefaultCacheDir()
}

func (r *Resolver) httpClient() *http.Client {
	if r.HTTPClient != nil {
		return r.HTTPClient
	}
	return &http.Client{Timeout: 2 * time.Minute}
}

func (r *Resolver) registryClient() (*registry.Client, error) {
	if r.Registry != nil {
		return r.Registry, nil
	}
	return registry.NewClient(registry.ClientOptHTTPClient(r.httpClient()))
}

// checkVersion says whether a version satisfies the Ref's constraint.
func checkVersion(ref Ref, version string) error {
	if ref.Version == "" {
		return nil
	}
	c, err := semver.NewConstraint(ref.Version)
	if err != nil {
		return fmt.Errorf("version %q is not a version or a version constraint: %w", ref.Version, err)
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return fmt.Errorf("version %q is not a semantic version", version)
	}
	if !c.Check(v) {
		return fmt.Errorf("version %s does not satisfy %q", version, ref.Version)
	}
	return nil
}

// exactVersion reports whether the Ref names one version rather than a range.
func exactVersion(ref Ref) bool {
	_, err := semver.StrictNewVersion(ref.Version)
	return err == nil
}

// newest picks the highest version that satisfies the Ref; with no
// constraint, pre-releases are skipped.
func newest(ref Ref, versions []string) (string, error) {
	var c *semver.Constraints
	if ref.Version != "" {
		var err error
		if c, err = semver.NewConstraint(ref.Version); err != nil {
			return "", fmt.Errorf("version %q is not a version or a version constraint: %w", ref.Version, err)
		}
	}
	var best *semver.Version
	var bestRaw string
	for _, raw := range versions {
		v, err := semver.NewVersion(raw)
		if err != nil {
			continue
		}
		if c == nil && v.Prerelease() != "" {
			continue
		}
		if c != nil && !c.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestRaw = v, raw
		}
	}
	if best == nil {
		if ref.Version == "" {
			return "", errors.New("the source has no stable version of this chart")
		}
		return "", fmt.Errorf("the source has no version that satisfies %q", ref.Version)
	}
	return bestRaw, nil
}

func (r *Resolver) pickVersion(ctx context.Context, ref Ref) (string, error) {
	switch ref.Kind() {
	case Repository:
		idx, err := r.fetchIndex(ctx, ref)
		if err != nil {
			return "", err
		}
		var versions []string
		for _, e := range idx.Entries[ref.Name] {
			versions = append(versions, e.Version)
		}
		if len(versions) == 0 {
			return "", fmt.Errorf("the repository's index.yaml lists no chart %s", ref.Name)
		}
		return newest(ref, versions)
	default:
		if exactVersion(ref) {
			return ref.Version, nil
		}
		rc, err := r.registryClient()
		if err != nil {
			return "", err
		}
		tags, err := rc.Tags(ociRepo(ref))
		if err != nil {
			return "", fmt.Errorf("cannot list the registry's tags: %w", err)
		}
		return newest(ref, tags)
	}
}

// download fetches one version's archive from the Ref's source.
func (r *Resolver) download(ctx context.Context, ref Ref, version string) ([]byte, error) {
	if ref.Kind() == OCI {
		rc, err := r.registryClient()
		if err != nil {
			return nil, err
		}
		res, err := rc.Pull(ociRepo(ref) + ":" + version)
		if err != nil {
			return nil, fmt.Errorf("cannot pull version %s: %w", version, err)
		}
		return res.Chart.Data, nil
	}
	idx, err := r.fetchIndex(ctx, ref)
	if err != nil {
		return nil, err
	}
	for _, e := range idx.Entries[ref.Name] {
		if e.Version != version {
			continue
		}
		if len(e.URLs) == 0 {
			return nil, fmt.Errorf("the repository's index.yaml gives no URL for version %s", version)
		}
		u, err := resolveURL(ref.Source, e.URLs[0])
		if err != nil {
			return nil, err
		}
		data, err := r.get(ctx, u)
		if err != nil {
			return nil, err
		}
		// The index's digest (hex, no prefix) guards the download itself.
		if e.Digest != "" && strings.TrimPrefix(e.Digest, "sha256:") != sha256Hex(data) {
			return nil, fmt.Errorf("%s has digest sha256:%s but the repository's index.yaml says %s", u, sha256Hex(data), e.Digest)
		}
		return data, nil
	}
	return nil, fmt.Errorf("the repository's index.yaml lists no version %s of chart %s", version, ref.Name)
}

// ociRepo is the registry reference of the chart without a tag.
func ociRepo(ref Ref) string {
	return strings.TrimSuffix(strings.TrimPrefix(ref.Source, "oci://"), "/") + "/" + ref.Name
}

// repoIndex is the part of a chart repository's index.yaml ydpgen reads.
type repoIndex struct {
	Entries map[string][]struct {
		Version string   `json:"version"`
		URLs    []string `json:"urls"`
		Digest  string   `json:"digest"`
	} `json:"entries"`
}

func (r *Resolver) fetchIndex(ctx context.Context, ref Ref) (*repoIndex, error) {
	u, err := resolveURL(ref.Source, "index.yaml")
	if err != nil {
		return nil, err
	}
	data, err := r.get(ctx, u)
	if err != nil {
		return nil, err
	}
	var idx repoIndex
	if err := yaml.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return &idx, nil
}

// resolveURL resolves a URL from an index against the repository's URL,
// which counts as a directory whether or not it ends in a slash.
func resolveURL(repo, ref string) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(repo, "/") + "/")
	if err != nil {
		return "", fmt.Errorf("repository URL %q: %w", repo, err)
	}
	rel, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("chart URL %q: %w", ref, err)
	}
	return base.ResolveReference(rel).String(), nil
}

func (r *Resolver) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(data) > maxDownload {
		return nil, fmt.Errorf("GET %s: more than %d MiB", u, maxDownload>>20)
	}
	return data, nil
}

// readCached reads the archive with the given digest from the cache. A file
// whose content does not match its name is an error, never a reason to
// fetch again: something changed the cache, and the user should know.
func readCached(dir, digest string) ([]byte, bool, error) {
	if !validDigest(digest) {
		return nil, false, fmt.Errorf("digest %q is not sha256:<64 hex digits>", digest)
	}
	p := cachePath(dir, digest)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if got := "sha256:" + sha256Hex(data); got != digest {
		return nil, false, fmt.Errorf("the cached archive %s has digest %s: the cache is damaged; delete that file to fetch the chart again", p, got)
	}
	return data, true, nil
}

// storeCached writes an archive into the cache under its digest, atomically.
func storeCached(dir string, data []byte) (string, error) {
	digest := "sha256:" + sha256Hex(data)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	if err := writeFileAtomic(cachePath(dir, digest), data); err != nil {
		return "", fmt.Errorf("chart cache: %w", err)
	}
	return digest, nil
}

func cachePath(dir, digest string) string {
	return filepath.Join(dir, strings.TrimPrefix(digest, "sha256:")+".tgz")
}

// writeFileAtomic writes through a temporary file in the same directory and
// a rename, so a concurrent reader never sees a partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file private; these files are not secret.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"helm.sh/helm/v4/pkg/chart/common"
	kjson "k8s.io/apimachinery/pkg/util/json"
)

// renderCacheFormat changes whenever what Render returns, or how it is
// stored, changes: old cache files then stop matching.
const renderCacheFormat = 1

// DefaultRenderCacheDir is ~/.cache/ydpgen/rendered (or under $XDG_CACHE_HOME).
func DefaultRenderCacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for rendered charts: %w", err)
	}
	return filepath.Join(base, "ydpgen", "rendered"), nil
}

// cacheKey names a render by everything that decides its output: the
// chart's digest, the canonical values, the release, the capabilities and
// the Helm library that renders.
func cacheKey(c *Chart, canonValues []byte, opts Options) string {
	k := struct {
		Format      int      `json:"format"`
		Helm        string   `json:"helm"`
		KubeClient  string   `json:"kubeClient"`
		Chart       string   `json:"chart"`
		Values      string   `json:"values"`
		Release     string   `json:"release"`
		Namespace   string   `json:"namespace"`
		KubeVersion string   `json:"kubeVersion"`
		APIVersions []string `json:"apiVersions"`
		IncludeCRDs bool     `json:"includeCRDs"`
	}{
		Format:      renderCacheFormat,
		Helm:        helmModuleVersion(),
		KubeClient:  common.DefaultCapabilities.HelmVersion.KubeClientVersion,
		Chart:       c.Digest,
		Values:      sha256Hex(canonValues),
		Release:     opts.ReleaseName,
		Namespace:   opts.Namespace,
		KubeVersion: opts.KubeVersion,
		APIVersions: opts.APIVersions,
		IncludeCRDs: opts.IncludeCRDs,
	}
	b, err := canonicalJSON(k)
	if err != nil {
		// Strings, ints and bools always encode.
		panic(err)
	}
	return sha256Hex(b)
}

// helmModuleVersion is the version of the Helm module this binary was built
// with, so that a Helm upgrade invalidates the cache. Helm's own version
// string names only major and minor.
func helmModuleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if ok {
		for _, d := range bi.Deps {
			if d.Path == "helm.sh/helm/v4" {
				if d.Replace != nil {
					return d.Replace.Path + "@" + d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return common.DefaultCapabilities.HelmVersion.Version
}

type cacheFile struct {
	Key    string  `json:"key"`
	Result *Result `json:"result"`
}

// readRenderCache returns the cached result for key. A missing, unreadable
// or damaged file is a miss: the render then runs and rewrites it.
func readRenderCache(dir, key string) (*Result, bool) {
	data, err := os.ReadFile(filepath.Join(dir, key+".json"))
	if err != nil {
		return nil, false
	}
	return decodeRenderCache(data, key)
}

func decodeRenderCache(data []byte, key string) (*Result, bool) {
	var f cacheFile
	if err := kjson.Unmarshal(data, &f); err != nil || f.Key != key || f.Result == nil {
		return nil, false
	}
	f.Result.FromCache = true
	if f.Result.Objects == nil {
		f.Result.Objects = []Object{}
	}
	if f.Result.Hooks == nil {
		f.Result.Hooks = []Hook{}
	}
	return f.Result, true
}

func writeRenderCache(dir, key string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, key+".json"), data)
}

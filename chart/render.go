package chart

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	helmchart "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	kjson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// Options are what `helm template` takes besides the chart and its values.
type Options struct {
	// ReleaseName is .Release.Name; required.
	ReleaseName string
	// Namespace is .Release.Namespace; required.
	Namespace string
	// KubeVersion is .Capabilities.KubeVersion ("1.33.0" or "v1.33.0");
	// required, because Helm's default depends on how it was built.
	KubeVersion string
	// APIVersions are added to the API versions Helm always reports
	// (those of the Kubernetes libraries it is built with), as
	// `helm template --api-versions` does; for example
	// "monitoring.coreos.com/v1" or "monitoring.coreos.com/v1/ServiceMonitor".
	APIVersions []string
	// IncludeCRDs also returns the files of the charts' crds/ directories,
	// first, as `helm template --include-crds` does.
	IncludeCRDs bool
	// CacheDir holds rendered results (see the package documentation);
	// empty means no cache.
	CacheDir string
}

// Object is one rendered Kubernetes object.
type Object struct {
	// Template is the template that rendered it, as Helm names it:
	// "airflow/templates/scheduler/scheduler-deployment.yaml", or
	// "airflow/charts/postgresql/templates/..." for a subchart.
	Template string `json:"template"`
	// Body is the parsed document: maps, slices, strings, bools, nil,
	// int64 and float64, as Kubernetes' unstructured objects hold them.
	Body map[string]any `json:"body"`
}

// Kind, APIVersion, Name and Namespace read the object's identity; an
// absent field is "".
func (o Object) Kind() string       { return str(o.Body["kind"]) }
func (o Object) APIVersion() string { return str(o.Body["apiVersion"]) }
func (o Object) Name() string       { return str(meta(o.Body)["name"]) }
func (o Object) Namespace() string  { return str(meta(o.Body)["namespace"]) }

func meta(obj map[string]any) map[string]any {
	m, _ := obj["metadata"].(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Hook is an object Helm would run as a hook (helm.sh/hook) rather than
// apply with the release. A GitOps engine decides what to do with it.
type Hook struct {
	Object
	// Events are the helm.sh/hook values: pre-install, post-install,
	// pre-upgrade, post-upgrade, pre-delete, post-delete, pre-rollback,
	// post-rollback. Test hooks are never returned.
	Events []string `json:"events"`
	// Weight is helm.sh/hook-weight (0 when absent or not a number).
	Weight int `json:"weight"`
	// DeletePolicies are helm.sh/hook-delete-policy values as written
	// (before-hook-creation, hook-succeeded, hook-failed); when there are
	// none, Helm itself applies before-hook-creation.
	DeletePolicies []string `json:"deletePolicies,omitempty"`
}

// Lookup is one call of the template function lookup. Rendering without a
// cluster, it always finds nothing (as `helm template` does), whereas Helm
// in a cluster (Flux's helm-controller) finds what exists: the caller may
// want to warn.
type Lookup struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
}

// Result is a rendered chart.
type Result struct {
	// Objects are the release's objects in Helm's install order (by kind,
	// then by template path and position in the template), CRDs first
	// when asked for.
	Objects []Object `json:"objects"`
	// Hooks are the hook objects in the order Helm runs them: by weight,
	// then name.
	Hooks []Hook `json:"hooks"`
	// Lookups are the distinct lookup calls, sorted.
	Lookups []Lookup `json:"lookups,omitempty"`
	// FromCache says the result was read from the render cache.
	FromCache bool `json:"-"`
}

// Render renders a chart as `helm template` would, without a cluster or a
// helm binary: .Release.IsInstall is true, .Capabilities come from opts.
// Before rendering it checks the values against the chart's schemas
// (*ValuesError); it renders twice and fails if the two differ
// (*NondeterminismError). With opts.CacheDir set, a result for the same
// chart digest, values, release, namespace, Kubernetes version and API
// versions is read from the cache instead.
func Render(ctx context.Context, c *Chart, values map[string]any, opts Options) (*Result, error) {
	if opts.ReleaseName == "" || opts.Namespace == "" || opts.KubeVersion == "" {
		return nil, fmt.Errorf("%s: rendering needs a release name, a namespace and a Kubernetes version", c)
	}
	if err := chartutil.ValidateReleaseName(opts.ReleaseName); err != nil {
		return nil, fmt.Errorf("%s: release name %q: %w", c, opts.ReleaseName, err)
	}
	kv, err := common.ParseKubeVersion(opts.KubeVersion)
	if err != nil {
		return nil, fmt.Errorf("%s: Kubernetes version %q: %w", c, opts.KubeVersion, err)
	}
	vals, canon, err := normalizeValues(values)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}

	var key string
	if opts.CacheDir != "" {
		key = cacheKey(c, canon, opts)
		if res, ok := readRenderCache(opts.CacheDir, key); ok {
			return res, nil
		}
	}

	res, _, err := render(ctx, c, vals, opts, kv)
	if err != nil {
		return nil, err
	}
	// The result goes through the cache's encoding even when there is no
	// cache, so a cached result and a fresh one are equal to the last
	// number type (JSON writes the float 1e6 as 1000000, read back as int64).
	data, err := canonicalJSON(cacheFile{Key: key, Result: res})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	res, ok := decodeRenderCache(data, key)
	if !ok {
		return nil, fmt.Errorf("%s: the rendered objects do not survive a JSON round trip", c)
	}
	res.FromCache = false
	if opts.CacheDir != "" {
		// A cache that cannot be written costs time, not correctness.
		_ = writeRenderCache(opts.CacheDir, key, data)
	}
	return res, nil
}

// capabilities builds .Capabilities as `helm template` does, from Helm's
// defaults, except that the Go version Helm reports is blanked: it names
// the toolchain ydpgen was built with, and output must not depend on it.
func capabilities(kv *common.KubeVersion, apis []string) *common.Capabilities {
	caps := common.DefaultCapabilities.Copy()
	caps.KubeVersion = *kv
	caps.APIVersions = append(slices.Clone(caps.APIVersions), apis...)
	caps.HelmVersion.GoVersion = ""
	return caps
}

// render checks and renders; renders says how often Helm's engine ran.
func render(ctx context.Context, c *Chart, vals map[string]any, opts Options, kv *common.KubeVersion) (res *Result, renders int, err error) {
	hc, err := c.load()
	if err != nil {
		return nil, 0, err
	}
	if err := checkRenderable(hc, kv); err != nil {
		return nil, renders, fmt.Errorf("%s: %w", c, err)
	}
	// Helm enables and disables subcharts by their conditions and tags and
	// imports their values, changing the loaded chart and the values.
	if err := chartutil.ProcessDependencies(hc, vals); err != nil {
		return nil, renders, fmt.Errorf("%s: subcharts: %w", c, err)
	}
	relOpts := common.ReleaseOptions{
		Name:      opts.ReleaseName,
		Namespace: opts.Namespace,
		Revision:  1,
		IsInstall: true,
	}
	top, err := commonutil.ToRenderValuesWithSchemaValidation(hc, deepCopyMap(vals), relOpts, capabilities(kv, opts.APIVersions), true)
	if err != nil {
		return nil, renders, fmt.Errorf("%s: %w", c, err)
	}
	coalesced, err := valuesMap(top["Values"])
	if err != nil {
		return nil, renders, fmt.Errorf("%s: %w", c, err)
	}
	verrs, err := validateValues(hc, coalesced)
	if err != nil {
		return nil, renders, fmt.Errorf("%s: %w", c, err)
	}
	if len(verrs) > 0 {
		return nil, renders, &ValuesError{Chart: c.String(), Errors: verrs}
	}

	// The first render notes which template files called a function whose
	// result varies (random values, the clock, keys and certificates,
	// salted hashes). Only they can render differently: a chart whose files
	// called none renders once.
	files := filesOf(hc)
	files.instrument()
	tr := newTracker()
	first, err := renderOnce(ctx, hc, vals, relOpts, kv, opts, false, tr)
	files.restore()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", c, err)
	}
	renders = 1
	if len(tr.varying) == 0 && !tr.unplaced {
		return first, renders, nil
	}
	// Otherwise those files (and what they include) render again with the
	// clock moved on, so that output which depends on the time differs as
	// surely as random output, and are compared.
	var kept map[string]bool
	if !tr.unplaced {
		kept = files.only(tr.needed())
	}
	second, err := renderOnce(ctx, hc, vals, relOpts, kv, opts, true, nil)
	files.restore()
	if err != nil {
		return nil, renders, fmt.Errorf("%s: %w", c, err)
	}
	renders = 2
	results := [2]*Result{first, second}
	if kept != nil {
		results = [2]*Result{fromFiles(first, kept), fromFiles(second, kept)}
	}
	if diffs := compareRenders(results[0], results[1], opts.Namespace); len(diffs) > 0 {
		addHints(diffs, hc, coalesced)
		// Causes first: objects that differ only in checksums of others last.
		slices.SortStableFunc(diffs, func(a, b Difference) int {
			return cmp.Compare(btoi(len(a.Fields) > 0 && allChecksums(a.Fields)), btoi(len(b.Fields) > 0 && allChecksums(b.Fields)))
		})
		return nil, renders, &NondeterminismError{Chart: c.String(), Differences: diffs}
	}
	return first, renders, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// valuesMap unwraps the coalesced values Helm keeps as common.Values.
func valuesMap(v any) (map[string]any, error) {
	switch t := v.(type) {
	case common.Values:
		return map[string]any(t), nil
	case map[string]any:
		return t, nil
	case nil:
		return map[string]any{}, nil
	default:
		return nil, fmt.Errorf("the coalesced values of Helm are a %T", v)
	}
}

// checkRenderable refuses what `helm template` refuses before rendering:
// library charts, subcharts named in Chart.yaml but missing from charts/,
// and a Kubernetes version outside the chart's kubeVersion.
func checkRenderable(hc *helmchart.Chart, kv *common.KubeVersion) error {
	if t := hc.Metadata.Type; t != "" && t != "application" {
		return fmt.Errorf("%s charts are not installable", t)
	}
	var missing []string
	for _, d := range hc.Metadata.Dependencies {
		if !slices.ContainsFunc(hc.Dependencies(), func(s *helmchart.Chart) bool { return s.Name() == d.Name }) {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the chart's Chart.yaml names subcharts that charts/ lacks: %s", strings.Join(missing, ", "))
	}
	if hc.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(hc.Metadata.KubeVersion, kv.String()) {
		return fmt.Errorf("the chart requires Kubernetes %s, not %s", hc.Metadata.KubeVersion, kv.Version)
	}
	return nil
}

// renderOnce runs Helm's engine once and sorts its output into objects and
// hooks as Helm's install action does. With a tracker, the varying
// functions tell it when they are called.
func renderOnce(ctx context.Context, hc *helmchart.Chart, vals map[string]any, relOpts common.ReleaseOptions, kv *common.KubeVersion, opts Options, shiftClock bool, tr *tracker) (res *Result, err error) {
	top, err := commonutil.ToRenderValuesWithSchemaValidation(hc, deepCopyMap(vals), relOpts, capabilities(kv, opts.APIVersions), true)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		lookups []Lookup
	)
	funcs := template.FuncMap{
		// As `helm template`: nothing is found; the call is remembered.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]any, error) {
			mu.Lock()
			lookups = append(lookups, Lookup{APIVersion: apiVersion, Kind: kind, Namespace: namespace, Name: name})
			mu.Unlock()
			return map[string]any{}, nil
		},
	}
	sprigFuncs := sprig.TxtFuncMap()
	if shiftClock {
		// A year, a day, an hour, a minute and a second later: every
		// field of a formatted time changes.
		shift := 366*24*time.Hour + time.Hour + time.Minute + time.Second
		sprigFuncs["now"] = func() time.Time { return time.Now().Add(shift) }
		funcs["now"] = sprigFuncs["now"]
	}
	if tr != nil {
		maps.Copy(funcs, tr.funcs())
		for _, name := range varyingFuncs() {
			if fn, ok := sprigFuncs[name]; ok {
				funcs[name] = noting(fn, tr)
			}
		}
	}
	eng := engine.Engine{CustomTemplateFuncs: funcs}
	files, err := eng.RenderWithContext(ctx, hc, top)
	if err != nil {
		return nil, err
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}

	res = &Result{Objects: []Object{}, Hooks: []Hook{}}
	if opts.IncludeCRDs {
		for _, crd := range hc.CRDObjects() {
			objs, err := parseDocs(crd.Filename, string(crd.File.Data))
			if err != nil {
				return nil, err
			}
			res.Objects = append(res.Objects, objs...)
		}
	}
	for _, m := range manifests {
		obj, ok, err := parseDoc(m.Name, m.Content)
		if err != nil {
			return nil, err
		}
		if ok {
			res.Objects = append(res.Objects, obj)
		}
	}
	slices.SortStableFunc(hooks, func(a, b *release.Hook) int {
		return cmp.Or(cmp.Compare(a.Weight, b.Weight), strings.Compare(a.Name, b.Name))
	})
	for _, h := range hooks {
		if slices.Contains(h.Events, release.HookTest) {
			continue
		}
		obj, ok, err := parseDoc(h.Path, h.Manifest)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		hk := Hook{Object: obj, Weight: h.Weight}
		for _, e := range h.Events {
			hk.Events = append(hk.Events, e.String())
		}
		for _, p := range h.DeletePolicies {
			hk.DeletePolicies = append(hk.DeletePolicies, string(p))
		}
		res.Hooks = append(res.Hooks, hk)
	}
	slices.SortFunc(lookups, func(a, b Lookup) int {
		return cmp.Or(strings.Compare(a.APIVersion, b.APIVersion), strings.Compare(a.Kind, b.Kind),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	res.Lookups = slices.Compact(lookups)
	return res, nil
}

// parseDocs parses every document of a multi-document file.
func parseDocs(name, content string) ([]Object, error) {
	docs := releaseutil.SplitManifests(content)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		// SplitManifests names documents manifest-0, manifest-1, ...
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
	var out []Object
	for _, k := range keys {
		obj, ok, err := parseDoc(name, docs[k])
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, obj)
		}
	}
	return out, nil
}

// parseDoc parses one rendered YAML document; a document with nothing but
// comments or whitespace is skipped (ok false).
func parseDoc(name, content string) (Object, bool, error) {
	j, err := yaml.YAMLToJSON([]byte(content))
	if err != nil {
		return Object{}, false, fmt.Errorf("%s: %w", name, err)
	}
	var v any
	if err := kjson.Unmarshal(j, &v); err != nil {
		return Object{}, false, fmt.Errorf("%s: %w", name, err)
	}
	switch t := v.(type) {
	case nil:
		return Object{}, false, nil
	case map[string]any:
		if len(t) == 0 {
			return Object{}, false, nil
		}
		return Object{Template: name, Body: t}, true, nil
	default:
		return Object{}, false, fmt.Errorf("%s: a document renders to %s, not an object", name, jsonKind(v))
	}
}

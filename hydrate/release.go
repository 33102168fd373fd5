package hydrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/generators/airflow"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Chart is what the provenance records of a rendered chart.
type Chart struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"`
	Digest  string `json:"digest"`
}

// Rendered is an environment's chart, rendered.
type Rendered struct {
	Chart Chart
	// Objects are the chart's objects and translated hooks, in canonical
	// form, not yet labelled with stages.
	Objects []objset.Entry
	// DroppedHooks name the hooks that only run on delete or rollback,
	// which GitOps never does: "Job airflow-cleanup (pre-delete)".
	DroppedHooks []string
	// FromCache says the render cache answered.
	FromCache bool
}

// hookAnnotations are Helm's hook annotations, which mean nothing once the
// hook is an ordinary object.
func hookAnnotations() []string {
	return []string{"helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy"}
}

// appliedEvent says whether a hook event is one whose object a GitOps
// engine applies with the release: install and upgrade, before or after.
func appliedEvent(ev string) bool {
	switch ev {
	case "pre-install", "post-install", "pre-upgrade", "post-upgrade":
		return true
	}
	return false
}

// Release renders the environment's chart c with the values Build makes
// for it. Problems the spec can fix (values the chart's schema refuses, a
// chart that does not render the same twice) come back as diag.List.
func Release(ctx context.Context, env *model.Environment, c *chart.Chart, renderCache string) (*Rendered, error) {
	values, err := Values(env)
	if err != nil {
		return nil, err
	}
	res, err := chart.Render(ctx, c, values, chart.Options{
		ReleaseName: env.Airflow.ReleaseName,
		Namespace:   env.Namespace.Name,
		KubeVersion: env.Cluster.KubernetesVersion,
		// Helm reports Kubernetes' built-in groups itself; the profile
		// adds what its add-ons serve, so that a template gated on
		// .Capabilities.APIVersions.Has renders for the cluster it
		// targets.
		APIVersions: env.Cluster.APIVersions,
		CacheDir:    renderCache,
	})
	var ve *chart.ValuesError
	var ne *chart.NondeterminismError
	switch {
	case errors.As(err, &ve):
		return nil, valuesFindings(env, c, ve)
	case errors.As(err, &ne):
		return nil, diag.List{chartFinding(env, ne.Error(),
			"a chart and values that render the same every time: set the values named, so that nothing is generated at random",
			"")}
	case err != nil:
		return nil, err
	}
	// The source as the spec writes it: a local chart's path relative to
	// the spec, not where this machine found it.
	out := &Rendered{Chart: Chart{Name: c.Name, Version: c.Version, Source: Ref(env).Source, Digest: c.Digest}, FromCache: res.FromCache}
	var bad diag.List
	for _, o := range res.Objects {
		e, err := entry(env, o)
		if err != nil {
			// The chart and these values render an object the API server
			// would refuse.
			bad = append(bad, chartFinding(env, err.Error(), "a chart and values that render valid Kubernetes objects", ""))
			continue
		}
		out.Objects = append(out.Objects, e)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	for _, h := range res.Hooks {
		if !slices.ContainsFunc(h.Events, appliedEvent) {
			out.DroppedHooks = append(out.DroppedHooks, fmt.Sprintf("%s %s (%s)", h.Kind(), h.Name(), strings.Join(h.Events, ", ")))
			continue
		}
		e, err := entry(env, h.Object)
		if err != nil {
			return nil, diag.List{chartFinding(env, err.Error(), "a chart and values that render valid Kubernetes objects", "")}
		}
		if md, ok := e.Content["metadata"].(map[string]any); ok {
			if ann, ok := md["annotations"].(map[string]any); ok {
				for _, k := range hookAnnotations() {
					delete(ann, k)
				}
				if len(ann) == 0 {
					delete(md, "annotations")
				}
			}
		}
		out.Objects = append(out.Objects, e)
	}
	if f := secretValues(env, c, out.Objects); len(f) > 0 {
		return nil, f
	}
	return out, nil
}

// secretValues refuses chart Secrets that hold values: the tree is
// committed to git, and ydpgen names every Secret the chart reads so that
// it renders none of its own.
func secretValues(env *model.Environment, c *chart.Chart, entries []objset.Entry) diag.List {
	var out diag.List
	for _, e := range entries {
		if e.GVK.Group != "" || e.GVK.Kind != "Secret" {
			continue
		}
		for _, field := range []string{"data", "stringData"} {
			if m, _ := e.Content[field].(map[string]any); len(m) > 0 {
				out = append(out, chartFinding(env,
					fmt.Sprintf("%s renders Secret %s with values in %s, which would be committed to git", c, e.Name, field),
					"values that name an existing Secret for everything the chart reads (the chart then renders none)", ""))
				break
			}
		}
	}
	return out
}

// Values are the chart values Build makes for env, as a values file holds
// them.
func Values(env *model.Environment) (map[string]any, error) {
	v, err := airflow.Build(env)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// clusterScoped says whether a kind a chart may render has no namespace.
func clusterScoped(kind string) bool {
	switch kind {
	case "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass", "PriorityClass",
		"CustomResourceDefinition", "IngressClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"APIService", "RuntimeClass", "CSIDriver":
		return true
	}
	return false
}

// entry turns a rendered object into its canonical form in the
// environment's namespace, with ydpgen's labels.
func entry(env *model.Environment, o chart.Object) (objset.Entry, error) {
	// Through JSON with json.Number, as objset.NewEntry reads typed
	// objects, so that both kinds of entry hold the same number types.
	raw, err := json.Marshal(o.Body)
	if err != nil {
		return objset.Entry{}, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return objset.Entry{}, err
	}
	gv, err := schema.ParseGroupVersion(o.APIVersion())
	if err != nil || o.Kind() == "" || o.Name() == "" {
		return objset.Entry{}, fmt.Errorf("%s: %s renders an object without apiVersion, kind or name", o.Template, env.Airflow.Chart.Name)
	}
	md, _ := m["metadata"].(map[string]any)
	ns := o.Namespace()
	if clusterScoped(o.Kind()) {
		ns = ""
	} else {
		if ns != "" && ns != env.Namespace.Name {
			return objset.Entry{}, fmt.Errorf("%s: %s %s is rendered into namespace %s, not the environment's %s", o.Template, o.Kind(), o.Name(), ns, env.Namespace.Name)
		}
		ns = env.Namespace.Name
		md["namespace"] = ns
	}
	l, _ := md["labels"].(map[string]any)
	if l == nil {
		l = map[string]any{}
		md["labels"] = l
	}
	// ydpgen's common labels, on the object's metadata only (selectors
	// and pod templates stay the chart's); a component the chart names
	// itself is kept.
	for k, v := range labels.For(env, o.Name(), "airflow") {
		if _, ok := l[k]; !ok || k != "app.kubernetes.io/component" {
			l[k] = v
		}
	}
	return canonical(objset.Entry{GVK: gv.WithKind(o.Kind()), Namespace: ns, Name: o.Name(), Content: m}, o.Template)
}

// canonical puts an object of a kind Kubernetes' Go types know into the
// form ydpgen's own objects have, through its type (decoded strictly): a
// template's empty lists and maps, which the type leaves out, do not
// reach the tree; values take the type's spelling (quantities, numbers);
// and a field the API server does not know is an error here rather than a
// warning there. What the type adds (the zero value of a field without
// omitempty, such as a Service port's targetPort 0, which would read as a
// change against the live object) is left out: the chart did not ask for
// it. Other kinds stay as rendered.
func canonical(e objset.Entry, template string) (objset.Entry, error) {
	obj, err := scheme.Scheme.New(e.GVK)
	if err != nil {
		return e, nil
	}
	raw, err := json.Marshal(e.Content)
	if err != nil {
		return objset.Entry{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return objset.Entry{}, fmt.Errorf("%s: %s %s does not decode as its Kubernetes type: %w", template, e.GVK.Kind, e.Name, err)
	}
	typed, ok := obj.(objset.Object)
	if !ok {
		return e, nil
	}
	typed.GetObjectKind().SetGroupVersionKind(e.GVK)
	out, err := objset.NewEntry(typed)
	if err != nil {
		return objset.Entry{}, err
	}
	onlyRendered(out.Content, e.Content)
	return out, nil
}

// onlyRendered removes from typed, in place, the map keys that rendered
// does not have, wherever the two have the same shape.
func onlyRendered(typed, rendered any) {
	switch t := typed.(type) {
	case map[string]any:
		r, ok := rendered.(map[string]any)
		if !ok {
			return
		}
		for k, v := range t {
			rv, present := r[k]
			if !present {
				delete(t, k)
				continue
			}
			onlyRendered(v, rv)
		}
	case []any:
		r, ok := rendered.([]any)
		if !ok || len(r) != len(t) {
			return
		}
		for i := range t {
			onlyRendered(t[i], r[i])
		}
	}
}

// valuesFindings places each value the chart refuses at the spec line that
// produced it, or at the chart's version for a value ydpgen always sets.
func valuesFindings(env *model.Environment, c *chart.Chart, ve *chart.ValuesError) diag.List {
	var out diag.List
	for _, e := range ve.Errors {
		spec, ydpgen, ok := airflow.SpecPath(env, e.Path)
		if !ok || ydpgen || spec == "" {
			out = append(out, chartFinding(env,
				fmt.Sprintf("%s refuses the value ydpgen writes at %s for every spec: %s", c, e.Field, e.Message),
				fmt.Sprintf("a chart version whose values schema accepts ydpgen's values, such as %s 1.19.0", c.Name), ""))
			continue
		}
		out = append(out, at(env, spec,
			fmt.Sprintf("%s refuses %s, which ydpgen sets from this value: %s", c, e.Field, e.Message),
			fmt.Sprintf("a value that %s's values.schema.json accepts at %s", c, e.Field), true))
	}
	return out
}

// chartFinding is a finding about the environment's chart: at the chart's
// local path or its version.
func chartFinding(env *model.Environment, msg, allowed, fix string) diag.Finding {
	path := "airflow.chart.version"
	if env.Airflow.Chart.Path != "" {
		path = "airflow.chart.path"
	}
	f := at(env, path, msg, allowed, false)
	f.Fix = fix
	return f
}

// at is a finding about the value at a resolved-environment path, placed
// where the spec wrote it or, for a profile default, at the nearest part of
// the spec that did, naming the override that would set it (and, with
// noteDefault, saying that the value is the profile's).
func at(env *model.Environment, path, msg, allowed string, noteDefault bool) diag.Finding {
	f := diag.Finding{Severity: diag.Error, Message: msg, Allowed: allowed}
	org, written := env.Origins.Place(env.Name, path)
	f.File, f.Line, f.Col, f.Path = org.File, org.Line, org.Col, org.Path
	if !written && noteDefault {
		f.Message += fmt.Sprintf(" (the value is the %s profile's default)", env.Profile)
	}
	return f
}

// ResolveFinding turns a failure to find the environment's chart into a
// finding at the chart's version or path: the error names the chart and
// its ydpgen.lock entry.
func ResolveFinding(env *model.Environment, err error) diag.Finding {
	return chartFinding(env, err.Error(),
		"a chart that ydpgen.lock pins and the chart cache or the chart's source holds, or a local chart path",
		"online, run ydpgen chart update on the spec to pin the chart and fetch it; offline, seed the cache with make chart")
}

// UpdateFinding turns a failure to pin the environment's chart ("ydpgen
// chart update") into a finding at the chart's version.
func UpdateFinding(env *model.Environment, err error) diag.Finding {
	return chartFinding(env, err.Error(),
		"a chart repository or OCI registry this machine can reach that serves the chart at a version airflow.chart.version allows",
		"check the repository URL and the network, or render offline with the archive the lock already pins")
}

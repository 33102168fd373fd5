package spec

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// systemNamespaces are namespaces a platform must never be deployed into:
// Kubernetes' own, and the GitOps engines' (their defaults; the spec's
// engine namespace is added per environment).
func systemNamespaces() []string {
	return []string{"default", "kube-system", "kube-public", "kube-node-lease", "argocd", "flux-system"}
}

// checkKubernetes checks the values that reach Kubernetes objects verbatim
// with the validation the API server applies to them, so that a valid spec
// never renders an object the server refuses: the namespace, network ranges,
// cron schedules, ingress host names and annotation keys. (Names derived
// from several values, such as labels and CronJob names, are checked on the
// rendered objects by lint rule YDP014.)
func checkKubernetes(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	add := func(path, msg, allowed string) { c.addIn(cue.ParsePath(path), msg, allowed, "") }

	ns := env.Namespace.Name
	reserved := append(systemNamespaces(), env.GitOps.ArgoCD.Namespace, env.GitOps.Flux.Namespace)
	if slices.Contains(reserved, ns) {
		add("environment.namespace", fmt.Sprintf("namespace %s belongs to Kubernetes or a GitOps engine; the platform's objects, guard rails and pruning would act on it", ns),
			"a namespace of the platform's own, such as datasurface")
	}

	np := env.Namespace.NetworkPolicy
	for _, list := range []struct {
		path  string
		cidrs []string
	}{{"environment.namespace.networkPolicy.ingressCIDRs", np.IngressCIDRs}, {"environment.namespace.networkPolicy.databaseCIDRs", np.DatabaseCIDRs}, {"environment.namespace.networkPolicy.apiServerCIDRs", np.APIServerCIDRs}} {
		for i, s := range list.cidrs {
			if p, err := netip.ParsePrefix(s); err != nil || !p.Addr().Is4() {
				add(fmt.Sprintf("%s[%d]", list.path, i), fmt.Sprintf("%q is not an IPv4 address range", s), "an IPv4 range such as 10.0.0.0/16: four numbers from 0 to 255 and a prefix length from 0 to 32")
			}
		}
	}

	m := env.Maintenance
	for _, s := range []struct {
		path  string
		sched model.Schedule
	}{{"maintenance.logCleanup.schedule", m.LogCleanup}, {"maintenance.databaseCleanup.schedule", m.DatabaseCleanup}} {
		if !s.sched.Enabled {
			continue
		}
		if _, err := cron.ParseStandard(s.sched.Schedule); err != nil {
			add(s.path, fmt.Sprintf("schedule %q is not a valid cron schedule: %s", s.sched.Schedule, cronReason(err)),
				"five fields (minute 0-59, hour 0-23, day 1-31, month 1-12, weekday 0-6), such as \"0 3 * * *\", or @hourly, @daily, @weekly")
		}
	}

	for _, ing := range []struct {
		path string
		ing  *model.Ingress
	}{{"airflow.apiServer.ingress", env.Airflow.APIServer.Ingress}, {"datasurface.mcpServer.ingress", env.DataSurface.MCPServer.Ingress}} {
		if ing.ing == nil {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(ing.ing.Host); len(errs) > 0 {
			add(ing.path+".host", fmt.Sprintf("host %q is not a DNS name an Ingress accepts: %s", abbreviate(ing.ing.Host), strings.Join(errs, "; ")),
				"a lowercase DNS name of at most 253 characters, each dot-separated label at most 63")
		}
		for _, k := range slices.Sorted(keysOf(ing.ing.Annotations)) {
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				add(fmt.Sprintf("%s.annotations.%q", ing.path, k), fmt.Sprintf("annotation key %q is not valid: %s", abbreviate(k), strings.Join(errs, "; ")),
					"an optional DNS prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.', such as traefik.ingress.kubernetes.io/router.tls")
			}
		}
	}
	return c.out
}

// cronReason is the parser's reason without the echo of the schedule.
func cronReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg[:i], "failed to parse") {
		return msg[i+2:]
	}
	return msg
}

// abbreviate keeps messages readable when the value is very long.
func abbreviate(s string) string {
	if len(s) <= 80 {
		return s
	}
	return s[:40] + "..." + s[len(s)-20:] + fmt.Sprintf(" (%d characters)", len(s))
}

func keysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// secretConfigKeys are airflow.cfg settings that hold secrets, with the
// chart's Secret-based setting that ydpgen already fills from the
// platform's credentials.
func secretConfigKeys() map[string]string {
	return map[string]string{
		"api_auth.jwt_secret":           "jwtSecretName (ydpgen renders it with a generated key)",
		"api.secret_key":                "apiSecretKeySecretName (ydpgen renders it with a generated key)",
		"webserver.secret_key":          "apiSecretKeySecretName (ydpgen renders it with a generated key)",
		"core.fernet_key":               "fernetKeySecretName (ydpgen renders it with a generated key)",
		"database.sql_alchemy_conn":     "data.metadataSecretName, built from airflow.metadataDatabase and its credential",
		"core.sql_alchemy_conn":         "data.metadataSecretName, built from airflow.metadataDatabase and its credential",
		"celery.broker_url":             "data.brokerUrlSecretName, built from airflow.broker",
		"celery.result_backend":         "data.resultBackendSecretName, or the metadata database, which the chart uses by default",
		"database.sql_alchemy_conn_cmd": "data.metadataSecretName, built from airflow.metadataDatabase and its credential",
	}
}

// checkAirflowConfig refuses airflow.cfg settings that hold secrets: in the
// spec they would land in git and in the chart's ConfigMap; the chart reads
// each from a Secret instead.
func checkAirflowConfig(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	secrets := secretConfigKeys()
	cfg := env.Airflow.Config
	for _, s := range slices.Sorted(keysOf(cfg)) {
		for _, k := range slices.Sorted(keysOf(cfg[s])) {
			if alt, ok := secrets[s+"."+k]; ok {
				c.addIn(cue.ParsePath(fmt.Sprintf("airflow.config.%s.%s", s, k)), fmt.Sprintf("[%s] %s holds a secret; written here it lands in git and in the chart's ConfigMap", s, k),
					"no secret settings in airflow.config: the chart reads this one from a Secret through "+alt, "remove it from airflow.config")
			}
		}
	}
	return c.out
}

// controlCharacter finds a control character (newline, tab, NUL, ...) in a
// string: no field of the spec holds more than one line, and one that did
// could inject text into the Markdown and shell documents ydpgen writes.
func controlCharacter(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return r, true
		}
	}
	return 0, false
}

// checkControlCharacters walks every key and string value of the spec.
func checkControlCharacters(filename string, doc cue.Value, data map[string]any) diag.List {
	var out diag.List
	var walk func(sels []cue.Selector, v any)
	report := func(sels []cue.Selector, what string, r rune) {
		p := cue.MakePath(sels...)
		o := originOf(filename, doc, p)
		out = append(out, diag.Finding{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col, Path: p.String(),
			Message: fmt.Sprintf("the %s holds the control character %q", what, r),
			Allowed: "one line of printable text: no newline, tab or other control character"})
	}
	walk = func(sels []cue.Selector, v any) {
		switch v := v.(type) {
		case string:
			if r, bad := controlCharacter(v); bad {
				report(sels, "value", r)
			}
		case map[string]any:
			for _, k := range slices.Sorted(keysOf(v)) {
				next := append(slices.Clone(sels), cue.Str(k))
				if r, bad := controlCharacter(k); bad {
					report(next, "key", r)
					continue
				}
				walk(next, v[k])
			}
		case []any:
			for i, e := range v {
				walk(append(slices.Clone(sels), cue.Index(i)), e)
			}
		}
	}
	walk(nil, data)
	return out
}

// quantityBounds are the largest values the spec accepts, by the key that
// holds them: far beyond any real cluster, and small enough that sums over
// nodes and pods cannot overflow.
func quantityBounds() map[string]string {
	return map[string]string{
		"nodeMemory": "64Ti", "memory": "64Ti",
		"nodeCPU": "4096", "cpu": "4096",
		"size": "1Pi", "nodeStorage": "1Pi", "growthPerDay": "1Pi",
	}
}

// checkBounds refuses quantities and counts beyond what any cluster has.
func checkBounds(filename string, doc cue.Value, data map[string]any) diag.List {
	var out diag.List
	bounds := quantityBounds()
	report := func(sels []cue.Selector, msg, allowed string) {
		p := cue.MakePath(sels...)
		o := originOf(filename, doc, p)
		out = append(out, diag.Finding{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col, Path: p.String(), Message: msg, Allowed: allowed})
	}
	var walk func(sels []cue.Selector, key string, v any)
	walk = func(sels []cue.Selector, key string, v any) {
		switch v := v.(type) {
		case string:
			max, ok := bounds[key]
			if !ok {
				return
			}
			q, err := resource.ParseQuantity(v)
			if err != nil {
				return // the schema reports what is not a quantity
			}
			if q.Cmp(resource.MustParse(max)) > 0 {
				report(sels, fmt.Sprintf("%s is %s, more than any cluster has", key, abbreviate(v)), "at most "+max)
			}
		case int64, float64, int:
			if key == "replicas" || key == "nodes" {
				if n, ok := asFloat(v); ok && n > 5000 {
					report(sels, fmt.Sprintf("%s is %v, more than any cluster runs", key, v), "at most 5000")
				}
			}
		case map[string]any:
			for _, k := range slices.Sorted(keysOf(v)) {
				walk(append(slices.Clone(sels), cue.Str(k)), k, v[k])
			}
		case []any:
			for i, e := range v {
				walk(append(slices.Clone(sels), cue.Index(i)), key, e)
			}
		}
	}
	walk(nil, "", data)
	return out
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

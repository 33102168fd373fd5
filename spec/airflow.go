package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// The oldest chart and Airflow releases the rendered values are written
// for: workers.celery.* first appears in chart 1.19, and the values use the
// Airflow 3 API server, its secret key and the JWT secret.
const (
	minChartVersion   = "1.19.0"
	minAirflowVersion = "3.0.0"
)

// tagVersion is the Airflow version an image tag starts with (3.1.7 in
// 3.1.7-ds1.8.4 or v3.1.7).
var tagVersion = regexp.MustCompile(`^v?([0-9]+\.[0-9]+\.[0-9]+)`)

// checkAirflow checks what the schema alone cannot about the Airflow
// release of one resolved environment: chart and Airflow versions the
// values are written for; airflowVersion, which the values set to
// airflow.version, matches the image; DAGs reach Airflow one way or
// another; no volume falls back to the chart's 100Gi default; the broker
// setting fits the executor; ALB ingresses take no certificate Secret.
func checkAirflow(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	add := func(path, msg, allowed, fix string) { c.addIn(cue.ParsePath(path), msg, allowed, fix) }
	a := env.Airflow

	if versionLess(a.Chart.Version, minChartVersion) {
		add("airflow.chart.version", fmt.Sprintf("chart %s is older than the values ydpgen writes (workers.celery.*)", a.Chart.Version),
			"a chart version of "+minChartVersion+" or later", "")
	}
	// The chart writes the release name unquoted into its labels
	// (release: <name>): a name YAML reads as a number or a boolean makes
	// objects the API server refuses.
	var rel any
	if err := yaml.Unmarshal([]byte(a.ReleaseName), &rel); err == nil {
		if _, isString := rel.(string); !isString {
			add("airflow.releaseName", fmt.Sprintf("release name %s reads as %v in YAML, and the chart writes it unquoted into its labels, which must be strings", a.ReleaseName, rel),
				"a release name with a letter that YAML cannot read as a number or a boolean, such as airflow", "")
		}
	}
	// The engine installs an unhydrated chart from its repository; it
	// cannot read a chart on the machine that renders.
	if a.Chart.Path != "" && !a.Chart.Hydrate {
		add("airflow.chart.path", fmt.Sprintf("the local chart %s is only read when the chart is hydrated, but airflow.chart.hydrate is false", a.Chart.Path),
			"a chart path together with airflow.chart.hydrate: true", "remove airflow.chart.path, or set airflow.chart.hydrate: true")
	}
	if versionLess(a.Version, minAirflowVersion) {
		add("airflow.version", fmt.Sprintf("Airflow %s has no API server; ydpgen renders Airflow 3 releases", a.Version),
			"an Airflow version of "+minAirflowVersion+" or later", "")
	}
	// The chart decides api-server against webserver, secrets and version
	// checks by airflowVersion, not by the image it runs.
	if m := tagVersion.FindStringSubmatch(a.Image.Tag); m != nil && m[1] != a.Version {
		add("airflow.image.tag", fmt.Sprintf("image tag %s is Airflow %s, but airflow.version is %s", a.Image.Tag, m[1], a.Version),
			"a tag that starts with airflow.version, such as "+a.Version+"-ds1.8.4", "set airflow.version to "+m[1]+", or use an image of Airflow "+a.Version)
	}

	gs, vol := a.DAGs.GitSync, a.DAGs.Volume
	if !gs.Enabled && !vol.Enabled {
		add("airflow.dags", "no DAGs reach Airflow: git-sync and the DAG volume are both off",
			"dags.gitSync.enabled: true with a repository and ref, or dags.volume.enabled: true", "")
	}
	if gs.Enabled {
		// Without a ref the chart's default (v2-2-stable) is checked out.
		if gs.Repository == "" {
			add("airflow.dags.gitSync.repository", "git-sync is enabled but has no repository", "a git URL such as https://github.com/acme/dags.git", "")
		}
		if gs.Ref == "" {
			add("airflow.dags.gitSync.ref", "git-sync is enabled but has no ref, so the chart's default v2-2-stable would be checked out",
				"the branch, tag or commit of the DAGs, such as main", "")
		}
	}
	if vol.Enabled {
		if vol.Size == "" {
			add("airflow.dags.volume.size", "the DAG volume has no size, so the chart would claim its default", "a size such as 1Gi", "")
		}
		// That its class is ReadWriteMany is lint rule YDP002.
	}
	if a.Logs.Persistence.Enabled && a.Logs.Persistence.Size == "" {
		add("airflow.logs.persistence.size", "the logs volume has no size, so the chart would claim its default of 100Gi", "a size such as 10Gi", "")
	}

	if a.Broker == model.BrokerExternal && a.Executor != "CeleryExecutor" {
		add("airflow.broker", fmt.Sprintf("an external broker is set, but %s has no Celery broker", a.Executor),
			"broker: external only with executor: CeleryExecutor", "")
	}

	// The AWS Load Balancer Controller takes certificates from ACM, found by
	// host name; it cannot read a Secret.
	if ing := a.APIServer.Ingress; ing != nil && env.Profile == "eks" {
		if ing.TLSSecret != "" {
			add("airflow.apiServer.ingress.tlsSecret", "an ALB takes its certificate from ACM, not from a Secret",
				"no tlsSecret on eks: the AWS Load Balancer Controller finds the ACM certificate for the host", "")
		}
		if ing.Issuer != "" {
			add("airflow.apiServer.ingress.issuer", "an ALB takes its certificate from ACM, not from cert-manager",
				"no issuer on eks: the AWS Load Balancer Controller finds the ACM certificate for the host", "")
		}
	}
	return c.out
}

// checkNamespace checks the namespace's guard rails: a LimitRange whose
// default requests exceed its default limits is refused by the API server,
// and a quota that limits nothing is a mistake.
func checkNamespace(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	add := func(path, msg, allowed, fix string) { c.addIn(cue.ParsePath(path), msg, allowed, fix) }
	ns := env.Namespace

	if lr := ns.LimitRange; lr.Enabled {
		for _, r := range []struct{ name, req, lim string }{
			{"cpu", lr.DefaultRequests.CPU, lr.DefaultLimits.CPU},
			{"memory", lr.DefaultRequests.Memory, lr.DefaultLimits.Memory},
		} {
			if quantityLess(r.lim, r.req) {
				add("environment.namespace.limitRange.defaultRequests."+r.name,
					fmt.Sprintf("the default %s request %s is more than the default limit %s", r.name, r.req, r.lim),
					"a default request no larger than the default limit", "")
			}
		}
	}
	if q := ns.ResourceQuota; q.Enabled && q.Requests == nil && q.Limits == nil && q.Pods == 0 && q.PersistentVolumeClaims == nil && q.Storage == "" {
		add("environment.namespace.resourceQuota", "the resource quota is enabled but limits nothing",
			"at least one of requests, limits, pods, persistentVolumeClaims, storage", "")
	}
	return c.out
}

// versionLess reports whether MAJOR.MINOR.PATCH a is older than b; the
// schema has checked the form.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3 && i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return false
}

// quantityLess reports whether Kubernetes quantity a is less than b; the
// schema has checked both.
func quantityLess(a, b string) bool {
	qa, errA := resource.ParseQuantity(a)
	qb, errB := resource.ParseQuantity(b)
	return errA == nil && errB == nil && qa.Cmp(qb) < 0
}

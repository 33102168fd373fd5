package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/kube/apivalidate"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

func checkRWOShared(in *Input, r *Report) {
	users := map[string][]capacity.Workload{}
	var order []string
	for _, w := range in.Workloads {
		for _, c := range w.Claims {
			if !c.AccessRWO {
				continue
			}
			if _, seen := users[c.Name]; !seen {
				order = append(order, c.Name)
			}
			users[c.Name] = append(users[c.Name], w)
		}
	}
	for _, claim := range order {
		ws := users[claim]
		var names []string
		replicas := 0
		for _, w := range ws {
			names = append(names, w.Name)
			replicas += w.Replicas
		}
		if len(ws) < 2 && replicas < 2 {
			continue
		}
		r.At(claimPath(in.Env, claim), fmt.Sprintf("ReadWriteOnce claim %s is mounted by %s (%d pods); the pods on a second node fail with Multi-Attach errors", claim, strings.Join(names, ", "), replicas),
			"use a storage class declared rwx: true, or one claim per pod")
	}
}

// claimPath is the spec path that decides a claim's storage class.
func claimPath(env *model.Environment, claim string) string {
	if claim == env.DataSurfaceNames().GitCacheClaim {
		return "datasurface.gitCache.storageClass"
	}
	return "environment.cluster.storageClasses"
}

func checkRWX(in *Input, r *Report) {
	env := in.Env
	need := []struct{ path, what, class string }{}
	if env.Airflow.Logs.Persistence.Enabled {
		need = append(need, struct{ path, what, class string }{"airflow.logs.persistence.storageClass", "the Airflow logs volume", env.Airflow.Logs.Persistence.StorageClass})
	}
	if v := env.Airflow.DAGs.Volume; v.Enabled {
		need = append(need, struct{ path, what, class string }{"airflow.dags.volume.storageClass", "the DAG volume (mounted by every component at once)", v.StorageClass})
	}
	need = append(need, struct{ path, what, class string }{"datasurface.gitCache.storageClass", "the DataSurface git cache", env.DataSurface.GitCache.StorageClass})
	for _, n := range need {
		class := n.class
		if class == "" {
			class = env.Cluster.DefaultStorageClass
		}
		sc, declared := env.Cluster.StorageClasses[class]
		switch {
		case !declared:
			r.At(n.path, fmt.Sprintf("%s needs ReadWriteMany, but storage class %s is not declared in the environment's cluster.storageClasses", n.what, class),
				"declare it with rwx: true if it supports ReadWriteMany")
		case !sc.RWX:
			r.At(n.path, fmt.Sprintf("%s needs ReadWriteMany, but storage class %s is declared rwx: false", n.what, class),
				"choose a class with rwx: true")
		case strings.Contains(class, "longhorn") && !sc.NFSClientInstalled:
			r.At(path("environment", "cluster", "storageClasses", class), fmt.Sprintf("%s uses Longhorn ReadWriteMany, which mounts over NFS, but nfsClientInstalled is not set", n.what),
				"install nfs-common on every node, then set nfsClientInstalled: true")
		}
	}
}

func checkResources(in *Input, r *Report) {
	for _, w := range in.Workloads {
		for _, c := range w.Containers {
			if c.HasReqs && c.HasLimits {
				continue
			}
			if strings.HasPrefix(w.Path, "airflow.") {
				r.At(c.Path, fmt.Sprintf("container %s of %s has no complete CPU and memory requests and limits", c.Name, w.Name), "set requests and limits for cpu and memory")
				continue
			}
			r.At("environment.name", fmt.Sprintf("%s has no complete CPU and memory requests and limits", c.Path), "set requests and limits for cpu and memory")
		}
	}
}

func checkCapacity(in *Input, r *Report) {
	c := in.Capacity
	if c.Total.Memory <= 0 {
		r.At("environment.cluster.nodeMemory", "the nodes have no allocatable memory after the system reserve", "check nodeMemory and systemReserved")
		return
	}
	requests := "the platform requests"
	if c.Cluster != "" {
		requests = fmt.Sprintf("the environments on cluster %s (%s) together request", c.Cluster, strings.Join(c.Environments, ", "))
	}
	switch {
	case c.Steady.Memory > c.Total.Memory:
		r.At("environment.cluster.nodes", fmt.Sprintf("%s %s of memory but %s %s allocatable", requests, gibs(c.Steady.Memory), nodesHave(c.Nodes), gibs(c.Total.Memory)),
			"add nodes or shrink components; see ydpgen capacity")
	case c.MemoryUsed > 80:
		r.Warn("environment.cluster.nodes", fmt.Sprintf("%s %.1f%% of allocatable memory (%s of %s); job pods need the rest", requests, c.MemoryUsed, gibs(c.Steady.Memory), gibs(c.Total.Memory)),
			"keep requests under 80% of memory; see ydpgen capacity")
	}
	if c.Steady.MilliCPU > c.Total.MilliCPU {
		r.At("environment.cluster.nodeCPU", fmt.Sprintf("%s %dm CPU but the nodes have %dm allocatable", requests, c.Steady.MilliCPU, c.Total.MilliCPU), "add nodes or shrink components")
	}
	if l := c.Largest; l.Requests.Memory > c.Allocatable.Memory || l.Requests.MilliCPU > c.Allocatable.MilliCPU {
		r.At(workloadPath(in, l.Workload), fmt.Sprintf("pod %s requests %s and %dm CPU, more than one node's allocatable %s and %dm", l.Workload, gibs(l.Requests.Memory), l.Requests.MilliCPU, gibs(c.Allocatable.Memory), c.Allocatable.MilliCPU),
			"shrink it or use larger nodes")
	} else if len(c.Unplaced) > 0 && c.Steady.Memory <= c.Total.Memory {
		var names []string
		for _, p := range c.Unplaced {
			names = append(names, p.Workload)
		}
		r.At("environment.cluster.nodes", fmt.Sprintf("the requests fit in sum but not node by node: %s find no node with room", strings.Join(names, ", ")),
			"add a node or shrink the largest components")
	}
}

func workloadPath(in *Input, name string) string {
	for _, w := range in.Workloads {
		if w.Name == name && strings.HasPrefix(w.Path, "airflow.") {
			return w.Path + ".resources"
		}
	}
	return "environment.cluster.nodeMemory"
}

func checkCeleryWorkers(in *Input, r *Report) {
	env := in.Env
	if !strings.Contains(env.Airflow.Executor, "Celery") {
		return
	}
	const busyWorker = 5 << 30
	alloc := in.Capacity.Allocatable
	for _, w := range in.Workloads {
		if w.Name != "workers" {
			continue
		}
		if req := w.Requests(); req.Memory > alloc.Memory {
			r.At("airflow.components.workers.resources.requests.memory", fmt.Sprintf("a Celery worker requests %s, more than a node's allocatable %s", gibs(req.Memory), gibs(alloc.Memory)), "shrink the workers or use larger nodes")
			return
		}
	}
	// A busy worker that cannot get its ~5 GiB anywhere is OOM-killed and
	// restarted for as long as tasks come: a crash loop. One whose own
	// limit is below that only loses its larger tasks.
	switch {
	case alloc.Memory < busyWorker:
		r.At("airflow.executor", fmt.Sprintf("CeleryExecutor on nodes with %s allocatable: a busy Celery worker needs about 5 GiB, so it is OOM-killed and restarted in a loop", gibs(alloc.Memory)), "use LocalExecutor on small nodes, or larger nodes")
	case env.Airflow.Components.Workers.Resources.Limits.Memory != "":
		if q, err := resource.ParseQuantity(env.Airflow.Components.Workers.Resources.Limits.Memory); err == nil && q.Value() < busyWorker {
			r.Warn("airflow.components.workers.resources.limits.memory", fmt.Sprintf("a Celery worker's memory limit is %s; a busy worker needs about 5 GiB, so large tasks are OOM-killed", env.Airflow.Components.Workers.Resources.Limits.Memory),
				"raise the limit towards 5Gi, or lower worker_concurrency")
		}
	}
}

func checkAPIServer(in *Input, r *Report) {
	env := in.Env
	if env.Profile != "k3s-pi" {
		return
	}
	workers := 4
	if v, ok := env.Airflow.Config["api"]["workers"]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			workers = n
		}
	}
	for _, w := range in.Workloads {
		if w.Name != "apiServer" {
			continue
		}
		need := int64(512<<20) + int64(workers)*(256<<20)
		switch lim := w.Containers[0].Limits.Memory; {
		case lim < need:
			// Killed while its workers start: the seed's crash loop.
			r.At("airflow.components.apiServer.resources.limits.memory", fmt.Sprintf("the API server runs %d workers but its memory limit is %s; it needs about %s and is OOM-killed at start, in a loop", workers, gibs(lim), gibs(need)),
				"set airflow.config.api.workers to 1 or 2, or raise the limit")
		default:
			// Seed 000: 4 workers x 30-40 s on a loaded Pi passed the
			// 120 s start-up deadline. The deadline is the startup probe's
			// when the chart is hydrated, else the one the seed met.
			deadline, probed := apiServerStartWindow(in)
			if !probed {
				deadline = 120
			}
			if slow := int32(workers) * 40; slow > deadline {
				fix := "set airflow.config.api.workers to 1 or 2"
				if probed {
					fix += fmt.Sprintf(", or give it the time: airflow.probes.apiServer.startup.failureThreshold: %d or more", (slow+9)/10)
				}
				r.Warn("airflow.config.api.workers", fmt.Sprintf("the API server starts %d workers; on Pi nodes each takes 30-40 s, up to %d s, and it is restarted if not up after %d s", workers, slow, deadline), fix)
			}
		}
	}
}

// apiServerStartWindow is how long the rendered API server gets to start
// before its probes restart it; probed is false when the chart's objects
// are not in the tree.
func apiServerStartWindow(in *Input) (seconds int32, probed bool) {
	for _, e := range in.Objects {
		if name, _, ok := capacity.ChartComponent(in.Env, e); !ok || name != "apiServer" {
			continue
		}
		tmpl, ok, err := podTemplate(e)
		if err != nil || !ok {
			continue
		}
		for _, c := range tmpl.Spec.Containers {
			if p, _ := pod.FirstRestarting(&c); p != nil && c.Name == probedContainers()["apiServer"] {
				return pod.StartWindow(p), true
			}
		}
	}
	return 0, false
}

func checkImageTags(in *Input, r *Report) {
	for _, im := range images(in) {
		switch {
		case im.tag == "" && im.digest == "":
			r.At(im.path, fmt.Sprintf("image %s has no tag", im.ref), "pin a tag such as 1.2.3")
		case im.tag == "latest":
			r.At(im.path, fmt.Sprintf("image %s uses the tag latest", im.ref), "pin a versioned tag")
		}
	}
}

func checkImageArchitectures(in *Input, r *Report) {
	arch := in.Env.Cluster.Architecture
	for _, im := range images(in) {
		if len(im.archs) > 0 && !slices.Contains(im.archs, arch) {
			r.At(im.path, fmt.Sprintf("image %s is built for %s, but the cluster's nodes are %s", im.ref, strings.Join(im.archs, ", "), arch),
				"use a multi-arch image or one built for "+arch)
		}
	}
}

type imageUse struct {
	path, ref, tag, digest string
	archs                  []string
}

// images lists the images the spec names and those in rendered objects.
func images(in *Input) []imageUse {
	env := in.Env
	var out []imageUse
	add := func(p string, im model.Image) {
		out = append(out, imageUse{path: p, ref: im.Ref(), tag: im.Tag, digest: im.Digest, archs: im.Architectures})
	}
	add("airflow.image", env.Airflow.Image)
	add("datasurface.image", env.DataSurface.Image)
	seen := map[string]bool{env.Airflow.Image.Ref(): true, env.DataSurface.Image.Ref(): true}
	for _, e := range in.Objects {
		// The chart's components run the spec's Airflow image, seen
		// above, and images of the chart's own (git-sync, Redis, StatsD),
		// which its release pins.
		path := "environment.name"
		if _, _, chart := capacity.ChartComponent(env, e); chart {
			path = "airflow.chart"
		}
		for _, ref := range containerImages(e.Content) {
			if seen[ref] {
				continue
			}
			seen[ref] = true
			tag, digest := splitRef(ref)
			out = append(out, imageUse{path: path, ref: ref + " (in " + e.GVK.Kind + "/" + e.Name + ")", tag: tag, digest: digest})
		}
	}
	return out
}

func containerImages(content map[string]any) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, list := range []string{"initContainers", "containers"} {
				cs, _ := v[list].([]any)
				for _, c := range cs {
					if m, ok := c.(map[string]any); ok {
						if s, ok := m["image"].(string); ok {
							out = append(out, s)
						}
					}
				}
			}
			for _, k := range []string{"spec", "template", "jobTemplate"} {
				walk(v[k])
			}
		}
	}
	walk(content)
	return out
}

func splitRef(ref string) (tag, digest string) {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref, digest = ref[:i], ref[i+1:]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		tag = ref[i+1:]
	}
	return tag, digest
}

func checkSecretsInConfig(in *Input, r *Report) {
	secretish := regexp.MustCompile(`(?i)(password|passwd|secret|token|(^|_)key$|fernet)`)
	cfg := in.Env.Airflow.Config
	sections := make([]string, 0, len(cfg))
	for s := range cfg {
		sections = append(sections, s)
	}
	slices.Sort(sections)
	for _, s := range sections {
		keys := make([]string, 0, len(cfg[s]))
		for k := range cfg[s] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if strings.HasSuffix(k, "_secret") || strings.HasSuffix(k, "_cmd") || !secretish.MatchString(k) {
				continue
			}
			r.At(path("airflow", "config", s, k), fmt.Sprintf("airflow.cfg setting [%s] %s holds a secret value in the spec", s, k),
				"take it from a Secret: use the "+k+"_secret variant or an environment variable from a credential")
		}
	}
	if u := in.Env.Airflow.Admin.Username; slices.Contains([]string{"admin", "airflow"}, u) && in.Env.Airflow.Admin.Credential == "" {
		r.At("airflow.admin", "the admin user has no credential, so the chart's default password would be used", "reference a USER_PASSWORD credential")
	}
}

func checkServiceAddresses(in *Input, r *Report) {
	env := in.Env
	known := knownServices(in)
	addr := regexp.MustCompile(`\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?\b`)
	for _, s := range specStrings(env) {
		for _, m := range addr.FindAllStringSubmatch(s.value, -1) {
			svc, ns := m[1], m[3]
			if known[svc+"."+ns] {
				continue
			}
			var hint string
			if why := missingChartService(in, svc, ns); why != "" {
				r.At(s.path, fmt.Sprintf("%s names service %s, which the chart does not create: %s", m[0], svc, why), "point it at a service that exists")
				continue
			}
			if n := namespacesOf(known, svc); len(n) > 0 {
				hint = fmt.Sprintf("service %s exists in namespace %s", svc, strings.Join(n, ", "))
			} else {
				hint = "correct it, or declare it in cluster.externalServices as " + svc + "." + ns
			}
			r.At(s.path, fmt.Sprintf("%s names service %s in namespace %s, which the platform neither creates nor declares", m[0], svc, ns), hint)
		}
	}
}

func namespacesOf(known map[string]bool, svc string) []string {
	var out []string
	for k := range known {
		if n, ok := strings.CutPrefix(k, svc+"."); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// knownServices are service.namespace names that resolve: rendered
// Services, the Airflow chart's services for the release, the cluster's
// own, and the declared external ones.
func knownServices(in *Input) map[string]bool {
	env := in.Env
	known := map[string]bool{"kubernetes.default": true, "kube-dns.kube-system": true}
	for _, e := range in.Objects {
		if e.GVK.Kind == "Service" {
			known[e.Name+"."+e.Namespace] = true
		}
	}
	rel := env.Airflow.ReleaseName
	for _, c := range chartServices(in) {
		known[rel+"-"+c+"."+env.Namespace.Name] = true
	}
	for _, s := range env.Cluster.ExternalServices {
		parts := strings.Split(s, ".")
		if len(parts) >= 2 {
			known[parts[0]+"."+parts[1]] = true
		}
	}
	return known
}

type specString struct{ path, value string }

// specStrings lists every string of the resolved environment with its path.
func specStrings(env *model.Environment) []specString {
	sections := []struct {
		name string
		v    any
	}{
		{"airflow", env.Airflow}, {"datasurface", env.DataSurface}, {"secrets", env.Secrets},
		{"maintenance", env.Maintenance}, {"gitops", env.GitOps}, {"databases", env.Databases},
	}
	var out []specString
	var walk func(p []any, v any)
	walk = func(p []any, v any) {
		switch v := v.(type) {
		case string:
			out = append(out, specString{path(p...), v})
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(append(slices.Clone(p), k), v[k])
			}
		case []any:
			for i, e := range v {
				walk(append(slices.Clone(p), i), e)
			}
		}
	}
	for _, s := range sections {
		if generic, err := objset.Canonical(s.v); err == nil {
			walk([]any{s.name}, generic)
		}
	}
	return out
}

func checkNames(in *Input, r *Report) {
	env := in.Env
	byK8s := map[string]string{}
	for _, c := range env.Credentials {
		k := model.K8sName(c.Name)
		if other, ok := byK8s[k]; ok {
			r.At(path("credentials", c.Name), fmt.Sprintf("credentials %s and %s both become Secret %s", other, c.Name, k), "rename one of them")
			continue
		}
		byK8s[k] = c.Name
	}
	for _, e := range in.Objects {
		for _, p := range apivalidate.Metadata(e) {
			r.At(nameSource(env, p.Value), fmt.Sprintf("%s %s: %s", e.GVK.Kind, e.Name, p.Message), "shorten the name it comes from")
		}
	}
}

// nameSource is the spec value a rendered name was built from: the longest
// of the values names are made of that the name contains.
func nameSource(env *model.Environment, value string) string {
	best, bestLen := "environment.name", 0
	for _, c := range []struct{ path, v string }{
		{"datasurface.psp", model.K8sName(env.DataSurface.PSP)},
		{"airflow.releaseName", env.Airflow.ReleaseName},
		{"environment.namespace", env.Namespace.Name},
		{"environment.name", env.Name},
		{"environment.name", env.Platform},
	} {
		if c.v != "" && strings.Contains(value, c.v) && len(c.v) > bestLen {
			best, bestLen = c.path, len(c.v)
		}
	}
	return best
}

func checkRemoteMetadataDB(in *Input, r *Report) {
	env := in.Env
	if env.Profile == "k3s-pi" && env.Airflow.MetadataDatabase.Mode != "in-cluster" {
		r.At("airflow.metadataDatabase.mode", "the metadata database runs outside the cluster; on Raspberry Pi nodes each query then costs 2-5 ms", "use mode in-cluster so the database runs next to the scheduler")
	}
}

func checkPodSecurityRestricted(in *Input, r *Report) {
	if in.Env.Namespace.PodSecurity == "restricted" {
		r.At("environment.namespace.podSecurity",
			"the namespace enforces Pod Security restricted: DataSurface's own task pods set no security context and are refused unless its release meets restricted",
			"use namespace.podSecurity: baseline (warnings stay at restricted), or suppress YDP025 with the DataSurface release that meets restricted")
	}
}

func gibs(b int64) string {
	return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
}

func nodesHave(n int) string {
	if n == 1 {
		return "1 node has"
	}
	return fmt.Sprintf("%d nodes have", n)
}

func checkMigrationWait(in *Input, r *Report) {
	v := in.Values
	if v == nil {
		return
	}
	migrate := lookupBool(v, "migrateDatabaseJob", "enabled")
	if migrate == nil || *migrate {
		if hooks := lookupBool(v, "migrateDatabaseJob", "useHelmHooks"); hooks != nil && *hooks && in.Env.GitOps.Engine != "none" {
			r.At("gitops.engine", "the migration Job runs as a Helm hook, which "+in.Env.GitOps.Engine+" does not run", "render with migrateDatabaseJob.useHelmHooks: false")
		}
		return
	}
	var waiting []string
	components := []string{"scheduler", "triggerer", "dagProcessor", "apiServer"}
	if strings.Contains(in.Env.Airflow.Executor, "Celery") {
		components = append(components, "workers") // only Celery runs worker pods
	}
	for _, c := range components {
		if w := lookupBool(v, c, "waitForMigrations", "enabled"); w == nil || *w {
			// The chart waits unless told not to.
			waiting = append(waiting, c)
		}
	}
	if len(waiting) > 0 {
		r.At("airflow.components.jobs.enabled", fmt.Sprintf("the migration Job is disabled but %s still wait for migrations, forever", strings.Join(waiting, ", ")),
			"enable the migration Job, or turn the waits off")
		return
	}
	r.At("airflow.components.jobs.enabled", "the migration Job is disabled: nothing creates Airflow's schema on a new database or migrates it when the Airflow version changes (Airflow does not create it on first connection)",
		"keep it enabled; if the schema is migrated by hand, suppress YDP007 with that reason")
}

// lookupBool reads a boolean at a path of the values; nil when unset.
func lookupBool(v map[string]any, path ...string) *bool {
	var cur any = v
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	b, ok := cur.(bool)
	if !ok {
		return nil
	}
	return &b
}

// chartServices are the Services the Airflow chart creates for the rendered
// values (suffixes after the release name). Without values every service
// the chart can create counts.
func chartServices(in *Input) []string {
	v := in.Values
	on := func(def bool, path ...string) bool {
		if v == nil {
			return true
		}
		if b := lookupBool(v, path...); b != nil {
			return *b
		}
		return def
	}
	celery := strings.Contains(in.Env.Airflow.Executor, "Celery")
	out := []string{"api-server"}
	if on(true, "statsd", "enabled") {
		out = append(out, "statsd")
	}
	if on(true, "triggerer", "enabled") {
		out = append(out, "triggerer")
	}
	if celery {
		out = append(out, "worker")
		if on(true, "redis", "enabled") {
			out = append(out, "redis")
		}
		if on(false, "flower", "enabled") {
			out = append(out, "flower")
		}
	}
	if on(false, "pgbouncer", "enabled") {
		out = append(out, "pgbouncer")
	}
	if on(true, "postgresql", "enabled") {
		out = append(out, "postgresql")
	}
	return out
}

// missingChartService says why a chart Service the address names does not
// exist, or "" when the address is not one of the chart's.
func missingChartService(in *Input, svc, ns string) string {
	env := in.Env
	suffix, ok := strings.CutPrefix(svc, env.Airflow.ReleaseName+"-")
	if !ok || ns != env.Namespace.Name || slices.Contains(chartServices(in), suffix) {
		return ""
	}
	switch suffix {
	case "webserver":
		return "Airflow 3 has no webserver; the UI and API are served by " + env.Airflow.ReleaseName + "-api-server"
	case "postgresql":
		return "the chart's embedded PostgreSQL is off in the rendered values (postgresql.enabled: false)"
	case "redis", "worker", "flower":
		return fmt.Sprintf("%s is not rendered with %s and these values", suffix, env.Airflow.Executor)
	case "pgbouncer", "statsd", "triggerer":
		return suffix + " is disabled in the rendered values"
	}
	return ""
}

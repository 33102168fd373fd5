package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ydpgen/ydpgen/capacity"
	"github.com/ydpgen/ydpgen/model"
)

// checkRequestsAboveLimits: the API server refuses a container whose request
// exceeds its limit, so the pod never starts; for the chart's components the
// chart renders it and the Deployment fails later, out of sight.
func checkRequestsAboveLimits(in *Input, r *Report) {
	for _, w := range in.Workloads {
		// The chart gives an init container its component's resources: one
		// spec value, one finding.
		seen := map[string]bool{}
		for _, c := range w.Containers {
			if !c.HasReqs || !c.HasLimits || seen[c.Path] {
				continue
			}
			var over []string
			if c.Requests.Memory > c.Limits.Memory {
				over = append(over, fmt.Sprintf("memory request %s above its limit %s", mib(c.Requests.Memory), mib(c.Limits.Memory)))
			}
			if c.Requests.MilliCPU > c.Limits.MilliCPU {
				over = append(over, fmt.Sprintf("CPU request %dm above its limit %dm", c.Requests.MilliCPU, c.Limits.MilliCPU))
			}
			if len(over) == 0 {
				continue
			}
			seen[c.Path] = true
			r.At(containerPath(w, c), fmt.Sprintf("container %s of %s has a %s; the API server refuses the pod", c.Name, w.Name, strings.Join(over, " and a ")),
				"make every request at most its limit")
		}
	}
}

// containerPath is the spec path that sizes a container: the chart
// component's resources, or the environment for what ydpgen renders from
// a path the capacity model does not know.
func containerPath(w capacity.Workload, c capacity.Container) string {
	switch {
	case strings.HasPrefix(c.Path, "airflow.") || strings.HasPrefix(c.Path, "datasurface.") || strings.HasPrefix(c.Path, "maintenance."):
		return c.Path
	case strings.HasPrefix(w.Path, "airflow.") || strings.HasPrefix(w.Path, "datasurface.") || strings.HasPrefix(w.Path, "maintenance."):
		return w.Path
	}
	return "environment.name"
}

func mib(b int64) string {
	if b%(1<<30) == 0 {
		return fmt.Sprintf("%dGi", b>>30)
	}
	return fmt.Sprintf("%dMi", b>>20)
}

// checkMemoryOvercommit: the scheduler places pods by requests; their limits
// decide how much they may take at once. Far more limit than memory is a bet
// that pods never peak together, lost on small nodes first.
func checkMemoryOvercommit(in *Input, r *Report) {
	c := in.Capacity
	factor := in.Env.Cluster.MemoryOvercommit
	if c.Total.Memory <= 0 || factor <= 0 {
		return
	}
	var limits int64
	for _, w := range in.Workloads {
		if w.Transient {
			continue
		}
		limits += w.Limits().Memory * int64(w.Replicas)
	}
	if ratio := float64(limits) / float64(c.Total.Memory); ratio > factor {
		r.Warn("environment.cluster.memoryOvercommit", fmt.Sprintf("the long-running pods' memory limits add up to %s, %.2f times the nodes' allocatable %s; the profile allows %.2f", gibs(limits), ratio, gibs(c.Total.Memory), factor),
			"lower the limits closer to the requests, add nodes, or raise cluster.memoryOvercommit knowingly")
	}
}

// airflow3Moves are airflow.cfg settings that Airflow 3 moved or dropped,
// with where they went ("" when the setting has no successor).
func airflow3Moves() map[string]string {
	return map[string]string{
		"scheduler.dag_dir_list_interval":     "dag_processor.refresh_interval",
		"scheduler.min_file_process_interval": "dag_processor.min_file_process_interval",
		"scheduler.parsing_processes":         "dag_processor.parsing_processes",
		"scheduler.file_parsing_sort_mode":    "dag_processor.file_parsing_sort_mode",
		"scheduler.stale_dag_threshold":       "dag_processor.stale_dag_threshold",
		"scheduler.processor_poll_interval":   "scheduler.scheduler_idle_sleep_time",
		"core.dag_file_processor_timeout":     "dag_processor.dag_file_processor_timeout",
		"core.sql_alchemy_conn":               "database.sql_alchemy_conn",
		"webserver.workers":                   "api.workers",
		"webserver.web_server_port":           "api.port",
		"webserver.web_server_host":           "api.host",
		"webserver.base_url":                  "api.base_url",
		"webserver.secret_key":                "api.secret_key",
		"webserver.expose_config":             "api.expose_config",
		"webserver.access_logfile":            "api.access_logfile",
		"webserver.web_server_worker_timeout": "api.worker_timeout",
	}
}

// checkAirflow2Config: Airflow 3 has no webserver and moved DAG parsing into
// the DAG processor; settings copied from an Airflow 2 guide are silently
// ignored, so the tuning they were meant to do never happens.
func checkAirflow2Config(in *Input, r *Report) {
	moves := airflow3Moves()
	cfg := in.Env.Airflow.Config
	for _, s := range slices.Sorted(mapKeys(cfg)) {
		for _, k := range slices.Sorted(mapKeys(cfg[s])) {
			key := s + "." + k
			to, moved := moves[key]
			switch {
			case moved:
				r.At(path("airflow", "config", s, k), fmt.Sprintf("[%s] %s is an Airflow 2 setting that Airflow 3 ignores; it is now [%s] %s", s, k, strings.SplitN(to, ".", 2)[0], strings.SplitN(to, ".", 2)[1]),
					"write it as airflow.config."+to)
			case s == "webserver":
				r.At(path("airflow", "config", s, k), fmt.Sprintf("[webserver] %s: Airflow 3 has no webserver; the API server reads [api]", k),
					"move it under airflow.config.api if the API server has that setting, or drop it")
			}
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkPostgresImage: the in-cluster StatefulSet is written for the official
// image: its POSTGRES_* entrypoint variables, uid 999 and data directory.
// Bitnami's image reads other variables and runs as another user, so the
// database never initialises (and its tags have no arm64 build on old
// releases).
func checkPostgresImage(in *Input, r *Report) {
	db := in.Env.Airflow.MetadataDatabase
	if db.Mode != "in-cluster" {
		return
	}
	repo := db.Server.Image.Repository
	name := repo
	for _, p := range []string{"docker.io/library/", "docker.io/", "library/"} {
		name = strings.TrimPrefix(name, p)
	}
	if i := strings.LastIndex(name, "/"); i >= 0 && registryHost(repo) != "" {
		// A mirror keeps the official name as its last path element.
		name = name[i+1:]
	}
	switch {
	case strings.Contains(repo, "bitnami") || strings.Contains(db.Server.Image.Tag, "debian-"):
		r.At("airflow.metadataDatabase.server.image", fmt.Sprintf("image %s is Bitnami's PostgreSQL, whose entrypoint variables and user differ from what the in-cluster StatefulSet sets", db.Server.Image.Ref()),
			"use the official image, such as postgres:16-alpine (multi-arch)")
	case name != "postgres":
		r.At("airflow.metadataDatabase.server.image", fmt.Sprintf("image %s is not the official postgres image the in-cluster StatefulSet is written for", db.Server.Image.Ref()),
			"use postgres (or a mirror of it), such as postgres:16-alpine")
	}
}

// literalPassword finds a password written into a command line: after
// --password or -p, or in a NAME_PASSWORD=value assignment. A reference to an
// environment variable ($VAR, ${VAR}, $(VAR)) is how it should be done.
func literalPassword(args []string) (int, bool) {
	assign := regexp.MustCompile(`(?i)(^|[\s;&])([A-Z_]*PASSWORD|--password)=([^\s$"'][^\s]*)`)
	// A shell word may quote the reference: --password "$ADMIN_PASSWORD".
	literal := func(s string) bool {
		s = strings.TrimLeft(s, `"'`)
		return !strings.HasPrefix(s, "$") && !strings.HasPrefix(s, "-")
	}
	for i, a := range args {
		if assign.MatchString(a) {
			return i, true
		}
		if (a == "--password" || a == "-p") && i+1 < len(args) && literal(args[i+1]) {
			return i + 1, true
		}
		for _, f := range strings.Fields(a) {
			if f == "--password" || f == "-p" {
				rest := strings.Fields(a[strings.Index(a, f)+len(f):])
				if len(rest) > 0 && literal(rest[0]) {
					return i, true
				}
			}
		}
	}
	return 0, false
}

// checkPasswordArgs: a password on a command line ends up in git, in the
// object's YAML and in every `ps` listing on the node (the chart's own
// create-user Job passes its default this way).
func checkPasswordArgs(in *Input, r *Report) {
	cmd := in.Env.DataSurface.MCPServer.Command
	if i, ok := literalPassword(cmd); ok {
		r.At(path("datasurface", "mcpServer", "command", i), "the MCP server's command holds a literal password", "read it from an environment variable set from a credential, such as $MERGE_PASSWORD")
		// The rendered Deployment repeats it; one finding is enough.
		return
	}
	// What is rendered (and, once the chart is hydrated, the chart's own
	// containers) must not pass one either.
	for _, e := range in.Objects {
		for _, c := range podContainers(e.Content) {
			for _, field := range []string{"command", "args"} {
				list, _ := c[field].([]any)
				var args []string
				for _, a := range list {
					if s, ok := a.(string); ok {
						args = append(args, s)
					}
				}
				if _, ok := literalPassword(args); ok {
					r.At("environment.name", fmt.Sprintf("container %v of %s %s passes a literal password in its %s", c["name"], e.GVK.Kind, e.Name, field), "read it from an environment variable set from a Secret")
				}
			}
		}
	}
}

// podContainers returns the containers and init containers of an object's
// pod template, wherever the kind keeps it.
func podContainers(content map[string]any) []map[string]any {
	var out []map[string]any
	var walk func(v any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		for _, k := range []string{"initContainers", "containers"} {
			if cs, ok := m[k].([]any); ok {
				for _, c := range cs {
					if cm, ok := c.(map[string]any); ok {
						out = append(out, cm)
					}
				}
			}
		}
		for _, k := range []string{"spec", "template", "jobTemplate"} {
			walk(m[k])
		}
	}
	walk(content)
	return out
}

// checkLogsCleanup: a logs volume without cleanup fills up, and then every
// task fails to write its log (seed 000's cluster lost a volume this way).
func checkLogsCleanup(in *Input, r *Report) {
	env := in.Env
	p := env.Airflow.Logs.Persistence
	if !p.Enabled || env.Maintenance.LogCleanup.Enabled {
		return
	}
	msg := "the logs volume is on but log cleanup is off: the volume fills up and tasks then fail to write their logs"
	if size, err := resource.ParseQuantity(p.Size); err == nil && p.GrowthPerDay != "" {
		if rate, err := resource.ParseQuantity(p.GrowthPerDay); err == nil && rate.Value() > 0 {
			msg = fmt.Sprintf("the logs volume (%s) fills in about %d days at %s a day, and log cleanup is off", p.Size, size.Value()/rate.Value(), p.GrowthPerDay)
		}
	}
	r.Warn("maintenance.logCleanup.enabled", msg, "turn maintenance.logCleanup on with a retention that fits the volume")
}

// ingressControllers are the controllers the profiles know, by ingress
// class: the annotation prefix each reads and the namespace it runs in
// ("" when its traffic does not come from a pod, as with an ALB).
func ingressControllers() map[string]struct{ prefix, namespace string } {
	return map[string]struct{ prefix, namespace string }{
		"traefik": {"traefik.ingress.kubernetes.io/", "kube-system"},
		"nginx":   {"nginx.ingress.kubernetes.io/", "ingress-nginx"},
		"alb":     {"alb.ingress.kubernetes.io/", ""},
	}
}

// profileIngressClass is the class each profile's controller serves.
func profileIngressClass(profile string) string {
	return map[string]string{"k3s-pi": "traefik", "kubeadm": "nginx", "eks": "alb"}[profile]
}

// checkIngressController: an Ingress whose class no controller serves never
// gets an address; annotations for another controller do nothing; and a
// NetworkPolicy that admits traffic from the wrong namespace drops every
// request the controller forwards.
func checkIngressController(in *Input, r *Report) {
	env := in.Env
	var ingresses []struct {
		path string
		ing  *model.Ingress
	}
	if ing := env.Airflow.APIServer.Ingress; ing != nil {
		ingresses = append(ingresses, struct {
			path string
			ing  *model.Ingress
		}{"airflow.apiServer.ingress", ing})
	}
	if ing := env.DataSurface.MCPServer.Ingress; ing != nil && env.DataSurface.MCPServer.Enabled {
		ingresses = append(ingresses, struct {
			path string
			ing  *model.Ingress
		}{"datasurface.mcpServer.ingress", ing})
	}
	if len(ingresses) == 0 {
		return
	}
	controllers := ingressControllers()
	class := env.Cluster.IngressClass
	if want := profileIngressClass(env.Profile); want != "" && class != want {
		r.At("environment.cluster.ingressClass", fmt.Sprintf("ingress class %s is not the %s profile's controller (%s), whose annotations ydpgen writes on every Ingress", class, env.Profile, want),
			"use ingressClass: "+want+", or a profile whose controller serves "+class)
	}
	ctl, known := controllers[class]
	if ns := env.Namespace.NetworkPolicy.IngressControllerNamespace; known && ctl.namespace != "" && ns != "" && ns != ctl.namespace {
		r.At("environment.namespace.networkPolicy.ingressControllerNamespace", fmt.Sprintf("the NetworkPolicy admits the ingress controller from namespace %s, but %s runs in %s", ns, class, ctl.namespace),
			"set ingressControllerNamespace: "+ctl.namespace)
	}
	for _, x := range ingresses {
		for _, k := range slices.Sorted(mapKeys(x.ing.Annotations)) {
			for other, oc := range controllers {
				if other != class && strings.HasPrefix(k, oc.prefix) {
					r.At(path(strings.Split(x.path, ".")[0], strings.Split(x.path, ".")[1], "ingress", "annotations", k), fmt.Sprintf("annotation %s is for %s, but the ingress class is %s: it does nothing", k, other, class),
						"use the annotations of "+class)
				}
			}
		}
	}
}

// checkNodeStorage: on a Pi the OS, the images and Longhorn's replicas share
// one small disk; a claim larger than a node can give stays Pending or
// fills the node.
func checkNodeStorage(in *Input, r *Report) {
	env := in.Env
	if env.Cluster.NodeStorage == "" {
		return
	}
	budget, err := resource.ParseQuantity(env.Cluster.NodeStorage)
	if err != nil {
		return
	}
	type claim struct{ path, what, size string }
	claims := []claim{
		{"datasurface.gitCache.size", "the git cache", env.DataSurface.GitCache.Size},
	}
	if p := env.Airflow.Logs.Persistence; p.Enabled {
		claims = append(claims, claim{"airflow.logs.persistence.size", "the logs volume", p.Size})
	}
	if v := env.Airflow.DAGs.Volume; v.Enabled {
		claims = append(claims, claim{"airflow.dags.volume.size", "the DAG volume", v.Size})
	}
	if db := env.Airflow.MetadataDatabase; db.Mode == "in-cluster" {
		claims = append(claims, claim{"airflow.metadataDatabase.server.storage.size", "the PostgreSQL volume", db.Server.Storage.Size})
	}
	for _, c := range claims {
		q, err := resource.ParseQuantity(c.size)
		if err != nil || q.Cmp(budget) <= 0 {
			continue
		}
		r.Warn(c.path, fmt.Sprintf("%s claims %s, more than the %s a node can give to volumes (cluster.nodeStorage)", c.what, c.size, env.Cluster.NodeStorage),
			"shrink the claim or correct cluster.nodeStorage")
	}
}

// registryHost is the registry of an image repository, "" for Docker Hub.
func registryHost(repo string) string {
	first, _, found := strings.Cut(repo, "/")
	if !found || !(strings.ContainsAny(first, ".:") || first == "localhost") {
		return ""
	}
	return first
}

// checkPrivateImages: an image from a private registry without a pull secret
// fails with ErrImagePull, one pod at a time, after the deploy.
func checkPrivateImages(in *Input, r *Report) {
	env := in.Env
	if len(env.Cluster.PrivateRegistries) == 0 {
		return
	}
	private := func(repo string) bool {
		h := registryHost(repo)
		return h != "" && slices.Contains(env.Cluster.PrivateRegistries, h)
	}
	type use struct {
		path       string
		image      model.Image
		pullSecret string
	}
	uses := []use{
		{"airflow.image", env.Airflow.Image, env.Airflow.PullSecret},
		{"datasurface.image", env.DataSurface.Image, env.DataSurface.PullSecret},
	}
	if env.Airflow.MetadataDatabase.Mode == "in-cluster" {
		uses = append(uses, use{"airflow.metadataDatabase.server.image", env.Airflow.MetadataDatabase.Server.Image, ""})
	}
	for _, u := range uses {
		if private(u.image.Repository) && u.pullSecret == "" {
			r.At(u.path, fmt.Sprintf("image %s comes from private registry %s but no pull secret is named for it", u.image.Ref(), registryHost(u.image.Repository)),
				"name a REGISTRY credential as the pullSecret next to the image")
		}
	}
}

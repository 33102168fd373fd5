package airflow

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/internal/exampletest"
	"github.com/ydpgen/ydpgen/model"
)

// chartKeys is every values path ydpgen may write, checked by hand against
// the official chart's values.schema.json: every key in a version from
// after 1.21, the top level and the workers section also in one from before
// 1.19; workers.celery.replicas and .persistence are the keys 1.19
// introduced. Keys the next chart line drops (webserver.*) are not used,
// nor deprecated ones except where 1.19 has no replacement. The chart's
// schema is closed section by section, so a path missing here would fail
// `helm template`.
//
// One path a line; '*' stands for any map key, '[]' for the items of a
// list. "k8s" marks a subtree the chart types as a Kubernetes object
// (ResourceRequirements, PodSecurityContext, SecurityContext, EnvVar): the
// strict decode of the Go types used here stands for its keys.
const chartKeys = `
# identity and images
airflowVersion                  string
defaultAirflowRepository        string
defaultAirflowTag               string
executor                        string
images.airflow.repository       string or null
images.airflow.tag              string or null
images.airflow.digest           string or null
images.airflow.pullPolicy       Always, Never or IfNotPresent
imagePullSecrets[].name         list of names or of {name}
airflowLocalSettings            string or null

# fixed Secrets (names only)
fernetKeySecretName             string or null
apiSecretKeySecretName          string or null
jwtSecretName                   string or null
data.metadataSecretName         string or null
data.brokerUrlSecretName        string or null

# defaults for every Airflow pod; the top level spells it "containers"
securityContexts.pod            k8s
securityContexts.containers     k8s

# components: scheduler, DAG processor, triggerer, API server
scheduler.replicas                      integer
scheduler.resources                     k8s
scheduler.affinity                      k8s
scheduler.waitForMigrations.enabled     boolean
scheduler.logGroomerSidecar.enabled       boolean
scheduler.logGroomerSidecar.retentionDays integer >= 0
scheduler.logGroomerSidecar.resources     k8s
dagProcessor.enabled                    boolean
dagProcessor.replicas                   integer
dagProcessor.resources                  k8s
dagProcessor.waitForMigrations.enabled  boolean
dagProcessor.logGroomerSidecar.enabled       boolean
dagProcessor.logGroomerSidecar.retentionDays integer >= 0
dagProcessor.logGroomerSidecar.resources     k8s
triggerer.enabled                       boolean
triggerer.replicas                      integer
triggerer.resources                     k8s
triggerer.waitForMigrations.enabled     boolean
triggerer.persistence.enabled           boolean (default true: a 100Gi claim)
triggerer.logGroomerSidecar.enabled       boolean
triggerer.logGroomerSidecar.retentionDays integer >= 0
triggerer.logGroomerSidecar.resources     k8s
apiServer.replicas                      integer or null
apiServer.resources                     k8s
apiServer.waitForMigrations.enabled     boolean
apiServer.service.type                  string
scheduler.livenessProbe.initialDelaySeconds integer
scheduler.livenessProbe.periodSeconds   integer
scheduler.livenessProbe.timeoutSeconds  integer
scheduler.livenessProbe.failureThreshold integer
scheduler.startupProbe.initialDelaySeconds integer
scheduler.startupProbe.periodSeconds    integer
scheduler.startupProbe.timeoutSeconds   integer
scheduler.startupProbe.failureThreshold integer
dagProcessor.livenessProbe.initialDelaySeconds integer
dagProcessor.livenessProbe.periodSeconds integer
dagProcessor.livenessProbe.timeoutSeconds integer
dagProcessor.livenessProbe.failureThreshold integer
triggerer.livenessProbe.initialDelaySeconds integer
triggerer.livenessProbe.periodSeconds   integer
triggerer.livenessProbe.timeoutSeconds  integer
triggerer.livenessProbe.failureThreshold integer
apiServer.livenessProbe.initialDelaySeconds integer
apiServer.livenessProbe.periodSeconds   integer
apiServer.livenessProbe.timeoutSeconds  integer
apiServer.livenessProbe.failureThreshold integer
apiServer.startupProbe.initialDelaySeconds integer
apiServer.startupProbe.periodSeconds    integer
apiServer.startupProbe.timeoutSeconds   integer
apiServer.startupProbe.failureThreshold integer

# workers: replicas and persistence moved under celery in 1.19; the rest is
# still read at the workers level there. The scheduler reads
# celery.persistence under LocalExecutor too.
workers.resources                       k8s
workers.waitForMigrations.enabled       boolean
workers.logGroomerSidecar.enabled       boolean
workers.logGroomerSidecar.retentionDays integer >= 0
workers.logGroomerSidecar.resources     k8s
workers.celery.replicas                 integer or null
workers.celery.persistence.enabled      boolean or null (falls back to workers.persistence.enabled, default true)
workers.celery.livenessProbe.initialDelaySeconds integer or null (falls back to workers.livenessProbe)
workers.celery.livenessProbe.periodSeconds integer or null (falls back to workers.livenessProbe)
workers.celery.livenessProbe.timeoutSeconds integer or null (falls back to workers.livenessProbe)
workers.celery.livenessProbe.failureThreshold integer or null (falls back to workers.livenessProbe)

# broker, pooler, metrics
redis.enabled                           boolean
redis.passwordSecretName                string or null
redis.resources                         k8s
redis.persistence.enabled               boolean
redis.persistence.size                  string
redis.persistence.storageClassName      string or null
redis.securityContexts.pod              k8s
redis.securityContexts.container        k8s
pgbouncer.enabled                       boolean
pgbouncer.replicas                      integer
pgbouncer.maxClientConn                 integer
pgbouncer.metadataPoolSize              integer
pgbouncer.configSecretName              string or null (keys pgbouncer.ini, users.txt)
pgbouncer.resources                     k8s
pgbouncer.securityContexts.pod          k8s
pgbouncer.securityContexts.container    k8s
pgbouncer.metricsExporterSidecar.statsSecretName            string or null (key connection)
pgbouncer.metricsExporterSidecar.resources                  k8s
pgbouncer.metricsExporterSidecar.securityContexts.container k8s
statsd.enabled                          boolean
statsd.resources                        k8s
statsd.securityContexts.pod             k8s
statsd.securityContexts.container       k8s
postgresql.enabled                      boolean

# the chart's Jobs and CronJob
migrateDatabaseJob.enabled                  boolean
migrateDatabaseJob.useHelmHooks             boolean
migrateDatabaseJob.applyCustomEnv           boolean
migrateDatabaseJob.ttlSecondsAfterFinished  integer or null
migrateDatabaseJob.jobAnnotations.*         string
migrateDatabaseJob.resources                k8s
createUserJob.useHelmHooks                  boolean
createUserJob.applyCustomEnv                boolean
createUserJob.ttlSecondsAfterFinished       integer or null
createUserJob.jobAnnotations.*              string
createUserJob.args[]                        list of strings or null
createUserJob.env                           k8s (name with value or valueFrom)
createUserJob.resources                     k8s
createUserJob.defaultUser.enabled           boolean
createUserJob.defaultUser.role              string
createUserJob.defaultUser.username          string
createUserJob.defaultUser.email             string
createUserJob.defaultUser.firstName         string
createUserJob.defaultUser.lastName          string
databaseCleanup.enabled                     boolean
databaseCleanup.schedule                    string
databaseCleanup.retentionDays               integer >= 1
databaseCleanup.resources                   k8s

# DAGs and logs
dags.gitSync.enabled                        boolean
dags.gitSync.repo                           string
dags.gitSync.ref                            string (v4; branch is v3 only)
dags.gitSync.period                         string (v4; wait is v3 only)
dags.gitSync.subPath                        string
dags.gitSync.depth                          integer
dags.gitSync.credentialsSecret              string or null (no key-name setting)
dags.gitSync.resources                      k8s
dags.gitSync.securityContexts.container     k8s
dags.persistence.enabled                    boolean
dags.persistence.size                       string
dags.persistence.storageClassName           string or null
dags.persistence.accessMode                 ReadWriteOnce, ReadOnlyMany or ReadWriteMany
dags.persistence.annotations.*              string
logs.persistence.enabled                    boolean
logs.persistence.size                       string (default 100Gi)
logs.persistence.storageClassName           string or null (no access mode: always ReadWriteMany)
logs.persistence.annotations.*              string

# exposure
ingress.apiServer.enabled                   boolean
ingress.apiServer.ingressClassName          string
ingress.apiServer.annotations.*             string
ingress.apiServer.path                      string
ingress.apiServer.pathType                  string
ingress.apiServer.hosts[].name              string (objects, not the deprecated strings)
ingress.apiServer.hosts[].tls.enabled       boolean
ingress.apiServer.hosts[].tls.secretName    string

# airflow.cfg
config.*.*                                  boolean, number or string
`

// allowedPaths parses chartKeys: path to whether it is a Kubernetes subtree.
func allowedPaths(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, line := range strings.Split(chartKeys, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			t.Fatalf("chartKeys line %q has no shape", line)
		}
		if _, dup := out[fields[0]]; dup {
			t.Fatalf("chartKeys lists %s twice", fields[0])
		}
		out[fields[0]] = fields[1] == "k8s"
	}
	return out
}

// valuePaths lists the leaf paths of a values tree, each as its keys (a
// key may hold dots: annotation names do), stopping at subtrees the
// allowed list marks as Kubernetes objects.
func valuePaths(v any, at []string, allowed map[string]bool, match func([]string) (string, bool)) [][]string {
	if len(at) > 0 {
		if pattern, ok := match(at); ok && allowed[pattern] {
			return [][]string{at}
		}
	}
	switch t := v.(type) {
	case map[string]any:
		var out [][]string
		for k, x := range t {
			out = append(out, valuePaths(x, append(slices.Clone(at), k), allowed, match)...)
		}
		return out
	case []any:
		var out [][]string
		item := slices.Clone(at)
		item[len(item)-1] += "[]"
		for _, x := range t {
			out = append(out, valuePaths(x, item, allowed, match)...)
		}
		return out
	}
	return [][]string{at}
}

// matcher finds the allowed pattern a path matches, '*' matching one key.
func matcher(allowed map[string]bool) func([]string) (string, bool) {
	var patterns []string
	for p := range allowed {
		patterns = append(patterns, p)
	}
	slices.Sort(patterns)
	return func(parts []string) (string, bool) {
		for _, p := range patterns {
			pp := strings.Split(p, ".")
			if len(pp) != len(parts) {
				continue
			}
			ok := true
			for i := range pp {
				if pp[i] != "*" && pp[i] != parts[i] {
					ok = false
					break
				}
			}
			if ok {
				return p, true
			}
		}
		return "", false
	}
}

// variants are the examples' environments and, for each, the same with
// the options the examples leave off, so that every branch of Build is
// held to the list.
func variants(t *testing.T) []*model.Environment {
	t.Helper()
	examples := exampletest.All(t)
	if len(examples) < 3 {
		t.Fatalf("found %d examples", len(examples))
	}
	var out []*model.Environment
	for _, ex := range examples {
		p := ex.Platform
		for i := range p.Environments {
			env := p.Environments[i]
			out = append(out, &env)
			for _, change := range []func(e *model.Environment){
				func(e *model.Environment) { e.Airflow.Executor = "CeleryExecutor" },
				func(e *model.Environment) {
					e.Airflow.Executor = "CeleryExecutor"
					e.Airflow.Broker = model.BrokerExternal
				},
				func(e *model.Environment) { e.Airflow.Executor = "KubernetesExecutor" },
				func(e *model.Environment) { e.Airflow.Executor = "LocalExecutor" },
				func(e *model.Environment) {
					e.Airflow.Executor = "LocalExecutor"
					e.Airflow.Chart.Hydrate = false
				},
				func(e *model.Environment) {
					e.Airflow.PgBouncer.Enabled = true
					e.Airflow.Image.Digest = "sha256:" + strings.Repeat("ab", 32)
					e.Airflow.Components.StatsD.Enabled = true
					e.GitOps.Engine = "argocd"
				},
				func(e *model.Environment) {
					e.Airflow.DAGs.Volume = model.DAGVolume{Enabled: true, Size: "1Gi"}
					e.Airflow.Logs.Persistence = model.Persistence{Enabled: true, Size: "5Gi"}
					e.Airflow.APIServer.Ingress = &model.Ingress{Host: "airflow.example.com", Issuer: "letsencrypt",
						Annotations: map[string]string{"example.com/team": "data"}}
				},
				func(e *model.Environment) {
					e.Airflow.Components.Jobs.Enabled = false
					e.Maintenance.LogCleanup.Enabled = false
					e.Maintenance.DatabaseCleanup.Enabled = false
					e.Airflow.DAGs.GitSync = model.GitSync{Enabled: false}
					e.Airflow.DAGs.Volume = model.DAGVolume{Enabled: true, Size: "1Gi"}
				},
				func(e *model.Environment) {
					e.Airflow.Executor = "CeleryExecutor"
					every := func() *model.Probes {
						p := &model.Probe{InitialDelaySeconds: ptr.To[int32](30), PeriodSeconds: ptr.To[int32](20),
							TimeoutSeconds: ptr.To[int32](15), FailureThreshold: ptr.To[int32](6)}
						return &model.Probes{Liveness: p, Startup: p}
					}
					e.Airflow.Probes = model.ChartProbes{Scheduler: every(), APIServer: every(),
						Triggerer: &model.Probes{Liveness: every().Liveness}, DAGProcessor: &model.Probes{Liveness: every().Liveness},
						Workers: &model.Probes{Liveness: every().Liveness}}
				},
			} {
				v := env
				change(&v)
				out = append(out, &v)
			}
		}
	}
	return out
}

func TestValuesUseOnlyVerifiedChartKeys(t *testing.T) {
	allowed := allowedPaths(t)
	match := matcher(allowed)
	seen := map[string]bool{}
	for _, env := range variants(t) {
		v, err := Build(env)
		if err != nil {
			t.Fatal(err)
		}
		b, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var tree any
		if err := yaml.Unmarshal(b, &tree); err != nil {
			t.Fatal(err)
		}
		for _, p := range valuePaths(tree, nil, allowed, match) {
			pattern, ok := match(p)
			if !ok {
				t.Errorf("%s/%s (%s): values path %s is not a verified chart key", env.Platform, env.Name, env.Airflow.Executor, strings.Join(p, "."))
				continue
			}
			seen[pattern] = true
		}
	}
	// A verified key no variant writes is a stale line, or a branch no
	// test reaches.
	for p := range allowed {
		if !seen[p] {
			t.Errorf("chartKeys lists %s, which no rendered variant writes", p)
		}
	}
}

// TestMatcher holds the path matching the key test relies on.
func TestMatcher(t *testing.T) {
	allowed := map[string]bool{"config.*.*": false, "a.b": true, "ingress.apiServer.hosts[].name": false}
	match := matcher(allowed)
	for _, c := range []struct {
		path string
		want string
		ok   bool
	}{
		{"config.core.load_examples", "config.*.*", true},
		{"config.core", "", false},
		{"a.b", "a.b", true},
		{"a.c", "", false},
		{"ingress.apiServer.hosts[].name", "ingress.apiServer.hosts[].name", true},
	} {
		got, ok := match(strings.Split(c.path, "."))
		if got != c.want || ok != c.ok {
			t.Errorf("match(%q) = %q, %v; want %q, %v", c.path, got, ok, c.want, c.ok)
		}
	}
	tree := map[string]any{"a": map[string]any{"b": map[string]any{"deep": 1}}, "config": map[string]any{"core.x": map[string]any{"y": "1"}}}
	var got []string
	for _, p := range valuePaths(tree, nil, allowed, match) {
		got = append(got, strings.Join(p, "|"))
	}
	slices.Sort(got)
	if want := []string{"a|b", "config|core.x|y"}; !slices.Equal(got, want) {
		t.Errorf("valuePaths = %v, want %v", got, want)
	}
}

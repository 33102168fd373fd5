package airflow

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/model"
)

// source says which part of the resolved environment a values subtree is
// built from, so that the chart's complaint about a value can point at the
// spec line that produced it.
type source struct {
	// values is the values path, dotted; "*" matches any one key or index.
	values string
	// spec is the resolved-environment path (airflow.executor), or "" for a
	// value ydpgen sets itself whatever the spec says.
	spec string
	// sub appends the rest of the values path to spec: the subtree has the
	// same shape on both sides (resources.limits.memory). Without it,
	// everything under values comes from the one spec value.
	sub bool
	// pick, when set, chooses spec for the environment and the rest of
	// the values path: a value that is the spec's when written and a
	// default otherwise.
	pick func(env *model.Environment, rest []string) string
}

// orDefaultClass is the path of a storage class the spec may leave to the
// cluster's default class.
func orDefaultClass(path string, class func(env *model.Environment) string) func(*model.Environment, []string) string {
	return func(env *model.Environment, _ []string) string {
		if class(env) != "" {
			return path
		}
		return "environment.cluster.defaultStorageClass"
	}
}

// ingressAnnotation is the spec's annotation when the spec wrote that key,
// else the ingress, whose profile and issuer gave it.
func ingressAnnotation(env *model.Environment, rest []string) string {
	if ing := env.Airflow.APIServer.Ingress; ing != nil && len(rest) > 0 {
		if _, ok := ing.Annotations[rest[0]]; ok {
			return "airflow.apiServer.ingress.annotations" + pathSuffix(rest)
		}
	}
	return "airflow.apiServer.ingress"
}

// sources lists where every key Build writes comes from. TestSourcesCover
// holds it complete for the examples' values; the longest matching entry
// wins.
func sources() []source {
	out := []source{
		{values: "airflowVersion", spec: "airflow.version"},
		{values: "defaultAirflowRepository", spec: "airflow.image.repository"},
		{values: "defaultAirflowTag", spec: "airflow.image.tag"},
		{values: "images.airflow", spec: "airflow.image", sub: true},
		{values: "executor", spec: "airflow.executor"},
		{values: "imagePullSecrets", spec: "airflow.pullSecret"},
		// The chart's Secrets are named after the release.
		{values: "fernetKeySecretName", spec: "airflow.releaseName"},
		{values: "apiSecretKeySecretName", spec: "airflow.releaseName"},
		{values: "jwtSecretName", spec: "airflow.releaseName"},
		{values: "data", spec: "airflow.releaseName"},
		{values: "data.brokerUrlSecretName", spec: "airflow.broker"},
		{values: "securityContexts"},
		{values: "postgresql"},
		{values: "pgbouncer", spec: "airflow.pgbouncer"},
		{values: "pgbouncer.enabled", spec: "airflow.pgbouncer.enabled"},
		{values: "pgbouncer.replicas", spec: "airflow.pgbouncer.replicas"},
		{values: "pgbouncer.maxClientConn", spec: "airflow.pgbouncer.maxClientConn"},
		{values: "pgbouncer.metadataPoolSize", spec: "airflow.pgbouncer.metadataPoolSize"},
		{values: "pgbouncer.configSecretName", spec: "airflow.releaseName"},
		{values: "pgbouncer.resources", spec: "airflow.pgbouncer.resources", sub: true},
		{values: "pgbouncer.securityContexts"},
		{values: "pgbouncer.metricsExporterSidecar.statsSecretName", spec: "airflow.releaseName"},
		{values: "pgbouncer.metricsExporterSidecar.resources", spec: "airflow.pgbouncer.exporterResources", sub: true},
		{values: "pgbouncer.metricsExporterSidecar.securityContexts"},
		{values: "redis", spec: "airflow.broker"},
		{values: "redis.passwordSecretName", spec: "airflow.releaseName"},
		{values: "redis.resources", spec: "airflow.components.redis.resources", sub: true},
		{values: "redis.persistence"},
		{values: "redis.persistence.storageClassName", spec: "environment.cluster.defaultStorageClass"},
		{values: "redis.securityContexts"},
		{values: "statsd.enabled", spec: "airflow.components.statsd.enabled"},
		{values: "statsd.resources", spec: "airflow.components.statsd.resources", sub: true},
		{values: "statsd.securityContexts"},
		{values: "workers.resources", spec: "airflow.components.workers.resources", sub: true},
		{values: "workers.celery.replicas", spec: "airflow.components.workers.replicas"},
		{values: "workers.celery.persistence"},
		{values: "triggerer.persistence"},
		{values: "apiServer.service.type", spec: "airflow.apiServer.serviceType"},
		{values: "migrateDatabaseJob", spec: "airflow.components.jobs.enabled"},
		{values: "migrateDatabaseJob.useHelmHooks"},
		{values: "migrateDatabaseJob.applyCustomEnv"},
		{values: "migrateDatabaseJob.ttlSecondsAfterFinished"},
		{values: "migrateDatabaseJob.jobAnnotations", spec: "gitops.engine"},
		{values: "migrateDatabaseJob.resources", spec: "airflow.components.jobs.resources", sub: true},
		{values: "createUserJob", spec: "airflow.admin"},
		{values: "createUserJob.useHelmHooks"},
		{values: "createUserJob.applyCustomEnv"},
		{values: "createUserJob.ttlSecondsAfterFinished"},
		{values: "createUserJob.defaultUser.enabled", spec: "airflow.components.jobs.enabled"},
		{values: "createUserJob.defaultUser", spec: "airflow.admin", sub: true},
		{values: "createUserJob.env", spec: "airflow.admin.credential"},
		{values: "createUserJob.resources", spec: "airflow.components.jobs.resources", sub: true},
		{values: "dags.persistence", spec: "airflow.dags.volume"},
		{values: "dags.persistence.enabled", spec: "airflow.dags.volume.enabled"},
		{values: "dags.persistence.size", spec: "airflow.dags.volume.size"},
		{values: "dags.persistence.storageClassName", pick: orDefaultClass("airflow.dags.volume.storageClass",
			func(env *model.Environment) string { return env.Airflow.DAGs.Volume.StorageClass })},
		{values: "dags.gitSync", spec: "airflow.dags.gitSync", sub: true},
		{values: "dags.gitSync.repo", spec: "airflow.dags.gitSync.repository"},
		{values: "dags.gitSync.credentialsSecret", spec: "airflow.dags.gitSync.credential"},
		{values: "dags.gitSync.securityContexts"},
		{values: "logs.persistence", spec: "airflow.logs.persistence"},
		{values: "logs.persistence.enabled", spec: "airflow.logs.persistence.enabled"},
		{values: "logs.persistence.size", spec: "airflow.logs.persistence.size"},
		{values: "logs.persistence.storageClassName", pick: orDefaultClass("airflow.logs.persistence.storageClass",
			func(env *model.Environment) string { return env.Airflow.Logs.Persistence.StorageClass })},
		{values: "databaseCleanup", spec: "maintenance.databaseCleanup", sub: true},
		{values: "databaseCleanup.resources", spec: "airflow.components.jobs.resources", sub: true},
		{values: "ingress.apiServer", spec: "airflow.apiServer.ingress"},
		{values: "ingress.apiServer.enabled", spec: "airflow.apiServer.ingress"},
		{values: "ingress.apiServer.ingressClassName", spec: "environment.cluster.ingressClass"},
		// The profile's controller annotations, the issuer's and the spec's.
		{values: "ingress.apiServer.annotations", pick: ingressAnnotation},
		{values: "ingress.apiServer.hosts.*.name", spec: "airflow.apiServer.ingress.host"},
		{values: "ingress.apiServer.hosts.*.tls", spec: "airflow.apiServer.ingress"},
		{values: "config", spec: "airflow.config", sub: true},
		{values: "config.core.load_examples"},
		// Beside the in-cluster metadata database, whose mode the spec
		// chose; the pod mutation hook follows datasurface.runAsUser.
		{values: "scheduler.affinity", spec: "airflow.metadataDatabase.mode"},
		{values: "airflowLocalSettings", spec: "datasurface.runAsUser"},
	}
	// The long-running components share their keys.
	for _, c := range []string{"scheduler", "dagProcessor", "triggerer", "apiServer", "workers"} {
		out = append(out,
			source{values: c + ".enabled", spec: "airflow.components." + c + ".enabled"},
			source{values: c + ".replicas", spec: "airflow.components." + c + ".replicas"},
			source{values: c + ".resources", spec: "airflow.components." + c + ".resources", sub: true},
			source{values: c + ".waitForMigrations", spec: "airflow.components.jobs.enabled"},
			source{values: c + ".logGroomerSidecar.enabled", spec: "maintenance.logCleanup.enabled"},
			source{values: c + ".logGroomerSidecar.retentionDays", spec: "maintenance.logCleanup.retentionDays"},
			source{values: c + ".logGroomerSidecar.resources", spec: "airflow.logs.groomer.resources", sub: true},
			source{values: c + ".livenessProbe", spec: "airflow.probes." + c + ".liveness", sub: true},
			source{values: c + ".startupProbe", spec: "airflow.probes." + c + ".startup", sub: true},
		)
	}
	out = append(out, source{values: "workers.celery.livenessProbe", spec: "airflow.probes.workers.liveness", sub: true})
	return out
}

// SpecPath says which value of env produced the chart value at path (map
// keys and list indices from the root of the values, as chart.ValueError
// gives them): a resolved-environment path such as
// airflow.components.scheduler.resources.limits.memory, which env.Origins
// places in the spec. ydpgen is true when no spec value decides it: ydpgen
// writes it the same for every spec (the security contexts, the chart's
// own database switched off). ok is false for a path Build never writes.
func SpecPath(env *model.Environment, path []string) (spec string, ydpgen, ok bool) {
	best, bestLen := source{}, -1
	for _, s := range sources() {
		pat := strings.Split(s.values, ".")
		if len(pat) > len(path) || len(pat) <= bestLen || !matches(pat, path[:len(pat)]) {
			continue
		}
		best, bestLen = s, len(pat)
	}
	rest := path[max(bestLen, 0):]
	switch {
	case bestLen < 0:
		return "", false, false
	case best.pick != nil:
		return best.pick(env, rest), false, true
	case best.spec == "":
		return "", true, true
	case !best.sub:
		return best.spec, false, true
	}
	return best.spec + pathSuffix(rest), false, true
}

// pathSuffix writes keys and indices as the loader writes origins' paths:
// .key, ."odd.key", [0].
func pathSuffix(segs []string) string {
	var b strings.Builder
	for _, seg := range segs {
		if _, err := strconv.Atoi(seg); err == nil {
			fmt.Fprintf(&b, "[%s]", seg)
			continue
		}
		b.WriteByte('.')
		if identifier(seg) {
			b.WriteString(seg)
		} else {
			b.WriteString(strconv.Quote(seg))
		}
	}
	return b.String()
}

func matches(pat, path []string) bool {
	for i, p := range pat {
		if p != "*" && p != path[i] {
			return false
		}
	}
	return true
}

// identifier says whether a key is written plain in a path, as the loader
// writes origins' keys.
func identifier(s string) bool {
	for i, r := range s {
		letter := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

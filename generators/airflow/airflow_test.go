package airflow

import (
	"fmt"
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/generators/database"
	controller "github.com/ydpgen/ydpgen/kube/ingress"
	"github.com/ydpgen/ydpgen/model"
)

// TestValuesRules holds, for every example and variant, the rules the
// values exist for.
func TestValuesRules(t *testing.T) {
	for _, env := range variants(t) {
		v, err := Build(env)
		if err != nil {
			t.Fatal(err)
		}
		name := env.Platform + "/" + env.Name + " " + env.Airflow.Executor
		celery := env.Airflow.Executor == "CeleryExecutor"
		redis := celery && env.Airflow.Broker != model.BrokerExternal

		if v.AirflowVersion != env.Airflow.Version || v.Images.Airflow.Tag != env.Airflow.Image.Tag {
			t.Errorf("%s: airflowVersion %s, tag %s", name, v.AirflowVersion, v.Images.Airflow.Tag)
		}
		if v.PostgreSQL.Enabled || v.Data.MetadataSecretName == "" {
			t.Errorf("%s: the metadata database must come from a Secret, never the subchart", name)
		}
		// Hooks never run under GitOps; nothing waits for a Job nobody runs.
		m := v.MigrateDatabaseJob
		if m.UseHelmHooks || m.ApplyCustomEnv || v.CreateUserJob.UseHelmHooks || v.CreateUserJob.ApplyCustomEnv {
			t.Errorf("%s: a chart Job uses Helm hooks or the custom env", name)
		}
		if m.Enabled != env.Airflow.Components.Jobs.Enabled || v.CreateUserJob.DefaultUser.Enabled != m.Enabled {
			t.Errorf("%s: migration %v, user creation %v, jobs.enabled %v", name, m.Enabled, v.CreateUserJob.DefaultUser.Enabled, env.Airflow.Components.Jobs.Enabled)
		}
		waits := map[string]bool{
			"scheduler": v.Scheduler.WaitForMigrations.Enabled, "dagProcessor": v.DAGProcessor.WaitForMigrations.Enabled,
			"triggerer": v.Triggerer.WaitForMigrations.Enabled, "apiServer": v.APIServer.WaitForMigrations.Enabled,
		}
		if w := v.Workers.WaitForMigrations; w != nil {
			waits["workers"] = w.Enabled
		}
		for c, w := range waits {
			if w != m.Enabled {
				t.Errorf("%s: %s.waitForMigrations %v with migrateDatabaseJob.enabled %v", name, c, w, m.Enabled)
			}
		}
		// With the database in the cluster, the scheduler prefers its node
		// (the database is placed first); with an external one, no affinity.
		if a := v.Scheduler.Affinity; (a != nil) != (env.Airflow.MetadataDatabase.Mode == model.InCluster) {
			t.Errorf("%s: scheduler affinity %+v with a %s database", name, a, env.Airflow.MetadataDatabase.Mode)
		} else if a != nil {
			sel := a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution[0].PodAffinityTerm.LabelSelector.MatchLabels
			if !maps.Equal(sel, database.ServerSelector(env)) {
				t.Errorf("%s: the scheduler prefers pods %v, not the database's", name, sel)
			}
		}
		// No default 100Gi claims.
		if v.Triggerer.Persistence.Enabled || v.Workers.Celery.Persistence.Enabled {
			t.Errorf("%s: triggerer or worker claims are on", name)
		}
		if v.Logs.Persistence.Enabled && (v.Logs.Persistence.Size == "" || v.Logs.Persistence.StorageClassName == "") {
			t.Errorf("%s: logs claim without size or class: %+v", name, v.Logs.Persistence)
		}
		if p := v.DAGs.Persistence; p.Enabled && (p.Size == "" || p.AccessMode != "ReadWriteMany") {
			t.Errorf("%s: DAG claim %+v", name, p)
		}
		if r := v.Redis.Persistence; r != nil && r.Size == "" {
			t.Errorf("%s: Redis claim without size", name)
		}
		// The broker: a fixed password, or an external URL.
		if v.Redis.Enabled != redis || (redis && v.Redis.PasswordSecretName == "") {
			t.Errorf("%s: redis %+v", name, v.Redis)
		}
		// Without Celery the name is only set so that a hydrated chart
		// renders no broker Secret of its own.
		if (v.Data.BrokerURLSecretName != "") != (celery || env.Airflow.Chart.Hydrate) {
			t.Errorf("%s: brokerUrlSecretName %q", name, v.Data.BrokerURLSecretName)
		}
		if celery && (v.Workers.Celery.Replicas != env.Airflow.Components.Workers.Replicas || v.Workers.Resources == nil) {
			t.Errorf("%s: Celery workers %+v", name, v.Workers)
		}
		if p := v.PgBouncer; p.Enabled != env.Airflow.PgBouncer.Enabled ||
			(p.Enabled && (p.ConfigSecretName == "" || p.MetricsExporterSidecar == nil || p.MetricsExporterSidecar.StatsSecretName == "")) {
			t.Errorf("%s: pgbouncer %+v", name, p)
		}
		// Log grooming follows maintenance.logCleanup.
		lc := env.Maintenance.LogCleanup
		for c, g := range map[string]LogGroomer{"scheduler": v.Scheduler.LogGroomerSidecar, "dagProcessor": v.DAGProcessor.LogGroomerSidecar, "triggerer": v.Triggerer.LogGroomerSidecar} {
			if g.Enabled != lc.Enabled || (g.Enabled && (g.RetentionDays != lc.RetentionDays || g.Resources == nil)) {
				t.Errorf("%s: %s log groomer %+v for logCleanup %+v", name, c, g, lc)
			}
		}
		if env.Airflow.DAGs.GitSync.Enabled && (v.DAGs.GitSync.Ref == "" || v.DAGs.GitSync.Period == "") {
			t.Errorf("%s: git-sync without v4 ref and period", name)
		}
	}
}

func TestIngress(t *testing.T) {
	base := func(profile, class string, ing model.Ingress) *model.Environment {
		return &model.Environment{Profile: profile, Cluster: model.Cluster{IngressClass: class},
			Airflow: model.Airflow{ReleaseName: "airflow", APIServer: model.APIServer{Ingress: &ing}}}
	}
	for _, c := range []struct {
		name string
		env  *model.Environment
		want APIServerIngress
	}{
		{"traefik without TLS", base("k3s-pi", "traefik", model.Ingress{Host: "a.example.com"}), APIServerIngress{
			Enabled: true, IngressClassName: "traefik", Path: "/", PathType: "Prefix",
			Annotations: map[string]string{"traefik.ingress.kubernetes.io/router.entrypoints": "web"},
			Hosts:       []IngressHost{{Name: "a.example.com"}},
		}},
		{"traefik with a cert-manager issuer", base("k3s-pi", "traefik", model.Ingress{Host: "a.example.com", Issuer: "le"}), APIServerIngress{
			Enabled: true, IngressClassName: "traefik", Path: "/", PathType: "Prefix",
			Annotations: map[string]string{
				"traefik.ingress.kubernetes.io/router.entrypoints": "websecure", "traefik.ingress.kubernetes.io/router.tls": "true",
				controller.IssuerAnnotation: "le",
			},
			Hosts: []IngressHost{{Name: "a.example.com", TLS: &IngressTLS{Enabled: true, SecretName: "airflow-api-server-tls"}}},
		}},
		{"nginx with a TLS Secret", base("kubeadm", "nginx", model.Ingress{Host: "a.example.com", TLSSecret: "a-tls"}), APIServerIngress{
			Enabled: true, IngressClassName: "nginx", Path: "/", PathType: "Prefix",
			Hosts: []IngressHost{{Name: "a.example.com", TLS: &IngressTLS{Enabled: true, SecretName: "a-tls"}}},
		}},
		{"ALB, the spec's annotation wins", base("eks", "alb", model.Ingress{Host: "a.example.com",
			Annotations: map[string]string{"alb.ingress.kubernetes.io/scheme": "internet-facing"}}), APIServerIngress{
			Enabled: true, IngressClassName: "alb", Path: "/", PathType: "Prefix",
			Annotations: map[string]string{
				"alb.ingress.kubernetes.io/scheme": "internet-facing", "alb.ingress.kubernetes.io/target-type": "ip",
				"alb.ingress.kubernetes.io/listen-ports": `[{"HTTPS":443}]`,
			},
			Hosts: []IngressHost{{Name: "a.example.com", TLS: &IngressTLS{Enabled: true}}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := maps.Clone(c.env.Airflow.APIServer.Ingress.Annotations)
			got := ingress(c.env)
			if diff := cmp.Diff(c.want, got.APIServer); diff != "" {
				t.Errorf("ingress (-want +got):\n%s", diff)
			}
			if !maps.Equal(spec, c.env.Airflow.APIServer.Ingress.Annotations) {
				t.Error("ingress changed the spec's annotations")
			}
		})
	}
	if ingress(&model.Environment{}) != nil {
		t.Error("an ingress without one in the spec")
	}
}

// TestChartJobLifecycle holds the chart's two Jobs to the lifecycle each
// engine needs (ARCHITECTURE.md, "Job lifecycle"), and the chart's claims
// to their protection.
func TestChartJobLifecycle(t *testing.T) {
	for _, engine := range []string{model.EngineNone, model.EngineFlux, model.EngineArgoCD} {
		for _, base := range variants(t) {
			env := *base
			env.GitOps.Engine = engine
			env.Airflow.Logs.Persistence = model.Persistence{Enabled: true, Size: "5Gi"}
			env.Airflow.DAGs.Volume = model.DAGVolume{Enabled: true, Size: "1Gi"}
			v, err := Build(&env)
			if err != nil {
				t.Fatal(err)
			}
			name := engine + " " + env.Platform + "/" + env.Name
			m, u := v.MigrateDatabaseJob, v.CreateUserJob
			ttl := func(p *int) string {
				if p == nil {
					return "none"
				}
				return fmt.Sprint(*p)
			}
			want := map[string]string{"migrate ttl": "300", "user ttl": "300", "migrate annotations": "map[]", "user annotations": "map[]"}
			keep := map[string]string{"helm.sh/resource-policy": "keep"}
			if engine == model.EngineArgoCD {
				// The migrations a Sync hook as the chart documents; the
				// user Job tracked, kept, and replaced when it changes.
				want = map[string]string{"migrate ttl": "300", "user ttl": "none",
					"migrate annotations": "map[argocd.argoproj.io/hook:Sync argocd.argoproj.io/hook-delete-policy:BeforeHookCreation]",
					"user annotations":    "map[argocd.argoproj.io/sync-options:Force=true,Replace=true]"}
				keep["argocd.argoproj.io/sync-options"] = "Prune=false,Delete=false"
			}
			if env.Airflow.Chart.Hydrate {
				// Hydrated, they are ydpgen's Jobs: no time to live, no
				// hook, whatever the engine.
				want = map[string]string{"migrate ttl": "none", "user ttl": "none", "migrate annotations": "map[]", "user annotations": "map[]"}
			}
			got := map[string]string{"migrate ttl": ttl(m.TTLSecondsAfterFinished), "user ttl": ttl(u.TTLSecondsAfterFinished),
				"migrate annotations": fmt.Sprint(m.JobAnnotations), "user annotations": fmt.Sprint(u.JobAnnotations)}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s: chart Jobs (-want +got):\n%s", name, d)
			}
			for what, a := range map[string]map[string]string{"logs": v.Logs.Persistence.Annotations, "dags": v.DAGs.Persistence.Annotations} {
				if d := cmp.Diff(keep, a); d != "" {
					t.Errorf("%s: %s claim annotations (-want +got):\n%s", name, what, d)
				}
			}
		}
	}
}

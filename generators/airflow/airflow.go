package airflow

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/database"
	"github.com/ydpgen/ydpgen/kube/pod"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// ValuesPath is where the values file goes, relative to the overlay.
const ValuesPath = "airflow/values.yaml"

// Generator renders the chart's values.
type Generator struct{}

// Name implements generators.Generator.
func (Generator) Name() string { return "airflow" }

// SecretNames are the Secrets the chart is pointed at. Each holds what its
// name says; ydpgen never writes their values.
type SecretNames struct {
	FernetKey       string // key fernet-key
	APISecretKey    string // key api-secret-key
	JWTSecret       string // key jwt-secret
	Metadata        string // key connection: a SQLAlchemy URL
	BrokerURL       string // key connection (Celery only)
	RedisPass       string // key password (Celery with the built-in Redis only)
	PgBouncerConfig string // keys pgbouncer.ini and users.txt (PgBouncer only)
	PgBouncerStats  string // key connection (PgBouncer only)
}

// Secrets returns the names of the chart's Secrets for an environment, as
// package credentials names them.
func Secrets(env *model.Environment) SecretNames {
	c := credentials.Chart(env)
	return SecretNames{
		FernetKey: c.FernetKey, APISecretKey: c.APISecretKey, JWTSecret: c.JWTSecret, Metadata: c.Metadata,
		BrokerURL: c.BrokerURL, RedisPass: c.RedisPassword, PgBouncerConfig: c.PgBouncerConfig, PgBouncerStats: c.PgBouncerStats,
	}
}

// ChartJobTTL is the time to live of the chart's migration and
// user-creation Jobs (the chart's default) where they have one: under
// helm-controller and the helm CLI nothing creates an expired Job again
// until the next upgrade of the release, which creates it once (Helm
// creates what its new manifest holds and the cluster lacks), while an
// upgrade that changes a Job still present would fail on its immutable
// template.
const ChartJobTTL = 300

// Argo CD's annotations as the chart's values set them.
const (
	argocdHook             = "argocd.argoproj.io/hook"
	argocdHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	argocdSyncOptions      = "argocd.argoproj.io/sync-options"
	// argocdReplaceChanged deletes and creates again an object that
	// changed instead of patching it.
	argocdReplaceChanged = "Force=true,Replace=true"
)

// KeepClaim are the annotations of the chart's claims that hold data (logs,
// DAG files): Helm (and helm-controller) keep a claim with
// helm.sh/resource-policy: keep when it leaves the chart's manifest or the
// release is uninstalled; Argo CD reads the same as Delete=false, and
// needs Prune=false too.
func KeepClaim(env *model.Environment) map[string]string {
	a := map[string]string{"helm.sh/resource-policy": "keep"}
	if env.GitOps.Engine == model.EngineArgoCD {
		a[argocdSyncOptions] = "Prune=false,Delete=false"
	}
	return a
}

// AdminPasswordEnv is the variable the user-creation job reads the admin
// password from; it is filled from the admin credential's Secret.
const AdminPasswordEnv = "YDPGEN_ADMIN_PASSWORD"

// Generate implements generators.Generator.
func (Generator) Generate(env *model.Environment) (generators.Artifacts, error) {
	v, err := Build(env)
	if err != nil {
		return generators.Artifacts{}, err
	}
	a := env.Airflow
	comments := []string{
		fmt.Sprintf("Helm values for chart %s %s from %s,", a.Chart.Name, a.Chart.Version, a.Chart.Repository),
		fmt.Sprintf("release %q in namespace %q, environment %q of platform %q.", a.ReleaseName, env.Namespace.Name, env.Name, env.Platform),
		"Secrets named here must exist before the release is installed; none of their values is in this file.",
		metadataComment(env),
	}
	if a.Chart.Hydrate {
		comments = append(comments, "ydpgen rendered the chart with these values into the overlay's objects; no kustomization reads this file:",
			"it is kept so that `helm template` can re-run the chart by hand.")
	}
	if a.PgBouncer.Enabled {
		comments = append(comments, fmt.Sprintf("PgBouncer is on: the connection in Secret %s points at %s-pgbouncer:6543, database %s-metadata.",
			Secrets(env).Metadata, a.ReleaseName, a.ReleaseName))
	}
	data, err := objset.EncodeFile(v, comments...)
	if err != nil {
		return generators.Artifacts{}, err
	}
	return generators.Artifacts{Files: []objset.File{{Path: ValuesPath, Data: data}}}, nil
}

// Build returns the typed values for an environment.
// Build returns the typed values for an environment.
func Build(env *model.Environment) (*Values, error) {
	a := env.Airflow
	comp := a.Components
	secrets := Secrets(env)
	b := &builder{}
	// Migrations run in the chart's Job unless the spec switches the Jobs
	// off; components wait for them only when someone runs them.
	migrate := comp.Jobs.Enabled
	jobs := b.res("airflow.components.jobs.resources", comp.Jobs.Resources)
	groomerRes := b.res("airflow.logs.groomer.resources", a.Logs.Groomer.Resources)
	groomer := func() LogGroomer {
		lc := env.Maintenance.LogCleanup
		if !lc.Enabled {
			return LogGroomer{Enabled: false}
		}
		return LogGroomer{Enabled: true, RetentionDays: lc.RetentionDays, Resources: ptr.To(groomerRes)}
	}
	component := func(name string, c model.Component, enabled *bool, p *model.Probes) Component {
		out := Component{Enabled: enabled, Replicas: c.Replicas, Resources: b.res("airflow.components."+name+".resources", c.Resources),
			WaitForMigrations: WaitForMigrations{Enabled: migrate}}
		if p != nil {
			out.LivenessProbe, out.StartupProbe = p.Liveness, p.Startup
		}
		return out
	}
	probes := a.Probes

	v := &Values{
		AirflowVersion:           a.Version,
		DefaultAirflowRepository: a.Image.Repository,
		DefaultAirflowTag:        a.Image.Tag,
		Images: Images{Airflow: Image{
			Repository: a.Image.Repository, Tag: a.Image.Tag, Digest: a.Image.Digest, PullPolicy: a.Image.PullPolicy,
		}},
		Executor:               a.Executor,
		FernetKeySecretName:    secrets.FernetKey,
		APISecretKeySecretName: secrets.APISecretKey,
		JWTSecretName:          secrets.JWTSecret,
		SecurityContexts:       GlobalSecurityContexts{Pod: podContext(airflowUID, 0), Containers: containerContext()},
		Data:                   Data{MetadataSecretName: secrets.Metadata, BrokerURLSecretName: secrets.BrokerURL},
		// Never the chart's Bitnami subchart: its images are frozen and
		// amd64-centred; an in-cluster database is rendered separately.
		PostgreSQL: Toggle{Enabled: false},
		PgBouncer:  PgBouncer{Enabled: false},
		Redis:      Redis{Enabled: false},
		StatsD:     StatsD{Enabled: comp.StatsD.Enabled},
		Scheduler: Scheduler{Component: component("scheduler", comp.Scheduler, nil, probes.Scheduler), LogGroomerSidecar: groomer(),
			Affinity: nextToDatabase(env)},
		DAGProcessor: DAGProcessor{Component: component("dagProcessor", comp.DAGProcessor, ptr.To(comp.DAGProcessor.Enabled), probes.DAGProcessor),
			LogGroomerSidecar: groomer()},
		// The chart claims 100Gi per triggerer for logs unless told
		// otherwise; logs go to the shared logs volume or stay ephemeral.
		Triggerer: Triggerer{Component: component("triggerer", comp.Triggerer, ptr.To(comp.Triggerer.Enabled), probes.Triggerer),
			Persistence: Persistence{Enabled: false}, LogGroomerSidecar: groomer()},
		APIServer: APIServer{Component: component("apiServer", comp.APIServer, nil, probes.APIServer), Service: Service{Type: a.APIServer.ServiceType}},
		MigrateDatabaseJob: MigrateDatabaseJob{
			// Hooks do not run as Helm runs them under Argo CD or Flux:
			// with hooks on, migrations never happen and every component
			// waits for them forever (the chart's GitOps install notes).
			Enabled: migrate, UseHelmHooks: false, ApplyCustomEnv: false, TTLSecondsAfterFinished: ptr.To(ChartJobTTL), Resources: jobs,
		},
		CreateUserJob:        createUserJob(env, migrate, jobs),
		Logs:                 Logs{Persistence: LogPersistence{Enabled: false}},
		DatabaseCleanup:      DatabaseCleanup{Enabled: false},
		AirflowLocalSettings: LocalSettings(env),
	}
	if env.GitOps.Engine == model.EngineArgoCD {
		// The chart's guidance for Argo CD: the migrations as a Sync hook,
		// which Argo CD creates again (and so runs) on every sync of the
		// Airflow Application; `airflow db migrate` at the head does
		// nothing. The delete policy is said rather than left to Argo CD's
		// default: a named hook without one was created only once by
		// older releases.
		v.MigrateDatabaseJob.JobAnnotations = map[string]string{argocdHook: "Sync", argocdHookDeletePolicy: "BeforeHookCreation"}
		// The user-creation Job is tracked: with a time to live, self-heal
		// would create it again after it expired and run it again. Without
		// one it stays in sync; a changed one is replaced (the Airflow
		// Application applies only what is out of sync, gitops/argocd.go).
		v.CreateUserJob.TTLSecondsAfterFinished = nil
		v.CreateUserJob.JobAnnotations = map[string]string{argocdSyncOptions: argocdReplaceChanged}
	}
	if a.Chart.Hydrate {
		// Hydrated, the chart's Jobs are ydpgen's objects like any other
		// and follow the Job lifecycle (ARCHITECTURE.md): no time to live,
		// never a hook; passes/jobhash names them after their content and
		// passes/syncpolicy writes what the engine needs.
		v.MigrateDatabaseJob.TTLSecondsAfterFinished = nil
		v.MigrateDatabaseJob.JobAnnotations = nil
		v.CreateUserJob.TTLSecondsAfterFinished = nil
		v.CreateUserJob.JobAnnotations = nil
		if v.Data.BrokerURLSecretName == "" {
			// Chart 1.19 renders a broker URL Secret holding "%!s(<nil>)"
			// whenever this is unset, Celery or not, and a hydrated tree
			// holds no Secret values. Named, the chart renders none;
			// without Celery nothing reads it.
			v.Data.BrokerURLSecretName = a.ReleaseName + "-broker-url"
		}
	}
	if a.PullSecret != "" {
		v.ImagePullSecrets = []corev1.LocalObjectReference{{Name: model.K8sName(a.PullSecret)}}
	}

	// The chart's scheduler runs tasks under LocalExecutor and then, like
	// Celery workers, claims 100Gi for their logs unless this is off; it is
	// read under workers.celery from 1.19 on, whatever the executor.
	v.Workers.Celery.Persistence = Persistence{Enabled: false}
	switch a.Executor {
	case "CeleryExecutor":
		v.Workers.Resources = ptr.To(b.res("airflow.components.workers.resources", comp.Workers.Resources))
		v.Workers.Celery.Replicas = comp.Workers.Replicas
		if p := probes.Workers; p != nil {
			v.Workers.Celery.LivenessProbe = p.Liveness
		}
		v.Workers.WaitForMigrations = &WaitForMigrations{Enabled: migrate}
		v.Workers.LogGroomerSidecar = ptr.To(groomer())
		if a.Broker != model.BrokerExternal {
			v.Redis = builtInRedis(env, secrets, b.res("airflow.components.redis.resources", comp.Redis.Resources))
		}
	case "KubernetesExecutor":
		// Task pods are built from the workers' pod template.
		v.Workers.Resources = ptr.To(b.res("airflow.components.workers.resources", comp.Workers.Resources))
	}

	if p := a.PgBouncer; p.Enabled {
		v.PgBouncer = PgBouncer{
			Enabled: true, Replicas: p.Replicas, MaxClientConn: p.MaxClientConn, MetadataPoolSize: p.MetadataPoolSize,
			ConfigSecretName: secrets.PgBouncerConfig,
			Resources:        ptr.To(b.res("airflow.pgbouncer.resources", p.Resources)),
			// PgBouncer's image runs as nobody.
			SecurityContexts: &SecurityContexts{Pod: podContext(nobodyUID, nobodyUID), Container: containerContext()},
			MetricsExporterSidecar: &MetricsExporter{StatsSecretName: secrets.PgBouncerStats,
				Resources:        ptr.To(b.res("airflow.pgbouncer.exporterResources", p.ExporterResources)),
				SecurityContexts: &SecurityContexts{Container: containerContext()}},
		}
	}
	if comp.StatsD.Enabled {
		v.StatsD.Resources = ptr.To(b.res("airflow.components.statsd.resources", comp.StatsD.Resources))
		// The statsd-exporter image runs as nobody.
		v.StatsD.SecurityContexts = &SecurityContexts{Pod: podContext(nobodyUID, nobodyUID), Container: containerContext()}
	}

	if lp := a.Logs.Persistence; lp.Enabled {
		v.Logs.Persistence = LogPersistence{Enabled: true, Size: lp.Size, StorageClassName: storageClass(env, lp.StorageClass),
			Annotations: KeepClaim(env)}
	}
	if dc := env.Maintenance.DatabaseCleanup; dc.Enabled {
		v.DatabaseCleanup = DatabaseCleanup{Enabled: true, Schedule: dc.Schedule, RetentionDays: dc.RetentionDays, Resources: ptr.To(jobs)}
	}
	v.DAGs = dags(env, b)
	v.Ingress = ingress(env)

	v.Config = map[string]map[string]string{
		// Examples would be parsed on every DAG processor loop.
		"core": {"load_examples": "False"},
	}
	for _, section := range slices.Sorted(maps.Keys(a.Config)) {
		if v.Config[section] == nil {
			v.Config[section] = map[string]string{}
		}
		maps.Copy(v.Config[section], a.Config[section])
	}
	if b.err != nil {
		return nil, b.err
	}
	return v, nil
}

// builder converts spec quantities and keeps the first error.
type builder struct{ err error }

func (b *builder) res(path string, r model.Resources) corev1.ResourceRequirements {
	rr, err := pod.Resources(path, r)
	if err != nil && b.err == nil {
		b.err = err
	}
	return rr
}

// createUserJob creates the admin user, reading its password from the admin
// credential's Secret when the Job runs.
func createUserJob(env *model.Environment, enabled bool, res corev1.ResourceRequirements) CreateUserJob {
	ad := env.Airflow.Admin
	return CreateUserJob{
		UseHelmHooks: false, ApplyCustomEnv: false, TTLSecondsAfterFinished: ptr.To(ChartJobTTL), Resources: res,
		DefaultUser: DefaultUser{
			Enabled: enabled, Role: ad.Role, Username: ad.Username, Email: ad.Email, FirstName: ad.FirstName, LastName: ad.LastName,
		},
		// The chart passes the password as a literal argument from the
		// values; read it from the admin credential's Secret instead.
		Args: []string{
			"bash", "-c",
			`exec airflow users create "$@" --password "$` + AdminPasswordEnv + `"`,
			"--",
			"--role", ad.Role,
			"--username", ad.Username,
			"--email", ad.Email,
			"--firstname", ad.FirstName,
			"--lastname", ad.LastName,
		},
		Env: []corev1.EnvVar{{
			Name: AdminPasswordEnv,
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(ad.Credential)},
				Key:                  "PASSWORD",
			}},
		}},
	}
}

// redisClaim is the built-in broker's claim: small, and explicit so that no
// chart default decides it.
const redisClaim = "1Gi"

// builtInRedis is the chart's Redis with a password from a fixed Secret: a
// generated one would change on every render.
func builtInRedis(env *model.Environment, s SecretNames, res corev1.ResourceRequirements) Redis {
	return Redis{
		Enabled: true, PasswordSecretName: s.RedisPass, Resources: ptr.To(res),
		Persistence: &RedisPersistence{Enabled: true, Size: redisClaim, StorageClassName: env.Cluster.DefaultStorageClass},
		// The redis image's own user; the chart would run it as root.
		SecurityContexts: &SecurityContexts{Pod: podContext(redisUID, redisUID), Container: containerContext()},
	}
}

// dags delivers DAG files by git-sync (v4 keys only), a ReadWriteMany
// volume, or git-sync into that volume.
func dags(env *model.Environment, b *builder) DAGs {
	var d DAGs
	if vol := env.Airflow.DAGs.Volume; vol.Enabled {
		d.Persistence = DAGPersistence{Enabled: true, Size: vol.Size, StorageClassName: storageClass(env, vol.StorageClass), AccessMode: "ReadWriteMany",
			Annotations: KeepClaim(env)}
	}
	gs := env.Airflow.DAGs.GitSync
	if !gs.Enabled {
		return d
	}
	d.GitSync = GitSync{
		Enabled: true, Repo: gs.Repository, Ref: gs.Ref, Period: gs.Period, SubPath: gs.SubPath, Depth: gs.Depth,
		Resources: ptr.To(b.res("airflow.dags.gitSync.resources", gs.Resources)),
		// git-sync's containers do not fall back to the global contexts.
		SecurityContexts: &SecurityContexts{Container: containerContext()},
	}
	switch {
	case model.IsSSHURL(gs.Repository):
		// An SSH URL: the key from the credential's Secret (key gitSshKey),
		// the server's host keys from the spec.
		if gs.Credential != "" {
			d.GitSync.SSHKeySecret = model.K8sName(gs.Credential)
		}
		d.GitSync.KnownHosts = gs.KnownHosts
	case gs.Credential != "":
		d.GitSync.CredentialsSecret = model.K8sName(gs.Credential)
	}
	return d
}

// storageClass is the spec's class, or the cluster's default.
func storageClass(env *model.Environment, class string) string {
	if class == "" {
		return env.Cluster.DefaultStorageClass
	}
	return class
}

// User IDs of the images the chart runs: Airflow's (group 0), nobody (the
// statsd-exporter and PgBouncer images) and the redis image's redis user.
const (
	airflowUID int64 = 50000
	nobodyUID  int64 = 65534
	redisUID   int64 = 999
)

// PodSecurity is the pod security context of Airflow's own pods as the
// values set it (the image's user, group 0), for pods outside the chart
// that run the Airflow image.
func PodSecurity() *corev1.PodSecurityContext { return podContext(airflowUID, 0) }

// podContext meets the Pod Security "restricted" level as the given user;
// files on volumes belong to group fsGroup.
func podContext(uid, fsGroup int64) *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To(uid),
		RunAsGroup:     ptr.To(fsGroup),
		FSGroup:        ptr.To(fsGroup),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// containerContext is the container part of "restricted".
func containerContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// metadataComment says where the metadata connection Secret must point: the
// values name only the Secret, and a wrong host there crash-loops every
// component.
func metadataComment(env *model.Environment) string {
	m := env.Airflow.MetadataDatabase
	where := "the external server"
	if m.Mode == model.InCluster {
		where = "the in-cluster PostgreSQL ydpgen renders"
	}
	return fmt.Sprintf("Metadata database: Secret %s (key connection) points at %s:%d/%s, %s.",
		Secrets(env).Metadata, m.Host, m.Port, m.Name, where)
}

// nextToDatabase prefers, for the scheduler, the node of the in-cluster
// PostgreSQL, which the database stage starts before Airflow: a query to
// another Raspberry Pi node costs 2-5 ms, and the scheduler makes thousands.
// The database comes first in the apply order, so the scheduler follows it,
// not the other way round (a database that waited for the scheduler's node
// would find no scheduler when it is placed). It is a preference, not a
// rule: a full node must not leave Airflow without a scheduler. nil for an
// external database.
func nextToDatabase(env *model.Environment) *corev1.Affinity {
	if env.Airflow.MetadataDatabase.Mode != model.InCluster {
		return nil
	}
	return &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 100,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: database.ServerSelector(env)},
				TopologyKey:   "kubernetes.io/hostname",
			},
		}},
	}}
}

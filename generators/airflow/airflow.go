package airflow

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/generators"
	"github.com/ydpgen/ydpgen/generators/objset"
	"github.com/ydpgen/ydpgen/model"
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
	FernetKey    string // key fernet-key
	APISecretKey string // key api-secret-key
	JWTSecret    string // key jwt-secret
	Metadata     string // key connection: a SQLAlchemy URL
	BrokerURL    string // key connection (Celery only)
	RedisPass    string // key password (Celery only)
}

// Secrets returns the names of the chart's Secrets for an environment.
func Secrets(env *model.Environment) SecretNames {
	r := env.Airflow.ReleaseName
	s := SecretNames{
		FernetKey:    r + "-fernet-key",
		APISecretKey: r + "-api-secret-key",
		JWTSecret:    r + "-jwt-secret",
		Metadata:     r + "-metadata",
	}
	if env.Airflow.Executor == "CeleryExecutor" {
		s.BrokerURL = r + "-broker-url"
		s.RedisPass = r + "-redis-password"
	}
	return s
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
	data, err := objset.File(v, comments...)
	if err != nil {
		return generators.Artifacts{}, err
	}
	return generators.Artifacts{Files: []generators.File{{Path: ValuesPath, Data: data}}}, nil
}

// Build returns the typed values for an environment.
func Build(env *model.Environment) (*Values, error) {
	a := env.Airflow
	comp := a.Components
	secrets := Secrets(env)
	celery := a.Executor == "CeleryExecutor"

	res := func(name string, r model.Resources) (corev1.ResourceRequirements, error) {
		rr, err := Resources(r)
		if err != nil {
			return rr, fmt.Errorf("airflow.components.%s.resources: %w", name, err)
		}
		return rr, nil
	}
	var err error
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
		SecurityContexts:       restricted(),
		Data:                   Data{MetadataSecretName: secrets.Metadata, BrokerURLSecretName: secrets.BrokerURL},
		// Never the chart's Bitnami subchart: its images are frozen and
		// amd64-centred; an in-cluster database is rendered separately.
		PostgreSQL: Toggle{Enabled: false},
		PgBouncer:  Toggle{Enabled: false},
		Redis:      Redis{Enabled: celery},
		StatsD:     StatsD{Enabled: comp.StatsD.Enabled},
		MigrateDatabaseJob: MigrateDatabaseJob{
			// Hooks do not run as Helm runs them under Argo CD or Flux:
			// with hooks on, migrations never happen and every component
			// waits for them forever.
			Enabled: true, UseHelmHooks: false, ApplyCustomEnv: false, TTLSecondsAfterFinished: 3600,
		},
		CreateUserJob: CreateUserJob{
			UseHelmHooks: false, ApplyCustomEnv: false, TTLSecondsAfterFinished: 3600,
			DefaultUser: DefaultUser{
				Enabled: true, Role: a.Admin.Role, Username: a.Admin.Username, Email: a.Admin.Email,
				FirstName: a.Admin.FirstName, LastName: a.Admin.LastName,
			},
			// The chart passes the password as a literal argument from the
			// values; read it from the admin credential's Secret instead.
			Args: []string{
				"bash", "-c",
				`exec airflow users create "$@" --password "$` + AdminPasswordEnv + `"`,
				"--",
				"--role", a.Admin.Role,
				"--username", a.Admin.Username,
				"--email", a.Admin.Email,
				"--firstname", a.Admin.FirstName,
				"--lastname", a.Admin.LastName,
			},
			Env: []corev1.EnvVar{{
				Name: AdminPasswordEnv,
				ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: model.K8sName(a.Admin.Credential)},
					Key:                  "PASSWORD",
				}},
			}},
		},
		DAGs: DAGs{Persistence: Persistence{Enabled: false}},
		Logs: Logs{Persistence: LogPersistence{Enabled: a.Logs.Persistence.Enabled}},
		DatabaseCleanup: DatabaseCleanup{
			Enabled:       env.Maintenance.DatabaseCleanup.Enabled,
			Schedule:      env.Maintenance.DatabaseCleanup.Schedule,
			RetentionDays: env.Maintenance.DatabaseCleanup.RetentionDays,
		},
	}
	if a.PullSecret != "" {
		v.ImagePullSecrets = []corev1.LocalObjectReference{{Name: model.K8sName(a.PullSecret)}}
	}
	if a.Logs.Persistence.Enabled {
		v.Logs.Persistence.Size = a.Logs.Persistence.Size
		v.Logs.Persistence.StorageClassName = a.Logs.Persistence.StorageClass
	}
	if !v.DatabaseCleanup.Enabled {
		v.DatabaseCleanup = DatabaseCleanup{Enabled: false}
	}
	if v.MigrateDatabaseJob.Resources, err = res("jobs", comp.Jobs.Resources); err != nil {
		return nil, err
	}
	v.CreateUserJob.Resources = v.MigrateDatabaseJob.Resources

	if v.Scheduler, err = component("scheduler", comp.Scheduler, nil); err != nil {
		return nil, err
	}
	if v.DAGProcessor, err = component("dagProcessor", comp.DAGProcessor, ptr.To(true)); err != nil {
		return nil, err
	}
	if v.APIServer.Component, err = component("apiServer", comp.APIServer, nil); err != nil {
		return nil, err
	}
	v.APIServer.Service = Service{Type: a.APIServer.ServiceType}
	if v.Triggerer.Component, err = component("triggerer", comp.Triggerer, ptr.To(comp.Triggerer.Enabled)); err != nil {
		return nil, err
	}
	// The chart claims 100Gi per triggerer and per worker for logs unless
	// told otherwise; logs go to the shared logs volume or stay ephemeral.
	v.Triggerer.Persistence = Persistence{Enabled: false}

	workerRes, err := res("workers", comp.Workers.Resources)
	if err != nil {
		return nil, err
	}
	switch a.Executor {
	case "CeleryExecutor":
		v.Workers = &Workers{Resources: workerRes, Celery: &CeleryWorkers{Replicas: comp.Workers.Replicas}}
	case "KubernetesExecutor":
		// Task pods are built from the workers' pod template.
		v.Workers = &Workers{Resources: workerRes}
	default:
		// LocalExecutor runs tasks in the scheduler, which then takes the
		// workers' log claim unless it is switched off.
		v.Workers = &Workers{Resources: workerRes}
	}
	if celery {
		if v.Redis.Resources, err = resPtr("redis", comp.Redis.Resources); err != nil {
			return nil, err
		}
		v.Redis.PasswordSecretName = secrets.RedisPass
		v.Redis.SecurityContexts = &SecurityContexts{Pod: restricted().Pod, Container: restricted().Containers}
	}
	if comp.StatsD.Enabled {
		if v.StatsD.Resources, err = resPtr("statsd", comp.StatsD.Resources); err != nil {
			return nil, err
		}
		v.StatsD.SecurityContexts = &SecurityContexts{Pod: restricted().Pod, Container: restricted().Containers}
	}

	if ing := a.APIServer.Ingress; ing != nil {
		host := IngressHost{Name: ing.Host}
		if ing.TLSSecret != "" {
			host.TLS = &IngressTLS{Enabled: true, SecretName: ing.TLSSecret}
		}
		v.Ingress = &Ingress{APIServer: APIServerIngress{
			Enabled: true, IngressClassName: env.Cluster.IngressClass, Annotations: ing.Annotations,
			Path: "/", PathType: "Prefix", Hosts: []IngressHost{host},
		}}
	}

	gs := a.DAGs.GitSync
	v.DAGs.GitSync = GitSync{Enabled: gs.Enabled}
	if gs.Enabled {
		v.DAGs.GitSync = GitSync{
			Enabled: true, Repo: gs.Repository, Ref: gs.Ref, Period: gs.Period, SubPath: gs.SubPath, Depth: gs.Depth,
			SecurityContexts: &SecurityContexts{Container: restricted().Containers},
		}
		if gs.Credential != "" {
			v.DAGs.GitSync.CredentialsSecret = model.K8sName(gs.Credential)
		}
		if v.DAGs.GitSync.Resources, err = resPtr("gitSync", gs.Resources); err != nil {
			return nil, err
		}
	}

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
	return v, nil
}

func component(name string, c model.Component, enabled *bool) (Component, error) {
	r, err := Resources(c.Resources)
	if err != nil {
		return Component{}, fmt.Errorf("airflow.components.%s.resources: %w", name, err)
	}
	return Component{Enabled: enabled, Replicas: c.Replicas, Resources: r, WaitForMigrations: WaitForMigrations{Enabled: true}}, nil
}

func resPtr(name string, r model.Resources) (*corev1.ResourceRequirements, error) {
	rr, err := Resources(r)
	if err != nil {
		return nil, fmt.Errorf("airflow.components.%s.resources: %w", name, err)
	}
	return &rr, nil
}

// Resources converts model quantities into Kubernetes ones.
func Resources(r model.Resources) (corev1.ResourceRequirements, error) {
	list := func(s model.Resources1) (corev1.ResourceList, error) {
		cpu, err := resource.ParseQuantity(s.CPU)
		if err != nil {
			return nil, fmt.Errorf("cpu %q: %w", s.CPU, err)
		}
		mem, err := resource.ParseQuantity(s.Memory)
		if err != nil {
			return nil, fmt.Errorf("memory %q: %w", s.Memory, err)
		}
		return corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}, nil
	}
	req, err := list(r.Requests)
	if err != nil {
		return corev1.ResourceRequirements{}, fmt.Errorf("requests: %w", err)
	}
	lim, err := list(r.Limits)
	if err != nil {
		return corev1.ResourceRequirements{}, fmt.Errorf("limits: %w", err)
	}
	return corev1.ResourceRequirements{Requests: req, Limits: lim}, nil
}

// restricted are security contexts that meet the Pod Security "restricted"
// level with the Airflow image's own user (50000, group 0).
func restricted() SecurityContexts {
	return SecurityContexts{
		Pod: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](50000),
			RunAsGroup:     ptr.To[int64](0),
			FSGroup:        ptr.To[int64](0),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
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

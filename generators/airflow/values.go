package airflow

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/model"
)

// Values is the subset of the chart's values that ydpgen sets. Every key
// here is in the chart's closed values schema from 1.19 on; chartkeys_test.go
// holds the list of paths this file may produce.
type Values struct {
	AirflowVersion           string                        `json:"airflowVersion"`
	DefaultAirflowRepository string                        `json:"defaultAirflowRepository"`
	DefaultAirflowTag        string                        `json:"defaultAirflowTag"`
	Images                   Images                        `json:"images"`
	Executor                 string                        `json:"executor"`
	ImagePullSecrets         []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`
	FernetKeySecretName      string                        `json:"fernetKeySecretName"`
	APISecretKeySecretName   string                        `json:"apiSecretKeySecretName"`
	JWTSecretName            string                        `json:"jwtSecretName"`
	SecurityContexts         GlobalSecurityContexts        `json:"securityContexts"`
	Data                     Data                          `json:"data"`
	PostgreSQL               Toggle                        `json:"postgresql"`
	PgBouncer                PgBouncer                     `json:"pgbouncer"`
	Redis                    Redis                         `json:"redis"`
	StatsD                   StatsD                        `json:"statsd"`
	Scheduler                Scheduler                     `json:"scheduler"`
	Workers                  Workers                       `json:"workers"`
	Triggerer                Triggerer                     `json:"triggerer"`
	DAGProcessor             DAGProcessor                  `json:"dagProcessor"`
	APIServer                APIServer                     `json:"apiServer"`
	MigrateDatabaseJob       MigrateDatabaseJob            `json:"migrateDatabaseJob"`
	CreateUserJob            CreateUserJob                 `json:"createUserJob"`
	DAGs                     DAGs                          `json:"dags"`
	Logs                     Logs                          `json:"logs"`
	DatabaseCleanup          DatabaseCleanup               `json:"databaseCleanup"`
	Ingress                  *Ingress                      `json:"ingress,omitempty"`
	Config                   map[string]map[string]string  `json:"config,omitempty"`
	// AirflowLocalSettings is airflow_local_settings.py (LocalSettings).
	AirflowLocalSettings string `json:"airflowLocalSettings,omitempty"`
}

// Images pins the Airflow image.
type Images struct {
	Airflow Image `json:"airflow"`
}

// Image is the chart's image block.
type Image struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	PullPolicy string `json:"pullPolicy"`
}

// GlobalSecurityContexts are the chart's defaults for every Airflow pod and
// container; the top level names the container part "containers".
type GlobalSecurityContexts struct {
	Pod        *corev1.PodSecurityContext `json:"pod,omitempty"`
	Containers *corev1.SecurityContext    `json:"containers,omitempty"`
}

// SecurityContexts are a component's own pod and container contexts, for
// the parts of the chart that do not fall back to the global ones.
type SecurityContexts struct {
	Pod       *corev1.PodSecurityContext `json:"pod,omitempty"`
	Container *corev1.SecurityContext    `json:"container,omitempty"`
}

// Data points Airflow at its databases through Secrets.
type Data struct {
	MetadataSecretName  string `json:"metadataSecretName"`
	BrokerURLSecretName string `json:"brokerUrlSecretName,omitempty"`
}

// Toggle is a section that is only switched on or off.
type Toggle struct {
	Enabled bool `json:"enabled"`
}

// PgBouncer is the chart's connection pooler. Its configuration and the
// exporter's connection come from Secrets: the chart would otherwise build
// them from data.metadataConnection, which a connection Secret leaves at
// its defaults.
type PgBouncer struct {
	Enabled                bool                         `json:"enabled"`
	Replicas               int                          `json:"replicas,omitempty"`
	MaxClientConn          int                          `json:"maxClientConn,omitempty"`
	MetadataPoolSize       int                          `json:"metadataPoolSize,omitempty"`
	ConfigSecretName       string                       `json:"configSecretName,omitempty"`
	Resources              *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts       *SecurityContexts            `json:"securityContexts,omitempty"`
	MetricsExporterSidecar *MetricsExporter             `json:"metricsExporterSidecar,omitempty"`
}

// MetricsExporter is PgBouncer's metrics sidecar.
type MetricsExporter struct {
	StatsSecretName  string                       `json:"statsSecretName"`
	Resources        *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts *SecurityContexts            `json:"securityContexts,omitempty"`
}

// Redis is the chart's built-in Celery broker.
type Redis struct {
	Enabled            bool                         `json:"enabled"`
	PasswordSecretName string                       `json:"passwordSecretName,omitempty"`
	Resources          *corev1.ResourceRequirements `json:"resources,omitempty"`
	Persistence        *RedisPersistence            `json:"persistence,omitempty"`
	SecurityContexts   *SecurityContexts            `json:"securityContexts,omitempty"`
}

// RedisPersistence is the broker's claim, sized explicitly.
type RedisPersistence struct {
	Enabled          bool   `json:"enabled"`
	Size             string `json:"size,omitempty"`
	StorageClassName string `json:"storageClassName,omitempty"`
}

// StatsD is the chart's metrics exporter.
type StatsD struct {
	Enabled          bool                         `json:"enabled"`
	Resources        *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts *SecurityContexts            `json:"securityContexts,omitempty"`
}

// WaitForMigrations is the init container that waits for the schema.
type WaitForMigrations struct {
	Enabled bool `json:"enabled"`
}

// Component is a long-running Airflow component.
type Component struct {
	Enabled           *bool                       `json:"enabled,omitempty"`
	Replicas          int                         `json:"replicas"`
	Resources         corev1.ResourceRequirements `json:"resources"`
	WaitForMigrations WaitForMigrations           `json:"waitForMigrations"`
	// The probes the spec times; the chart keeps its own for the rest
	// (it merges these keys over its defaults). The spec's timing fields
	// are the chart's keys, so the spec's probe is written as it is.
	LivenessProbe *model.Probe `json:"livenessProbe,omitempty"`
	StartupProbe  *model.Probe `json:"startupProbe,omitempty"`
}

// LogGroomer is a component's sidecar that deletes old task logs.
type LogGroomer struct {
	Enabled       bool                         `json:"enabled"`
	RetentionDays int                          `json:"retentionDays,omitempty"`
	Resources     *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// Scheduler schedules tasks (and runs them under LocalExecutor).
type Scheduler struct {
	Component
	LogGroomerSidecar LogGroomer       `json:"logGroomerSidecar"`
	Affinity          *corev1.Affinity `json:"affinity,omitempty"`
}

// DAGProcessor parses DAG files.
type DAGProcessor struct {
	Component
	LogGroomerSidecar LogGroomer `json:"logGroomerSidecar"`
}

// Persistence is a component's own volume claim.
type Persistence struct {
	Enabled bool `json:"enabled"`
}

// Triggerer runs deferred tasks.
type Triggerer struct {
	Component
	Persistence       Persistence `json:"persistence"`
	LogGroomerSidecar LogGroomer  `json:"logGroomerSidecar"`
}

// Workers are Celery workers, or the pod template of Kubernetes tasks.
// Resources, waitForMigrations and the log groomer stay at the workers
// level, where chart 1.19 reads them; only replicas and persistence moved
// under celery in 1.19.
type Workers struct {
	Resources         *corev1.ResourceRequirements `json:"resources,omitempty"`
	Celery            CeleryWorkers                `json:"celery"`
	WaitForMigrations *WaitForMigrations           `json:"waitForMigrations,omitempty"`
	LogGroomerSidecar *LogGroomer                  `json:"logGroomerSidecar,omitempty"`
}

// CeleryWorkers are the chart 1.19+ keys for Celery workers. The scheduler
// also reads persistence under LocalExecutor, where it runs the tasks.
type CeleryWorkers struct {
	Replicas      int          `json:"replicas,omitempty"`
	Persistence   Persistence  `json:"persistence"`
	LivenessProbe *model.Probe `json:"livenessProbe,omitempty"`
}

// APIServer serves the Airflow 3 UI and REST API.
type APIServer struct {
	Component
	Service Service `json:"service"`
}

// Service is a chart service block.
type Service struct {
	Type string `json:"type"`
}

// MigrateDatabaseJob runs `airflow db migrate`.
type MigrateDatabaseJob struct {
	Enabled        bool `json:"enabled"`
	UseHelmHooks   bool `json:"useHelmHooks"`
	ApplyCustomEnv bool `json:"applyCustomEnv"`
	// TTLSecondsAfterFinished is written even when nil: null removes the
	// chart's default, and the Job then has no time to live.
	TTLSecondsAfterFinished *int                        `json:"ttlSecondsAfterFinished"`
	JobAnnotations          map[string]string           `json:"jobAnnotations,omitempty"`
	Resources               corev1.ResourceRequirements `json:"resources"`
}

// CreateUserJob creates the first user.
type CreateUserJob struct {
	UseHelmHooks   bool `json:"useHelmHooks"`
	ApplyCustomEnv bool `json:"applyCustomEnv"`
	// TTLSecondsAfterFinished: as in MigrateDatabaseJob.
	TTLSecondsAfterFinished *int                        `json:"ttlSecondsAfterFinished"`
	JobAnnotations          map[string]string           `json:"jobAnnotations,omitempty"`
	DefaultUser             DefaultUser                 `json:"defaultUser"`
	Args                    []string                    `json:"args"`
	Env                     []corev1.EnvVar             `json:"env"`
	Resources               corev1.ResourceRequirements `json:"resources"`
}

// DefaultUser is the user the job creates; its password is not here.
type DefaultUser struct {
	Enabled   bool   `json:"enabled"`
	Role      string `json:"role"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// DAGs is how DAG files reach the components.
type DAGs struct {
	Persistence DAGPersistence `json:"persistence"`
	GitSync     GitSync        `json:"gitSync"`
}

// DAGPersistence is the DAG volume. Every component mounts it at once, so
// it is always ReadWriteMany.
type DAGPersistence struct {
	Enabled          bool              `json:"enabled"`
	Size             string            `json:"size,omitempty"`
	StorageClassName string            `json:"storageClassName,omitempty"`
	AccessMode       string            `json:"accessMode,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// GitSync is the chart's git-sync (v4) sidecar.
type GitSync struct {
	Enabled           bool                         `json:"enabled"`
	Repo              string                       `json:"repo,omitempty"`
	Ref               string                       `json:"ref,omitempty"`
	Period            string                       `json:"period,omitempty"`
	SubPath           string                       `json:"subPath,omitempty"`
	Depth             int                          `json:"depth,omitempty"`
	CredentialsSecret string                       `json:"credentialsSecret,omitempty"`
	SSHKeySecret      string                       `json:"sshKeySecret,omitempty"`
	KnownHosts        string                       `json:"knownHosts,omitempty"`
	Resources         *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts  *SecurityContexts            `json:"securityContexts,omitempty"`
}

// Logs is the shared task-log volume (always ReadWriteMany in the chart).
type Logs struct {
	Persistence LogPersistence `json:"persistence"`
}

// LogPersistence is the logs claim.
type LogPersistence struct {
	Enabled          bool              `json:"enabled"`
	Size             string            `json:"size,omitempty"`
	StorageClassName string            `json:"storageClassName,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// DatabaseCleanup is the chart's `airflow db clean` CronJob.
type DatabaseCleanup struct {
	Enabled       bool                         `json:"enabled"`
	Schedule      string                       `json:"schedule,omitempty"`
	RetentionDays int                          `json:"retentionDays,omitempty"`
	Resources     *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// Ingress is the chart's ingress section; only the API server's is used.
type Ingress struct {
	APIServer APIServerIngress `json:"apiServer"`
}

// APIServerIngress exposes the Airflow 3 API server.
type APIServerIngress struct {
	Enabled          bool              `json:"enabled"`
	IngressClassName string            `json:"ingressClassName"`
	Annotations      map[string]string `json:"annotations,omitempty"`
	Path             string            `json:"path"`
	PathType         string            `json:"pathType"`
	Hosts            []IngressHost     `json:"hosts"`
}

// IngressHost is one host of an ingress.
type IngressHost struct {
	Name string      `json:"name"`
	TLS  *IngressTLS `json:"tls,omitempty"`
}

// IngressTLS says a host is served over TLS, and from which Secret. An ALB
// reads no Secret: its certificate is found in ACM by host name.
type IngressTLS struct {
	Enabled    bool   `json:"enabled"`
	SecretName string `json:"secretName,omitempty"`
}

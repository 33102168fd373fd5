package airflow

import corev1 "k8s.io/api/core/v1"

// Values is the subset of the chart's values that ydpgen sets.
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
	SecurityContexts         SecurityContexts              `json:"securityContexts"`
	Data                     Data                          `json:"data"`
	PostgreSQL               Toggle                        `json:"postgresql"`
	PgBouncer                Toggle                        `json:"pgbouncer"`
	Redis                    Redis                         `json:"redis"`
	StatsD                   StatsD                        `json:"statsd"`
	Scheduler                Component                     `json:"scheduler"`
	Workers                  *Workers                      `json:"workers,omitempty"`
	Triggerer                Triggerer                     `json:"triggerer"`
	DAGProcessor             Component                     `json:"dagProcessor"`
	APIServer                APIServer                     `json:"apiServer"`
	MigrateDatabaseJob       MigrateDatabaseJob            `json:"migrateDatabaseJob"`
	CreateUserJob            CreateUserJob                 `json:"createUserJob"`
	DAGs                     DAGs                          `json:"dags"`
	Logs                     Logs                          `json:"logs"`
	DatabaseCleanup          DatabaseCleanup               `json:"databaseCleanup"`
	Ingress                  *Ingress                      `json:"ingress,omitempty"`
	Config                   map[string]map[string]string  `json:"config,omitempty"`
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

// SecurityContexts are the chart's pod and container security contexts.
type SecurityContexts struct {
	Pod       *corev1.PodSecurityContext `json:"pod,omitempty"`
	Container *corev1.SecurityContext    `json:"container,omitempty"`
	// Containers is the key the chart's top level uses for containers.
	Containers *corev1.SecurityContext `json:"containers,omitempty"`
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

// Redis is the chart's built-in Celery broker.
type Redis struct {
	Enabled            bool                         `json:"enabled"`
	PasswordSecretName string                       `json:"passwordSecretName,omitempty"`
	Resources          *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts   *SecurityContexts            `json:"securityContexts,omitempty"`
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
}

// Persistence is a component's own volume claim.
type Persistence struct {
	Enabled bool `json:"enabled"`
}

// Triggerer runs deferred tasks.
type Triggerer struct {
	Component
	Persistence Persistence `json:"persistence"`
}

// Workers are Celery workers (or the pod template for Kubernetes tasks).
type Workers struct {
	Resources corev1.ResourceRequirements `json:"resources"`
	Celery    *CeleryWorkers              `json:"celery,omitempty"`
	// Persistence is the claim the chart gives workers, and the scheduler
	// under LocalExecutor, for task logs.
	Persistence Persistence `json:"persistence"`
}

// CeleryWorkers are the chart 1.19+ keys for Celery workers.
type CeleryWorkers struct {
	Replicas    int         `json:"replicas"`
	Persistence Persistence `json:"persistence"`
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
	Enabled                 bool                        `json:"enabled"`
	UseHelmHooks            bool                        `json:"useHelmHooks"`
	ApplyCustomEnv          bool                        `json:"applyCustomEnv"`
	TTLSecondsAfterFinished int                         `json:"ttlSecondsAfterFinished"`
	Resources               corev1.ResourceRequirements `json:"resources"`
}

// CreateUserJob creates the first user.
type CreateUserJob struct {
	UseHelmHooks            bool                        `json:"useHelmHooks"`
	ApplyCustomEnv          bool                        `json:"applyCustomEnv"`
	TTLSecondsAfterFinished int                         `json:"ttlSecondsAfterFinished"`
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
	Persistence Persistence `json:"persistence"`
	GitSync     GitSync     `json:"gitSync"`
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
	Resources         *corev1.ResourceRequirements `json:"resources,omitempty"`
	SecurityContexts  *SecurityContexts            `json:"securityContexts,omitempty"`
}

// Logs is the shared task-log volume (always ReadWriteMany in the chart).
type Logs struct {
	Persistence LogPersistence `json:"persistence"`
}

// LogPersistence is the logs claim.
type LogPersistence struct {
	Enabled          bool   `json:"enabled"`
	Size             string `json:"size,omitempty"`
	StorageClassName string `json:"storageClassName,omitempty"`
}

// DatabaseCleanup is the chart's `airflow db clean` CronJob.
type DatabaseCleanup struct {
	Enabled       bool   `json:"enabled"`
	Schedule      string `json:"schedule,omitempty"`
	RetentionDays int    `json:"retentionDays,omitempty"`
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

// IngressTLS names the certificate Secret of a host.
type IngressTLS struct {
	Enabled    bool   `json:"enabled"`
	SecretName string `json:"secretName"`
}

package model

import "fmt"

// Platform is a validated spec: its name and every environment, resolved and
// sorted by name.
type Platform struct {
	Name         string
	Environments []Environment
	// SpecSHA256 is the hex SHA-256 of the spec file as written.
	SpecSHA256 string
}

// Environment is everything one target cluster needs, fully resolved: every
// field has a value, so generators never apply defaults of their own.
type Environment struct {
	// Platform is the spec's metadata.name.
	Platform    string
	Name        string
	Profile     string
	Namespace   Namespace
	Cluster     Cluster
	DataSurface DataSurface
	Airflow     Airflow
	Credentials []Credential // sorted by Name
	Secrets     Secrets
	Databases   []Database
	Maintenance Maintenance
	GitOps      GitOps
	Lint        Lint
	// Shares are what this environment deliberately shares with others
	// (share.go).
	Shares []Share
	// Borrowers are the shares other environments declare with this one,
	// seen from here: With names the other environment. The loader fills
	// them in, so that both sides of a share agree on it.
	Borrowers []Share
	// Origins maps paths of this resolved environment (airflow.executor) to
	// where in the spec their value was written, for positioned findings.
	Origins Origins
	// Effective is the environment as the loader merged and validated it
	// (profile defaults, platform sections, the environment's overrides),
	// as JSON with the resolved paths of Origins: what `ydpgen resolve`
	// prints.
	Effective []byte
}

// Namespace is the environment's Kubernetes namespace and its guard rails.
type Namespace struct {
	Name string `json:"name"`
	// PodSecurity is the level the namespace enforces ("baseline" or
	// "restricted"); warn and audit are always "restricted".
	PodSecurity string `json:"podSecurity"`
	// The guard rails are in namespace.go.
	NetworkPolicy NetworkPolicy `json:"networkPolicy"`
	LimitRange    LimitRange    `json:"limitRange"`
	ResourceQuota ResourceQuota `json:"resourceQuota"`
}

// Cluster holds the facts about the target cluster that the spec declares.
type Cluster struct {
	// Name identifies the cluster among the platform's environments; empty
	// when the spec gives none (the environment has a cluster of its own).
	Name                string                  `json:"name,omitempty"`
	Nodes               int                     `json:"nodes"`
	NodeMemory          string                  `json:"nodeMemory"`
	NodeCPU             string                  `json:"nodeCPU"`
	SystemReserved      CPUMemory               `json:"systemReserved"`
	Architecture        string                  `json:"architecture"`
	StorageClasses      map[string]StorageClass `json:"storageClasses"`
	DefaultStorageClass string                  `json:"defaultStorageClass"`
	IngressClass        string                  `json:"ingressClass"`
	// MemoryOvercommit is how far the sum of memory limits may exceed the
	// nodes' allocatable memory before lint warns.
	MemoryOvercommit float64 `json:"memoryOvercommit"`
	// ProbeFloor is what lint holds every liveness and startup probe to.
	ProbeFloor ProbeFloor `json:"probeFloor"`
	// NodeStorage is the disk one node can give to volumes; empty when
	// the profile and spec do not bound it.
	NodeStorage string `json:"nodeStorage,omitempty"`
	// PrivateRegistries are registry hosts whose images need a pull secret.
	PrivateRegistries []string `json:"privateRegistries,omitempty"`
	// ExternalServices are in-cluster services (service.namespace) that
	// the platform uses and something else creates.
	ExternalServices []string `json:"externalServices,omitempty"`
	// ArgoCD is where Argo CD deploys the environment; nil for the
	// cluster Argo CD runs in (see Environment.ArgoCDDestination).
	ArgoCD *ArgoCDCluster `json:"argocd,omitempty"`
	// KubernetesVersion is the cluster's Kubernetes release (1.33 or
	// 1.33.4); the chart is rendered for it.
	KubernetesVersion string `json:"kubernetesVersion"`
	// APIVersions are the group/versions the cluster serves beyond
	// Kubernetes' own (its add-ons' CRDs), from the profile's table.
	APIVersions []string `json:"apiVersions,omitempty"`
}

// ArgoCDCluster names a cluster registered with Argo CD: by its API server
// URL or by its name there (exactly one is set).
type ArgoCDCluster struct {
	Server string `json:"server,omitempty"`
	Name   string `json:"name,omitempty"`
}

// StorageClass says what a storage class of the cluster can do.
type StorageClass struct {
	RWX bool `json:"rwx"`
	// NFSClientInstalled records that every node has the NFS client that
	// Longhorn needs for ReadWriteMany volumes.
	NFSClientInstalled bool `json:"nfsClientInstalled,omitempty"`
}

// Image is a container image reference; Digest, when set, pins it.
type Image struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Digest     string `json:"digest,omitempty"`
	PullPolicy string `json:"pullPolicy"`
	// Architectures lists what a single-arch image runs on; empty means
	// multi-arch or unknown.
	Architectures []string `json:"architectures,omitempty"`
}

// Ref is the image reference as a container runtime reads it.
func (i Image) Ref() string {
	if i.Digest != "" {
		return fmt.Sprintf("%s:%s@%s", i.Repository, i.Tag, i.Digest)
	}
	return i.Repository + ":" + i.Tag
}

// CPUMemory is one set of CPU and memory quantities.
type CPUMemory struct {
	CPU    string `json:"cpu"`
	Memory string `json:"memory"`
}

// Resources are a container's requests and limits.
type Resources struct {
	Requests CPUMemory `json:"requests"`
	Limits   CPUMemory `json:"limits"`
}

// DataSurface describes the YellowDataPlatform workload.
type DataSurface struct {
	Version       string          `json:"version"`
	Image         Image           `json:"image"`
	PullSecret    string          `json:"pullSecret,omitempty"`
	PSP           string          `json:"psp"`
	RTE           string          `json:"rte"`
	Model         GitSource       `json:"model"`
	MergeDatabase DatabaseRef     `json:"mergeDatabase"`
	GitCache      GitCache        `json:"gitCache"`
	MCPServer     MCPServer       `json:"mcpServer"`
	Jobs          DataSurfaceJobs `json:"jobs"`
	Logging       Logging         `json:"logging"`
	RunAsUser     int64           `json:"runAsUser"`
	// ExternalDatabases are the database servers the model reaches besides
	// the platform's own (network.go).
	ExternalDatabases []ExternalDatabase `json:"externalDatabases,omitempty"`
	// InfrastructureDAG is how ring 0's DAG reaches the DAG repository.
	InfrastructureDAG InfrastructureDAG `json:"infrastructureDAG"`
}

// GitSource is a git repository at a ref, read with a credential.
type GitSource struct {
	Repository string `json:"repository"`
	Ref        string `json:"ref"`
	Credential string `json:"credential,omitempty"`
	// KnownHosts are the SSH host keys of an SSH URL's server.
	KnownHosts string `json:"knownHosts,omitempty"`
}

// DatabaseRef names a database on the platform's database server.
type DatabaseRef struct {
	Name       string `json:"name"`
	Credential string `json:"credential"`
}

// GitCache is the shared clone of the model repository.
type GitCache struct {
	Size         string `json:"size"`
	StorageClass string `json:"storageClass"`
}

// MCPServer is DataSurface's model query server.
type MCPServer struct {
	Enabled     bool      `json:"enabled"`
	ServiceType string    `json:"serviceType"`
	Resources   Resources `json:"resources"`
	Command     []string  `json:"command"`
	Ingress     *Ingress  `json:"ingress,omitempty"`
}

// Airflow describes the Airflow release that runs DataSurface's DAGs.
type Airflow struct {
	Version          string                       `json:"version"`
	Chart            Chart                        `json:"chart"`
	ReleaseName      string                       `json:"releaseName"`
	Executor         string                       `json:"executor"`
	Image            Image                        `json:"image"`
	PullSecret       string                       `json:"pullSecret,omitempty"`
	MetadataDatabase MetadataDatabase             `json:"metadataDatabase"`
	DAGs             DAGs                         `json:"dags"`
	Logs             Logs                         `json:"logs"`
	APIServer        APIServer                    `json:"apiServer"`
	Admin            Admin                        `json:"admin"`
	Components       Components                   `json:"components"`
	Probes           ChartProbes                  `json:"probes"`
	Config           map[string]map[string]string `json:"config,omitempty"`
	// Broker and PgBouncer are in airflow.go.
	Broker    Broker    `json:"broker"`
	PgBouncer PgBouncer `json:"pgbouncer"`
	SmokeTest SmokeTest `json:"smokeTest"`
}

// Chart pins the official Airflow Helm chart.
type Chart struct {
	Repository string `json:"repository"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	// Hydrate renders the chart into the environment's objects; without
	// it the GitOps engine installs the chart from the values file.
	Hydrate bool `json:"hydrate"`
	// Path is a local chart directory or archive, as the spec writes it
	// (relative to the spec's directory); empty means the repository.
	Path string `json:"path,omitempty"`
}

// MetadataDatabase is where Airflow keeps its state.
type MetadataDatabase struct {
	// Mode is "in-cluster" (a PostgreSQL rendered next to Airflow) or
	// "external" (a server the spec points at).
	Mode string `json:"mode"`
	// Host is the server's address. For an in-cluster server the loader
	// sets it to the Service's name (InClusterDatabaseHost).
	Host       string            `json:"host,omitempty"`
	Port       int               `json:"port"`
	Name       string            `json:"name"`
	Credential string            `json:"credential"`
	SSLMode    string            `json:"sslMode"`
	Server     DatabaseServer    `json:"server"`
	Bootstrap  DatabaseBootstrap `json:"bootstrap"`
}

// DAGs is how DAG files reach Airflow.
type DAGs struct {
	GitSync GitSync   `json:"gitSync"`
	Volume  DAGVolume `json:"volume"`
}

// GitSync configures the chart's git-sync v4 sidecar.
type GitSync struct {
	Enabled    bool      `json:"enabled"`
	Repository string    `json:"repository,omitempty"`
	Ref        string    `json:"ref,omitempty"`
	Period     string    `json:"period,omitempty"`
	SubPath    string    `json:"subPath,omitempty"`
	Depth      int       `json:"depth,omitempty"`
	Credential string    `json:"credential,omitempty"`
	KnownHosts string    `json:"knownHosts,omitempty"`
	Resources  Resources `json:"resources"`
}

// Logs is where task logs are kept.
type Logs struct {
	Persistence Persistence `json:"persistence"`
	Groomer     LogGroomer  `json:"groomer"`
}

// Persistence is a volume claim the chart makes.
type Persistence struct {
	Enabled      bool   `json:"enabled"`
	Size         string `json:"size,omitempty"`
	StorageClass string `json:"storageClass,omitempty"`
	// GrowthPerDay is how much the volume fills a day, when the spec says.
	GrowthPerDay string `json:"growthPerDay,omitempty"`
}

// APIServer is how the Airflow 3 API server (and UI) is exposed.
type APIServer struct {
	ServiceType string   `json:"serviceType"`
	Ingress     *Ingress `json:"ingress,omitempty"`
}

// Ingress exposes a service under a host name.
type Ingress struct {
	Host      string `json:"host"`
	TLSSecret string `json:"tlsSecret,omitempty"`
	// Issuer is a cert-manager ClusterIssuer that signs the host's certificate.
	Issuer      string            `json:"issuer,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Admin is the first Airflow user; its password comes from a credential.
type Admin struct {
	Username   string `json:"username"`
	Email      string `json:"email"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	Role       string `json:"role"`
	Credential string `json:"credential"`
}

// Components are the sizes of Airflow's long-running parts.
type Components struct {
	Scheduler    Component `json:"scheduler"`
	Workers      Component `json:"workers"`
	Triggerer    Component `json:"triggerer"`
	DAGProcessor Component `json:"dagProcessor"`
	APIServer    Component `json:"apiServer"`
	StatsD       Component `json:"statsd"`
	Redis        Component `json:"redis"`
	Jobs         Component `json:"jobs"`
}

// Component is one Airflow part: whether it runs, how many and how big.
type Component struct {
	Enabled   bool      `json:"enabled"`
	Replicas  int       `json:"replicas"`
	Resources Resources `json:"resources"`
}

// ChartProbes retime the chart's probes that restart a component's
// container; nil keeps the chart's.
type ChartProbes struct {
	Scheduler    *Probes `json:"scheduler,omitempty"`
	APIServer    *Probes `json:"apiServer,omitempty"`
	Triggerer    *Probes `json:"triggerer,omitempty"`
	DAGProcessor *Probes `json:"dagProcessor,omitempty"`
	Workers      *Probes `json:"workers,omitempty"`
}

// Probes are a component's checks that restart its container.
type Probes struct {
	Liveness *Probe `json:"liveness,omitempty"`
	Startup  *Probe `json:"startup,omitempty"`
}

// Probe times one check; a nil field keeps the chart's value. The fields
// are named as in Kubernetes and in the chart's values, which take them as
// they are.
type Probe struct {
	InitialDelaySeconds *int32 `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       *int32 `json:"periodSeconds,omitempty"`
	TimeoutSeconds      *int32 `json:"timeoutSeconds,omitempty"`
	FailureThreshold    *int32 `json:"failureThreshold,omitempty"`
}

// ProbeFloor is how long the nodes make a process wait, the least a probe
// that restarts a container must allow.
type ProbeFloor struct {
	TimeoutSeconds int32 `json:"timeoutSeconds"`
	StartSeconds   int32 `json:"startSeconds"`
}

// CredentialType decides which keys a credential's Secret holds.
type CredentialType string

// Credential is a named secret the platform needs; the spec never holds its value.
type Credential struct {
	Name string         `json:"name"`
	Type CredentialType `json:"type"`
}

// Secrets says how credentials reach the cluster.
type Secrets struct {
	Provider        string          `json:"provider"`
	ExternalSecrets ExternalSecrets `json:"externalSecrets"`
	SOPS            SOPS            `json:"sops"`
	SealedSecrets   SealedSecrets   `json:"sealedSecrets"`
	// Directory holds the environment's encrypted files (providers sops and
	// sealed-secrets), a slash-separated path relative to the spec's
	// directory; the loader sets secrets/<environment> when the spec leaves
	// it out.
	Directory string `json:"directory,omitempty"`
}

// The secrets providers that keep encrypted Secrets in git.
const (
	ProviderSOPS          = "sops"
	ProviderSealedSecrets = "sealed-secrets"
)

// Sealed reports whether the environment's Secrets are kept in git,
// encrypted, so that render copies them from Directory.
func (s Secrets) Sealed() bool {
	return s.Provider == ProviderSOPS || s.Provider == ProviderSealedSecrets
}

// SOPS configures the sops provider.
type SOPS struct {
	// AgeRecipients are the age public keys every file is encrypted for.
	AgeRecipients []string `json:"ageRecipients,omitempty"`
	// KeySecret is the Secret in Flux's namespace holding the age private
	// key; the loader sets sops-age when the spec leaves it out.
	KeySecret string `json:"keySecret,omitempty"`
}

// SealedSecrets configures the sealed-secrets provider.
type SealedSecrets struct {
	// Certificate is the controller's public certificate, a path relative
	// to the spec's directory.
	Certificate string `json:"certificate,omitempty"`
	// Scope is strict, namespace-wide or cluster-wide; the loader sets
	// strict when the spec leaves it out.
	Scope string `json:"scope,omitempty"`
}

// ExternalSecrets configures the External Secrets Operator provider.
type ExternalSecrets struct {
	StoreKind         string `json:"storeKind,omitempty"`
	StoreName         string `json:"storeName,omitempty"`
	RemoteKeyTemplate string `json:"remoteKeyTemplate,omitempty"`
	RefreshInterval   string `json:"refreshInterval,omitempty"`
	// Ecosystem fills {ecosystem} in remote keys; the loader sets it to the
	// platform's name when the spec leaves it out.
	Ecosystem string `json:"ecosystem,omitempty"`
}

// Database is a database the bootstrap creates before Airflow starts.
type Database struct {
	Name             string   `json:"name"`
	Owner            string   `json:"owner"`
	DataTransformers []string `json:"dataTransformers,omitempty"`
}

// Maintenance are the housekeeping schedules.
type Maintenance struct {
	LogCleanup      Schedule  `json:"logCleanup"`
	DatabaseCleanup Schedule  `json:"databaseCleanup"`
	GitCacheClear   OnDemand  `json:"gitCacheClear"`
	Resources       Resources `json:"resources"`
}

// OnDemand is a task that runs only when someone starts it.
type OnDemand struct {
	Enabled bool `json:"enabled"`
}

// Schedule is a periodic task with a retention.
type Schedule struct {
	Enabled       bool   `json:"enabled"`
	Schedule      string `json:"schedule"`
	RetentionDays int    `json:"retentionDays,omitempty"`
}

// GitOps says which engine syncs the rendered tree and from where.
type GitOps struct {
	Engine   string `json:"engine"`
	RepoURL  string `json:"repoURL,omitempty"`
	Revision string `json:"revision,omitempty"`
	Path     string `json:"path,omitempty"`
	// The engines' own settings are in gitops.go.
	ArgoCD ArgoCD `json:"argocd"`
	Flux   Flux   `json:"flux"`
}

// Lint holds an environment's lint settings.
type Lint struct {
	Suppress []Suppression `json:"suppress,omitempty"`
}

// Suppression switches one lint rule off for an environment, with the
// reason written down.
type Suppression struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

package credentials

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/model"
)

// Secret is one Kubernetes Secret the environment needs.
type Secret struct {
	// Name is the Secret's name in the environment's namespace.
	Name string
	// Credential is the spec's credential name; empty for the chart's Secrets.
	Credential string
	Kind       Kind
	Layout     Layout
	// UsedBy says, in words, what reads the Secret, in a fixed order.
	UsedBy []string
	// Registry is the registry host a REGISTRY credential logs in to, when
	// the images that use it all come from one registry.
	Registry string
}

// ChartSecrets are the names of the Airflow chart's Secrets in an
// environment. generators/airflow points the chart at these names; a test
// there and one in generators/secrets keep the two in step.
type ChartSecrets struct {
	FernetKey    string
	APISecretKey string
	JWTSecret    string
	Metadata     string
	// BrokerURL is empty unless the executor is Celery; RedisPassword
	// unless it is Celery with the chart's built-in Redis.
	BrokerURL     string
	RedisPassword string
	// PgBouncerConfig and PgBouncerStats are empty unless PgBouncer runs.
	PgBouncerConfig string
	PgBouncerStats  string
}

// Celery reports whether the environment runs Celery and so needs a broker.
func Celery(env *model.Environment) bool { return env.Airflow.Executor == "CeleryExecutor" }

// BuiltInRedis reports whether the chart runs Redis as Celery's broker.
func BuiltInRedis(env *model.Environment) bool {
	return Celery(env) && env.Airflow.Broker != model.BrokerExternal
}

// Chart returns the names of the chart's Secrets: the release name and a
// fixed suffix, so that renders are stable and a GitOps engine never sees
// the chart generate a new random key.
func Chart(env *model.Environment) ChartSecrets {
	r := env.Airflow.ReleaseName
	c := ChartSecrets{
		FernetKey:    r + "-fernet-key",
		APISecretKey: r + "-api-secret-key",
		JWTSecret:    r + "-jwt-secret",
		Metadata:     r + "-metadata",
	}
	if Celery(env) {
		c.BrokerURL = r + "-broker-url"
	}
	if BuiltInRedis(env) {
		c.RedisPassword = r + "-redis-password"
	}
	if env.Airflow.PgBouncer.Enabled {
		c.PgBouncerConfig = r + "-pgbouncer-config"
		c.PgBouncerStats = r + "-pgbouncer-stats"
	}
	return c
}

// chartSecret is one of the chart's Secrets with what reads it.
type chartSecret struct {
	name, usedBy string
	kind         Kind
}

func chartSecrets(env *model.Environment) []chartSecret {
	c := Chart(env)
	out := []chartSecret{
		{c.FernetKey, "Airflow chart: fernetKeySecretName (encrypts connections and variables in the metadata database)", FernetKey},
		{c.APISecretKey, "Airflow chart: apiSecretKeySecretName (signs API server sessions)", APISecretKey},
		{c.JWTSecret, "Airflow chart: jwtSecretName (signs the tokens of the task execution API)", JWTSecret},
		{c.Metadata, "Airflow chart: data.metadataSecretName (every Airflow component's metadata database connection)", MetadataConnection},
	}
	if c.BrokerURL != "" {
		out = append(out, chartSecret{c.BrokerURL, "Airflow chart: data.brokerUrlSecretName (Celery broker URL of the scheduler and workers)", BrokerURL})
	}
	if c.RedisPassword != "" {
		out = append(out, chartSecret{c.RedisPassword, "Airflow chart: redis.passwordSecretName (the built-in Redis broker's password)", RedisPassword})
	}
	if c.PgBouncerConfig != "" {
		out = append(out,
			chartSecret{c.PgBouncerConfig, "Airflow chart: pgbouncer.configSecretName (PgBouncer's pgbouncer.ini and users.txt)", PgBouncerConfig},
			chartSecret{c.PgBouncerStats, "Airflow chart: pgbouncer.metricsExporterSidecar.statsSecretName (the PgBouncer exporter's connection)", PgBouncerStats},
		)
	}
	return out
}

// Reference is a place in the spec that names a credential.
type Reference struct {
	// Path is the resolved environment's path, as selectors: field names,
	// and list indexes as ints.
	Path []any
	// Credential is the name written there.
	Credential string
	// Want is the credential type the referrer needs; Or, when set, is a
	// second type it takes as well.
	Want Kind
	Or   Kind
	// Use says what the reference does, for instructions.
	Use string
	// EnvVars marks references that ydpgen hands to DataSurface as
	// environment variables (EnvVars), whose names must be variable names.
	EnvVars bool
}

// PathString formats Path for people: airflow.admin.credential, databases[0].owner.
func (r Reference) PathString() string {
	var b strings.Builder
	for _, s := range r.Path {
		switch v := s.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// References lists every place in the environment that names a credential,
// in a fixed order.
func References(env *model.Environment) []Reference {
	var out []Reference
	add := func(name string, want Kind, use string, path ...any) {
		if name != "" {
			out = append(out, Reference{Path: path, Credential: name, Want: want, Use: use})
		}
	}
	addEnv := func(name string, want Kind, use string, path ...any) {
		if name != "" {
			out = append(out, Reference{Path: path, Credential: name, Want: want, Use: use, EnvVars: true})
		}
	}
	ds, af := env.DataSurface, env.Airflow
	add(ds.PullSecret, Registry, "DataSurface Jobs and MCP server: pull secret of image "+ds.Image.Repository, "datasurface", "pullSecret")
	addEnv(ds.Model.Credential, APIToken, "DataSurface: reads the model repository "+ds.Model.Repository, "datasurface", "model", "credential")
	addEnv(ds.MergeDatabase.Credential, UserPassword, "DataSurface: merge database "+ds.MergeDatabase.Name, "datasurface", "mergeDatabase", "credential")
	add(af.PullSecret, Registry, "Airflow chart: imagePullSecrets for image "+af.Image.Repository, "airflow", "pullSecret")
	add(af.MetadataDatabase.Credential, UserPassword, "Airflow: user of the metadata database "+af.MetadataDatabase.Name, "airflow", "metadataDatabase", "credential")
	switch md := af.MetadataDatabase; {
	case md.Mode == model.InCluster:
		add(md.Server.AdminCredential, UserPassword, "in-cluster PostgreSQL: its superuser, and the bootstrap Job's connection", "airflow", "metadataDatabase", "server", "adminCredential")
	case md.Bootstrap.Enabled:
		add(md.Server.AdminCredential, UserPassword, "database bootstrap: administrator of the server "+md.Host, "airflow", "metadataDatabase", "server", "adminCredential")
	}
	if d := ds.InfrastructureDAG; d.Credential != "" {
		out = append(out, Reference{Path: []any{"datasurface", "infrastructureDAG", "credential"}, Credential: d.Credential, Want: APIToken, Or: GitSync,
			Use: "infrastructure DAG publish Job: pushes the DAG to " + af.DAGs.GitSync.Repository})
	}
	if af.DAGs.GitSync.Enabled {
		add(af.DAGs.GitSync.Credential, GitSync, "Airflow chart: dags.gitSync.credentialsSecret for "+af.DAGs.GitSync.Repository, "airflow", "dags", "gitSync", "credential")
	}
	add(af.Admin.Credential, UserPassword, "Airflow: the user-creation Job reads PASSWORD for admin user "+af.Admin.Username, "airflow", "admin", "credential")
	for i, db := range env.Databases {
		add(db.Owner, UserPassword, "database bootstrap: owner of database "+db.Name, "databases", i, "owner")
		for j, dt := range db.DataTransformers {
			add(dt, UserPassword, "database bootstrap: DataTransformer user on database "+db.Name, "databases", i, "dataTransformers", j)
		}
	}
	return out
}

// List returns every Secret the environment needs, sorted by name: one per
// spec credential and the chart's own. It fails when a credential has a
// type it does not know or the DataSurface version is malformed, both of
// which the loader refuses first.
func List(env *model.Environment) ([]Secret, error) {
	refs := References(env)
	var out []Secret
	for _, c := range env.Credentials {
		kind := KindOf(c.Type)
		layout, err := LayoutOf(kind, env.DataSurface.Version)
		if err != nil {
			return nil, fmt.Errorf("credential %s: %w", c.Name, err)
		}
		s := Secret{Name: model.K8sName(c.Name), Credential: c.Name, Kind: kind, Layout: layout}
		for _, r := range refs {
			if r.Credential == c.Name && !slices.Contains(s.UsedBy, r.Use) {
				s.UsedBy = append(s.UsedBy, r.Use)
			}
		}
		if len(s.UsedBy) == 0 {
			s.UsedBy = []string{"DataSurface: named in the ecosystem model (read through the Kubernetes API)"}
		}
		if kind == Registry {
			s.Registry = registryOf(env, c.Name)
		}
		out = append(out, s)
	}
	for _, cs := range chartSecrets(env) {
		layout, err := LayoutOf(cs.kind, env.DataSurface.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, Secret{Name: cs.name, Kind: cs.kind, Layout: layout, UsedBy: []string{cs.usedBy}})
	}
	slices.SortFunc(out, func(a, b Secret) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("two credentials need the Secret %s", out[i].Name)
		}
	}
	return out, nil
}

// registryOf returns the one registry host the images pulled with
// credential name come from, or "" when there are several.
func registryOf(env *model.Environment, name string) string {
	var hosts []string
	if env.DataSurface.PullSecret == name {
		hosts = append(hosts, RegistryHost(env.DataSurface.Image.Repository))
	}
	if env.Airflow.PullSecret == name {
		hosts = append(hosts, RegistryHost(env.Airflow.Image.Repository))
	}
	slices.Sort(hosts)
	hosts = slices.Compact(hosts)
	if len(hosts) != 1 {
		return ""
	}
	return hosts[0]
}

// DockerHub is the server name Docker Hub credentials are stored under.
const DockerHub = "https://index.docker.io/v1/"

// RegistryHost returns the registry an image repository is pulled from, as a
// docker config names it: the first path element when it is a host (it has
// a '.' or ':' or is localhost), Docker Hub otherwise.
func RegistryHost(repository string) string {
	first, _, found := strings.Cut(repository, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return DockerHub
}

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
	// Registries are the registry hosts a REGISTRY credential logs in to,
	// sorted: its docker config holds one entry per host.
	Registries []string
	// Derived are the keys built from other keys, in layout order; a key
	// that is neither derived nor Random in the layout is typed by a person
	// (or held in the secret store).
	Derived []Derived
	// Shared is set when the spec shares the credential with another
	// environment: both hold the same values.
	Shared *model.Share
	// IssuedBy names what writes the Secret when nobody creates it by hand
	// (cert-manager with a ClusterIssuer); empty otherwise.
	IssuedBy string
}

// DerivedKey returns how key is derived, if it is.
func (s Secret) DerivedKey(key string) (Derived, bool) {
	for _, d := range s.Derived {
		if d.Key == key {
			return d, true
		}
	}
	return Derived{}, false
}

// Typed reports whether a person provides key's value (or the store holds
// it): it is neither generated nor derived.
func (s Secret) Typed(k Key) bool {
	_, derived := s.DerivedKey(k.Name)
	return k.Random == nil && !derived
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

// chartSecret is one of the chart's Secrets with what reads it and the
// keys derived from other Secrets.
type chartSecret struct {
	name, usedBy string
	kind         Kind
	derived      []Derived
}

func chartSecrets(env *model.Environment) []chartSecret {
	c := Chart(env)
	out := []chartSecret{
		{name: c.FernetKey, usedBy: "Airflow chart: fernetKeySecretName (encrypts connections and variables in the metadata database)", kind: FernetKey},
		{name: c.APISecretKey, usedBy: "Airflow chart: apiSecretKeySecretName (signs API server sessions)", kind: APISecretKey},
		{name: c.JWTSecret, usedBy: "Airflow chart: jwtSecretName (signs the tokens of the task execution API)", kind: JWTSecret},
		{name: c.Metadata, usedBy: "Airflow chart: data.metadataSecretName (every Airflow component's metadata database connection)", kind: MetadataConnection,
			derived: []Derived{{Key: "connection", Pieces: metadataURL(env)}}},
	}
	if c.BrokerURL != "" {
		cs := chartSecret{name: c.BrokerURL, usedBy: "Airflow chart: data.brokerUrlSecretName (Celery broker URL of the scheduler and workers)", kind: BrokerURL}
		if c.RedisPassword != "" {
			cs.derived = []Derived{{Key: "connection", Pieces: []Piece{
				{Text: "redis://:"}, {Secret: c.RedisPassword, Key: "password", Escape: URLEscape},
				{Text: fmt.Sprintf("@%s-redis:6379/0", env.Airflow.ReleaseName)},
			}}}
		}
		out = append(out, cs)
	}
	if c.RedisPassword != "" {
		out = append(out, chartSecret{name: c.RedisPassword, usedBy: "Airflow chart: redis.passwordSecretName (the built-in Redis broker's password)", kind: RedisPassword})
	}
	if c.PgBouncerConfig != "" {
		user, pass := metadataUser(env)
		pgq := func(p Piece) Piece { p.Escape = PgBouncerQuote; return p }
		out = append(out,
			chartSecret{name: c.PgBouncerConfig, usedBy: "Airflow chart: pgbouncer.configSecretName (PgBouncer's pgbouncer.ini and users.txt)", kind: PgBouncerConfig,
				derived: []Derived{
					{Key: "pgbouncer.ini", Pieces: pgbouncerIni(env, user)},
					{Key: "users.txt", Pieces: []Piece{{Text: `"`}, pgq(user), {Text: `" "`}, pgq(pass), {Text: "\"\n"}}},
				}},
			chartSecret{name: c.PgBouncerStats, usedBy: "Airflow chart: pgbouncer.metricsExporterSidecar.statsSecretName (the PgBouncer exporter's connection)", kind: PgBouncerStats,
				derived: []Derived{{Key: "connection", Pieces: []Piece{
					{Text: "postgresql://"}, urlPiece(user), {Text: ":"}, urlPiece(pass), {Text: "@127.0.0.1:6543/pgbouncer?sslmode=disable"},
				}}}},
		)
	}
	return out
}

// metadataUser is the USER and PASSWORD of the metadata database's
// credential, the values the chart's connection Secrets repeat.
func metadataUser(env *model.Environment) (user, pass Piece) {
	name := model.K8sName(env.Airflow.MetadataDatabase.Credential)
	return Piece{Secret: name, Key: "USER"}, Piece{Secret: name, Key: "PASSWORD"}
}

func urlPiece(p Piece) Piece { p.Escape = URLEscape; return p }

// metadataURL is the SQLAlchemy URL of the metadata database, through
// PgBouncer when it runs (which names the database <release>-metadata).
func metadataURL(env *model.Environment) []Piece {
	m := env.Airflow.MetadataDatabase
	user, pass := metadataUser(env)
	where := fmt.Sprintf("@%s:%d/%s?sslmode=%s", m.Host, m.Port, m.Name, m.SSLMode)
	if env.Airflow.PgBouncer.Enabled {
		r := env.Airflow.ReleaseName
		where = fmt.Sprintf("@%s-pgbouncer:6543/%s-metadata?sslmode=disable", r, r)
	}
	return []Piece{{Text: "postgresql://"}, urlPiece(user), {Text: ":"}, urlPiece(pass), {Text: where}}
}

// pgbouncerIni is PgBouncer's configuration as the chart would write it
// from data.metadataConnection, which a connection Secret leaves unset:
// Airflow's metadata (and Celery result backend) database behind port
// 6543, the metadata user allowed to read its statistics.
func pgbouncerIni(env *model.Environment, user Piece) []Piece {
	m, pb, r := env.Airflow.MetadataDatabase, env.Airflow.PgBouncer, env.Airflow.ReleaseName
	head := fmt.Sprintf(`[databases]
%[1]s-metadata = host=%[2]s dbname=%[3]s port=%[4]d pool_size=%[5]d
%[1]s-result-backend = host=%[2]s dbname=%[3]s port=%[4]d pool_size=%[5]d

[pgbouncer]
pool_mode = transaction
listen_port = 6543
listen_addr = *
auth_type = scram-sha-256
auth_file = /etc/pgbouncer/users.txt
stats_users = `, r, m.Host, m.Name, m.Port, pb.MetadataPoolSize)
	tail := fmt.Sprintf(`
ignore_startup_parameters = extra_float_digits
max_client_conn = %d
server_tls_sslmode = %s
`, pb.MaxClientConn, m.SSLMode)
	return []Piece{{Text: head}, user, {Text: tail}}
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
	// URLPath, for a credential that reads a git repository, is the path
	// of the repository's URL: whether the URL is reached over SSH decides
	// the type it needs, and a mismatch is reported at the URL.
	URLPath []any
	// URL is that repository URL.
	URL string
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
	addGit := func(name, url string, token Kind, use string, urlPath []any, path ...any) {
		if name == "" {
			return
		}
		want := token
		if model.IsSSHURL(url) {
			want = SSHKey
		}
		out = append(out, Reference{Path: path, Credential: name, Want: want, Use: use, URLPath: urlPath, URL: url})
	}
	ds, af := env.DataSurface, env.Airflow
	add(ds.PullSecret, Registry, "DataSurface Jobs and MCP server: pull secret of image "+ds.Image.Repository, "datasurface", "pullSecret")
	addGit(ds.Model.Credential, ds.Model.Repository, APIToken, "DataSurface: reads the model repository "+ds.Model.Repository,
		[]any{"datasurface", "model", "repository"}, "datasurface", "model", "credential")
	// An https model credential reaches DataSurface as <credential>_TOKEN.
	if last := len(out) - 1; ds.Model.Credential != "" && out[last].Want != SSHKey {
		out[last].EnvVars = true
	}
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
	if gs := af.DAGs.GitSync; gs.Enabled {
		use := "Airflow chart: dags.gitSync.credentialsSecret for " + gs.Repository
		if model.IsSSHURL(gs.Repository) {
			use = "Airflow chart: dags.gitSync.sshKeySecret for " + gs.Repository
		}
		addGit(gs.Credential, gs.Repository, GitSync, use, []any{"airflow", "dags", "gitSync", "repository"}, "airflow", "dags", "gitSync", "credential")
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
// spec credential, the chart's own and the ingress hosts' certificates. It
// fails when a credential has a type it does not know or the DataSurface
// version is malformed, both of which the loader refuses first.
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
			s.Registries = registriesOf(env, c.Name)
		}
		if sh, ok := env.SharedCredential(c.Name); ok {
			s.Shared = &sh
		}
		out = append(out, s)
	}
	for _, cs := range chartSecrets(env) {
		layout, err := LayoutOf(cs.kind, env.DataSurface.Version)
		if err != nil {
			return nil, err
		}
		out = append(out, Secret{Name: cs.name, Kind: cs.kind, Layout: layout, UsedBy: []string{cs.usedBy}, Derived: cs.derived})
	}
	for _, t := range TLSSecrets(env) {
		layout, _ := LayoutOf(TLS, env.DataSurface.Version)
		out = append(out, Secret{Name: t.Name, Kind: TLS, Layout: layout, UsedBy: []string{t.UsedBy}, IssuedBy: t.IssuedBy})
	}
	slices.SortFunc(out, func(a, b Secret) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name != out[i-1].Name {
			continue
		}
		// Two ingresses may name one certificate Secret.
		if out[i].Kind == TLS && out[i-1].Kind == TLS {
			out[i-1].UsedBy = append(out[i-1].UsedBy, out[i].UsedBy...)
			out = slices.Delete(out, i, i+1)
			i--
			continue
		}
		return nil, fmt.Errorf("two credentials need the Secret %s", out[i].Name)
	}
	return out, nil
}

// TLSSecret is the Secret an ingress host's certificate is read from.
type TLSSecret struct {
	Name, UsedBy string
	// IssuedBy is set when cert-manager writes it.
	IssuedBy string
}

// IngressTLSSecret is the Secret an ingress reads its certificate from: the
// spec's, or defaultName where cert-manager writes it when the spec names
// only an issuer; empty on EKS, whose load balancer controller takes the
// certificate from ACM, and without TLS.
func IngressTLSSecret(profile string, ing model.Ingress, defaultName string) string {
	if profile == "eks" {
		return ""
	}
	if ing.TLSSecret == "" && ing.Issuer != "" {
		return defaultName
	}
	return ing.TLSSecret
}

// APIServerTLSDefault is where cert-manager writes the Airflow API server's
// certificate when the spec names only an issuer.
func APIServerTLSDefault(env *model.Environment) string {
	return env.Airflow.ReleaseName + "-api-server-tls"
}

// TLSSecrets lists the certificate Secrets of the environment's ingresses.
func TLSSecrets(env *model.Environment) []TLSSecret {
	var out []TLSSecret
	add := func(ing *model.Ingress, defaultName, what string) {
		if ing == nil {
			return
		}
		name := IngressTLSSecret(env.Profile, *ing, defaultName)
		if name == "" {
			return
		}
		t := TLSSecret{Name: name, UsedBy: fmt.Sprintf("%s ingress: the certificate of %s", what, ing.Host)}
		if ing.Issuer != "" {
			t.IssuedBy = "cert-manager, from ClusterIssuer " + ing.Issuer
		}
		out = append(out, t)
	}
	add(env.Airflow.APIServer.Ingress, APIServerTLSDefault(env), "Airflow API server")
	if env.DataSurface.MCPServer.Enabled {
		add(env.DataSurface.MCPServer.Ingress, env.DataSurfaceNames().MCPTLSSecret, "MCP server")
	}
	return out
}

// registriesOf returns the registry hosts of the images pulled with
// credential name, sorted.
func registriesOf(env *model.Environment, name string) []string {
	var hosts []string
	if env.DataSurface.PullSecret == name {
		hosts = append(hosts, RegistryHost(env.DataSurface.Image.Repository))
	}
	if env.Airflow.PullSecret == name {
		hosts = append(hosts, RegistryHost(env.Airflow.Image.Repository))
	}
	slices.Sort(hosts)
	return slices.Compact(hosts)
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

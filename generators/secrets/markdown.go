package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// doc builds a Markdown file line by line.
type doc struct{ b strings.Builder }

func (d *doc) line(format string, args ...any) {
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func (d *doc) blank() { d.b.WriteByte('\n') }

func (d *doc) bytes() []byte { return []byte(d.b.String()) }

// header opens every generated Markdown file; '#' would be a heading there.
func (d *doc) header() {
	d.line("<!-- %s -->", strings.TrimSpace(strings.TrimPrefix(objset.Header, "#")))
}

func code(s string) string {
	if strings.Contains(s, "`") {
		return "``" + s + "``"
	}
	return "`" + s + "`"
}

func codeList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = code(n)
	}
	return strings.Join(out, ", ")
}

// cell escapes text for a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// kindName says what a Secret is, for people.
func kindName(k credentials.Kind) string {
	switch k {
	case credentials.FernetKey:
		return "Airflow fernet key"
	case credentials.APISecretKey:
		return "Airflow API secret key"
	case credentials.JWTSecret:
		return "Airflow JWT secret"
	case credentials.MetadataConnection:
		return "Airflow metadata connection"
	case credentials.BrokerURL:
		return "Celery broker URL"
	case credentials.RedisPassword:
		return "Redis password"
	case credentials.PgBouncerConfig:
		return "PgBouncer configuration"
	case credentials.PgBouncerStats:
		return "PgBouncer exporter connection"
	}
	return string(k)
}

// typeName is the kind, with the Secret type when it is not Opaque.
func typeName(s credentials.Secret) string {
	if s.Layout.Type != credentials.TypeOpaque {
		return kindName(s.Kind) + " (" + s.Layout.Type + ")"
	}
	return kindName(s.Kind)
}

// placeholder is the text that stands for a key's value in instructions.
// It is never a value: every variable part is in <angle brackets>.
func placeholder(env *model.Environment, s credentials.Secret, k credentials.Key) string {
	switch s.Kind {
	case credentials.MetadataConnection:
		m := env.Airflow.MetadataDatabase
		host := m.Host
		if host == "" {
			host = "<postgres-host>"
		}
		if env.Airflow.PgBouncer.Enabled {
			// Every component goes through PgBouncer, which names the
			// metadata database <release>-metadata.
			r := env.Airflow.ReleaseName
			return fmt.Sprintf("postgresql://<user>:<password>@%s-pgbouncer:6543/%s-metadata?sslmode=disable", r, r)
		}
		return fmt.Sprintf("postgresql://<user>:<password>@%s:%d/%s?sslmode=%s", host, m.Port, m.Name, m.SSLMode)
	case credentials.BrokerURL:
		if !credentials.BuiltInRedis(env) {
			return "<broker-url>"
		}
		return fmt.Sprintf("redis://:<redis-password>@%s-redis:6379/0", env.Airflow.ReleaseName)
	case credentials.PgBouncerStats:
		return "postgresql://<user>:<password>@127.0.0.1:6543/pgbouncer?sslmode=disable"
	}
	return k.Placeholder
}

// notes are what a person must know to fill a Secret in correctly.
func notes(env *model.Environment, s credentials.Secret) []string {
	chart := credentials.Chart(env)
	switch s.Kind {
	case credentials.MetadataConnection:
		out := []string{fmt.Sprintf("`<user>` and `<password>` are those of credential %s, URL-encoded.", code(env.Airflow.MetadataDatabase.Credential))}
		if env.Airflow.MetadataDatabase.Mode == model.InCluster {
			out = append(out, fmt.Sprintf("The host is the in-cluster PostgreSQL's Service %s of namespace %s, which ydpgen renders.",
				code(model.InClusterDatabaseService), code(env.Namespace.Name)))
		}
		return out
	case credentials.BrokerURL:
		if !credentials.BuiltInRedis(env) {
			return []string{"`<broker-url>` is the URL of the external Celery broker, such as `rediss://:<password>@<host>:6379/0`."}
		}
		return []string{fmt.Sprintf("`<redis-password>` is the value stored in Secret %s.", code(chart.RedisPassword))}
	case credentials.PgBouncerConfig:
		m := env.Airflow.MetadataDatabase
		host := m.Host
		if host == "" {
			host = "<postgres-host>"
		}
		r := env.Airflow.ReleaseName
		return []string{
			fmt.Sprintf("`pgbouncer.ini` maps database `%s-metadata` to `host=%s port=%d dbname=%s`, listens on port 6543 and reads `auth_file = /etc/pgbouncer/users.txt`; pool sizes: max_client_conn %d, default_pool_size %d.",
				r, host, m.Port, m.Name, env.Airflow.PgBouncer.MaxClientConn, env.Airflow.PgBouncer.MetadataPoolSize),
			fmt.Sprintf("`users.txt` holds `\"<user>\" \"<password>\"` of credential %s.", code(m.Credential)),
		}
	case credentials.PgBouncerStats:
		return []string{"`<user>` must be one of PgBouncer's `stats_users` in `pgbouncer.ini`."}
	case credentials.RedisPassword:
		return []string{fmt.Sprintf("The same password goes into the broker URL of Secret %s.", code(chart.BrokerURL))}
	case credentials.FernetKey:
		return []string{"Keep it once created: a new fernet key cannot read the connections and variables encrypted with the old one."}
	case credentials.GitSync:
		return []string{"git-sync v3 and v4 read different variables; give both pairs the same username and token."}
	case credentials.PrivateKeyAuth:
		return []string{"PASSPHRASE stays empty for an unencrypted key."}
	case credentials.Registry:
		return []string{"Also possible from an existing docker login: `--from-file=.dockerconfigjson=$HOME/.docker/config.json` with `--type=kubernetes.io/dockerconfigjson`."}
	}
	return nil
}

func (d *doc) usedBy(s credentials.Secret) {
	if s.Credential != "" {
		d.line("%s, credential %s. Used by:", typeName(s), code(s.Credential))
	} else {
		d.line("%s. Used by:", typeName(s))
	}
	d.blank()
	for _, u := range s.UsedBy {
		d.line("- %s", u)
	}
	d.blank()
}

func (d *doc) notes(env *model.Environment, s credentials.Secret) {
	if n := notes(env, s); len(n) > 0 {
		for _, l := range n {
			d.line("%s", l)
		}
		d.blank()
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// manualDoc is SECRETS.md for the manual provider.
func manualDoc(env *model.Environment, list []credentials.Secret) []byte {
	ns := env.Namespace.Name
	var d doc
	d.header()
	d.line("# Secrets of environment %s", code(env.Name))
	d.blank()
	d.line("Platform %s, namespace %s, secrets provider `manual`.", code(env.Platform), code(ns))
	d.blank()
	d.line("ydpgen renders no Secret and no secret value.")
	d.line("Create each Secret below in namespace %s before the platform is synced,", code(ns))
	d.line("replacing every quoted `'<placeholder>'` (quotes included) with its value; `\"$(...)\"` generates one.")
	d.line("A value typed on the command line stays in the shell history: prefer files.")
	d.line("To change an existing Secret, append `--dry-run=client -o yaml | kubectl apply -f -`.")
	d.blank()
	d.line("| Secret | Type | Keys |")
	d.line("| --- | --- | --- |")
	for _, s := range list {
		d.line("| %s | %s | %s |", code(s.Name), cell(typeName(s)), cell(codeList(s.Layout.KeyNames())))
	}
	d.blank()
	for _, s := range list {
		d.line("## %s", code(s.Name))
		d.blank()
		d.usedBy(s)
		d.notes(env, s)
		d.line("```sh")
		cmd := createCommand(env, s)
		for i, l := range cmd {
			if i < len(cmd)-1 {
				l += " \\"
			}
			if i > 0 {
				l = "  " + l
			}
			d.line("%s", l)
		}
		d.line("```")
		d.blank()
	}
	return d.bytes()
}

// createCommand is the kubectl command that creates a Secret, one argument
// group a line.
func createCommand(env *model.Environment, s credentials.Secret) []string {
	ns := env.Namespace.Name
	if s.Kind == credentials.Registry {
		server := s.Registry
		if server == "" {
			server = "<registry-host>"
		}
		return []string{
			fmt.Sprintf("kubectl create secret docker-registry %s --namespace %s", s.Name, ns),
			"--docker-server=" + shellQuote(server),
			"--docker-username=" + shellQuote("<username>"),
			"--docker-password=" + shellQuote("<password or access token>"),
		}
	}
	out := []string{fmt.Sprintf("kubectl create secret generic %s --namespace %s", s.Name, ns)}
	for _, k := range s.Layout.Keys {
		switch {
		case k.Generate != "":
			out = append(out, fmt.Sprintf("--from-literal=%s=\"$(%s)\"", k.Name, k.Generate))
		case k.File:
			out = append(out, fmt.Sprintf("--from-file=%s=%s", k.Name, shellQuote(placeholder(env, s, k))))
		default:
			out = append(out, fmt.Sprintf("--from-literal=%s=%s", k.Name, shellQuote(placeholder(env, s, k))))
		}
	}
	return out
}

// storeDoc is SECRETS.md for the external-secrets provider: what to put
// into the store.
func storeDoc(env *model.Environment, list []credentials.Secret, remote map[string]remoteSecret) []byte {
	cfg := env.Secrets.ExternalSecrets
	ns := env.Namespace.Name
	var d doc
	d.header()
	d.line("# Secrets of environment %s", code(env.Name))
	d.blank()
	d.line("Platform %s, namespace %s, secrets provider `external-secrets`.", code(env.Platform), code(ns))
	d.blank()
	where := fmt.Sprintf("in namespace %s", code(ns))
	if cfg.StoreKind == "ClusterSecretStore" {
		where = "of the cluster"
	}
	d.line("The External Secrets Operator writes each Secret below from the %s %s %s,", cfg.StoreKind, code(cfg.StoreName), where)
	d.line("and reads the store again every %s.", cfg.RefreshInterval)
	d.line("ydpgen does not render the store: it holds the store's address and the operator's access to it.")
	d.blank()
	tmpl := cfg.RemoteKeyTemplate
	if p, ok := credentials.Presets()[tmpl]; ok {
		tmpl = p + " (" + cfg.RemoteKeyTemplate + ")"
	}
	d.line("Before the platform is synced, store each remote secret below as a JSON object with one string property per key.")
	d.line("Remote keys follow %s, with ecosystem %s.", code(tmpl), code(cfg.Ecosystem))
	d.line("For example:")
	d.blank()
	d.line("```sh")
	if cfg.RemoteKeyTemplate == "azure" {
		d.line("az keyvault secret set --vault-name '<vault>' --name '<remote key>' --file '<file.json>'")
	} else {
		d.line("aws secretsmanager create-secret --name '<remote key>' --secret-string 'file://<file.json>'")
	}
	d.line("```")
	d.blank()
	d.line("| Secret | Type | Remote key | Properties |")
	d.line("| --- | --- | --- | --- |")
	for _, s := range list {
		r := remote[s.Name]
		d.line("| %s | %s | %s | %s |", code(s.Name), cell(typeName(s)), code(r.Key), cell(codeList(r.Properties)))
	}
	d.blank()
	for _, s := range list {
		r := remote[s.Name]
		d.line("## %s", code(s.Name))
		d.blank()
		d.usedBy(s)
		d.notes(env, s)
		d.line("Remote secret %s:", code(r.Key))
		d.blank()
		d.line("```json")
		d.line("{")
		for i, k := range s.Layout.Keys {
			v := placeholder(env, s, k)
			switch {
			case k.Generate != "":
				v = "<output of: " + k.Generate + ">"
			case k.File:
				v = "<content of " + strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">") + ">"
			}
			sep := ","
			if i == len(s.Layout.Keys)-1 {
				sep = ""
			}
			d.line("  %s: %s%s", jsonString(r.Properties[i]), jsonString(v), sep)
		}
		d.line("}")
		d.line("```")
		d.blank()
	}
	return d.bytes()
}

// jsonString quotes s as JSON, leaving '<' and '>' readable.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/internal/markdown"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

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
		out := []string{fmt.Sprintf("`<user>` and `<password>` are those of credential %s, URL-encoded.", markdown.Code(env.Airflow.MetadataDatabase.Credential))}
		if env.Airflow.MetadataDatabase.Mode == model.InCluster {
			out = append(out, fmt.Sprintf("The host is the in-cluster PostgreSQL's Service %s of namespace %s, which ydpgen renders.",
				markdown.Code(model.InClusterDatabaseService), markdown.Code(env.Namespace.Name)))
		}
		return out
	case credentials.BrokerURL:
		if !credentials.BuiltInRedis(env) {
			return []string{"`<broker-url>` is the URL of the external Celery broker, such as `rediss://:<password>@<host>:6379/0`."}
		}
		return []string{fmt.Sprintf("`<redis-password>` is the value stored in Secret %s.", markdown.Code(chart.RedisPassword))}
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
			fmt.Sprintf("`users.txt` holds `\"<user>\" \"<password>\"` of credential %s.", markdown.Code(m.Credential)),
		}
	case credentials.PgBouncerStats:
		return []string{"`<user>` must be one of PgBouncer's `stats_users` in `pgbouncer.ini`."}
	case credentials.RedisPassword:
		return []string{fmt.Sprintf("The same password goes into the broker URL of Secret %s.", markdown.Code(chart.BrokerURL))}
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

func writeUsedBy(d *markdown.Doc, s credentials.Secret) {
	if s.Credential != "" {
		d.Line("%s, credential %s. Used by:", typeName(s), markdown.Code(s.Credential))
	} else {
		d.Line("%s. Used by:", typeName(s))
	}
	d.Blank()
	for _, u := range s.UsedBy {
		d.Line("- %s", u)
	}
	d.Blank()
}

func writeNotes(d *markdown.Doc, env *model.Environment, s credentials.Secret) {
	if n := notes(env, s); len(n) > 0 {
		for _, l := range n {
			d.Line("%s", l)
		}
		d.Blank()
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// manualDoc is SECRETS.md for the manual provider.
func manualDoc(env *model.Environment, list []credentials.Secret) []byte {
	ns := env.Namespace.Name
	var d markdown.Doc
	d.Comment(objset.HeaderText)
	d.Line("# Secrets of environment %s", markdown.Code(env.Name))
	d.Blank()
	d.Line("Platform %s, namespace %s, secrets provider `manual`.", markdown.Code(env.Platform), markdown.Code(ns))
	d.Blank()
	d.Line("ydpgen renders no Secret and no secret value.")
	d.Line("Create each Secret below in namespace %s before the platform is synced,", markdown.Code(ns))
	d.Line("replacing every quoted `'<placeholder>'` (quotes included) with its value; `\"$(...)\"` generates one.")
	d.Line("A value typed on the command line stays in the shell history: prefer files.")
	d.Line("To change an existing Secret, append `--dry-run=client -o yaml | kubectl apply -f -`.")
	d.Blank()
	d.Line("| Secret | Type | Keys |")
	d.Line("| --- | --- | --- |")
	for _, s := range list {
		d.Line("| %s | %s | %s |", markdown.Code(s.Name), markdown.Cell(typeName(s)), markdown.Cell(markdown.CodeList(s.Layout.KeyNames())))
	}
	d.Blank()
	for _, s := range list {
		d.Line("## %s", markdown.Code(s.Name))
		d.Blank()
		writeUsedBy(&d, s)
		writeNotes(&d, env, s)
		d.Line("```sh")
		cmd := createCommand(env, s)
		for i, l := range cmd {
			if i < len(cmd)-1 {
				l += " \\"
			}
			if i > 0 {
				l = "  " + l
			}
			d.Line("%s", l)
		}
		d.Line("```")
		d.Blank()
	}
	return d.Bytes()
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
	var d markdown.Doc
	d.Comment(objset.HeaderText)
	d.Line("# Secrets of environment %s", markdown.Code(env.Name))
	d.Blank()
	d.Line("Platform %s, namespace %s, secrets provider `external-secrets`.", markdown.Code(env.Platform), markdown.Code(ns))
	d.Blank()
	where := fmt.Sprintf("in namespace %s", markdown.Code(ns))
	if cfg.StoreKind == "ClusterSecretStore" {
		where = "of the cluster"
	}
	d.Line("The External Secrets Operator writes each Secret below from the %s %s %s,", cfg.StoreKind, markdown.Code(cfg.StoreName), where)
	d.Line("and reads the store again every %s.", cfg.RefreshInterval)
	d.Line("ydpgen does not render the store: it holds the store's address and the operator's access to it.")
	d.Blank()
	tmpl := cfg.RemoteKeyTemplate
	if p, ok := credentials.Presets()[tmpl]; ok {
		tmpl = p + " (" + cfg.RemoteKeyTemplate + ")"
	}
	d.Line("Before the platform is synced, store each remote secret below as a JSON object with one string property per key.")
	d.Line("Remote keys follow %s, with ecosystem %s.", markdown.Code(tmpl), markdown.Code(cfg.Ecosystem))
	d.Line("For example:")
	d.Blank()
	d.Line("```sh")
	if cfg.RemoteKeyTemplate == "azure" {
		d.Line("az keyvault secret set --vault-name '<vault>' --name '<remote key>' --file '<file.json>'")
	} else {
		d.Line("aws secretsmanager create-secret --name '<remote key>' --secret-string 'file://<file.json>'")
	}
	d.Line("```")
	d.Blank()
	d.Line("| Secret | Type | Remote key | Properties |")
	d.Line("| --- | --- | --- | --- |")
	for _, s := range list {
		r := remote[s.Name]
		d.Line("| %s | %s | %s | %s |", markdown.Code(s.Name), markdown.Cell(typeName(s)), markdown.Code(r.Key), markdown.Cell(markdown.CodeList(r.Properties)))
	}
	d.Blank()
	for _, s := range list {
		r := remote[s.Name]
		d.Line("## %s", markdown.Code(s.Name))
		d.Blank()
		writeUsedBy(&d, s)
		writeNotes(&d, env, s)
		d.Line("Remote secret %s:", markdown.Code(r.Key))
		d.Blank()
		d.Line("```json")
		d.Line("{")
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
			d.Line("  %s: %s%s", jsonString(r.Properties[i]), jsonString(v), sep)
		}
		d.Line("}")
		d.Line("```")
		d.Blank()
	}
	return d.Bytes()
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

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

// fenced writes text verbatim in a fenced block of the given language.
func fenced(d *markdown.Doc, lang, text string) {
	body := strings.TrimSuffix(text, "\n")
	f := markdown.Fence(strings.Split(body, "\n"))
	d.Line("%s%s", f, lang)
	d.Line("%s", body)
	d.Line("%s", f)
}

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
	case credentials.TLS:
		return "Ingress certificate"
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

// notes are what a person must know about a Secret beyond its keys.
func notes(env *model.Environment, s credentials.Secret) []string {
	var out []string
	if sh := s.Shared; sh != nil {
		out = append(out, fmt.Sprintf("Shared with environment %s on purpose: %s. Both hold the same values.", markdown.Code(sh.With), sh.Reason))
	}
	switch s.Kind {
	case credentials.MetadataConnection:
		if env.Airflow.MetadataDatabase.Mode == model.InCluster {
			out = append(out, fmt.Sprintf("The host is the in-cluster PostgreSQL's Service %s of namespace %s, which ydpgen renders.",
				markdown.Code(model.InClusterDatabaseService), markdown.Code(env.Namespace.Name)))
		}
	case credentials.BrokerURL:
		if !credentials.BuiltInRedis(env) {
			out = append(out, "`connection` is the URL of the external Celery broker, such as `rediss://:<password>@<host>:6379/0`.")
		}
	case credentials.PgBouncerStats:
		out = append(out, "Its user is the metadata database's, which `pgbouncer.ini` names in `stats_users`.")
	case credentials.FernetKey:
		out = append(out, "Keep it: a new fernet key cannot read the connections and variables encrypted with the old one. To change it, see [Rotating the fernet key](#rotating-the-fernet-key).")
	case credentials.GitSync:
		out = append(out, "git-sync v3 and v4 read different variables; give both pairs the same username and token.")
	case credentials.SSHKey:
		out = append(out, "The private key (OpenSSH format, without a passphrase) whose public key the git server accepts; the server's host keys are in the spec (`knownHosts`).")
	case credentials.PrivateKeyAuth:
		out = append(out, "PASSPHRASE stays empty for an unencrypted key.")
	case credentials.Registry:
		if len(s.Registries) > 0 {
			out = append(out, fmt.Sprintf("A docker config with one login per registry host the images come from: %s.", markdown.CodeList(s.Registries)))
		}
	case credentials.TLS:
		if s.IssuedBy != "" {
			out = append(out, fmt.Sprintf("Written by %s: create nothing.", s.IssuedBy))
		}
	}
	return out
}

func usedBy(d *markdown.Doc, s credentials.Secret) {
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

// madeFrom says, for the tables, how a Secret's values come to be.
func madeFrom(s credentials.Secret, provider string) string {
	switch {
	case s.IssuedBy != "":
		return "issued by " + s.IssuedBy
	case len(s.Derived) == len(s.Layout.Keys):
		return "built from " + markdown.CodeList(sourcesOf(s))
	case s.Shared != nil && s.Shared.Partner.SameCluster && provider == ProviderManual:
		return fmt.Sprintf("copied from environment %s", markdown.Code(s.Shared.With))
	case s.Shared != nil:
		return fmt.Sprintf("shared with environment %s", markdown.Code(s.Shared.With))
	}
	for _, k := range s.Layout.Keys {
		if k.Random != nil {
			return "generated once"
		}
	}
	return "typed once"
}

// fernetRotation explains how to change the fernet key without losing what
// the old one encrypted: Airflow decrypts with every key of a comma-separated
// list and encrypts with the first.
func fernetRotation(d *markdown.Doc, env *model.Environment, provider string) {
	ns, name := env.Namespace.Name, credentials.Chart(env).FernetKey
	d.Line("## Rotating the fernet key")
	d.Blank()
	d.Line("The fernet key encrypts the connections and variables in Airflow's metadata database.")
	if provider == ProviderExternalSecrets {
		d.Line("The operator made it once (refresh policy `CreatedOnce`, immutable Secret) and never writes it again, so a sync never changes it;")
		d.Line("a rotation replaces the Secret by hand, and the operator leaves the new one alone.")
	} else {
		d.Line("The script made it once and never makes it again (it creates only missing Secrets).")
	}
	d.Line("Airflow reads a comma-separated list of keys, decrypts with any of them and encrypts with the first, so:")
	d.Blank()
	d.Line("1. Put the new key in front of the old one, and restart Airflow (`kubectl rollout restart` of its Deployments and StatefulSets in %s):", markdown.Code(ns))
	d.Blank()
	fenced(d, "sh", fmt.Sprintf(`old=$(kubectl get secret %[1]s --namespace %[2]s -o 'jsonpath={.data.fernet-key}' | base64 -d)
new=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_')
kubectl delete secret %[1]s --namespace %[2]s
printf '%%s,%%s' "$new" "$old" | kubectl create secret generic %[1]s --namespace %[2]s --from-file=fernet-key=/dev/stdin`, name, ns))
	d.Blank()
	d.Line("2. Re-encrypt everything with the new key, in a scheduler pod:")
	d.Blank()
	fenced(d, "sh", fmt.Sprintf(`kubectl exec --namespace %[1]s "$(kubectl get pods --namespace %[1]s -l component=scheduler -o name | head -n 1)" -c scheduler -- airflow rotate-fernet-key`, ns))
	d.Blank()
	d.Line("3. Keep only the new key, and restart Airflow again:")
	d.Blank()
	fenced(d, "sh", fmt.Sprintf(`new=$(kubectl get secret %[1]s --namespace %[2]s -o 'jsonpath={.data.fernet-key}' | base64 -d | cut -d, -f1)
kubectl delete secret %[1]s --namespace %[2]s
printf '%%s' "$new" | kubectl create secret generic %[1]s --namespace %[2]s --from-file=fernet-key=/dev/stdin`, name, ns))
	d.Blank()
}

// storeDoc is SECRETS.md for the external-secrets provider: what to put
// into the store, and what the operator makes by itself.
func storeDoc(env *model.Environment, list []credentials.Secret, remote []credentials.RemoteSecret) []byte {
	cfg := env.Secrets.ExternalSecrets
	ns := env.Namespace.Name
	keyOf := map[string]credentials.RemoteSecret{}
	for _, r := range remote {
		keyOf[r.Secret] = r
	}
	d := &markdown.Doc{}
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
	d.Line("No value is kept twice: a Secret that repeats another's values (a connection URL holding a password)")
	d.Line("is built by the operator from the same remote secret, and the keys Airflow only needs to be random")
	d.Line("are generated by the operator once, in the cluster, and never again.")
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
	d.Line("| Secret | Type | Made | Remote key | Properties |")
	d.Line("| --- | --- | --- | --- | --- |")
	for _, s := range list {
		key, props := "", ""
		if r, ok := keyOf[s.Name]; ok {
			key, props = markdown.Code(r.Key), markdown.CodeList(r.Properties)
		}
		made := "typed once into the store"
		switch {
		case s.IssuedBy != "":
			made = "issued by " + s.IssuedBy
		case len(s.Derived) == len(s.Layout.Keys):
			made = "built by the operator from " + markdown.CodeList(sourcesOf(s))
		case key == "":
			made = "generated by the operator, once"
		case s.Shared != nil:
			made = fmt.Sprintf("shared with environment %s", markdown.Code(s.Shared.With))
		}
		d.Line("| %s | %s | %s | %s | %s |", markdown.Code(s.Name), markdown.Cell(typeName(s)), markdown.Cell(made), key, markdown.Cell(props))
	}
	d.Blank()
	for _, s := range list {
		d.Line("## %s", markdown.Code(s.Name))
		d.Blank()
		usedBy(d, s)
		writeNotes(d, env, s)
		r, stored := keyOf[s.Name]
		switch {
		case s.IssuedBy != "":
		case stored:
			d.Line("Remote secret %s:", markdown.Code(r.Key))
			d.Blank()
			d.Line("```json")
			d.Line("{")
			for i, p := range r.Properties {
				k := s.Layout.Keys[0]
				for _, lk := range s.Layout.Keys {
					if credentials.RemoteProperty(lk.Name) == p {
						k = lk
					}
				}
				v := k.Placeholder
				switch {
				case k.Random != nil:
					v = fmt.Sprintf("<%d random bytes, %s>", k.Random.Bytes, k.Random.Encoding)
				case k.File:
					v = "<content of " + strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">") + ">"
				}
				sep := ","
				if i == len(r.Properties)-1 {
					sep = ""
				}
				d.Line("  %s: %s%s", jsonString(p), jsonString(v), sep)
			}
			d.Line("}")
			d.Line("```")
			d.Blank()
		case len(s.Derived) > 0:
			d.Line("Built by the operator's template from %s; nothing to store.", markdown.CodeList(sourcesOf(s)))
			d.Blank()
		default:
			d.Line("Generated by the operator's Password generator %s when the ExternalSecret is first synced; never regenerated.", markdown.Code(s.Name))
			d.Blank()
		}
	}
	fernetRotation(d, env, ProviderExternalSecrets)
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

package spec

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
)

// checkCredentials checks what the schema alone cannot: every credential a
// field names is declared with the type that field needs; no two
// credentials, and no credential and a Secret of the Airflow chart, share a
// Kubernetes Secret name; the remote key template parses.
func checkCredentials(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	declared := map[string]model.CredentialType{}
	var names []string
	for _, cr := range env.Credentials {
		declared[cr.Name] = cr.Type
		names = append(names, cr.Name)
	}
	slices.Sort(names)

	for _, r := range credentials.References(env) {
		p := refPath(r)
		t, ok := declared[r.Credential]
		switch {
		case !ok:
			fix := fmt.Sprintf("declare it under spec.credentials as %s: {type: %s}", r.Credential, r.Want)
			if near := diag.Nearest(r.Credential, names); near != "" {
				fix = fmt.Sprintf("did you mean %q? Otherwise %s", near, fix)
			}
			allowed := "a credential declared under spec.credentials"
			if len(names) > 0 {
				allowed += ": " + strings.Join(names, ", ")
			}
			c.add(p, fmt.Sprintf("credential %q is not declared", r.Credential), allowed, fix)
		case credentials.KindOf(t) != r.Want && r.URLPath != nil && (r.Want == credentials.SSHKey || credentials.KindOf(t) == credentials.SSHKey):
			// A key on an https URL, or a token on an SSH URL: the URL is
			// what the reader will want to see.
			url := refPath(credentials.Reference{Path: r.URLPath})
			if r.Want == credentials.SSHKey {
				c.add(url, fmt.Sprintf("repository %s is reached over SSH, but credential %q (%s) holds a token, which SSH cannot use", r.URL, r.Credential, t),
					fmt.Sprintf("an SSH_KEY credential with an SSH URL (git@host:org/repo.git, ssh://), or an https:// URL with a credential of type %s", tokenKind(r)),
					"declare an SSH_KEY credential and name it, or write the https:// URL")
			} else {
				c.add(url, fmt.Sprintf("repository %s is an https:// URL, but credential %q is an SSH_KEY, which https cannot use", r.URL, r.Credential),
					fmt.Sprintf("a credential of type %s with an https:// URL, or an SSH URL (git@host:org/repo.git, ssh://) with an SSH_KEY credential", tokenKind(r)),
					"write the SSH URL of the repository, or name a token credential")
			}
		case credentials.KindOf(t) != r.Want && (r.Or == "" || credentials.KindOf(t) != r.Or):
			want := string(r.Want)
			if r.Or != "" {
				want += " or " + string(r.Or)
			}
			c.add(p, fmt.Sprintf("credential %q is of type %s, but %s needs %s", r.Credential, t, r.PathString(), want),
				fmt.Sprintf("a credential of type %s", want), "")
		case r.EnvVars && !credentials.EnvVarName(r.Credential):
			vars, _ := credentials.EnvVars(r.Credential, r.Want, env.DataSurface.Version)
			var names []string
			for _, v := range vars {
				names = append(names, v.Name)
			}
			c.add(p, fmt.Sprintf("credential %q cannot be read from the environment: DataSurface would look for %s, which are not environment variable names", r.Credential, strings.Join(names, " and ")),
				"a credential name of "+credentials.EnvVarNameRule,
				fmt.Sprintf("rename the credential (for example %q) here and in the model", strings.NewReplacer("-", "_").Replace(r.Credential)))
		}
	}
	c.out = append(c.out, checkGitURLs(env)...)

	// Two credentials, one Secret: DataSurface would read the same Secret
	// for both.
	byName := map[string][]string{}
	var secretNames []string
	for _, n := range names {
		k := model.K8sName(n)
		if _, seen := byName[k]; !seen {
			secretNames = append(secretNames, k)
		}
		byName[k] = append(byName[k], n)
	}
	slices.Sort(secretNames)
	for _, k := range secretNames {
		group := byName[k]
		if len(group) < 2 {
			continue
		}
		// Report at every credential after the first one written.
		slices.SortFunc(group, func(a, b string) int { return c.compareOrigins(credPath(a), credPath(b)) })
		for _, n := range group[1:] {
			c.add(credPath(n), fmt.Sprintf("credentials %q and %q both become the Kubernetes Secret %q", group[0], n, k),
				"credential names that stay distinct after DataSurface's Kubernetes naming: lowercase, '_' and spaces to '-', other characters dropped",
				"rename one of them")
		}
	}

	chart := credentials.Chart(env)
	chartNames := []struct{ name, what string }{
		{chart.FernetKey, "fernet key"}, {chart.APISecretKey, "API secret key"}, {chart.JWTSecret, "JWT secret"},
		{chart.Metadata, "metadata connection"}, {chart.BrokerURL, "Celery broker URL"}, {chart.RedisPassword, "Redis password"},
		{chart.PgBouncerConfig, "PgBouncer configuration"}, {chart.PgBouncerStats, "PgBouncer exporter connection"},
	}
	for _, n := range names {
		k := model.K8sName(n)
		for _, cn := range chartNames {
			if cn.name != "" && cn.name == k {
				c.add(credPath(n), fmt.Sprintf("credential %q becomes the Secret %q, which holds the Airflow chart's %s", n, k, cn.what),
					fmt.Sprintf("a name other than the chart's Secrets %s-fernet-key, -api-secret-key, -jwt-secret, -metadata, -broker-url and -redis-password", env.Airflow.ReleaseName),
					"rename the credential, or change airflow.releaseName")
			}
		}
	}

	es := env.Secrets.ExternalSecrets
	tmplPath := cue.MakePath(cue.Str("secrets"), cue.Str("externalSecrets"), cue.Str("remoteKeyTemplate"))
	tmpl, terr := credentials.ParseRemoteKeyTemplate(es.RemoteKeyTemplate)
	if terr != nil {
		msg := fmt.Sprintf("remote key template %q: %s", es.RemoteKeyTemplate, terr.Message)
		if terr.Offset > 0 {
			msg = fmt.Sprintf("remote key template %q, at character %d: %s", es.RemoteKeyTemplate, terr.Offset+1, terr.Message)
		}
		c.add(tmplPath, msg, terr.Allowed, terr.Fix)
	} else if env.Secrets.Provider == "external-secrets" {
		list, err := credentials.List(env)
		if err == nil {
			for _, s := range list {
				key := tmpl.Expand(credentials.RemoteKeyVars{Credential: s.Name, Ecosystem: es.Ecosystem,
					Environment: env.Name, Namespace: env.Namespace.Name, Platform: env.Platform})
				if problem := tmpl.CheckRemoteKey(key); problem != "" {
					c.add(cue.MakePath(cue.Str("secrets"), cue.Str("externalSecrets"), cue.Str("ecosystem")), problem,
						"an ecosystem name of letters, digits and '-' for the azure template", "set secrets.externalSecrets.ecosystem")
					break
				}
			}
		}
	}
	return c.out
}

// tokenKind is the token type a git reference takes on an https URL.
func tokenKind(r credentials.Reference) credentials.Kind {
	if len(r.Path) > 0 && r.Path[0] == "airflow" {
		return credentials.GitSync
	}
	return credentials.APIToken
}

// checkGitURLs checks what an SSH git URL needs besides its key: the
// server's host keys, so that git trusts only that server. An https URL
// has no use for them.
func checkGitURLs(env *model.Environment) diag.List {
	c := &envChecker{env: env}
	for _, g := range []struct {
		on                    bool
		url, cred, knownHosts string
		path                  []string
	}{
		{true, env.DataSurface.Model.Repository, env.DataSurface.Model.Credential, env.DataSurface.Model.KnownHosts, []string{"datasurface", "model"}},
		{env.Airflow.DAGs.GitSync.Enabled, env.Airflow.DAGs.GitSync.Repository, env.Airflow.DAGs.GitSync.Credential, env.Airflow.DAGs.GitSync.KnownHosts, []string{"airflow", "dags", "gitSync"}},
	} {
		at := func(field string) cue.Path {
			var sels []cue.Selector
			for _, p := range append(slices.Clone(g.path), field) {
				sels = append(sels, cue.Str(p))
			}
			return cue.MakePath(sels...)
		}
		switch {
		case !g.on || g.url == "":
		case model.IsSSHURL(g.url) && g.cred == "":
			c.add(at("repository"), fmt.Sprintf("repository %s is reached over SSH, which needs a key, and no credential is named", g.url),
				"an SSH_KEY credential in "+at("credential").String()+", or an https:// URL", "")
		case model.IsSSHURL(g.url) && g.knownHosts == "":
			c.add(at("repository"), fmt.Sprintf("repository %s is reached over SSH, but %s is not set, so git could not tell the server from an impostor", g.url, at("knownHosts")),
				"the server's host keys in known_hosts format, as `ssh-keyscan <host>` prints them", "")
		case !model.IsSSHURL(g.url) && g.knownHosts != "":
			c.add(at("knownHosts"), fmt.Sprintf("knownHosts is set, but repository %s is not an SSH URL", g.url),
				"knownHosts only with a git@ or ssh:// URL", "remove knownHosts")
		}
	}
	return c.out
}

// envChecker collects the findings of the checks that run on a resolved
// environment, each placed where the spec wrote the value.
type envChecker struct {
	env *model.Environment
	out diag.List
}

// add reports at where path was written or, for a value the spec did not
// write, as model.Origins.Place says.
func (c *envChecker) add(path cue.Path, msg, allowed, fix string) {
	o := c.origin(path)
	c.out = append(c.out, diag.Finding{Severity: diag.Error, File: o.File, Line: o.Line, Col: o.Col,
		Path: o.Path, Message: msg, Allowed: allowed, Fix: fix})
}

// addIn is add for checks of one resolved environment: the message says
// which environment and profile it is about.
func (c *envChecker) addIn(path cue.Path, msg, allowed, fix string) {
	c.add(path, fmt.Sprintf("%s in environment %s (profile %s)", msg, c.env.Name, c.env.Profile), allowed, fix)
}

func (c *envChecker) origin(path cue.Path) model.Origin {
	o, _ := c.env.Origins.Place(c.env.Name, path.String())
	return o
}

func (c *envChecker) compareOrigins(a, b cue.Path) int {
	oa, ob := c.origin(a), c.origin(b)
	if oa.Line != ob.Line {
		return oa.Line - ob.Line
	}
	if oa.Col != ob.Col {
		return oa.Col - ob.Col
	}
	return strings.Compare(a.String(), b.String())
}

func credPath(name string) cue.Path {
	return cue.MakePath(cue.Str("credentials"), cue.Str(name))
}

func refPath(r credentials.Reference) cue.Path {
	var sels []cue.Selector
	for _, s := range r.Path {
		switch v := s.(type) {
		case int:
			sels = append(sels, cue.Index(v))
		case string:
			sels = append(sels, cue.Str(v))
		}
	}
	return cue.MakePath(sels...)
}

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

// checkEnvironments checks the environments against each other: what one
// of them owns (a database, a database user, a remote secret, a
// namespace, an ingress host, a DataSurface RTE on a cluster) no other may
// use, unless the spec shares it on purpose with a reason (share:). Each
// finding is placed at the later environment's value and names where the
// earlier one wrote its own, so both positions are in the message. It also
// checks the share entries and tells each share about its partner.
func checkEnvironments(envs []model.Environment) diag.List {
	var out diag.List
	byName := map[string]*model.Environment{}
	var names []string
	for i := range envs {
		byName[envs[i].Name] = &envs[i]
		names = append(names, envs[i].Name)
	}
	for i := range envs {
		out = append(out, checkShares(&envs[i], byName, names)...)
	}
	if len(out) > 0 {
		return out
	}
	for j := range envs {
		for i := range j {
			a, b := &envs[i], &envs[j]
			out = append(out, checkCluster(a, b)...)
			out = append(out, checkDatabaseServer(a, b)...)
			out = append(out, checkRemoteKeys(a, b)...)
		}
	}
	return out
}

// shared reports whether a or b shares thing (a database or credential,
// by what) with the other.
func shared(a, b *model.Environment, what, name string) bool {
	match := func(x, y *model.Environment) bool {
		return slices.ContainsFunc(x.Shares, func(s model.Share) bool {
			if s.With != y.Name {
				return false
			}
			if what == "database" {
				return s.Database == name
			}
			return s.Credential == name
		})
	}
	return match(a, b) || match(b, a)
}

// where formats where environment env wrote the value at path, for a
// message placed at the other environment's value (here): its position, or
// that both take the value from the same line.
func where(env *model.Environment, path cue.Path, here *model.Environment, herePath cue.Path) string {
	o := (&envChecker{env: env}).origin(path)
	if o == (&envChecker{env: here}).origin(herePath) {
		return fmt.Sprintf("environment %s (both take it from this line)", env.Name)
	}
	s := fmt.Sprintf("environment %s", env.Name)
	if p := o.String(); p != "" {
		s += " at " + p
	}
	return s
}

func sharePath(i int, field string) cue.Path {
	return cue.MakePath(cue.Str("environment"), cue.Str("share"), cue.Index(i), cue.Str(field))
}

// checkShares checks one environment's share entries: each names another
// environment and exactly one thing both of them have.
func checkShares(env *model.Environment, byName map[string]*model.Environment, names []string) diag.List {
	c := &envChecker{env: env}
	for i := range env.Shares {
		s := &env.Shares[i]
		partner, ok := byName[s.With]
		switch {
		case s.With == env.Name:
			c.add(sharePath(i, "with"), fmt.Sprintf("environment %s shares with itself", env.Name),
				"another environment: "+strings.Join(without(names, env.Name), ", "), "")
			continue
		case !ok:
			fix := ""
			if near := diag.Nearest(s.With, names); near != "" {
				fix = fmt.Sprintf("did you mean %q?", near)
			}
			c.add(sharePath(i, "with"), fmt.Sprintf("no environment %s to share with", s.With),
				"another environment: "+strings.Join(without(names, env.Name), ", "), fix)
			continue
		case (s.Database == "") == (s.Credential == ""):
			c.add(cue.MakePath(cue.Str("environment"), cue.Str("share"), cue.Index(i)), "a share names exactly one thing",
				"either database: <name> or credential: <name>", "")
			continue
		}
		s.Partner = model.SharePartner{
			Namespace:   partner.Namespace.Name,
			Ecosystem:   partner.Secrets.ExternalSecrets.Ecosystem,
			SameCluster: env.Cluster.Name != "" && env.Cluster.Name == partner.Cluster.Name,
			Provider:    partner.Secrets.Provider,
		}
		partner.Borrowers = append(partner.Borrowers, model.Share{With: env.Name, Database: s.Database, Credential: s.Credential, Reason: s.Reason})
		if s.Credential != "" {
			for _, e := range []*model.Environment{env, partner} {
				if !slices.ContainsFunc(e.Credentials, func(cr model.Credential) bool { return cr.Name == s.Credential }) {
					c.add(sharePath(i, "credential"), fmt.Sprintf("credential %q is not declared in environment %s", s.Credential, e.Name),
						"a credential both environments declare", "")
				}
			}
			continue
		}
		inA := slices.ContainsFunc(env.ServerDatabases(), func(d model.Database) bool { return d.Name == s.Database })
		inB := slices.ContainsFunc(partner.ServerDatabases(), func(d model.Database) bool { return d.Name == s.Database })
		if !inA || !inB || env.DatabaseServerID() != partner.DatabaseServerID() {
			c.add(sharePath(i, "database"), fmt.Sprintf("environments %s and %s do not both have database %s on one server (%s: %s, %s: %s), so there is nothing to share",
				env.Name, partner.Name, s.Database, env.Name, env.DatabaseServerID(), partner.Name, partner.DatabaseServerID()),
				"a database both environments create on the server they both reach", "remove this share")
		}
	}
	return c.out
}

func without(names []string, name string) []string {
	var out []string
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// checkCluster checks two environments on one cluster: they describe its
// nodes alike (their requests are added up on them), and keep to their own
// namespace, DataSurface RTE and ingress hosts.
func checkCluster(a, b *model.Environment) diag.List {
	if a.Cluster.Name == "" || a.Cluster.Name != b.Cluster.Name {
		return nil
	}
	c := &envChecker{env: b}
	cluster := func(f string) cue.Path { return cue.MakePath(cue.Str("environment"), cue.Str("cluster"), cue.Str(f)) }
	for _, f := range []struct {
		field  string
		va, vb string
	}{
		{"nodes", fmt.Sprint(a.Cluster.Nodes), fmt.Sprint(b.Cluster.Nodes)},
		{"nodeMemory", a.Cluster.NodeMemory, b.Cluster.NodeMemory},
		{"nodeCPU", a.Cluster.NodeCPU, b.Cluster.NodeCPU},
		{"systemReserved", a.Cluster.SystemReserved.CPU + "/" + a.Cluster.SystemReserved.Memory, b.Cluster.SystemReserved.CPU + "/" + b.Cluster.SystemReserved.Memory},
		{"architecture", a.Cluster.Architecture, b.Cluster.Architecture},
	} {
		if f.va != f.vb {
			c.add(cluster(f.field), fmt.Sprintf("cluster %s has %s %s here but %s in %s", b.Cluster.Name, f.field, f.vb, f.va, where(a, cluster(f.field), b, cluster(f.field))),
				"the same description of a cluster in every environment that names it", "")
		}
	}
	ns := cue.MakePath(cue.Str("environment"), cue.Str("namespace"), cue.Str("name"))
	if a.Namespace.Name == b.Namespace.Name {
		c.add(ns, fmt.Sprintf("environment %s uses namespace %s on cluster %s, as does %s; their objects would overwrite each other", b.Name, b.Namespace.Name, b.Cluster.Name, where(a, ns, b, ns)),
			"a namespace of its own for each environment on a cluster", "")
	}
	rte := cue.MakePath(cue.Str("datasurface"), cue.Str("rte"))
	if a.DataSurface.RTE == b.DataSurface.RTE && model.K8sName(a.DataSurface.PSP) == model.K8sName(b.DataSurface.PSP) {
		c.add(rte, fmt.Sprintf("environment %s runs DataSurface RTE %s of PSP %s on cluster %s, as does %s; both would run the same ingestion",
			b.Name, b.DataSurface.RTE, b.DataSurface.PSP, b.Cluster.Name, where(a, rte, b, rte)),
			"an RTE (or PSP) of its own for each environment on a cluster", "")
	}
	hosts := func(e *model.Environment) [][2]string {
		var out [][2]string
		if ing := e.Airflow.APIServer.Ingress; ing != nil {
			out = append(out, [2]string{ing.Host, "airflow.apiServer.ingress.host"})
		}
		if ing := e.DataSurface.MCPServer.Ingress; ing != nil && e.DataSurface.MCPServer.Enabled {
			out = append(out, [2]string{ing.Host, "datasurface.mcpServer.ingress.host"})
		}
		return out
	}
	for _, hb := range hosts(b) {
		for _, ha := range hosts(a) {
			if ha[0] == hb[0] {
				c.add(cue.ParsePath(hb[1]), fmt.Sprintf("ingress host %s is also used on cluster %s by %s; the ingress controller would send both to one backend",
					hb[0], b.Cluster.Name, where(a, cue.ParsePath(ha[1]), b, cue.ParsePath(hb[1]))), "a host name of its own for each environment's ingress", "")
			}
		}
	}
	return c.out
}

// databasePath is where an environment names database name: the metadata
// or merge database's name, or its entry of databases.
func databasePath(env *model.Environment, name string) cue.Path {
	switch name {
	case env.Airflow.MetadataDatabase.Name:
		return cue.ParsePath("airflow.metadataDatabase.name")
	case env.DataSurface.MergeDatabase.Name:
		return cue.ParsePath("datasurface.mergeDatabase.name")
	}
	for i, d := range env.Databases {
		if d.Name == name {
			return cue.MakePath(cue.Str("databases"), cue.Index(i), cue.Str("name"))
		}
	}
	return cue.ParsePath("environment.name")
}

// rolePath is where an environment names credential as a database user.
func rolePath(env *model.Environment, credential string) cue.Path {
	for _, r := range credentials.References(env) {
		if r.Credential == credential && r.Want == credentials.UserPassword && !strings.HasPrefix(r.PathString(), "airflow.admin") {
			return refPath(r)
		}
	}
	return credPath(credential)
}

// checkDatabaseServer checks two environments that reach one database
// server: each database and each database user the bootstrap sets a
// password for belongs to one environment, unless shared.
func checkDatabaseServer(a, b *model.Environment) diag.List {
	server := b.DatabaseServerID()
	if a.DatabaseServerID() != server {
		return nil
	}
	c := &envChecker{env: b}
	for _, db := range b.ServerDatabases() {
		if !slices.ContainsFunc(a.ServerDatabases(), func(d model.Database) bool { return d.Name == db.Name }) || shared(a, b, "database", db.Name) {
			continue
		}
		c.add(databasePath(b, db.Name), fmt.Sprintf("environment %s uses database %s on server %s, as does %s; each would migrate, bootstrap and write it as its own",
			b.Name, db.Name, server, where(a, databasePath(a, db.Name), b, databasePath(b, db.Name))),
			fmt.Sprintf("a database of its own (environments.%s.databases, or spec.databases: {perEnvironment: suffix, list: [...]}), or share: [{database: %s, with: %s, reason: ...}]", b.Name, db.Name, a.Name), "")
	}
	for _, role := range b.ServerRoles() {
		if !slices.Contains(a.ServerRoles(), role) || shared(a, b, "credential", role) {
			continue
		}
		c.add(rolePath(b, role), fmt.Sprintf("environment %s sets the password of the database user in credential %s on server %s from its own Secret, as does %s; one would reset the other's password",
			b.Name, role, server, where(a, rolePath(a, role), b, rolePath(b, role))),
			fmt.Sprintf("a credential of its own for this user (environments.%s.credentials), or share: [{credential: %s, with: %s, reason: ...}] so that both hold the same values", b.Name, role, a.Name), "")
	}
	return c.out
}

// checkRemoteKeys checks two environments that read the same secret store:
// no remote secret is read by both, unless the credential is shared.
func checkRemoteKeys(a, b *model.Environment) diag.List {
	const provider = "external-secrets"
	if a.Secrets.Provider != provider || b.Secrets.Provider != provider || a.Secrets.ExternalSecrets.StoreName != b.Secrets.ExternalSecrets.StoreName {
		return nil
	}
	keys := func(env *model.Environment) map[string]string {
		list, err := credentials.List(env)
		if err != nil {
			return nil
		}
		remote, err := credentials.RemoteSecrets(env, list)
		if err != nil {
			return nil
		}
		out := map[string]string{}
		for _, r := range remote {
			out[r.Key] = r.Secret
		}
		return out
	}
	ka := keys(a)
	list, _ := credentials.List(b)
	remote, _ := credentials.RemoteSecrets(b, list)
	c := &envChecker{env: b}
	tmpl := cue.ParsePath("secrets.externalSecrets.remoteKeyTemplate")
	var both []string
	for _, r := range remote {
		if _, read := ka[r.Key]; !read {
			continue
		}
		if cred := credentialOf(b, r.Secret); cred != "" && shared(a, b, "credential", cred) {
			continue
		}
		both = append(both, r.Key)
	}
	if len(both) > 0 {
		c.add(tmpl, fmt.Sprintf("environment %s reads %d remote secrets of store %s that %s reads too (%s); the two environments would hold the same passwords and keys",
			b.Name, len(both), b.Secrets.ExternalSecrets.StoreName, where(a, tmpl, b, tmpl), strings.Join(both, ", ")),
			"a template with {environment} (the aws and azure presets have it), or share: [{credential: ..., with: ..., reason: ...}] for each credential both use on purpose", "")
	}
	return c.out
}

// credentialOf is the spec credential behind a Secret name, or "".
func credentialOf(env *model.Environment, secret string) string {
	for _, c := range env.Credentials {
		if model.K8sName(c.Name) == secret {
			return c.Name
		}
	}
	return ""
}

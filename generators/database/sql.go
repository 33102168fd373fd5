package database

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/objset"
)

// Role is a database user the bootstrap refers to, named by the credential
// whose Secret holds its USER and PASSWORD.
type Role struct {
	Credential string
	// UserEnv and PasswordEnv are the Job's environment variables that
	// carry the Secret's USER and PASSWORD.
	UserEnv, PasswordEnv string
	// UserVar and PasswordVar are the psql variables the SQL reads them into.
	UserVar, PasswordVar string
	// Admin is the user the Job connects as: it exists before the
	// bootstrap, and its password belongs to whoever made the server.
	Admin bool
	// SharedWith are the other environments (platform/environment) that
	// share the credential, and so the user, on purpose.
	SharedWith []string
}

// Plan is what the bootstrap makes on one server. It names no server and
// no environment, so that environments with the same databases share their
// SQL.
type Plan struct {
	// Roles are sorted by credential; exactly one is the admin.
	Roles []Role
	// Databases are in the order ServerDatabases gives.
	Databases []model.Database
}

// OwnerEnv is the Job's variable naming the environment it belongs to, as
// platform/environment: the bootstrap marks the users it manages with it
// (a role comment) and leaves alone those another environment marked.
const OwnerEnv = "YDP_OWNER"

// The admin's connection comes from libpq's own variables.
const (
	adminUserEnv     = "PGUSER"
	adminPasswordEnv = "PGPASSWORD"
)

// isDatabaseName is what the schema allows for a database name; the SQL
// relies on it, so a name outside it is refused here as well.
func isDatabaseName(s string) bool {
	if s == "" || len(s) > 63 || (s[0] >= '0' && s[0] <= '9') || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// NewPlan lists the roles and databases of an environment's bootstrap.
func NewPlan(env *model.Environment) (Plan, error) {
	p := Plan{Databases: env.ServerDatabases()}
	admin := env.Airflow.MetadataDatabase.Server.AdminCredential
	creds := []string{admin}
	for _, d := range p.Databases {
		if !isDatabaseName(d.Name) {
			return Plan{}, fmt.Errorf("database name %q: only letters, digits, '_' and '-', at most 63 characters", d.Name)
		}
		creds = append(creds, d.Owner)
		creds = append(creds, d.DataTransformers...)
	}
	slices.Sort(creds)
	creds = slices.Compact(creds)
	seen := map[string]string{}
	for _, c := range creds {
		base := strings.ReplaceAll(model.K8sName(c), "-", "_")
		if base == "" {
			return Plan{}, fmt.Errorf("credential %q has no letters or digits to name its variables", c)
		}
		if other, dup := seen[base]; dup {
			return Plan{}, fmt.Errorf("credentials %q and %q would share the variables %s_USER and %s_PASSWORD", other, c, strings.ToUpper(base), strings.ToUpper(base))
		}
		seen[base] = c
		r := Role{
			Credential:  c,
			UserEnv:     "YDP_" + strings.ToUpper(base) + "_USER",
			PasswordEnv: "YDP_" + strings.ToUpper(base) + "_PASSWORD",
			UserVar:     base + "_user",
			PasswordVar: base + "_password",
			Admin:       c == admin,
		}
		for _, o := range env.SharedWith(c) {
			r.SharedWith = append(r.SharedWith, env.Platform+"/"+o)
		}
		if r.Admin {
			r.UserEnv, r.PasswordEnv, r.PasswordVar = adminUserEnv, adminPasswordEnv, ""
		}
		p.Roles = append(p.Roles, r)
	}
	return p, nil
}

func (p Plan) role(credential string) Role {
	i := slices.IndexFunc(p.Roles, func(r Role) bool { return r.Credential == credential })
	return p.Roles[i]
}

// SQL is the bootstrap script for psql. Running it again changes nothing
// but the users' passwords, which it sets from the Secrets every time so
// that a rotated credential reaches the server.
//
// psql does not substitute variables inside dollar-quoted bodies, so a DO
// block cannot see a password held in a psql variable; every statement that
// needs a name or password from the environment is built with format() (%I
// for names, %L for passwords) and run with \gexec, or uses psql's own
// quoting (:"var" as an identifier). CREATE DATABASE cannot run inside a
// function or transaction, which \gexec also allows.
func SQL(p Plan) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("%s", strings.TrimSuffix(strings.ReplaceAll(objset.Header, "# ", "-- "), "\n"))
	w("-- Creates the platform's databases and users and grants DataSurface's")
	w("-- DataTransformer users what they need. Running it again is safe: what")
	w("-- exists is left alone, and each user's password is set from its Secret")
	w("-- again. The server is the one the bootstrap Job's PGHOST names.")
	w("-- Run it as the bootstrap Job does, connected as the administrator:")
	w("--   psql --no-psqlrc --set ON_ERROR_STOP=1 --file bootstrap.sql")
	w("-- User names and passwords come from the environment variables read below,")
	w("-- never from this file.")
	w("")
	w(`\set ON_ERROR_STOP on`)
	w("")
	w("-- Users and passwords, from the credentials' Secrets (keys USER and PASSWORD).")
	for _, r := range p.Roles {
		if r.Admin {
			w("-- credential %s: the administrator this session connected as", r.Credential)
			w(`\set %s :USER`, r.UserVar)
			continue
		}
		for _, v := range [][2]string{{r.UserVar, r.UserEnv}, {r.PasswordVar, r.PasswordEnv}} {
			w(`\getenv %s %s`, v[0], v[1])
			w(`\if :{?%s}`, v[0])
			w(`\else`)
			w(`DO $ydp$BEGIN RAISE EXCEPTION 'environment variable %s is not set'; END$ydp$;`, v[1])
			w(`\endif`)
			w(`SELECT format('DO $ydp$BEGIN RAISE EXCEPTION %%L; END$ydp$', 'environment variable %s is empty') WHERE :'%s' = '' \gexec`, v[1], v[0])
		}
	}

	w(`\getenv ydp_owner %s`, OwnerEnv)
	w(`\if :{?ydp_owner}`)
	w(`\else`)
	w(`DO $ydp$BEGIN RAISE EXCEPTION 'environment variable %s is not set'; END$ydp$;`, OwnerEnv)
	w(`\endif`)

	w("")
	w("-- A user that another environment's bootstrap marked as its own (a role comment")
	w("-- 'ydpgen: <platform>/<environment> ...') is not this one's to change: stop before")
	w("-- anything is changed, rather than reset that environment's password. A user")
	w("-- the spec shares between environments is marked with all of them.")
	for _, r := range p.Roles {
		if r.Admin {
			continue
		}
		mine := append([]string{":'ydp_owner'"}, quoteAll(r.SharedWith)...)
		var notMine []string
		for _, m := range mine {
			notMine = append(notMine, fmt.Sprintf("position(' ' || %s || ' ' IN ' ' || substr(d.c, 9) || ' ') = 0", m))
		}
		w(`SELECT format('DO $ydp$BEGIN RAISE EXCEPTION %%L; END$ydp$', format(%s, rolname, substr(d.c, 9), :'ydp_owner'))`,
			quoteLiteral(fmt.Sprintf("database user %%s belongs to %%s; the bootstrap of %%s would set its password from its own Secret (credential %s): give this environment a user of its own, or share the credential in the spec (share:)", r.Credential)))
		w(` FROM pg_catalog.pg_roles, LATERAL (SELECT pg_catalog.shobj_description(oid, 'pg_authid')) AS d(c)`)
		w(` WHERE rolname = :'%s' AND d.c LIKE 'ydpgen: %%' AND %s \gexec`, r.UserVar, strings.Join(notMine, " AND "))
	}

	w("")
	w("-- Users: each one missing is created, then its password is set.")
	for _, r := range p.Roles {
		if r.Admin {
			continue
		}
		w("-- credential %s", r.Credential)
		w(`SELECT format('CREATE ROLE %%I LOGIN', :'%s')`, r.UserVar)
		w(` WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'%s') \gexec`, r.UserVar)
		w(`SELECT format('ALTER ROLE %%I WITH LOGIN PASSWORD %%L', :'%s', :'%s') \gexec`, r.UserVar, r.PasswordVar)
		// Marked as this environment's (a comment someone else wrote stays).
		w(`SELECT format('COMMENT ON ROLE %%I IS %%L', rolname, 'ydpgen: ' || (SELECT string_agg(o, ' ' ORDER BY o) FROM unnest(ARRAY[%s]) AS o))`,
			strings.Join(append([]string{":'ydp_owner'"}, quoteAll(r.SharedWith)...), ", "))
		w(` FROM pg_catalog.pg_roles, LATERAL (SELECT pg_catalog.shobj_description(oid, 'pg_authid')) AS d(c)`)
		w(` WHERE rolname = :'%s' AND (d.c IS NULL OR d.c LIKE 'ydpgen: %%') \gexec`, r.UserVar)
	}

	var owners []string
	for _, d := range p.Databases {
		if !slices.Contains(owners, d.Owner) {
			owners = append(owners, d.Owner)
		}
	}
	w("")
	w("-- An administrator that is not a superuser (a managed server's) must be a")
	w("-- member of a role to create databases it owns and to set its default privileges.")
	for _, o := range owners {
		r := p.role(o)
		if r.Admin {
			continue
		}
		w(`SELECT format('GRANT %%I TO %%I', :'%s', current_user)`, r.UserVar)
		w(` WHERE NOT pg_catalog.pg_has_role(current_user, :'%s', 'MEMBER') \gexec`, r.UserVar)
	}

	w("")
	w("-- Databases: each one missing is created with its owner. An existing")
	w("-- database keeps its owner; the grants below still give the spec's owner its schema.")
	for _, d := range p.Databases {
		w(`SELECT format('CREATE DATABASE %%I OWNER %%I', %s, :'%s')`, quoteLiteral(d.Name), p.role(d.Owner).UserVar)
		w(` WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = %s) \gexec`, quoteLiteral(d.Name))
	}

	for _, d := range p.Databases {
		owner := p.role(d.Owner)
		w("")
		w("-- Database %s, owned by credential %s.", d.Name, d.Owner)
		w(`\connect %s`, quoteLiteral(d.Name))
		w(`GRANT CREATE, USAGE ON SCHEMA public TO :"%s";`, owner.UserVar)
		for _, dt := range d.DataTransformers {
			if dt == d.Owner {
				continue
			}
			u := p.role(dt).UserVar
			w("-- DataTransformer credential %s: the public schema, every table and", dt)
			w("-- sequence in it, and those the owner creates later.")
			w(`GRANT CONNECT ON DATABASE %s TO :"%s";`, quoteIdent(d.Name), u)
			w(`GRANT CREATE, USAGE ON SCHEMA public TO :"%s";`, u)
			w(`GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO :"%s";`, u)
			w(`GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public TO :"%s";`, u)
			w(`ALTER DEFAULT PRIVILEGES FOR ROLE :"%s" IN SCHEMA public GRANT ALL ON TABLES TO :"%s";`, owner.UserVar, u)
			w(`ALTER DEFAULT PRIVILEGES FOR ROLE :"%s" IN SCHEMA public GRANT ALL ON SEQUENCES TO :"%s";`, owner.UserVar, u)
		}
	}
	return b.String()
}

// quoteLiteral quotes s as an SQL string literal, which psql also reads as
// one argument of a meta-command.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func quoteAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = quoteLiteral(s)
	}
	return out
}

// quoteIdent quotes s as an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

package database

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/model"
)

func TestNewPlanRoles(t *testing.T) {
	env, _ := richEnvironment()
	p, err := NewPlan(env)
	if err != nil {
		t.Fatal(err)
	}
	want := []Role{
		{Credential: "Dt-Two", UserEnv: "YDP_DT_TWO_USER", PasswordEnv: "YDP_DT_TWO_PASSWORD", UserVar: "dt_two_user", PasswordVar: "dt_two_password"},
		{Credential: "airflow-db", UserEnv: "YDP_AIRFLOW_DB_USER", PasswordEnv: "YDP_AIRFLOW_DB_PASSWORD", UserVar: "airflow_db_user", PasswordVar: "airflow_db_password"},
		{Credential: "mask_dt_cred", UserEnv: "YDP_MASK_DT_CRED_USER", PasswordEnv: "YDP_MASK_DT_CRED_PASSWORD", UserVar: "mask_dt_cred_user", PasswordVar: "mask_dt_cred_password"},
		{Credential: "merge_owner", UserEnv: "YDP_MERGE_OWNER_USER", PasswordEnv: "YDP_MERGE_OWNER_PASSWORD", UserVar: "merge_owner_user", PasswordVar: "merge_owner_password"},
		// The admin connects with libpq's own variables.
		{Credential: "postgres", UserEnv: "PGUSER", PasswordEnv: "PGPASSWORD", UserVar: "postgres_user", Admin: true},
	}
	if diff := cmp.Diff(want, p.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	var names []string
	for _, d := range p.Databases {
		names = append(names, d.Name)
	}
	// merge_db is both DataSurface's merge database and a spec database:
	// once, in the place it first appears.
	if got, want := strings.Join(names, " "), "airflow_db merge_db postgres-cqrs-af3"; got != want {
		t.Errorf("databases %q, want %q", got, want)
	}
}

func TestNewPlanRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*model.Environment)
		want   string
	}{
		{"quote in a database name", func(e *model.Environment) { e.Databases[1].Name = "x'; DROP DATABASE y; --" }, `database name "x'; DROP`},
		{"database name too long", func(e *model.Environment) { e.Databases[1].Name = strings.Repeat("d", 64) }, "at most 63 characters"},
		{"credentials sharing variables", func(e *model.Environment) { e.Databases[1].DataTransformers = []string{"mask-dt-cred"} }, `"mask-dt-cred" and "mask_dt_cred" would share the variables MASK_DT_CRED_USER`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := richEnvironment()
			tc.change(env)
			_, err := NewPlan(env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestSQL(t *testing.T) {
	for _, tc := range []struct {
		name        string
		change      func(*model.Environment)
		contains    []string
		notContains []string
	}{
		{
			name: "users come from the environment and are quoted on the server",
			contains: []string{
				`\getenv merge_owner_user YDP_MERGE_OWNER_USER`,
				`\getenv merge_owner_password YDP_MERGE_OWNER_PASSWORD`,
				`\set postgres_user :USER`,
				"DO $ydp$BEGIN RAISE EXCEPTION 'environment variable YDP_MERGE_OWNER_PASSWORD is not set'; END$ydp$;",
				`SELECT format('CREATE ROLE %I LOGIN', :'merge_owner_user')`,
				`SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'merge_owner_user', :'merge_owner_password') \gexec`,
			},
			// The administrator exists already; its password is the server's.
			notContains: []string{`\getenv postgres_password`, `CREATE ROLE %I LOGIN', :'postgres_user'`, "PGPASSWORD"},
		},
		{
			name: "databases are created outside a transaction, once",
			contains: []string{
				`SELECT format('CREATE DATABASE %I OWNER %I', 'postgres-cqrs-af3', :'postgres_user')`,
				` WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = 'postgres-cqrs-af3') \gexec`,
				`\connect 'postgres-cqrs-af3'`,
			},
			notContains: []string{"BEGIN;", "CREATE DATABASE IF"},
		},
		{
			name: "a non-superuser administrator joins the owners' roles",
			contains: []string{
				`SELECT format('GRANT %I TO %I', :'merge_owner_user', current_user)`,
				` WHERE NOT pg_catalog.pg_has_role(current_user, :'merge_owner_user', 'MEMBER') \gexec`,
			},
			notContains: []string{`GRANT %I TO %I', :'postgres_user'`},
		},
		{
			name: "DataTransformers get the schema, its tables and sequences, and the owner's future ones",
			contains: []string{
				`GRANT CONNECT ON DATABASE "merge_db" TO :"dt_two_user";`,
				`GRANT CREATE, USAGE ON SCHEMA public TO :"dt_two_user";`,
				`GRANT ALL PRIVILEGES ON ALL TABLES IN SCHEMA public TO :"dt_two_user";`,
				`GRANT ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public TO :"dt_two_user";`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE :"merge_owner_user" IN SCHEMA public GRANT ALL ON TABLES TO :"dt_two_user";`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE :"merge_owner_user" IN SCHEMA public GRANT ALL ON SEQUENCES TO :"dt_two_user";`,
				`ALTER DEFAULT PRIVILEGES FOR ROLE :"postgres_user" IN SCHEMA public GRANT ALL ON TABLES TO :"mask_dt_cred_user";`,
			},
			// Dt-Two is a DataTransformer of merge_db only.
			notContains: []string{`ALTER DEFAULT PRIVILEGES FOR ROLE :"postgres_user" IN SCHEMA public GRANT ALL ON TABLES TO :"dt_two_user";`},
		},
		{
			name:        "an owner named as its own DataTransformer needs no grants",
			change:      func(e *model.Environment) { e.Databases[0].DataTransformers = []string{"merge_owner"} },
			contains:    []string{`GRANT CREATE, USAGE ON SCHEMA public TO :"merge_owner_user";`},
			notContains: []string{`GRANT CONNECT ON DATABASE "merge_db" TO :"merge_owner_user"`, `GRANT ALL ON TABLES TO :"merge_owner_user"`},
		},
		{
			name:        "the header says what it is, and names no server",
			contains:    []string{"-- Generated by ydpgen. DO NOT EDIT", "PGHOST"},
			notContains: []string{"db.example.internal", "dev"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _ := richEnvironment()
			if tc.change != nil {
				tc.change(env)
			}
			p, err := NewPlan(env)
			if err != nil {
				t.Fatal(err)
			}
			sql := SQL(p)
			for _, s := range tc.contains {
				if !strings.Contains(sql, s) {
					t.Errorf("missing %q in:\n%s", s, sql)
				}
			}
			for _, s := range tc.notContains {
				if strings.Contains(sql, s) {
					t.Errorf("unexpected %q in:\n%s", s, sql)
				}
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, literal, ident string }{
		{"merge_db", "'merge_db'", `"merge_db"`},
		{"postgres-cqrs-af3", "'postgres-cqrs-af3'", `"postgres-cqrs-af3"`},
		{`it's "x"`, `'it''s "x"'`, `"it's ""x"""`},
	} {
		if got := quoteLiteral(tc.in); got != tc.literal {
			t.Errorf("quoteLiteral(%q) = %s, want %s", tc.in, got, tc.literal)
		}
		if got := quoteIdent(tc.in); got != tc.ident {
			t.Errorf("quoteIdent(%q) = %s, want %s", tc.in, got, tc.ident)
		}
	}
}

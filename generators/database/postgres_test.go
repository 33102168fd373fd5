package database

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/ydpgen/ydpgen/internal/pgtest"
	"github.com/ydpgen/ydpgen/model"
)

// secrets are the test's Secret values: Secret name to key to value. User
// names differ from credential names, and passwords hold quotes, a
// backslash, a colon and a dollar sign, to prove that both reach the server
// exactly as written.
type secrets map[string]map[string]string

// bootstrapRun is the generated Job and ConfigMap, run against a test
// server the way the Job runs them.
type bootstrapRun struct {
	t       *testing.T
	srv     *pgtest.Server
	job     *batchv1.Job
	sqlPath string
	secrets secrets
}

func newBootstrapRun(t *testing.T, srv *pgtest.Server, env *model.Environment, sec secrets) *bootstrapRun {
	t.Helper()
	a, err := Generator{}.Generate(env)
	if err != nil {
		t.Fatal(err)
	}
	r := &bootstrapRun{t: t, srv: srv, secrets: sec}
	for _, o := range a.Objects {
		switch o := o.(type) {
		case *batchv1.Job:
			r.job = o
		case *corev1.ConfigMap:
			r.sqlPath = filepath.Join(t.TempDir(), SQLKey)
			if err := os.WriteFile(r.sqlPath, []byte(o.Data[SQLKey]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if r.job == nil || r.sqlPath == "" {
		t.Fatalf("no bootstrap Job and ConfigMap among %d objects", len(a.Objects))
	}
	return r
}

// run executes the Job's own command with its environment: values as the
// Job sets them, Secret keys from the test's secrets, and only the server's
// address and the SQL file's path changed. drop leaves variables out.
func (r *bootstrapRun) run(drop ...string) (string, error) {
	c := r.job.Spec.Template.Spec.Containers[0]
	vars := []string{"PATH=" + r.srv.BinDir + ":/usr/bin:/bin", "LC_ALL=C"}
	for _, e := range c.Env {
		if slices.Contains(drop, e.Name) {
			continue
		}
		v := e.Value
		switch {
		case e.Name == "PGHOST":
			v = r.srv.Host
		case e.Name == "PGPORT":
			v = strconv.Itoa(r.srv.Port)
		case e.Name == SQLPathEnv:
			v = r.sqlPath
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			val, ok := r.secrets[ref.Name][ref.Key]
			if !ok {
				r.t.Fatalf("the Job reads key %s of Secret %s, which the test does not have", ref.Key, ref.Name)
			}
			v = val
		}
		vars = append(vars, e.Name+"="+v)
	}
	cmd := exec.Command(c.Command[0], c.Command[1:]...)
	cmd.Env = vars
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRun runs the bootstrap and fails on an error or on any warning.
func (r *bootstrapRun) mustRun() string {
	r.t.Helper()
	out, err := r.run()
	if err != nil {
		r.t.Fatalf("bootstrap failed: %v\n%s", err, out)
	}
	for _, bad := range []string{"ERROR", "WARNING", "FATAL"} {
		if strings.Contains(out, bad) {
			r.t.Fatalf("bootstrap printed %s:\n%s", bad, out)
		}
	}
	return out
}

// login returns a user's name and password from the test's Secret of a credential.
func (r *bootstrapRun) login(credential string) (string, string) {
	s := r.secrets[model.K8sName(credential)]
	return s["USER"], s["PASSWORD"]
}

// as runs sql as a credential's user and fails the test on error.
func (r *bootstrapRun) as(credential, db, sql string) string {
	r.t.Helper()
	u, p := r.login(credential)
	out, err := r.srv.Query(u, p, db, sql)
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// snapshot is what the bootstrap decides on the server, apart from password
// hashes (setting the same password again stores a new salt).
func snapshot(t *testing.T, srv *pgtest.Server) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(srv.Admin(t, "postgres", `
		SELECT datname, pg_get_userbyid(datdba), coalesce(datacl::text, '') FROM pg_database ORDER BY 1`))
	b.WriteString("\n" + srv.Admin(t, "postgres", `
		SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, rolvaliduntil,
			coalesce(shobj_description(oid, 'pg_authid'), '')
		FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1`))
	b.WriteString("\n" + srv.Admin(t, "postgres", `
		SELECT roleid::regrole, member::regrole, admin_option FROM pg_auth_members ORDER BY 1, 2`))
	for _, db := range strings.Split(srv.Admin(t, "postgres", `SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1`), "\n") {
		b.WriteString("\n-- " + db + "\n")
		b.WriteString(srv.Admin(t, db, `
			SELECT nspname::text, pg_get_userbyid(nspowner)::text, coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'public'
			UNION ALL
			SELECT 'default', pg_get_userbyid(defaclrole) || ' ' || defaclobjtype::text, defaclacl::text FROM pg_default_acl
			UNION ALL
			SELECT relname::text, pg_get_userbyid(relowner)::text, coalesce(relacl::text, '') FROM pg_class
			WHERE relnamespace = 'public'::regnamespace
			ORDER BY 1, 2`))
	}
	return b.String()
}

// richEnvironment has an owner that is not the administrator, two
// DataTransformers (one with a name that needs quoting), a database listed
// twice, and a database name with hyphens.
func richEnvironment() (*model.Environment, secrets) {
	env := &model.Environment{
		Platform: "lab", Name: "dev", Profile: "k3s-pi",
		Namespace: model.Namespace{Name: "datasurface"},
		Cluster:   model.Cluster{DefaultStorageClass: "longhorn"},
	}
	env.Airflow.ReleaseName = "airflow"
	env.Airflow.MetadataDatabase = model.MetadataDatabase{
		Mode: model.External, Host: "db.example.internal", Port: 5432, Name: "airflow_db", Credential: "airflow-db", SSLMode: "disable",
		Server: model.DatabaseServer{
			AdminCredential: "postgres",
			Image:           model.Image{Repository: "postgres", Tag: "16-alpine", PullPolicy: "IfNotPresent"},
		},
		Bootstrap: model.DatabaseBootstrap{Enabled: true, Resources: model.Resources{
			Requests: model.CPUMemory{CPU: "50m", Memory: "64Mi"}, Limits: model.CPUMemory{CPU: "500m", Memory: "256Mi"},
		}},
	}
	env.DataSurface.MergeDatabase = model.DatabaseRef{Name: "merge_db", Credential: "merge_owner"}
	env.Databases = []model.Database{
		{Name: "merge_db", Owner: "merge_owner", DataTransformers: []string{"mask_dt_cred", "Dt-Two"}},
		{Name: "postgres-cqrs-af3", Owner: "postgres", DataTransformers: []string{"mask_dt_cred"}},
	}
	return env, secrets{
		"postgres":     {"USER": pgtest.Superuser},
		"airflow-db":   {"USER": "airflow", "PASSWORD": `air'flow"pw`},
		"merge-owner":  {"USER": "merge", "PASSWORD": `m:e$rge\pw`},
		"mask-dt-cred": {"USER": "mask_dt", "PASSWORD": "mask pw; DROP TABLE x"},
		"dt-two":       {"USER": "DataTransformer Two", "PASSWORD": "two-pw"},
	}
}

func TestBootstrapOnPostgreSQL(t *testing.T) {
	srv := pgtest.Start(t)
	env, sec := richEnvironment()
	sec["postgres"]["PASSWORD"] = srv.Password
	r := newBootstrapRun(t, srv, env, sec)

	r.mustRun()
	first := snapshot(t, srv)
	r.mustRun()
	if second := snapshot(t, srv); second != first {
		t.Fatalf("the second run changed the server:\nafter the first run:\n%s\n\nafter the second:\n%s", first, second)
	}

	// Databases with their owners.
	owners := srv.Admin(t, "postgres", `SELECT datname || ' ' || pg_get_userbyid(datdba) FROM pg_database
		WHERE datname IN ('airflow_db', 'merge_db', 'postgres-cqrs-af3') ORDER BY 1`)
	if want := "airflow_db airflow\nmerge_db merge\npostgres-cqrs-af3 " + pgtest.Superuser; owners != want {
		t.Errorf("databases and owners:\n%s\nwant:\n%s", owners, want)
	}

	// Airflow's user runs its migrations in its own database.
	r.as("airflow-db", "airflow_db", "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)")

	// In the merge database, a DataTransformer creates tables, and reads and
	// writes those the owner creates after the bootstrap, sequences included.
	for _, dt := range []string{"mask_dt_cred", "Dt-Two"} {
		u, _ := r.login(dt)
		r.as(dt, "merge_db", `CREATE TABLE "`+u+` output" (id int)`)
	}
	r.as("merge_owner", "merge_db", "CREATE TABLE staged (id serial PRIMARY KEY, v text); INSERT INTO staged (v) VALUES ('owner')")
	for _, dt := range []string{"mask_dt_cred", "Dt-Two"} {
		r.as(dt, "merge_db", "INSERT INTO staged (v) VALUES ('dt'); UPDATE staged SET v = v; DELETE FROM staged WHERE false")
	}
	if got := r.as("mask_dt_cred", "merge_db", "SELECT count(*) FROM staged"); got != "3" {
		t.Errorf("rows the DataTransformer sees: %s, want 3", got)
	}
	// The CQRS database grants the one DataTransformer it names, not the other.
	r.as("mask_dt_cred", "postgres-cqrs-af3", "CREATE TABLE cqrs_view (id int)")
	u, p := r.login("Dt-Two")
	if _, err := srv.Query(u, p, "postgres-cqrs-af3", "CREATE TABLE intruder (id int)"); err == nil {
		t.Error("a DataTransformer of another database could create a table in postgres-cqrs-af3")
	}

	// A table that existed before a run (made by someone else than the
	// owner) is granted by the next run.
	srv.Admin(t, "merge_db", "CREATE TABLE legacy (id int)")
	r.mustRun()
	r.as("Dt-Two", "merge_db", "SELECT count(*) FROM legacy")

	// A rotated password reaches the server on the next run.
	sec["airflow-db"]["PASSWORD"] = "rotated"
	r.mustRun()
	if _, err := srv.Query("airflow", `air'flow"pw`, "airflow_db", "SELECT 1"); err == nil {
		t.Error("the old password still works after a rotation")
	}
	r.as("airflow-db", "airflow_db", "SELECT 1")
}

func TestBootstrapWithoutSuperuser(t *testing.T) {
	// A managed server's administrator (RDS, Cloud SQL) may create roles
	// and databases but is no superuser.
	srv := pgtest.Start(t)
	srv.Admin(t, "postgres", "CREATE ROLE managed_admin LOGIN CREATEDB CREATEROLE PASSWORD 'managed-pw'")
	env, sec := richEnvironment()
	env.Databases[1].Owner = "postgres"
	sec["postgres"] = map[string]string{"USER": "managed_admin", "PASSWORD": "managed-pw"}
	r := newBootstrapRun(t, srv, env, sec)

	r.mustRun()
	first := snapshot(t, srv)
	r.mustRun()
	if second := snapshot(t, srv); second != first {
		t.Fatalf("the second run changed the server:\n%s\n\n%s", first, second)
	}
	r.as("merge_owner", "merge_db", "CREATE TABLE staged (id serial PRIMARY KEY)")
	r.as("mask_dt_cred", "merge_db", "INSERT INTO staged DEFAULT VALUES")
	r.as("mask_dt_cred", "postgres-cqrs-af3", "CREATE TABLE cqrs_view (id int)")
}

func TestBootstrapRefusesMissingCredentials(t *testing.T) {
	srv := pgtest.Start(t)
	env, sec := richEnvironment()
	sec["postgres"]["PASSWORD"] = srv.Password
	r := newBootstrapRun(t, srv, env, sec)

	out, err := r.run("YDP_MASK_DT_CRED_PASSWORD")
	if err == nil || !strings.Contains(out, "environment variable YDP_MASK_DT_CRED_PASSWORD is not set") {
		t.Errorf("without a password: %v\n%s", err, out)
	}
	sec["dt-two"]["USER"] = ""
	out, err = r.run()
	if err == nil || !strings.Contains(out, "environment variable YDP_DT_TWO_USER is empty") {
		t.Errorf("with an empty user name: %v\n%s", err, out)
	}
	// Neither run got as far as creating anything.
	if got := srv.Admin(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname = 'merge_db'"); got != "0" {
		t.Errorf("a refused run created merge_db")
	}
}

// TestBootstrapLeavesAnotherEnvironmentsUsers runs two environments'
// bootstraps on one server. staging names other credentials than prod but
// its Airflow Secret holds prod's user name: its run stops before changing
// anything, and prod's password still works. A user the spec shares is
// marked with both environments, and both runs keep it so.
func TestBootstrapLeavesAnotherEnvironmentsUsers(t *testing.T) {
	srv := pgtest.Start(t)
	prod, prodSec := richEnvironment()
	prod.Name = "prod"
	prodSec["postgres"]["PASSWORD"] = srv.Password
	// A user someone else made and described: adopted, its comment kept.
	srv.Admin(t, "postgres", `CREATE ROLE "DataTransformer Two" LOGIN; COMMENT ON ROLE "DataTransformer Two" IS 'made by the DBA'`)
	pr := newBootstrapRun(t, srv, prod, prodSec)
	pr.mustRun()
	if got := srv.Admin(t, "postgres", `SELECT rolname || ': ' || coalesce(shobj_description(oid, 'pg_authid'), '') FROM pg_roles
		WHERE rolname IN ('airflow', 'merge', 'mask_dt', 'DataTransformer Two') ORDER BY 1`); got != "DataTransformer Two: made by the DBA\nairflow: ydpgen: lab/prod\nmask_dt: ydpgen: lab/prod\nmerge: ydpgen: lab/prod" {
		t.Errorf("marks after prod's run:\n%s", got)
	}

	staging, stSec := richEnvironment()
	staging.Name = "staging"
	staging.Airflow.MetadataDatabase.Name, staging.Airflow.MetadataDatabase.Credential = "airflow_db_staging", "airflow-db-staging"
	staging.DataSurface.MergeDatabase = model.DatabaseRef{Name: "merge_db_staging", Credential: "merge_owner_staging"}
	staging.Databases = []model.Database{{Name: "merge_db_staging", Owner: "merge_owner_staging", DataTransformers: []string{"mask_dt_cred"}}}
	stSec["postgres"]["PASSWORD"] = srv.Password
	stSec["airflow-db-staging"] = map[string]string{"USER": "airflow", "PASSWORD": "staging-pw"} // prod's user name
	stSec["merge-owner-staging"] = map[string]string{"USER": "merge_staging", "PASSWORD": "merge-staging-pw"}
	before := snapshot(t, srv)
	out, err := newBootstrapRun(t, srv, staging, stSec).run()
	if err == nil || !strings.Contains(out, "database user airflow belongs to lab/prod; the bootstrap of lab/staging would set its password from its own Secret (credential airflow-db-staging)") {
		t.Fatalf("staging's run with prod's user: %v\n%s", err, out)
	}
	if after := snapshot(t, srv); after != before {
		t.Errorf("the refused run changed the server:\n%s\n\n%s", before, after)
	}
	pr.as("airflow-db", "airflow_db", "SELECT 1")

	// Its own user, and the DataTransformer shared on purpose.
	stSec["airflow-db-staging"]["USER"] = "airflow_staging"
	staging.Shares = []model.Share{{With: "prod", Credential: "mask_dt_cred", Reason: "one DataTransformer"}}
	prod.Borrowers = []model.Share{{With: "staging", Credential: "mask_dt_cred", Reason: "one DataTransformer"}}
	sr := newBootstrapRun(t, srv, staging, stSec)
	pr = newBootstrapRun(t, srv, prod, prodSec)
	sr.mustRun()
	pr.mustRun()
	first := snapshot(t, srv)
	sr.mustRun()
	pr.mustRun()
	if second := snapshot(t, srv); second != first {
		t.Errorf("running both again changed the server:\n%s\n\n%s", first, second)
	}
	if got := srv.Admin(t, "postgres", `SELECT rolname || ': ' || shobj_description(oid, 'pg_authid') FROM pg_roles
		WHERE rolname IN ('airflow_staging', 'mask_dt') ORDER BY 1`); got != "airflow_staging: ydpgen: lab/staging\nmask_dt: ydpgen: lab/prod lab/staging" {
		t.Errorf("marks after both runs:\n%s", got)
	}
	sr.as("mask_dt_cred", "merge_db_staging", "CREATE TABLE staging_output (id int)")
	pr.as("mask_dt_cred", "merge_db", "CREATE TABLE prod_output (id int)")
}

package smoketest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAirflow is an `airflow` command for the script: each subcommand
// answers as the test's environment says. FAKE_MIGRATIONS_FAILS makes the
// migration check fail that many times before it passes (a counter file
// remembers the calls).
const fakeAirflow = `#!/bin/sh
case "$1 $2" in
"db check-migrations")
  n=$(cat "$FAKE_DIR/migrations" 2>/dev/null || echo 0)
  echo $((n + 1)) > "$FAKE_DIR/migrations"
  if [ "$n" -lt "${FAKE_MIGRATIONS_FAILS:-0}" ]; then echo "There are still unapplied migrations"; exit 1; fi
  echo "migrations at head";;
"jobs check")
  if [ "${FAKE_SCHEDULER:-alive}" != alive ]; then echo "No alive jobs found."; exit 1; fi
  echo "Found one alive job.";;
"dags list-import-errors")
  echo "[$(date)] INFO - a log line before the table"
  echo "${FAKE_IMPORT_ERRORS:-[]}"
  [ "${FAKE_IMPORT_ERRORS:-[]}" = "[]" ] || exit 1;;
"dags list")
  echo "${FAKE_DAGS}";;
*)
  echo "unexpected airflow $*" >&2; exit 2;;
esac
`

func TestScript(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is not installed; the smoke test's script runs under it (the Airflow image has it)")
	}
	const dagFile = "demo_psp_infrastructure_dag.py"
	healthy := `{"metadatabase": {"status": "healthy"}, "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-01-01T00:00:00Z"}}`
	dags := `[{"dag_id": "demo_psp_infrastructure", "fileloc": "/opt/airflow/dags/repo/dags/` + dagFile + `"}, {"dag_id": "other", "fileloc": "/opt/airflow/dags/other.py"}]`
	for _, tc := range []struct {
		name   string
		env    map[string]string
		health string // "" for no API server at all
		ok     bool
		want   string
	}{
		{"everything works", nil, healthy, true, "ok: the infrastructure DAG " + dagFile + " is imported"},
		{"migrations catch up", map[string]string{"FAKE_MIGRATIONS_FAILS": "2"}, healthy, true, "ok: the metadata database is at the migration head (try 3)"},
		{"no scheduler", map[string]string{"FAKE_SCHEDULER": "dead"}, healthy, false, "FAILED: a scheduler heartbeats"},
		{"scheduler unhealthy in the API", nil, `{"metadatabase": {"status": "healthy"}, "scheduler": {"status": "unhealthy"}}`, false,
			"FAILED: the API server reports its database and scheduler healthy"},
		{"no API server", nil, "", false, "FAILED: the API server reports its database and scheduler healthy"},
		{"DAG import error", map[string]string{"FAKE_IMPORT_ERRORS": `[{"bundle_name": "dags-folder", "filepath": "dags/` + dagFile + `", "error": "ModuleNotFoundError: datasurface"}]`},
			healthy, false, "import error in " + dagFile},
		{"another file's import error", map[string]string{"FAKE_IMPORT_ERRORS": `[{"filepath": "dags/broken.py", "error": "SyntaxError"}]`},
			healthy, true, "the platform works"},
		{"DAG not there yet", map[string]string{"FAKE_DAGS": `[{"dag_id": "other", "fileloc": "/opt/airflow/dags/other.py"}]`},
			healthy, false, "no DAG from " + dagFile + " among 1 DAGs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "airflow"), []byte(fakeAirflow), 0o755); err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(dir, ScriptKey)
			if err := os.WriteFile(script, []byte(Script), 0o644); err != nil {
				t.Fatal(err)
			}
			url := "http://127.0.0.1:1/api/v2/monitor/health" // nothing listens on port 1
			if tc.health != "" {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/api/v2/monitor/health" {
						http.NotFound(w, r)
						return
					}
					fmt.Fprint(w, tc.health)
				}))
				defer srv.Close()
				url = srv.URL + "/api/v2/monitor/health"
			}
			cmd := exec.Command(python, script)
			cmd.Env = append(os.Environ(),
				"PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
				"FAKE_DIR="+dir, "FAKE_DAGS="+dags,
				envTimeout+"=1", envPause+"=0", envHealthURL+"="+url, envDAGFile+"="+dagFile)
			for k, v := range tc.env {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			out, err := cmd.CombinedOutput()
			if (err == nil) != tc.ok {
				t.Errorf("exit %v, want success %v:\n%s", err, tc.ok, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

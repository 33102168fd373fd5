package smoketest

// Script is the smoke test the Job runs with the Airflow image's Python.
// Each check runs again every pause until it passes or the deadline is
// reached; the first check that never passes fails the Job with what it
// last saw. The Airflow CLI reads the metadata database through
// AIRFLOW__DATABASE__SQL_ALCHEMY_CONN.
const Script = `"""ydpgen smoke test: does the platform work, not only exist?"""
import json
import os
import subprocess
import sys
import time
import urllib.request

TIMEOUT = int(os.environ["` + envTimeout + `"])
PAUSE = int(os.environ.get("` + envPause + `", "15"))
HEALTH_URL = os.environ["` + envHealthURL + `"]
DAG_FILE = os.environ["` + envDAGFile + `"]


def airflow(*args):
    """Run the Airflow CLI; return its exit code and output."""
    try:
        done = subprocess.run(["airflow", *args], capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        return 1, str(err)
    return done.returncode, (done.stdout + done.stderr).strip()


def json_list(text):
    """The JSON list a CLI command printed: the last line that starts one
    and decodes, so that log lines around it (often "[date] ...") do not
    count."""
    decoder = json.JSONDecoder()
    lines = text.splitlines(keepends=True)
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].lstrip().startswith("["):
            continue
        try:
            value, _ = decoder.raw_decode("".join(lines[i:]).lstrip())
        except ValueError:
            continue
        if isinstance(value, list):
            return value
    return None


def names_dag_file(entry):
    return any(isinstance(v, str) and (v == DAG_FILE or v.endswith("/" + DAG_FILE)) for v in entry.values())


def migrations_at_head():
    code, out = airflow("db", "check-migrations", "--migration-wait-timeout", "1")
    return code == 0, out


def scheduler_alive():
    code, out = airflow("jobs", "check", "--job-type", "SchedulerJob", "--allow-multiple", "--limit", "100")
    return code == 0, out


def api_server_healthy():
    try:
        with urllib.request.urlopen(HEALTH_URL, timeout=10) as resp:
            health = json.load(resp)
    except Exception as err:  # any failure to reach or read it: not yet healthy
        return False, "%s: %s" % (HEALTH_URL, err)
    unhealthy = [k for k in ("metadatabase", "scheduler") if (health.get(k) or {}).get("status") != "healthy"]
    return not unhealthy, "%s: %s" % (HEALTH_URL, json.dumps(health, sort_keys=True))


def dag_imported():
    _, out = airflow("dags", "list-import-errors", "--output", "json")
    errors = json_list(out)
    if errors is None:
        return False, "airflow dags list-import-errors: " + out[-2000:]
    broken = [e for e in errors if isinstance(e, dict) and names_dag_file(e)]
    if broken:
        return False, "import error in %s: %s" % (DAG_FILE, json.dumps(broken, sort_keys=True)[-2000:])
    code, out = airflow("dags", "list", "--output", "json")
    dags = json_list(out)
    if code != 0 or dags is None:
        return False, "airflow dags list: " + out[-2000:]
    found = sorted(str(d.get("dag_id")) for d in dags if isinstance(d, dict) and names_dag_file(d))
    if not found:
        return False, "no DAG from %s among %d DAGs" % (DAG_FILE, len(dags))
    return True, "DAGs from %s: %s" % (DAG_FILE, ", ".join(found))


CHECKS = [
    ("the metadata database is at the migration head", migrations_at_head),
    ("a scheduler heartbeats", scheduler_alive),
    ("the API server reports its database and scheduler healthy", api_server_healthy),
    ("the infrastructure DAG %s is imported" % DAG_FILE, dag_imported),
]


def main():
    deadline = time.monotonic() + TIMEOUT
    for what, check in CHECKS:
        tries = 0
        while True:
            tries += 1
            ok, seen = check()
            if ok:
                print("ok: %s (try %d)" % (what, tries), flush=True)
                break
            if time.monotonic() + PAUSE > deadline:
                print("FAILED: %s, after %d tries; last seen:\n%s" % (what, tries, seen), flush=True)
                return 1
            print("waiting: %s (try %d)" % (what, tries), flush=True)
            time.sleep(PAUSE)
    print("the platform works", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
`

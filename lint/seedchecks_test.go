package lint

import "testing"

func TestLiteralPassword(t *testing.T) {
	for _, tc := range []struct {
		args []string
		at   int
		ok   bool
	}{
		{[]string{"psql", "--password", "hunter22"}, 2, true},
		{[]string{"psql", "-p", "hunter22"}, 2, true},
		{[]string{"sh", "-c", "psql -p hunter22 -h db"}, 2, true},
		{[]string{"sh", "-c", "PGPASSWORD=hunter22 psql"}, 2, true},
		{[]string{"airflow", "users", "create", "--password=hunter22"}, 3, true},
		{[]string{"psql", "--password", "$PGPASSWORD"}, 0, false},
		{[]string{"sh", "-c", "PGPASSWORD=$DB_PASSWORD psql"}, 0, false},
		{[]string{"psql", "-p", "--host"}, 0, false},
		{[]string{"python", "-m", "mcp"}, 0, false},
		// The chart's create-user Job as ydpgen's values set it.
		{[]string{"bash", "-c", `exec airflow users create "$@" --password "$YDPGEN_ADMIN_PASSWORD"`, "--"}, 0, false},
		{[]string{"sh", "-c", `PGPASSWORD="$DB_PASSWORD" psql`}, 0, false},
		{[]string{"sh", "-c", `psql --password "hunter22"`}, 2, true},
	} {
		at, ok := literalPassword(tc.args)
		if ok != tc.ok || (ok && at != tc.at) {
			t.Errorf("literalPassword(%q) = %d, %v; want %d, %v", tc.args, at, ok, tc.at, tc.ok)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	for repo, want := range map[string]string{
		"postgres":                              "",
		"apache/airflow":                        "",
		"registry.example.com/team/image":       "registry.example.com",
		"localhost:5000/image":                  "localhost:5000",
		"registry.gitlab.com/datasurface-inc/x": "registry.gitlab.com",
	} {
		if got := registryHost(repo); got != want {
			t.Errorf("registryHost(%q) = %q, want %q", repo, got, want)
		}
	}
}

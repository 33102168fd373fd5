package spec

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestNetworkChecks edits the onprem example (an external metadata
// database) and checks that a database the NetworkPolicies would block is
// refused at the line that names it.
func TestNetworkChecks(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/onprem/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const host = "      host: postgres.db.example.internal\n"
	const cqrs = "      - name: cqrs\n        engine: sqlserver\n        host: sqlserver.db.example.internal\n"
	const ns = "      namespace: demo1\n"
	for _, tc := range []struct {
		name  string
		edits []string // from, to, from, to, ...
		want  string
	}{
		{"metadata database on its own port, ports from the spec",
			[]string{host, host + "      port: 5433\n"}, ""},
		{"metadata database on a port the declared ports do not open",
			[]string{host, host + "      port: 5433\n", ns, "      namespace:\n        name: demo1\n        networkPolicy: {databasePorts: [5432]}\n"},
			"platform.yaml:{port: 5433}:13: spec.airflow.metadataDatabase.port: the metadata database server listens on port 5433, which namespace.networkPolicy.databasePorts (5432) does not open"},
		{"external database outside the declared ranges",
			[]string{cqrs, "      - {name: cqrs, engine: sqlserver, host: 192.168.5.5}\n",
				ns, "      namespace:\n        name: demo1\n        networkPolicy: {databaseCIDRs: [10.1.0.0/16]}\n"},
			"spec.datasurface.externalDatabases[0].host: database server cqrs (sqlserver) is at 192.168.5.5, outside namespace.networkPolicy.databaseCIDRs (10.1.0.0/16)"},
		{"engine port not opened, reported at the host",
			[]string{
				ns, "      namespace:\n        name: demo1\n        networkPolicy: {databasePorts: [5432]}\n"},
			"spec.datasurface.externalDatabases[0].host: database server cqrs (sqlserver) listens on port 1433"},
		{"host and cidr",
			[]string{cqrs, "      - {name: cqrs, engine: db2, host: db2.example.internal, cidr: 10.2.0.0/16}\n"},
			"database server cqrs names both a host and a cidr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := string(src)
			for i := 0; i+1 < len(tc.edits); i += 2 {
				if tc.edits[i] == tc.edits[i+1] {
					continue
				}
				if !strings.Contains(spec, tc.edits[i]) {
					t.Fatalf("the example has no %q", tc.edits[i])
				}
				spec = strings.Replace(spec, tc.edits[i], tc.edits[i+1], 1)
			}
			// {text} in want stands for the line of the spec that holds text.
			want := tc.want
			if i, j := strings.Index(want, "{"), strings.Index(want, "}"); i >= 0 && j > i {
				line := strings.Count(spec[:strings.Index(spec, want[i+1:j])], "\n") + 1
				want = want[:i] + strconv.Itoa(line) + want[j+1:]
			}
			loadEdited(t, s, spec, "", "", want)
		})
	}
}

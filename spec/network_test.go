package spec

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestNetworkChecks edits the onprem example (an external metadata
// database): the loader refuses a database named by both a host and a
// range; whether the NetworkPolicies open each database is lint rule
// YDP013 (lint/network_test.go).
func TestNetworkChecks(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/onprem/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const host = "      host: postgres.db.example.internal\n"
	const cqrs = "      - name: cqrs\n        engine: sqlserver\n        host: sqlserver.db.example.internal\n"
	for _, tc := range []struct {
		name  string
		edits []string // from, to, from, to, ...
		want  string
	}{
		{"metadata database on its own port, ports from the spec",
			[]string{host, host + "      port: 5433\n"}, ""},
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

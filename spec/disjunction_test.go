package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/diag"
)

// disjunctionBase is a valid spec. {databases} stands for lines written
// at line 28 (spec.databases), {namespace} for the environment's namespace
// at line 32 when databases adds none.
const disjunctionBase = `apiVersion: ydpgen.dev/v1alpha1
kind: Platform
metadata:
  name: demo
spec:
  datasurface:
    version: "1.8.4"
    image: {repository: datasurface/datasurface, tag: v1.8.4}
    psp: Demo_PSP
    rte: dev
    model: {repository: https://github.com/example/model.git, credential: git}
    mergeDatabase: {name: merge_db, credential: postgres}
    gitCache: {storageClass: longhorn}
  airflow:
    version: "3.1.7"
    executor: LocalExecutor
    image: {repository: example/airflow, tag: 3.1.7-ds1.8.4}
    metadataDatabase: {credential: airflow-db}
    dags:
      gitSync: {repository: https://github.com/example/dags.git, ref: main, credential: git-dags}
    admin: {email: admin@example.com, credential: airflow-admin}
  credentials:
    postgres: {type: USER_PASSWORD}
    airflow-db: {type: USER_PASSWORD}
    airflow-admin: {type: USER_PASSWORD}
    git: {type: API_TOKEN}
    git-dags: {type: GIT_SYNC}
{databases}  gitops: {engine: none}
  environments:
    dev:
      profile: k3s-pi
{namespace}      cluster:
        nodes: 3
        storageClasses: {longhorn: {rwx: true}}
`

const (
	nameAllowed      = "a lowercase DNS label: letters a-z, digits and '-', starting and ending with a letter or digit, at most 63 characters"
	namespaceAllowed = nameAllowed + "; or a mapping with name and podSecurity, networkPolicy, limitRange, resourceQuota"
	podSecAllowed    = "baseline or restricted (not privileged: DataSurface's task pods need at most baseline, and ydpgen renders only for these two levels)"
	databasesAllowed = "a list of databases ({name, owner, dataTransformers}), or a mapping {perEnvironment: suffix or none, list: [...]}"
	dbNameAllowed    = "a database name: a letter or '_', then letters, digits, '_' or '-', at most 63 characters"
)

// TestDisjunctionFindings pins what the loader says about values of the
// two fields that take a scalar or a list on one side and a mapping on the
// other (an environment's namespace, spec.databases). CUE reports a value
// that fails such a field as a failure of every alternative, at no
// position; the walker must instead say, once and at the bad value, what
// is wrong in the alternative of the value's kind.
func TestDisjunctionFindings(t *testing.T) {
	s := mustNew(t)
	const ns = "spec.environments.dev.namespace"
	f := func(line, col int, path, msg, allowed, fix string) diag.Finding {
		return diag.Finding{Severity: diag.Error, File: "platform.yaml", Line: line, Col: col, Path: path, Message: msg, Allowed: allowed, Fix: fix}
	}
	for _, tc := range []struct {
		name                 string
		databases, namespace string
		want                 []diag.Finding
	}{
		{name: "mapping with a Pod Security level the schema does not offer",
			namespace: "      namespace:\n        name: datasurface\n        podSecurity: privileged\n",
			want:      []diag.Finding{f(34, 22, ns+".podSecurity", "privileged is not allowed", podSecAllowed, "")}},
		{name: "mapping with a Pod Security level of the wrong type",
			namespace: "      namespace: {name: datasurface, podSecurity: 3}\n",
			want:      []diag.Finding{f(32, 51, ns+".podSecurity", "expected a string, got the number 3", podSecAllowed, "")}},
		{name: "mapping with a bad name",
			namespace: "      namespace:\n        name: Data_Surface\n",
			want:      []diag.Finding{f(33, 15, ns+".name", "Data_Surface is not allowed", nameAllowed, "")}},
		{name: "mapping with a bad network policy range",
			namespace: "      namespace:\n        name: datasurface\n        networkPolicy:\n          databaseCIDRs: [10.0.0.5]\n",
			want: []diag.Finding{f(35, 27, ns+".networkPolicy.databaseCIDRs[0]", "10.0.0.5 is not allowed",
				"an IPv4 address range such as 10.0.0.0/16 or 0.0.0.0/0", "")}},
		{name: "mapping with an unknown key",
			namespace: "      namespace:\n        name: datasurface\n        podSecurty: baseline\n",
			want: []diag.Finding{f(34, 9, ns+".podSecurty", `unknown field "podSecurty"`,
				"one of limitRange, name, networkPolicy, podSecurity, resourceQuota", `did you mean "podSecurity"?`)}},
		{name: "mapping with several bad values, each reported once",
			namespace: "      namespace:\n        name: Data_Surface\n        podSecurity: privileged\n" +
				"        networkPolicy: {databaseCIDRs: [10.0.0.5], databasePorts: [0]}\n        resourceQuota: {pods: 0}\n",
			want: []diag.Finding{
				f(33, 15, ns+".name", "Data_Surface is not allowed", nameAllowed, ""),
				f(34, 22, ns+".podSecurity", "privileged is not allowed", podSecAllowed, ""),
				f(35, 41, ns+".networkPolicy.databaseCIDRs[0]", "10.0.0.5 is not allowed", "an IPv4 address range such as 10.0.0.0/16 or 0.0.0.0/0", ""),
				f(35, 68, ns+".networkPolicy.databasePorts[0]", "0 is not allowed", "a TCP port from 1 to 65535", ""),
				f(36, 31, ns+".resourceQuota.pods", "0 is not allowed", "a whole number of pods from 1 to 10000", ""),
			}},
		{name: "a bad name",
			namespace: "      namespace: Data_Surface\n",
			want:      []diag.Finding{f(32, 18, ns, "Data_Surface is not allowed", namespaceAllowed, "")}},
		{name: "a list",
			namespace: "      namespace: [datasurface]\n",
			want:      []diag.Finding{f(32, 18, ns, "expected a string or a mapping, got a list", namespaceAllowed, "")}},
		{name: "a number",
			namespace: "      namespace: 42\n",
			want:      []diag.Finding{f(32, 18, ns, "expected a string or a mapping, got the number 42", namespaceAllowed, "")}},
		{name: "a mapping without the name",
			namespace: "      namespace: {}\n",
			want: []diag.Finding{f(32, 7, ns+".name", "required value namespace.name is not set in environment dev (profile k3s-pi)",
				"a lowercase DNS label: letters a-z, digits and '-', starting and ending with a letter or digit, at most 63 characters", "")}},
		{name: "databases mapping with a value perEnvironment does not take",
			databases: "  databases:\n    perEnvironment: always\n    list: [{name: ds_db, owner: postgres}]\n",
			want:      []diag.Finding{f(29, 21, "spec.databases.perEnvironment", "always is not allowed", "one of suffix, none", "")}},
		{name: "databases mapping with a bad database name",
			databases: "  databases:\n    perEnvironment: suffix\n    list: [{name: \"bad db\", owner: postgres}]\n",
			want:      []diag.Finding{f(30, 19, "spec.databases.list[0].name", `"bad db" is not allowed`, dbNameAllowed, "")}},
		{name: "databases list with a bad database name",
			databases: "  databases:\n    - {name: \"bad db\", owner: postgres}\n",
			want:      []diag.Finding{f(29, 14, "spec.databases[0].name", `"bad db" is not allowed`, dbNameAllowed, "")}},
		{name: "databases list with an unknown key in an element",
			databases: "  databases:\n    - {name: ds_db, owner: postgres, transformers: [x]}\n",
			want: []diag.Finding{f(29, 38, "spec.databases[0].transformers", `unknown field "transformers"`,
				"one of dataTransformers, name, owner", `did you mean "dataTransformers"?`)}},
		{name: "databases mapping with an unknown key in an element",
			databases: "  databases:\n    perEnvironment: suffix\n    list: [{name: ds_db, owner: postgres, transformers: [x]}]\n",
			want: []diag.Finding{f(30, 43, "spec.databases.list[0].transformers", `unknown field "transformers"`,
				"one of dataTransformers, name, owner", `did you mean "dataTransformers"?`)}},
		{name: "databases as a string",
			databases: "  databases: ds_db\n",
			want:      []diag.Finding{f(28, 14, "spec.databases", "expected a mapping or a list, got the string ds_db", databasesAllowed, "")}},
		{name: "databases as one database's mapping",
			databases: "  databases:\n    name: ds_db\n    owner: postgres\n",
			want:      []diag.Finding{f(28, 3, "spec.databases", "expected a list, got a mapping", databasesAllowed, "")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			namespace := tc.namespace
			if namespace == "" {
				namespace = "      namespace: datasurface\n"
			}
			got := loadBadBase(t, s, tc.databases, namespace)
			if diff := cmp.Diff(diag.List(tc.want), got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// loadBadBase loads disjunctionBase with its databases and namespace
// filled in, and returns the findings it must give.
func loadBadBase(t *testing.T, s *Schema, databases, namespace string) diag.List {
	t.Helper()
	spec := strings.Replace(disjunctionBase, "{databases}", databases, 1)
	spec = strings.Replace(spec, "{namespace}", namespace, 1)
	_, err := s.Load("platform.yaml", []byte(spec))
	var got diag.List
	if !errors.As(err, &got) {
		t.Fatalf("want findings, got %v", err)
	}
	return got
}

// TestDisjunctionBaseLoads keeps the cases above about the one value each
// changes.
func TestDisjunctionBaseLoads(t *testing.T) {
	s := mustNew(t)
	for _, c := range []struct{ databases, namespace string }{
		{"", "      namespace: datasurface\n"},
		{"", "      namespace:\n        name: datasurface\n        podSecurity: restricted\n"},
		{"  databases:\n    perEnvironment: suffix\n    list: [{name: ds_db, owner: postgres}]\n", "      namespace: datasurface\n"},
		{"  databases:\n    - {name: ds_db, owner: postgres}\n", "      namespace: datasurface\n"},
	} {
		spec := strings.Replace(disjunctionBase, "{databases}", c.databases, 1)
		spec = strings.Replace(spec, "{namespace}", c.namespace, 1)
		if _, err := s.Load("platform.yaml", []byte(spec)); err != nil {
			t.Errorf("databases %q, namespace %q: %v", c.databases, c.namespace, err)
		}
	}
}

// cueBase is the spec above in CUE, with {namespace} at line 32.
const cueBase = `apiVersion: "ydpgen.dev/v1alpha1"
kind:       "Platform"
metadata: name: "demo"
spec: {
	datasurface: {
		version: "1.8.4"
		image: {repository: "datasurface/datasurface", tag: "v1.8.4"}
		psp: "Demo_PSP"
		rte: "dev"
		model: {repository: "https://github.com/example/model.git", credential: "git"}
		mergeDatabase: {name: "merge_db", credential: "postgres"}
		gitCache: storageClass: "longhorn"
	}
	airflow: {
		version:  "3.1.7"
		executor: "LocalExecutor"
		image: {repository: "example/airflow", tag: "3.1.7-ds1.8.4"}
		metadataDatabase: credential: "airflow-db"
		dags: gitSync: {repository: "https://github.com/example/dags.git", ref: "main", credential: "git-dags"}
		admin: {email: "admin@example.com", credential: "airflow-admin"}
	}
	credentials: {
		postgres: type:        "USER_PASSWORD"
		"airflow-db": type:    "USER_PASSWORD"
		"airflow-admin": type: "USER_PASSWORD"
		git: type:             "API_TOKEN"
		"git-dags": type:      "GIT_SYNC"
	}
	gitops: engine: "none"
	environments: dev: {
		profile: "k3s-pi"
{namespace}		cluster: {nodes: 3, storageClasses: longhorn: rwx: true}
	}
}
`

// TestDisjunctionFindingsInCUE: the same in a CUE spec, which can also
// leave a value open. An open value is reported where it is written, and
// only it: not every value the profile's defaults would have given.
func TestDisjunctionFindingsInCUE(t *testing.T) {
	s := mustNew(t)
	const ns = "spec.environments.dev.namespace"
	const open = "; a spec is read as data, so each value it writes must be concrete"
	f := func(line, col int, path, msg, allowed string) diag.Finding {
		return diag.Finding{Severity: diag.Error, File: "platform.cue", Line: line, Col: col, Path: path, Message: msg, Allowed: allowed}
	}
	for _, tc := range []struct {
		name, namespace string
		want            []diag.Finding
	}{
		{"mapping with a Pod Security level the schema does not offer",
			"\t\tnamespace: {\n\t\t\tname:        \"datasurface\"\n\t\t\tpodSecurity: \"privileged\"\n\t\t}\n",
			[]diag.Finding{f(34, 17, ns+".podSecurity", "privileged is not allowed", podSecAllowed)}},
		{"mapping with an open name",
			"\t\tnamespace: {name: string, podSecurity: \"baseline\"}\n",
			[]diag.Finding{f(32, 21, ns+".name", "the value string is left open"+open, nameAllowed)}},
		{"an open name",
			"\t\tnamespace: string\n",
			[]diag.Finding{f(32, 14, ns, "the value string is left open"+open, namespaceAllowed)}},
		{"a name or a mapping, left to choose",
			"\t\tnamespace: \"a\" | {name: \"b\"}\n",
			[]diag.Finding{f(32, 14, ns, "the value is left open"+open, namespaceAllowed)}},
		{"mapping with an open port",
			"\t\tnamespace: {name: \"datasurface\", networkPolicy: databasePorts: [5432, int]}\n",
			[]diag.Finding{f(32, 73, ns+".networkPolicy.databasePorts[1]", "the value int is left open"+open, "a TCP port from 1 to 65535")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Load("platform.cue", []byte(strings.Replace(cueBase, "{namespace}", tc.namespace, 1)))
			var got diag.List
			if !errors.As(err, &got) {
				t.Fatalf("want findings, got %v", err)
			}
			if diff := cmp.Diff(diag.List(tc.want), got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
	// The base itself loads.
	if _, err := s.Load("platform.cue", []byte(strings.Replace(cueBase, "{namespace}", "\t\tnamespace: \"datasurface\"\n", 1))); err != nil {
		t.Errorf("the base is refused: %v", err)
	}
}

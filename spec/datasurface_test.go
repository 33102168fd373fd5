package spec

import (
	"os"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

func TestCheckDataSurface(t *testing.T) {
	base := func() *model.Environment {
		env := &model.Environment{Name: "dev", Profile: "kubeadm"}
		env.DataSurface.Model.Repository = "https://github.com/acme/model.git"
		env.DataSurface.MCPServer.Enabled = true
		return env
	}
	for _, tc := range []struct {
		name   string
		change func(*model.Environment)
		// paths of the findings, in order: the environment has no
		// origins, so each names the override that would set the value
		want []string
	}{
		{"valid", func(*model.Environment) {}, nil},
		{"repository without owner", func(e *model.Environment) { e.DataSurface.Model.Repository = "git@github.com:model.git" },
			[]string{"spec.environments.dev.datasurface.model.repository"}},
		{"ingress on a disabled server", func(e *model.Environment) {
			e.DataSurface.MCPServer.Enabled = false
			e.DataSurface.MCPServer.Ingress = &model.Ingress{Host: "mcp.example.com"}
		}, []string{"spec.environments.dev.datasurface.mcpServer.ingress"}},
		{"tls secret and issuer on kubeadm", func(e *model.Environment) {
			e.DataSurface.MCPServer.Ingress = &model.Ingress{Host: "mcp.example.com", TLSSecret: "t", Issuer: "i"}
		}, nil},
		{"tls secret and issuer on eks", func(e *model.Environment) {
			e.Profile = "eks"
			e.DataSurface.MCPServer.Ingress = &model.Ingress{Host: "mcp.example.com", TLSSecret: "t", Issuer: "i"}
		}, []string{"spec.environments.dev.datasurface.mcpServer.ingress.tlsSecret", "spec.environments.dev.datasurface.mcpServer.ingress.issuer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := base()
			tc.change(env)
			got := checkDataSurface(env)
			var paths []string
			for _, f := range got {
				paths = append(paths, f.Path)
				if !strings.Contains(f.Message, "in environment dev") || f.Allowed == "" {
					t.Errorf("finding %q lacks the environment or what is allowed", f)
				}
			}
			if strings.Join(paths, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings at %v, want %v", paths, tc.want)
			}
		})
	}
}

// TestPublishChecks edits the onprem example: how the infrastructure DAG
// is published, and what a publish Job needs.
func TestPublishChecks(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/onprem/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(src)
	const manual = "    infrastructureDAG:\n      publish: manual\n"
	for _, tc := range []struct {
		name, from, to string
		want           string
	}{
		{"a token credential", manual, "    infrastructureDAG: {credential: git}\n", ""},
		{"the git-sync credential", manual, "    infrastructureDAG: {credential: git-dags}\n", ""},
		{"a credential that cannot push", manual, "    infrastructureDAG: {credential: airflow-db}\n",
			`spec.datasurface.infrastructureDAG.credential: credential "airflow-db" is of type USER_PASSWORD, but datasurface.infrastructureDAG.credential needs API_TOKEN or GIT_SYNC`},
		{"a Job without a credential", manual, "    infrastructureDAG: {publish: job}\n",
			"spec.datasurface.infrastructureDAG.publish: the publish Job of the infrastructure DAG has no credential to push with"},
		{"a commit as git-sync's ref", "", "", ""}, // two edits, below
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "a commit as git-sync's ref" {
				spec := strings.Replace(base, manual, "    infrastructureDAG: {credential: git}\n", 1)
				loadEdited(t, s, spec, "        ref: main\n", "        ref: 0123456789abcdef0123456789abcdef01234567\n",
					"spec.airflow.dags.gitSync.ref: the publish Job pushes to a branch, but git-sync's ref 0123456789abcdef0123456789abcdef01234567 is a commit or a tag")
				return
			}
			loadEdited(t, s, base, tc.from, tc.to, tc.want)
		})
	}
	// Without a credential the DAG is published by hand.
	p, err := s.Load("platform.yaml", []byte(strings.Replace(base, manual, "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Environments[0].DataSurface.InfrastructureDAG.Publish; got != model.PublishManual {
		t.Errorf("publish without a credential: %q, want manual", got)
	}
}

package spec

import (
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

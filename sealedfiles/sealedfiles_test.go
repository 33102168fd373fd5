package sealedfiles

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"filippo.io/age"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/diag"
	"github.com/ydpgen/ydpgen/model"
	"github.com/ydpgen/ydpgen/sealing"
	"github.com/ydpgen/ydpgen/spec"
)

func labEnv(t *testing.T) *model.Environment {
	t.Helper()
	s, err := spec.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	return &p.Environments[0]
}

// sealAll seals every Secret env needs into a map file system.
func sealAll(t *testing.T, env *model.Environment) fstest.MapFS {
	t.Helper()
	list, err := credentials.List(env)
	if err != nil {
		t.Fatal(err)
	}
	sealer := sealing.SOPS{Recipients: env.Secrets.SOPS.AgeRecipients}
	fsys := fstest.MapFS{}
	for _, s := range Needed(list) {
		vals := map[string]string{}
		for _, k := range s.Layout.Keys {
			vals[k.Name] = "v"
		}
		sec := sealing.NewSecret(s.Name, env.Namespace.Name, "Opaque", vals)
		sec.Labels, sec.Annotations, err = Metadata(env, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := sealer.Seal(sec)
		if err != nil {
			t.Fatal(err)
		}
		fsys[env.Secrets.Directory+"/"+sealing.FileName(sealing.FormatSOPS, s.Name)] = &fstest.MapFile{Data: b}
	}
	return fsys
}

func TestCollect(t *testing.T) {
	env := labEnv(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	env.Secrets.SOPS.AgeRecipients = []string{id.Recipient().String()}
	fsys := sealAll(t, env)

	c, err := Collect(env, fsys)
	if err != nil || len(c.Findings) > 0 {
		t.Fatalf("a complete directory: %v %v", err, c.Findings)
	}
	if len(c.Files) != len(fsys) {
		t.Fatalf("%d files for the overlay, want %d", len(c.Files), len(fsys))
	}
	for _, f := range c.Files {
		src := fsys[env.Secrets.Directory+"/"+strings.TrimPrefix(f.Path, OverlayDir+"/")]
		if src == nil || string(src.Data) != string(f.Data) || f.Object == nil || f.Object.GVK.Kind != "Secret" {
			t.Errorf("%s is not the sealed file as it is", f.Path)
		}
	}

	// One file gone: one error finding at the environment's line.
	delete(fsys, env.Secrets.Directory+"/postgres.sops.yaml")
	c, err = Collect(env, fsys)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := env.Origins.Place(env.Name, model.EnvironmentNamePath)
	if len(c.Findings) != 1 || c.Findings[0].Severity != diag.Error || c.Findings[0].Line != at.Line ||
		!strings.Contains(c.Findings[0].Message, "Secret postgres is not sealed") || c.Findings[0].Fix != "run ydpgen secrets seal --env lab" {
		t.Errorf("findings %v, want one error for postgres at line %d", c.Findings, at.Line)
	}
	if len(c.Files) != 0 {
		t.Error("files handed on despite an error")
	}
}

func TestCertificateFindings(t *testing.T) {
	env := labEnv(t)
	env.Secrets.Provider = model.ProviderSealedSecrets
	env.Secrets.SealedSecrets = model.SealedSecrets{Certificate: "cert.pem", Scope: "strict"}
	for _, tc := range []struct {
		fsys fstest.MapFS
		want string
	}{
		{fstest.MapFS{}, "certificate file cert.pem does not exist"},
		{fstest.MapFS{"cert.pem": {Data: []byte("not PEM")}}, "certificate file cert.pem does not parse"},
	} {
		c, err := Collect(env, tc.fsys)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Findings) != 1 || !strings.Contains(c.Findings[0].Message, tc.want) {
			t.Errorf("findings %v, want %q", c.Findings, tc.want)
		}
	}
}

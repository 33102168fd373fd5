package credentials

import (
	"slices"
	"testing"
)

func TestLayoutOf(t *testing.T) {
	for _, tc := range []struct {
		kind     Kind
		version  string
		typ      string
		keys     []string
		optional []string
		files    []string
	}{
		{UserPassword, "1.8.4", TypeOpaque, []string{"USER", "PASSWORD"}, nil, nil},
		{APIToken, "1.8.4", TypeOpaque, []string{"TOKEN"}, nil, nil},
		{APIToken, "1.0.0", TypeOpaque, []string{"TOKEN"}, nil, nil},
		{APIToken, "0.9.12", TypeOpaque, []string{"token"}, nil, nil},
		{APIKeyPair, "1.8.4", TypeOpaque, []string{"API_KEY", "API_SECRET"}, nil, nil},
		{PrivateKeyAuth, "1.8.4", TypeOpaque, []string{"USER", "PRIVATE_KEY", "PASSPHRASE"}, []string{"PASSPHRASE"}, []string{"PRIVATE_KEY"}},
		{MTLSCertWithKey, "1.8.4", TypeOpaque, []string{"PUBLIC_CERT", "PRIVATE_KEY"}, nil, []string{"PUBLIC_CERT", "PRIVATE_KEY"}},
		{CACertBundle, "1.8.4", TypeOpaque, []string{"CA_CERT"}, nil, []string{"CA_CERT"}},
		{GitSync, "1.8.4", TypeOpaque, []string{"GIT_SYNC_USERNAME", "GIT_SYNC_PASSWORD", "GITSYNC_USERNAME", "GITSYNC_PASSWORD"}, nil, nil},
		{Registry, "1.8.4", TypeDockerConfigJSON, []string{".dockerconfigjson"}, nil, []string{".dockerconfigjson"}},
		{FernetKey, "1.8.4", TypeOpaque, []string{"fernet-key"}, nil, nil},
		{APISecretKey, "1.8.4", TypeOpaque, []string{"api-secret-key"}, nil, nil},
		{JWTSecret, "1.8.4", TypeOpaque, []string{"jwt-secret"}, nil, nil},
		{MetadataConnection, "1.8.4", TypeOpaque, []string{"connection"}, nil, nil},
		{BrokerURL, "1.8.4", TypeOpaque, []string{"connection"}, nil, nil},
		{RedisPassword, "1.8.4", TypeOpaque, []string{"password"}, nil, nil},
	} {
		l, err := LayoutOf(tc.kind, tc.version)
		if err != nil {
			t.Errorf("%s %s: %v", tc.kind, tc.version, err)
			continue
		}
		if l.Type != tc.typ || !slices.Equal(l.KeyNames(), tc.keys) {
			t.Errorf("%s %s: type %s keys %v, want %s %v", tc.kind, tc.version, l.Type, l.KeyNames(), tc.typ, tc.keys)
		}
		for _, k := range l.Keys {
			if k.Optional != slices.Contains(tc.optional, k.Name) || k.File != slices.Contains(tc.files, k.Name) {
				t.Errorf("%s key %s: optional %v file %v", tc.kind, k.Name, k.Optional, k.File)
			}
			if k.Placeholder == "" || k.Placeholder[0] != '<' {
				t.Errorf("%s key %s: placeholder %q is not <...>", tc.kind, k.Name, k.Placeholder)
			}
		}
	}
	if _, err := LayoutOf("PLAIN_TEXT", "1.8.4"); err == nil {
		t.Error("an unknown kind has a layout")
	}
	if _, err := LayoutOf(APIToken, "1.8"); err == nil {
		t.Error("a malformed version is accepted")
	}
	for _, k := range SpecKinds() {
		if _, err := LayoutOf(k, "1.8.4"); err != nil {
			t.Errorf("spec kind %s: %v", k, err)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	for in, want := range map[string]string{
		"datasurface/datasurface": DockerHub,
		"library/postgres":        DockerHub,
		"registry.gitlab.com/datasurface-inc/datasurface/datasurface": "registry.gitlab.com",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow":        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		"localhost/team/image": "localhost",
		"registry:5000/image":  "registry:5000",
		"postgres":             DockerHub,
	} {
		if got := RegistryHost(in); got != want {
			t.Errorf("RegistryHost(%q) = %q, want %q", in, got, want)
		}
	}
}

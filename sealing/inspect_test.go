package sealing

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// summary is a finding without its message, for comparing.
func summary(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Kind)+":"+f.Secret+":"+f.Key)
	}
	return strings.Join(out, " ")
}

func TestInspectPlainSecret(t *testing.T) {
	in, err := Inspect("secrets/dev/airflow-fernet-key.sops.yaml", readTestdata(t, "plain-secret.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != FormatPlain || in.Name != "airflow-fernet-key" || in.Namespace != "ydp-dev" || in.MAC {
		t.Errorf("inspection: %+v", in)
	}
	if got := strings.Join(in.Keys, ","); got != "empty,fernet-key,password" {
		t.Errorf("keys %s", got)
	}
	// The empty value hides nothing and is not a finding.
	want := "plaintext-value:airflow-fernet-key:fernet-key plaintext-value:airflow-fernet-key:password"
	if got := summary(in.Findings); got != want {
		t.Errorf("findings\n got %s\nwant %s", got, want)
	}
	for _, f := range in.Findings {
		if strings.Contains(f.String(), "hunter2") || strings.Contains(f.String(), "cGxhaW50") {
			t.Errorf("finding shows a value: %s", f)
		}
		if f.File != "secrets/dev/airflow-fernet-key.sops.yaml" {
			t.Errorf("finding file %q", f.File)
		}
	}
}

func TestInspectSOPSProblems(t *testing.T) {
	id := newIdentity(t)
	s := SOPS{Recipients: []string{id.Recipient().String()}, Now: clock(0)}
	file, err := s.Seal(NewSecret("broker", "ydp-dev", "", map[string]string{"url": "redis://x"}))
	if err != nil {
		t.Fatal(err)
	}

	// A key added by hand after sealing is in clear.
	handAdded := bytes.Replace(file, []byte("stringData:\n"), []byte("stringData:\n  hand.added: oops value\n"), 1)
	in, err := Inspect("f", handAdded)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(in.Findings); got != "plaintext-value:broker:hand.added" {
		t.Errorf("hand-added key: %s", got)
	}

	// No MAC.
	noMAC := regexp.MustCompile(`(?m)^  mac: .*\n`).ReplaceAll(file, nil)
	in, err = Inspect("f", noMAC)
	if err != nil {
		t.Fatal(err)
	}
	if in.MAC || summary(in.Findings) != "missing-mac:broker:" {
		t.Errorf("no MAC: %v %s", in.MAC, summary(in.Findings))
	}

	// Decrypting a file with a value in clear says which key, not what.
	full := SOPS{Identities: []string{id.String()}}
	if _, err := full.Decrypt("f", handAdded); err == nil || !strings.Contains(err.Error(), "hand.added") || strings.Contains(err.Error(), "oops") {
		t.Errorf("decrypt of a half-sealed file: %v", err)
	}
}

func TestInspectSealedProblems(t *testing.T) {
	in, err := Inspect("r.sealed.yaml", readTestdata(t, "sealed-template-data.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Format != FormatSealedSecrets || in.Scope != ScopeStrict || in.SealedWith != "" || in.Type != "kubernetes.io/dockerconfigjson" {
		t.Errorf("inspection: %+v", in)
	}
	want := "plaintext-value:registry:.dockerconfigjson plaintext-value:registry:token"
	if got := summary(in.Findings); got != want {
		t.Errorf("findings\n got %s\nwant %s", got, want)
	}
}

func TestInspectRejects(t *testing.T) {
	for name, content := range map[string][]byte{
		"two-documents.yaml": readTestdata(t, "two-documents.yaml"),
		"configmap.yaml":     readTestdata(t, "configmap.yaml"),
		"empty.yaml":         []byte("# nothing\n---\n"),
		"broken.yaml":        []byte("apiVersion: v1\nkind: Secret\nmetadata: [\n"),
	} {
		_, err := Inspect(name, content)
		if err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

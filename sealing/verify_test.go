package sealing

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestVerifySOPS(t *testing.T) {
	a, b := newIdentity(t), newIdentity(t)
	s := SOPS{Recipients: []string{a.Recipient().String()}, Now: clock(0)}
	seal := func(name string, vals map[string]string) []byte {
		t.Helper()
		out, err := s.Seal(NewSecret(name, "ydp-prod", "", vals))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	good := seal("airflow-metadata", map[string]string{"connection": "postgresql://x"})
	missingKey := seal("airflow-broker", map[string]string{"other": "x", "url": "redis://x"})
	stale := seal("old-thing", map[string]string{"k": "v"})
	otherNS, err := s.Seal(NewSecret("git-token", "elsewhere", "", map[string]string{"token": "t"}))
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"secrets/prod/airflow-metadata.sops.yaml":   {Data: good},
		"secrets/prod/airflow-broker.sops.yaml":     {Data: missingKey},
		"secrets/prod/copy-of-metadata.sops.yaml":   {Data: good},
		"secrets/prod/old-thing.sops.yaml":          {Data: stale},
		"secrets/prod/git-token.sops.yaml":          {Data: otherNS},
		"secrets/prod/fernet.yaml":                  {Data: readTestdata(t, "plain-secret.yaml")},
		"secrets/prod/notes.yaml":                   {Data: readTestdata(t, "configmap.yaml")},
		"secrets/prod/kustomization.yaml":           {Data: []byte("resources: []\n")},
		"secrets/prod/.sops.yaml":                   {Data: []byte("creation_rules: []\n")},
		"secrets/prod/README.md":                    {Data: []byte("# not yaml\n")},
		"secrets/dev/airflow-metadata.sops.yaml":    {Data: good},
		"secrets/prod/subdir/ignored.sops.yaml.bak": {Data: good},
	}
	exp := Expectation{
		Env: "prod", Format: FormatSOPS, Recipients: []string{a.Recipient().String()},
		Secrets: []ExpectedSecret{
			{Name: "airflow-metadata", Namespace: "ydp-prod", Required: []string{"connection"}},
			{Name: "airflow-broker", Namespace: "ydp-prod", Required: []string{"url", "password"}},
			{Name: "git-token", Namespace: "ydp-prod", Required: []string{"token"}},
			{Name: "airflow-fernet-key", Namespace: "ydp-dev", Required: []string{"fernet-key", "password"}, Optional: []string{"empty"}},
			{Name: "registry", Namespace: "ydp-prod", Required: []string{"auth"}},
		},
	}
	got, err := Verify(fsys, "secrets/prod", exp)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		":", // notes.yaml is not a Secret
		"airflow-broker:other extra-key warning",
		"airflow-broker:password missing-key error",
		"airflow-fernet-key: format-mismatch error",
		"airflow-fernet-key:fernet-key plaintext-value error",
		"airflow-fernet-key:password plaintext-value error",
		"airflow-metadata: duplicate-secret error",
		"git-token: namespace-mismatch error",
		"old-thing: extra-secret warning",
		"registry: missing-secret error",
	}
	var lines []string
	for _, f := range got {
		if f.Secret == "" {
			lines = append(lines, ":")
			if f.Kind != FindingUnreadable || f.File != "secrets/prod/notes.yaml" {
				t.Errorf("unreadable finding: %+v", f)
			}
			continue
		}
		lines = append(lines, f.Secret+":"+f.Key+" "+string(f.Kind)+" "+string(f.Severity))
		if f.Env != "prod" || f.FixCommand() != "ydpgen secrets seal --env prod" {
			t.Errorf("finding env/fix: %+v", f)
		}
		if f.Kind != FindingMissingSecret && !strings.HasPrefix(f.File, "secrets/prod/") {
			t.Errorf("finding without its file: %+v", f)
		}
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n got:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range got {
		if strings.Contains(f.String(), "hunter2") {
			t.Errorf("finding shows a value: %s", f)
		}
	}

	// Other recipients.
	exp.Recipients = []string{b.Recipient().String()}
	exp.Secrets = exp.Secrets[:1]
	got, err = Verify(fstest.MapFS{"s/airflow-metadata.sops.yaml": {Data: good}}, "s", exp)
	if err != nil {
		t.Fatal(err)
	}
	if summary(got) != "recipients-mismatch:airflow-metadata:" {
		t.Errorf("recipients: %s", summary(got))
	}

	// A missing directory: every Secret is missing.
	got, err = Verify(fstest.MapFS{}, "secrets/none", exp)
	if err != nil || summary(got) != "missing-secret:airflow-metadata:" {
		t.Errorf("missing dir: %s %v", summary(got), err)
	}
	if !strings.Contains(got[0].Message, "secrets/none/airflow-metadata.sops.yaml") {
		t.Errorf("message should name the expected file: %s", got[0].Message)
	}
}

func TestVerifySealed(t *testing.T) {
	_, certPEM := controllerKey(t)
	cert, err := ParseCertificate("cert.pem", certPEM)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPEM := controllerKey(t)
	other, err := ParseCertificate("other.pem", otherPEM)
	if err != nil {
		t.Fatal(err)
	}
	sec := NewSecret("registry", "ydp-dev", "kubernetes.io/dockerconfigjson", map[string]string{".dockerconfigjson": "{}"})
	good, err := SealedSecrets{Certificate: cert}.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	wide, err := SealedSecrets{Certificate: other, Scope: ScopeClusterWide}.Seal(sec)
	if err != nil {
		t.Fatal(err)
	}
	exp := Expectation{Env: "dev", Format: FormatSealedSecrets, Certificate: cert.Fingerprint,
		Secrets: []ExpectedSecret{{Name: "registry", Namespace: "ydp-dev", Required: []string{".dockerconfigjson"}}}}
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"good":          {good, ""},
		"other cert":    {wide, "certificate-mismatch:registry: scope-mismatch:registry:"},
		"in clear":      {readTestdata(t, "sealed-template-data.yaml"), "certificate-mismatch:registry: missing-key:registry:.dockerconfigjson plaintext-value:registry:.dockerconfigjson extra-key:registry:token plaintext-value:registry:token"},
		"sops not seal": {nil, "format-mismatch:registry:"},
	} {
		file := tc.file
		if file == nil {
			id := newIdentity(t)
			file, err = SOPS{Recipients: []string{id.Recipient().String()}}.Seal(sec)
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := Verify(fstest.MapFS{"secrets/dev/registry.sealed.yaml": {Data: file}}, "secrets/dev", exp)
		if err != nil {
			t.Fatal(err)
		}
		if summary(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", name, summary(got), tc.want)
		}
	}
}

// The files Verify reads are the ones render copies: regular YAML files,
// neither hidden nor kustomization files, never a link.
func TestFileNames(t *testing.T) {
	fsys := fstest.MapFS{
		"s/b.yaml":             {Data: []byte("x")},
		"s/a.yml":              {Data: []byte("x")},
		"s/.hidden.yaml":       {Data: []byte("x")},
		"s/kustomization.yaml": {Data: []byte("x")},
		"s/notes.txt":          {Data: []byte("x")},
		"s/link.yaml":          {Data: []byte("a.yml"), Mode: fs.ModeSymlink},
		"s/sub/c.yaml":         {Data: []byte("x")},
	}
	got, err := FileNames(fsys, "s")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.yml", "b.yaml"}; !slices.Equal(got, want) {
		t.Errorf("FileNames = %v, want %v", got, want)
	}
	if got, err := FileNames(fsys, "missing"); err != nil || got != nil {
		t.Errorf("a missing directory: %v, %v; want none, no error", got, err)
	}
}

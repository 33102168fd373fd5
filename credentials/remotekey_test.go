package credentials

import (
	"strings"
	"testing"
)

func TestRemoteKeyTemplate(t *testing.T) {
	vars := RemoteKeyVars{Credential: "git-dags", Ecosystem: "eco", Environment: "prod", Namespace: "yellow", Platform: "cloud"}
	for _, tc := range []struct {
		src, want string
	}{
		{"aws", "datasurface/yellow/eco/prod/git-dags"},
		{"azure", "datasurface--yellow--eco--prod--git-dags--credentials"},
		{"{platform}/{environment}/{credential}", "cloud/prod/git-dags"},
		{"secret/data/{namespace}/{credential}", "secret/data/yellow/git-dags"},
		{"{credential}", "git-dags"},
	} {
		tmpl, err := ParseRemoteKeyTemplate(tc.src)
		if err != nil {
			t.Errorf("%q: %v", tc.src, err)
			continue
		}
		if got := tmpl.Expand(vars); got != tc.want {
			t.Errorf("%q expands to %q, want %q", tc.src, got, tc.want)
		}
	}
	for _, tc := range []struct {
		src    string
		offset int
		msg    string
		fix    string
	}{
		{"datasurface/{namespace}/{ecosytem}/{credential}", 24, "unknown placeholder {ecosytem}", "did you mean {ecosystem}?"},
		{"datasurface/{credential", 12, "is not closed", ""},
		{"datasurface/credential}", 22, "'}' without an opening '{'", ""},
		{"datasurface/{}/{credential}", 12, "unknown placeholder {}", ""},
		{"datasurface/{namespace}", 0, "no {credential} placeholder", "add {credential}"},
		{"datasurface {credential}", 11, `character " " is not allowed`, ""},
		{"", 0, "empty", ""},
		{"datasurface/ü/{credential}", 12, `character "ü" is not allowed`, ""},
		{"AWS", 0, "no {credential} placeholder", ""},
	} {
		_, err := ParseRemoteKeyTemplate(tc.src)
		if err == nil {
			t.Errorf("%q parses", tc.src)
			continue
		}
		if err.Offset != tc.offset || !strings.Contains(err.Message, tc.msg) || !strings.Contains(err.Fix, tc.fix) {
			t.Errorf("%q: offset %d %q fix %q, want offset %d %q fix %q", tc.src, err.Offset, err.Message, err.Fix, tc.offset, tc.msg, tc.fix)
		}
		if err.Allowed == "" {
			t.Errorf("%q: the error does not say what is allowed", tc.src)
		}
	}
}

func TestCheckRemoteKey(t *testing.T) {
	azure, _ := ParseRemoteKeyTemplate("azure")
	if p := azure.CheckRemoteKey("datasurface--yellow--eco--git--credentials"); p != "" {
		t.Errorf("a valid Key Vault name is refused: %s", p)
	}
	if p := azure.CheckRemoteKey("datasurface--yellow--my_eco--git--credentials"); !strings.Contains(p, `"_"`) {
		t.Errorf("'_' in a Key Vault name: %q", p)
	}
	if p := azure.CheckRemoteKey(strings.Repeat("a", 128)); !strings.Contains(p, "127") {
		t.Errorf("a 128-character Key Vault name: %q", p)
	}
	aws, _ := ParseRemoteKeyTemplate("aws")
	if p := aws.CheckRemoteKey("datasurface/yellow/my_eco/git"); p != "" {
		t.Errorf("aws refuses %q", p)
	}
}

func TestRemoteProperty(t *testing.T) {
	for in, want := range map[string]string{".dockerconfigjson": "dockerconfigjson", "PASSWORD": "PASSWORD", "fernet-key": "fernet-key"} {
		if got := RemoteProperty(in); got != want {
			t.Errorf("RemoteProperty(%q) = %q, want %q", in, got, want)
		}
	}
}

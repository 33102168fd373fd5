package secrets

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/credentials"
)

// TestScriptsParse checks every example's create-secrets.sh with sh -n.
func TestScriptsParse(t *testing.T) {
	for _, env := range exampleEnvs(t) {
		env.Secrets.Provider = ProviderManual
		a, err := Generator{}.Generate(env)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-n")
		cmd.Stdin = strings.NewReader(string(a.Files[1].Data))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s/%s: sh -n: %v\n%s", env.Platform, env.Name, err, out)
		}
	}
}

// TestScriptEscapesAsTheReference runs the script's ydp_url and ydp_pgq on
// awkward values and compares them with credentials.EscapeValue, the
// escape every provider is held to.
func TestScriptEscapesAsTheReference(t *testing.T) {
	values := append([]string{"", "plain", "tab\there", "new\nline", "100%", "~-._"}, awkward...)
	for _, v := range values {
		for _, tc := range []struct {
			fn string
			e  credentials.Escape
		}{{"ydp_url", credentials.URLEscape}, {"ydp_pgq", credentials.PgBouncerQuote}} {
			cmd := exec.Command("sh", "-c", "ns=x\n"+scriptHelpers+"\nprintf '[%s]' \"$("+tc.fn+" \"$V\")\"")
			cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "V=" + v}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s %q: %v", tc.fn, v, err)
			}
			want := credentials.EscapeValue(tc.e, v)
			if tc.e == credentials.PgBouncerQuote {
				// Command substitution drops trailing newlines.
				want = strings.TrimRight(want, "\n")
			}
			if string(out) != "["+want+"]" {
				t.Errorf("%s %q = %s, want [%s]", tc.fn, v, out, want)
			}
		}
	}
}

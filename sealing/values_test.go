package sealing

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVarName(t *testing.T) {
	for _, tc := range [][3]string{
		{"airflow-metadata", "connection", "YDPGEN_SECRET_AIRFLOW_METADATA__CONNECTION"},
		{"tls", "tls.crt", "YDPGEN_SECRET_TLS__TLS_CRT"},
		{"registry", ".dockerconfigjson", "YDPGEN_SECRET_REGISTRY___DOCKERCONFIGJSON"},
		{"ünï", "k", "YDPGEN_SECRET__N___K"},
	} {
		if got := VarName(tc[0], tc[1]); got != tc[2] {
			t.Errorf("VarName(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

func TestParseDotenv(t *testing.T) {
	src := strings.Join([]string{
		"# comment",
		"",
		"PLAIN=some value with spaces   # trailing comment",
		"export EXPORTED=yes",
		`DOUBLE="line1\nline2 \"quoted\" \\ \$HOME"`,
		`SINGLE='literal \n "as is" # not a comment'`,
		`MULTI="-----BEGIN KEY-----`,
		`abc`,
		`-----END KEY-----"`,
		"UNICODE=pässwörd 🔑",
		"EMPTY=",
		"HASH=a#b",
		"CRLF=x\r",
	}, "\n")
	got, err := ParseDotenv("vals.env", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN":    "some value with spaces",
		"EXPORTED": "yes",
		"DOUBLE":   "line1\nline2 \"quoted\" \\ $HOME",
		"SINGLE":   `literal \n "as is" # not a comment`,
		"MULTI":    "-----BEGIN KEY-----\nabc\n-----END KEY-----",
		"UNICODE":  "pässwörd 🔑",
		"EMPTY":    "",
		"HASH":     "a#b",
		"CRLF":     "x",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d names, want %d", len(got), len(want))
	}

	for name, bad := range map[string]string{
		"unclosed":   "A=\"s3cr3t-unclosed\nB=2\n",
		"no equals":  "s3cr3t-no-equals\n",
		"after":      "A=\"x\" s3cr3t-after\n",
		"bad name":   "1A=s3cr3t\n",
		"empty name": "=s3cr3t\n",
	} {
		_, err := ParseDotenv("vals.env", strings.NewReader(bad))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "vals.env line ") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: error must name file and line, never the value: %v", name, err)
		}
	}
}

func TestReader(t *testing.T) {
	repo := t.TempDir()
	outside := t.TempDir()
	envFile := filepath.Join(outside, "prod.env")
	content := VarName("db", "password") + "=\"from file\"\n" +
		VarName("db", "user") + "=file-user\n" +
		VarName("tls", "tls.key") + "=\"-----BEGIN-----\nk\n-----END-----\"\n"
	if err := os.WriteFile(envFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var prompted []string
	var promptOut bytes.Buffer
	line := LinePrompt(strings.NewReader("typed value\n\n"), &promptOut)
	r := Reader{
		Environ:    []string{"PATH=/bin", VarName("db", "user") + "=env-user", VarName("db", "empty") + "="},
		DotenvFile: envFile,
		RepoRoot:   repo,
		Prompt: func(q Request) (string, bool, error) {
			prompted = append(prompted, q.Secret+"/"+q.Key)
			return line(q)
		},
	}
	reqs := []Request{
		{Secret: "db", Key: "user"},
		{Secret: "db", Key: "password"},
		{Secret: "db", Key: "empty"},
		{Secret: "tls", Key: "tls.key"},
		{Secret: "api", Key: "token"},
		{Secret: "api", Key: "extra", Optional: true},
	}
	got, err := r.Read(reqs)
	if err != nil {
		t.Fatal(err)
	}
	if got["db"]["user"] != "env-user" || got["db"]["password"] != "from file" || got["db"]["empty"] != "" ||
		got["tls"]["tls.key"] != "-----BEGIN-----\nk\n-----END-----" || got["api"]["token"] != "typed value" {
		t.Errorf("values: %q", got)
	}
	if _, ok := got["api"]["extra"]; ok {
		t.Error("an optional key left empty got a value")
	}
	if strings.Join(prompted, ",") != "api/token,api/extra" {
		t.Errorf("prompted for %v", prompted)
	}
	if !strings.Contains(promptOut.String(), `Value for Secret api key "extra" (optional, empty to skip): `) || strings.Contains(promptOut.String(), "typed value") {
		t.Errorf("prompt output %q", promptOut.String())
	}

	// A required value that nowhere has one: named with its variable.
	_, err = Reader{Environ: []string{"X=s3cr3t"}}.Read([]Request{{Secret: "api", Key: "token"}, {Secret: "api", Key: "x", Optional: true}})
	if err == nil || !strings.Contains(err.Error(), VarName("api", "token")) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("missing value: %v", err)
	}

	// Two requests that map to one variable.
	_, err = Reader{}.Read([]Request{{Secret: "a-b", Key: "k"}, {Secret: "a.b", Key: "k"}})
	if err == nil || !strings.Contains(err.Error(), "share the variable") {
		t.Errorf("collision: %v", err)
	}

	// A prompt that fails.
	_, err = Reader{Prompt: func(Request) (string, bool, error) { return "", false, errors.New("no terminal") }}.Read(reqs[:1])
	if err == nil || !strings.Contains(err.Error(), `Secret db key "user"`) {
		t.Errorf("prompt error: %v", err)
	}
}

func TestReaderRefusesValuesInRepo(t *testing.T) {
	repo := t.TempDir()
	inside := filepath.Join(repo, "secrets", "prod.env")
	if err := os.MkdirAll(filepath.Dir(inside), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inside, []byte("A=s3cr3t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A link from outside into the repository is inside too.
	link := filepath.Join(t.TempDir(), "prod.env")
	if err := os.Symlink(inside, link); err != nil {
		t.Fatal(err)
	}
	// A file beside the repository whose name starts like it is outside.
	sibling := repo + "-values.env"
	if err := os.WriteFile(sibling, []byte("A=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{inside, link} {
		_, err := Reader{DotenvFile: f, RepoRoot: repo}.Read(nil)
		if err == nil || !strings.Contains(err.Error(), "inside the repository") || !strings.Contains(err.Error(), f) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := (Reader{DotenvFile: sibling, RepoRoot: repo}).Read(nil); err != nil {
		t.Errorf("sibling file refused: %v", err)
	}
	if _, err := (Reader{DotenvFile: filepath.Join(repo, "..", "nope.env"), RepoRoot: repo}).Read(nil); err == nil {
		t.Error("a missing values file is an error")
	}
}

// TestTerminalPromptFallback: input that is not a terminal (a pipe, a
// file) is read line by line, as LinePrompt does.
func TestTerminalPromptFallback(t *testing.T) {
	reqs := []Request{
		{Secret: "api", Key: "token"},
		{Secret: "api", Key: "extra", Optional: true},
		{Secret: "api", Key: "crlf"},
		{Secret: "api", Key: "last"},
		{Secret: "api", Key: "after-eof"},
	}
	input := "typed value\n\nwindows\r\nno newline"
	want := []struct {
		value string
		ok    bool
	}{{"typed value", true}, {"", false}, {"windows", true}, {"no newline", true}, {"", false}}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	go func() {
		pw.WriteString(input)
		pw.Close()
	}()
	file := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(file, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	for name, in := range map[string]*os.File{"pipe": pr, "file": f} {
		var out bytes.Buffer
		p := TerminalPrompt(in, &out)
		for i, q := range reqs {
			v, ok, err := p(q)
			if err != nil || v != want[i].value || ok != want[i].ok {
				t.Errorf("%s: %s: got %q, %v, %v; want %q, %v", name, q.Key, v, ok, err, want[i].value, want[i].ok)
			}
		}
		if !strings.Contains(out.String(), `Value for Secret api key "extra" (optional, empty to skip): `) ||
			strings.Contains(out.String(), "typed value") || strings.Count(out.String(), "Value for") != len(reqs) {
			t.Errorf("%s: prompt output %q", name, out.String())
		}
	}
}

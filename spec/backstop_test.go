package spec

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/diag"
)

// suiteSpec is one spec of the test suite: where it comes from, for the
// failure message, and the name and bytes the loader is given.
type suiteSpec struct {
	from, name string
	src        []byte
}

// minSuiteSpecs is a little below the number of specs the walker sees in
// the suite (218 when this was written), so that a change that stops
// finding them (a moved folder, a renamed archive, a replay that no longer
// follows the scripts) fails the test instead of checking nothing.
const minSuiteSpecs = 205

// TestBackstopSilent loads every spec of the suite (the CLI scripts' specs,
// the examples, the starters) the way ydpgen validate does, and fails for
// each finding the walker's backstop wrote: a finding in CUE's words,
// which the walk should have explained in the spec's terms, at the value,
// with what is allowed.
func TestBackstopSilent(t *testing.T) {
	// Specs that cannot reach the walker at all, with the reason; each
	// must still be in the suite.
	skipped := map[string]string{
		"cmd/ydpgen/testdata/script/hostile_specs.txtar: big.cue": "its evaluation is endless by design: the deadline stops it before the walker runs, and would leave CUE computing in this process",
	}
	specs := suiteSpecs(t)
	s := mustNew(t)
	var spoke []diag.Finding
	s.backstopped = func(f diag.Finding) { spoke = append(spoke, f) }
	checked := 0
	seen := map[string]bool{}
	for _, sp := range specs {
		if why, ok := skipped[sp.from]; ok {
			seen[sp.from] = true
			t.Logf("%s: skipped: %s", sp.from, why)
			continue
		}
		// A spec that does not parse never reaches the walker.
		if err := s.Parse(sp.name, sp.src); err != nil {
			t.Logf("%s: skipped, the walker never sees it: %v", sp.from, strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		spoke = nil
		var findings diag.List
		if _, err := s.Load(sp.name, sp.src); err != nil && !errors.As(err, &findings) {
			t.Errorf("%s: the loader failed: %v", sp.from, err)
			continue
		}
		checked++
		for _, f := range spoke {
			t.Errorf("%s: the walker left this finding to its backstop: %s", sp.from, f.String())
		}
	}
	for from := range skipped {
		if !seen[from] {
			t.Errorf("%s is skipped but is no longer in the suite", from)
		}
	}
	t.Logf("%d specs checked", checked)
	if checked < minSuiteSpecs {
		t.Errorf("only %d specs checked, want at least %d: the suite's specs are no longer found", checked, minSuiteSpecs)
	}
}

// suiteSpecs gathers the specs of the suite: each script's specs as its
// archive holds them and as the script edits them, the examples and the
// starters.
func suiteSpecs(t *testing.T) []suiteSpec {
	t.Helper()
	var out []suiteSpec
	scripts, err := filepath.Glob("../cmd/ydpgen/testdata/script/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, script := range scripts {
		a, err := txtar.ParseFile(script)
		if err != nil {
			t.Fatal(err)
		}
		from := strings.TrimPrefix(script, "../")
		for _, f := range a.Files {
			if !isSpec(f.Name, f.Data) {
				continue
			}
			out = append(out, suiteSpec{from: from + ": " + f.Name, name: path.Base(f.Name), src: f.Data})
		}
		out = append(out, editedSpecs(t, from, a)...)
	}
	examples, err := filepath.Glob("../examples/*/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	starters, err := filepath.Glob("starters/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(examples, starters...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, suiteSpec{from: strings.TrimPrefix(p, "../"), name: filepath.Base(p), src: b})
	}
	return out
}

// isSpec tells a script's specs, good or bad, from the other YAML it
// holds: chart files and Kubernetes objects, which name an apiVersion of
// their own and are not a Platform.
func isSpec(name string, data []byte) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".yaml", ".yml", ".cue":
	default:
		return false
	}
	if path.Base(name) == "Chart.yaml" || strings.Contains("/"+name, "/templates/") {
		return false
	}
	if path.Ext(name) == ".cue" {
		return true
	}
	var head struct {
		APIVersion any `json:"apiVersion"`
		Kind       any `json:"kind"`
	}
	if yaml.Unmarshal(data, &head) != nil {
		return true // a spec with a syntax error
	}
	v, _ := head.APIVersion.(string)
	return head.APIVersion == nil || strings.HasPrefix(v, "ydpgen.dev/") || head.Kind == "Platform"
}

// editedSpecs replays a script's cp, mv and replace commands on its files
// and the examples, and returns each spec a replace writes: most of the
// CLI suite's bad specs are an example with one line changed. The replay
// stops at a cd; a command it cannot follow (a copy of a command's output)
// drops the file it writes.
func editedSpecs(t *testing.T, from string, a *txtar.Archive) []suiteSpec {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range a.Files {
		files[f.Name] = f.Data
	}
	read := func(name string) ([]byte, bool) {
		if rest, ok := strings.CutPrefix(name, "$EXAMPLES/"); ok {
			b, err := os.ReadFile(filepath.Join("..", "examples", filepath.FromSlash(rest)))
			return b, err == nil
		}
		b, ok := files[name]
		return b, ok
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace
	var out []suiteSpec
	for i, line := range strings.Split(string(a.Comment), "\n") {
		args := scriptWords(line)
		if len(args) == 0 {
			continue
		}
		switch args[0] {
		case "cd":
			return out
		case "cp", "mv":
			if len(args) != 3 {
				continue
			}
			b, ok := read(args[1])
			delete(files, args[2])
			if ok {
				files[args[2]] = b
			}
			if args[0] == "mv" {
				delete(files, args[1])
			}
		case "replace":
			if len(args) != 4 {
				continue
			}
			b, ok := files[args[1]]
			old := unescape(args[2])
			if !ok || !strings.Contains(string(b), old) {
				continue
			}
			b = []byte(strings.ReplaceAll(string(b), old, unescape(args[3])))
			files[args[1]] = b
			if isSpec(args[1], b) {
				out = append(out, suiteSpec{from: fmt.Sprintf("%s: %s as edited at line %d", from, args[1], i+1), name: path.Base(args[1]), src: b})
			}
		}
	}
	return out
}

// scriptWords splits a script line into words the way testscript does for
// these commands: a leading [condition] and ! are dropped, words are
// separated by spaces, and single quotes quote (a doubled quote inside is one
// quote). Variables other than $EXAMPLES are left as written.
func scriptWords(line string) []string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return nil
	}
	for strings.HasPrefix(line, "[") {
		end := strings.Index(line, "]")
		if end < 0 {
			return nil
		}
		line = strings.TrimSpace(line[end+1:])
	}
	line = strings.TrimSpace(strings.TrimPrefix(line, "!"))
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			if i+1 < len(line) && line[i+1] == '\'' {
				w.WriteByte('\'')
				i++
				continue
			}
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

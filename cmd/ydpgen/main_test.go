package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/yaml"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/internal/charttest"
	"github.com/ydpgen/ydpgen/internal/update"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ydpgen": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI suite in testdata/script: stdout, stderr and exit
// codes pinned per command. YDPGEN_UPDATE=1 rewrites the expected files in
// the scripts; read the diff before committing it.
func TestScripts(t *testing.T) {
	cacheHome, haveChart, why := scriptCache(t)
	// CHART_ARCHIVE is the locked archive in that cache, for scripts that
	// make a chart of their own from it.
	archive := filepath.Join(cacheHome, "ydpgen", "charts", strings.TrimPrefix(charttest.Locked(t).Digest, "sha256:")+".tgz")
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       update.Requested(),
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// replace FILE OLD NEW replaces every OLD in FILE by NEW (\n and \r
			// in either are a newline and a carriage return); OLD must occur, so that a script cannot
			// silently stop editing anything.
			"replace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 3 {
					ts.Fatalf("usage: replace FILE OLD NEW")
				}
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				unescape := strings.NewReplacer(`\n`, "\n", `\r`, "\r").Replace
				old, new := unescape(args[1]), unescape(args[2])
				if !strings.Contains(string(b), old) {
					ts.Fatalf("%s does not contain %q", args[0], old)
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.ReplaceAll(string(b), old, new)), 0o644))
			},
			// writebinary FILE writes a few bytes of machine code, NUL included.
			"writebinary": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: writebinary FILE")
				}
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte("\x7fELF\x02\x01\x01\x00\x00binary"), 0o644))
			},
			// agekeygen FILE writes a fresh age identity to FILE and sets
			// AGE_RECIPIENT to its public key: the scripts make their own
			// keys, so no private key is committed.
			"agekeygen": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: agekeygen FILE")
				}
				id, err := age.GenerateX25519Identity()
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(id.String()+"\n"), 0o600))
				ts.Setenv("AGE_RECIPIENT", id.Recipient().String())
			},
			// sopschanged OLD NEW [KEY...] fails unless exactly the named
			// keys of the two SOPS files' data and stringData differ in
			// their ciphertext.
			"sopschanged": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: sopschanged OLD NEW [KEY...]")
				}
				read := func(f string) map[string]string {
					var doc struct {
						Data       map[string]string `json:"data"`
						StringData map[string]string `json:"stringData"`
					}
					b, err := os.ReadFile(ts.MkAbs(f))
					ts.Check(err)
					ts.Check(yaml.Unmarshal(b, &doc))
					out := map[string]string{}
					maps.Copy(out, doc.Data)
					maps.Copy(out, doc.StringData)
					return out
				}
				a, b := read(args[0]), read(args[1])
				var changed []string
				for k := range maps.Keys(a) {
					if a[k] != b[k] {
						changed = append(changed, k)
					}
				}
				for k := range maps.Keys(b) {
					if _, ok := a[k]; !ok {
						changed = append(changed, k)
					}
				}
				slices.Sort(changed)
				want := slices.Sorted(slices.Values(args[2:]))
				if !slices.Equal(changed, want) {
					ts.Fatalf("changed entries %v, want %v", changed, want)
				}
			},
		},
		Setup: func(env *testscript.Env) error {
			// Examples are read from the repository, not copied per script.
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			env.Setenv("EXAMPLES", wd+"/../../examples")
			// The directory testscript put the ydpgen command in, so that a
			// script can run it with a PATH that holds nothing else.
			for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
				if fi, err := os.Stat(filepath.Join(dir, "ydpgen")); err == nil && !fi.IsDir() {
					env.Setenv("YDPGEN_BIN_DIR", dir)
					break
				}
			}
			// ydpgen finds the chart the examples lock in its cache, and
			// specs the scripts write find the examples' lock next to them.
			env.Setenv("XDG_CACHE_HOME", cacheHome)
			env.Setenv("CHART_MISSING", why)
			env.Setenv("CHART_ARCHIVE", archive)
			lock, err := os.ReadFile(filepath.Join(wd, "..", "..", "examples", "pi-lab", chart.LockFileName))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, chart.LockFileName), lock, 0o644)
		},
		// [chart]: the Airflow chart the examples lock is in the scripts'
		// cache; scripts that render skip in one line without it.
		Condition: func(cond string) (bool, error) {
			if cond == "chart" {
				return haveChart, nil
			}
			return false, nil
		},
	})
}

// scriptCache is the XDG_CACHE_HOME the scripts run with: the user's cache
// when its chart cache holds the chart the examples lock (the render cache
// there is then warm too), else a temporary one seeded with the chart.
func scriptCache(t *testing.T) (home string, ok bool, why string) {
	dir, ok, why := charttest.ChartCache(t)
	if !ok {
		return t.TempDir(), false, why
	}
	if user, err := chart.DefaultCacheDir(); err == nil && user == dir {
		return filepath.Dir(filepath.Dir(dir)), true, ""
	}
	home = t.TempDir()
	charts := filepath.Join(home, "ydpgen", "charts")
	if err := os.MkdirAll(charts, 0o755); err != nil {
		t.Fatal(err)
	}
	archives, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil || len(archives) == 0 {
		t.Fatalf("no archive in %s: %v", dir, err)
	}
	for _, a := range archives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(charts, filepath.Base(a)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home, true, ""
}

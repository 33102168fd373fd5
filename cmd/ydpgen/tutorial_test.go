package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

const tutorialPath = "../../docs/tutorial.md"

// TestTutorial runs every sh block of docs/tutorial.md, in order, as one
// shell script with ydpgen on the PATH, in an empty directory: the
// walk-through must work as written. A failing command stops it (set -e).
func TestTutorial(t *testing.T) {
	md, err := os.ReadFile(tutorialPath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := shellBlocks(string(md))
	if len(blocks) < 6 {
		t.Fatalf("docs/tutorial.md has %d sh blocks; the walk-through has more", len(blocks))
	}
	script := "set -eu\n" + strings.Join(blocks, "\n")
	dir := t.TempDir()
	txtar := `[!exec:git] skip 'git is not installed'
env HOME=$WORK
env GIT_AUTHOR_NAME=tutorial GIT_AUTHOR_EMAIL=tutorial@example.com GIT_COMMITTER_NAME=tutorial GIT_COMMITTER_EMAIL=tutorial@example.com
exec sh -x tutorial.sh
stdout 'platform my-platform is valid'
stdout 'FIELD:    spec.airflow.executor'
stdout 'deploy is up to date'
stdout 'example/airflow-datasurface:3.1.7-ds1.8.4 -> example/airflow-datasurface:3.1.7-ds1.8.5'

-- tutorial.sh --
` + script
	if err := os.WriteFile(filepath.Join(dir, "tutorial.txtar"), []byte(txtar), 0o644); err != nil {
		t.Fatal(err)
	}
	// The chart the starter's lock pins comes from the scripts' chart
	// cache, as a user's would after their first online render.
	cacheHome, haveChart, why := scriptCache(t)
	if !haveChart {
		t.Skip(why)
	}
	testscript.Run(t, testscript.Params{Dir: dir, RequireExplicitExec: true, Setup: func(env *testscript.Env) error {
		env.Setenv("XDG_CACHE_HOME", cacheHome)
		return nil
	}})
}

// shellBlocks returns the bodies of the ```sh fences of a Markdown text.
func shellBlocks(md string) []string {
	var out []string
	rest := md
	for {
		i := strings.Index(rest, "\n```sh\n")
		if i < 0 {
			return out
		}
		rest = rest[i+len("\n```sh\n"):]
		j := strings.Index(rest, "\n```")
		if j < 0 {
			return out
		}
		out = append(out, rest[:j+1])
		rest = rest[j+len("\n```"):]
	}
}

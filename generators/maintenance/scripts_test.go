package maintenance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The CronJobs' shell scripts run here against real files and repositories.

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestLogCleanupScriptRuns(t *testing.T) {
	logs := t.TempDir()
	old := time.Now().Add(-50 * time.Hour)
	recent := time.Now().Add(-40 * time.Hour)
	files := map[string]time.Time{
		"dag_id=a/run_id=1/task_id=t/attempt=1.log": old,
		"dag_id=a/run_id=2/task_id=t/attempt=1.log": recent,
		"scheduler/2026-01-01/a.py.log":             old,
	}
	for f, mtime := range files {
		p := filepath.Join(logs, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("log\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	run(t, logs, nil, "/bin/sh", "-c", LogCleanupScript(logs, 2))

	for f, mtime := range files {
		_, err := os.Stat(filepath.Join(logs, filepath.FromSlash(f)))
		kept := err == nil
		if want := mtime.Equal(recent); kept != want {
			t.Errorf("%s kept=%v, want %v", f, kept, want)
		}
	}
	// Emptied directories go; the logs directory itself stays.
	if _, err := os.Stat(filepath.Join(logs, "scheduler")); !os.IsNotExist(err) {
		t.Errorf("empty scheduler directory left behind: %v", err)
	}
	if _, err := os.Stat(logs); err != nil {
		t.Errorf("logs directory removed: %v", err)
	}
}

func TestGitCacheClearScriptRuns(t *testing.T) {
	cache := t.TempDir()
	for _, p := range []string{"acme_model_main/model-0000000001/.git/HEAD", "acme_model_main/modeltemp/eco.py", ".hidden/x"} {
		f := filepath.Join(cache, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := run(t, cache, nil, "/bin/sh", "-c", GitCacheClearScript(cache))
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatalf("the cache directory itself is gone: %v", err)
	}
	if len(entries) != 0 {
		t.Errorf("%d entries left: %v", len(entries), entries)
	}
	if !strings.Contains(out, "cleared") {
		t.Errorf("output %q", out)
	}
	// An empty cache is not an error.
	run(t, cache, nil, "/bin/sh", "-c", GitCacheClearScript(cache))
}

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

func TestGitRefreshScriptRuns(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	root := t.TempDir()
	home := t.TempDir()
	gitEnv := []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com"}
	origin := filepath.Join(root, "origin")
	cache := filepath.Join(root, "cache")
	run(t, root, gitEnv, "git", "init", "-q", "-b", "main", origin)
	run(t, origin, gitEnv, "git", "commit", "-q", "--allow-empty", "-m", "one")
	run(t, origin, gitEnv, "git", "tag", "v1.0.0-demo")
	// One clone on a branch, one at a release tag, as DataSurface leaves them.
	onBranch := filepath.Join(cache, "acme", "model")
	atTag := filepath.Join(cache, "acme", "model-release")
	run(t, root, gitEnv, "git", "clone", "-q", origin, onBranch)
	run(t, root, gitEnv, "git", "clone", "-q", origin, atTag)
	run(t, atTag, gitEnv, "git", "checkout", "-q", "v1.0.0-demo")

	run(t, origin, gitEnv, "git", "commit", "-q", "--allow-empty", "-m", "two")
	run(t, origin, gitEnv, "git", "tag", "v1.0.1-demo")
	head := strings.TrimSpace(run(t, origin, gitEnv, "git", "rev-parse", "HEAD"))

	out := run(t, root, append(gitEnv, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*"),
		"/bin/sh", "-c", gitRefreshScript(cache))
	if strings.Count(out, "refreshing ") != 2 {
		t.Errorf("refreshed %d clones, want 2:\n%s", strings.Count(out, "refreshing "), out)
	}
	if got := strings.TrimSpace(run(t, onBranch, gitEnv, "git", "rev-parse", "HEAD")); got != head {
		t.Errorf("clone on main is at %s, want %s", got, head)
	}
	if tags := run(t, atTag, gitEnv, "git", "tag"); !strings.Contains(tags, "v1.0.1-demo") {
		t.Errorf("tagged clone did not fetch the new tag: %q", tags)
	}

	empty := filepath.Join(root, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if out := run(t, root, gitEnv, "/bin/sh", "-c", gitRefreshScript(empty)); !strings.Contains(out, "no clone under") {
		t.Errorf("empty cache: %q", out)
	}
}

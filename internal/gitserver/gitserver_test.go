package gitserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"platform", true},
		{"ydpgen-deploy.v2_x", true},
		{"0repo", true},
		{"", false},
		{"-x", false},
		{".git", false},
		{"Upper", false},
		{"a/b", false},
		{"../escape", false},
		{"sp ace", false},
	} {
		if got := validName(tc.name); got != tc.ok {
			t.Errorf("validName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCloneAfterCommits clones over smart HTTP after each of two commits
// and checks the checkout is exactly the committed tree, including a file
// removed by the second commit.
func TestCloneAfterCommits(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	s := Start(t)
	if _, err := s.NewRepo("../x"); err == nil {
		t.Fatal("NewRepo accepted a name with a path in it")
	}
	r, err := s.NewRepo("platform")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewRepo("platform"); err == nil {
		t.Fatal("NewRepo created the same repository twice")
	}

	first, err := r.Commit(writeTree(t, map[string]string{
		"a.yaml":     "a: 1\n",
		"sub/b.yaml": "b: 1\n",
	}), "first")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	clone := filepath.Join(work, "clone")
	git(t, work, "clone", "--quiet", r.URL(), clone)
	if got := git(t, clone, "rev-parse", "HEAD"); got != first {
		t.Fatalf("clone HEAD = %s, want %s", got, first)
	}
	if got := git(t, clone, "rev-parse", "--abbrev-ref", "HEAD"); got != Branch {
		t.Fatalf("clone branch = %s, want %s", got, Branch)
	}
	if b, err := os.ReadFile(filepath.Join(clone, "sub", "b.yaml")); err != nil || string(b) != "b: 1\n" {
		t.Fatalf("sub/b.yaml = %q, %v", b, err)
	}

	second, err := r.Commit(writeTree(t, map[string]string{"a.yaml": "a: 2\n"}), "second")
	if err != nil {
		t.Fatal(err)
	}
	if head, err := r.Head(); err != nil || head != second {
		t.Fatalf("Head() = %s, %v; want %s", head, err, second)
	}
	git(t, clone, "pull", "--quiet", "--ff-only")
	if got := git(t, clone, "rev-parse", "HEAD~1"); got != first {
		t.Fatalf("parent of the second commit = %s, want %s", got, first)
	}
	if b, err := os.ReadFile(filepath.Join(clone, "a.yaml")); err != nil || string(b) != "a: 2\n" {
		t.Fatalf("a.yaml = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(clone, "sub", "b.yaml")); !os.IsNotExist(err) {
		t.Fatalf("sub/b.yaml still present after the commit that removed it (stat: %v)", err)
	}
	if got := git(t, clone, "ls-files"); got != "a.yaml" {
		t.Fatalf("files in the second commit: %q, want only a.yaml", got)
	}
}

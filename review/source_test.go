package review

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
)

func paths(t *overlays.Tree) []string {
	var out []string
	for _, f := range t.Files() {
		out = append(out, f.Path)
	}
	return out
}

func writeTree(t *testing.T, fs fsys.FS, dir string) {
	t.Helper()
	tr := &overlays.Tree{}
	for _, p := range []string{"base/kustomization.yaml", "overlays/prod/kustomization.yaml", "overlays/prod/airflow/values.yaml"} {
		if err := tr.Add(p, []byte("# "+p+"\n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := overlays.Write(fs, dir, tr); err != nil {
		t.Fatal(err)
	}
}

func TestFromDir(t *testing.T) {
	fs := fsys.NewMemory()
	writeTree(t, fs, "deploy")
	// A file the team keeps next to the tree, and an owned file deleted.
	if err := fs.WriteFile("deploy/notes.md", []byte("ours")); err != nil {
		t.Fatal(err)
	}
	if err := fs.Remove("deploy/base/kustomization.yaml"); err != nil {
		t.Fatal(err)
	}
	side, err := FromDir(fs, "deploy")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"overlays/prod/airflow/values.yaml", "overlays/prod/kustomization.yaml"}, paths(side.Tree)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	// No manifest: an empty tree, and a note that says why.
	side, err = FromDir(fs, "elsewhere")
	if err != nil || len(side.Tree.Files()) != 0 || !strings.Contains(side.Note, "no .ydpgen/manifest.json") {
		t.Errorf("side %+v, %v", side, err)
	}

	// A manifest that is not ydpgen's is the user's mistake.
	if err := fs.WriteFile("foreign/.ydpgen/manifest.json", []byte(`{"files": 3}`)); err != nil {
		t.Fatal(err)
	}
	_, err = FromDir(fs, "foreign")
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Errorf("error %v is not an InputError", err)
	}
}

func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, kv := range [][2]string{{"GIT_AUTHOR_NAME", "t"}, {"GIT_AUTHOR_EMAIL", "t@example.com"}, {"GIT_COMMITTER_NAME", "t"}, {"GIT_COMMITTER_EMAIL", "t@example.com"}} {
		t.Setenv(kv[0], kv[1])
	}
	run(t, dir, "init", "-q", "-b", "main")
	return dir
}

func run(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestFromRevision(t *testing.T) {
	repo := gitRepo(t)
	if err := os.WriteFile(filepath.Join(repo, "README"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, "add", "README")
	run(t, repo, "commit", "-q", "-m", "first")
	writeTree(t, fsys.OnDisk{}, filepath.Join(repo, "env", "deploy"))
	if err := os.WriteFile(filepath.Join(repo, "env", "deploy", "notes.md"), []byte("ours"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, "add", "env")
	run(t, repo, "commit", "-q", "-m", "tree")
	// Uncommitted edits do not count.
	if err := os.WriteFile(filepath.Join(repo, "env", "deploy", "base", "kustomization.yaml"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"base/kustomization.yaml", "overlays/prod/airflow/values.yaml", "overlays/prod/kustomization.yaml"}

	side, err := FromRevision(filepath.Join(repo, "env", "deploy"), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, paths(side.Tree)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if b, _ := side.Tree.Get("base/kustomization.yaml"); string(b) != "# base/kustomization.yaml\n" {
		t.Errorf("content %q", b)
	}

	// From a subdirectory, with a relative path; and a tree deleted from the
	// working tree is still read from the revision.
	t.Chdir(filepath.Join(repo, "env"))
	if err := os.RemoveAll(filepath.Join(repo, "env", "deploy")); err != nil {
		t.Fatal(err)
	}
	side, err = FromRevision("deploy", "main")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, paths(side.Tree)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	// Before the tree was committed: empty, with a note.
	side, err = FromRevision("deploy", "HEAD~1")
	if err != nil || len(side.Tree.Files()) != 0 || side.Note == "" {
		t.Errorf("side %+v, %v", side, err)
	}

	// The tree at the repository's root.
	t.Chdir(repo)
	side, err = FromRevision(".", "HEAD")
	if err != nil || len(side.Tree.Files()) != 0 {
		t.Errorf("root without a manifest: %+v, %v", side, err)
	}

	for _, c := range []struct{ dir, rev, msg string }{
		{"env/deploy", "no-such-branch", `revision "no-such-branch" does not exist in the git repository at `},
		{"env/deploy", "--output=/tmp/x", `"--output=/tmp/x" is not a git revision`},
		{"env/deploy", "", `"" is not a git revision`},
		{t.TempDir(), "HEAD", "is not inside a git repository"},
	} {
		_, err := FromRevision(c.dir, c.rev)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("FromRevision(%q, %q) = %v, want an input error with %q", c.dir, c.rev, err, c.msg)
		}
	}
}

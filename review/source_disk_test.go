package review

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/fsys"
	"github.com/ydpgen/ydpgen/overlays"
)

// renderTo writes files as a render would, with a manifest.
func renderTo(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	tr := &overlays.Tree{}
	for p, d := range files {
		if err := tr.Add(p, []byte(d)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := overlays.Write(fsys.OnDisk{}, dir, tr); err != nil {
		t.Fatal(err)
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.RemoveAll(name); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
}

var smallTree = map[string]string{
	"base/kustomization.yaml":           "resources:\n- cm.yaml\n",
	"base/cm.yaml":                      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
	"overlays/prod/kustomization.yaml":  "resources:\n- ../../base\n",
	"overlays/prod/airflow/values.yaml": "a: 1\n",
}

// wantRefused checks that err is an input error refusing rel for reason
// and that nothing of the secret was read.
func wantRefused(t *testing.T, side Side, err error, rel string, reason fsys.Reason) {
	t.Helper()
	var ie *InputError
	var ue *fsys.UnsafeError
	if !errors.As(err, &ie) || !errors.As(err, &ue) || ue.Path != rel || ue.Reason != reason {
		t.Fatalf("error %v, want %s refused (reason %d) as an input error", err, rel, reason)
	}
	for _, f := range side.Tree.Files() {
		if strings.Contains(string(f.Data), "SECRET") {
			t.Fatalf("the secret was read into %s", f.Path)
		}
	}
}

// TestFromDirNeverFollowsLinks is what render --check and diff --against
// read from a pull request's tree: links to a repository's .git/config,
// inside the tree or out of it, are refused, not printed.
func TestFromDirNeverFollowsLinks(t *testing.T) {
	for _, c := range []struct {
		name  string
		plant func(t *testing.T, repo, tree string)
		link  string
	}{
		{"owned file to .git/config", func(t *testing.T, repo, tree string) {
			link(t, "../../.git/config", filepath.Join(tree, "base/cm.yaml"))
		}, "base/cm.yaml"},
		{"overlay directory out of the tree", func(t *testing.T, repo, tree string) {
			os.MkdirAll(filepath.Join(repo, "elsewhere/airflow"), 0o755)
			os.WriteFile(filepath.Join(repo, "elsewhere/kustomization.yaml"), []byte("# SECRET\n"), 0o644)
			link(t, "../../elsewhere", filepath.Join(tree, "overlays/prod"))
		}, "overlays/prod"},
		{"directory inside the tree", func(t *testing.T, repo, tree string) {
			link(t, "..", filepath.Join(tree, "base"))
		}, "base"},
		{"the state directory", func(t *testing.T, repo, tree string) {
			os.MkdirAll(filepath.Join(repo, "fake"), 0o755)
			os.WriteFile(filepath.Join(repo, "fake/manifest.json"), []byte(`{"generator": "ydpgen", "files": [{"path": "a", "sha256": ""}]}`), 0o644)
			link(t, "../fake", filepath.Join(tree, ".ydpgen"))
		}, ".ydpgen"},
	} {
		t.Run(c.name, func(t *testing.T) {
			repo := t.TempDir()
			if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(repo, ".git/config"), []byte("[http]\n\textraheader = AUTHORIZATION: basic SECRET\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tree := filepath.Join(repo, "deploy")
			renderTo(t, tree, smallTree)
			c.plant(t, repo, tree)
			side, err := FromDir(fsys.OnDisk{}, tree)
			wantRefused(t, side, err, c.link, fsys.Link)
			if !strings.Contains(err.Error(), "remove "+c.link+" from ") {
				t.Errorf("message %q does not say what to remove", err)
			}
		})
	}
}

func TestFromDirRefusesForeignManifestEntries(t *testing.T) {
	tree := t.TempDir()
	renderTo(t, tree, smallTree)
	for _, p := range []string{".git/config", "../x", "/etc/passwd"} {
		if err := os.WriteFile(filepath.Join(tree, ".ydpgen/manifest.json"), []byte(`{"generator": "ydpgen", "files": [{"path": "`+p+`", "sha256": ""}]}`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := FromDir(fsys.OnDisk{}, tree)
		var ie *InputError
		var me *overlays.ManifestError
		if !errors.As(err, &ie) || !errors.As(err, &me) {
			t.Errorf("a manifest listing %q: %v", p, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tree, ".ydpgen/manifest.json"), []byte(`{"generator": "ydpgen", "files": [{"path": "base", "sha256": ""}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := FromDir(fsys.OnDisk{}, tree)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "lists base, which is a directory") {
		t.Errorf("a manifest listing a directory: %v", err)
	}
}

func TestFromDirRefusesLargeFiles(t *testing.T) {
	tree := t.TempDir()
	renderTo(t, tree, smallTree)
	if err := os.Truncate(filepath.Join(tree, "overlays/prod/airflow/values.yaml"), fsys.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	side, err := FromDir(fsys.OnDisk{}, tree)
	wantRefused(t, side, err, "overlays/prod/airflow/values.yaml", fsys.TooLarge)
}

func TestFromDirReportsInterruptedRender(t *testing.T) {
	tree := t.TempDir()
	renderTo(t, tree, smallTree)
	if err := os.MkdirAll(filepath.Join(tree, ".ydpgen/txn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tree, filepath.FromSlash(overlays.PendingPath)), []byte(`{"replace": [], "create": [], "prune": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := FromDir(fsys.OnDisk{}, tree)
	var ie *InputError
	var pe *overlays.PendingError
	if !errors.As(err, &ie) || !errors.As(err, &pe) || !strings.Contains(err.Error(), "run ydpgen render") {
		t.Errorf("error %v, want the interrupted render reported", err)
	}
}

// remoteRefs are kustomization entries that make kustomize clone or
// download; localRefs are names it reads from the tree.
var (
	remoteRefs = []string{
		"resources:\n- https://github.com/org/repo//base?ref=v1\n",
		"resources:\n- github.com/org/repo/base?ref=main\n",
		"resources:\n- git@github.com:org/repo.git//base\n",
		"resources:\n- ssh://git@example.com/org/repo.git\n",
		"resources:\n- file:///srv/repo.git//base\n",
		"resources:\n- git::https://example.com/org/repo\n",
		"resources:\n- ../../base?ref=v1\n",
		"components:\n- https://example.com/org/repo//component\n",
		"bases:\n- github.com/org/repo\n",
		"patches:\n- path: http://example.com/patch.yaml\n",
		"configMapGenerator:\n- name: x\n  files:\n  - values.yaml=https://example.com/values.yaml\n",
		"Resources:\n- https://example.com/x.yaml\n",
		"resources: [../../base]\nnotAField:\n- https://example.com/x.yaml\n",
	}
	localRefs = []string{
		"resources:\n- ../../base\n",
		"resources:\n- ../../base\npatches:\n- path: patches/x.yaml\n- patch: |\n    metadata:\n      annotations:\n        docs: https://example.com/\n",
	}
)

// TestFromDirRefusesRemoteBases: comparing trees builds their overlays,
// and building must never fetch what a pull request names.
func TestFromDirRefusesRemoteBases(t *testing.T) {
	for _, k := range remoteRefs {
		tree := t.TempDir()
		files := map[string]string{"overlays/prod/kustomization.yaml": k, "base/kustomization.yaml": "resources: []\n"}
		renderTo(t, tree, files)
		side, err := FromDir(fsys.OnDisk{}, tree)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "which kustomize would fetch") {
			t.Errorf("kustomization %q: %v, want it refused", k, err)
		}
		// Compare refuses such a side too, whoever made it.
		side.Tree = &overlays.Tree{}
		if err := side.Tree.Add("overlays/prod/kustomization.yaml", []byte(k)); err != nil {
			t.Fatal(err)
		}
		if _, err := Compare(side, Side{Label: "new", Tree: &overlays.Tree{}}); !errors.As(err, &ie) {
			t.Errorf("Compare with kustomization %q: %v, want it refused", k, err)
		}
	}
	for _, k := range localRefs {
		tree := t.TempDir()
		renderTo(t, tree, map[string]string{"overlays/prod/kustomization.yaml": k})
		if _, err := FromDir(fsys.OnDisk{}, tree); err != nil {
			t.Errorf("kustomization %q: %v", k, err)
		}
	}
}

// TestFromRevisionRefusesUnsafeEntries commits what FromDir refuses on
// disk: a link, a remote base and an interrupted render.
func TestFromRevisionRefusesUnsafeEntries(t *testing.T) {
	repo := gitRepo(t)
	tree := filepath.Join(repo, "deploy")
	renderTo(t, tree, smallTree)
	link(t, "../../.git/config", filepath.Join(tree, "base/cm.yaml"))
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "link")
	side, err := FromRevision(tree, "HEAD")
	wantRefused(t, side, err, "base/cm.yaml", fsys.Link)

	renderTo(t, filepath.Join(repo, "deploy2"), map[string]string{"overlays/prod/kustomization.yaml": remoteRefs[0]})
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "remote")
	_, err = FromRevision(filepath.Join(repo, "deploy2"), "HEAD")
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "which kustomize would fetch") {
		t.Errorf("remote base at a revision: %v", err)
	}

	renderTo(t, filepath.Join(repo, "deploy3"), smallTree)
	if err := os.MkdirAll(filepath.Join(repo, "deploy3/.ydpgen/txn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "deploy3", filepath.FromSlash(overlays.PendingPath)), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, "add", "-A")
	run(t, repo, "commit", "-q", "-m", "interrupted")
	_, err = FromRevision(filepath.Join(repo, "deploy3"), "HEAD")
	var pe *overlays.PendingError
	if !errors.As(err, &ie) || !errors.As(err, &pe) {
		t.Errorf("interrupted render at a revision: %v", err)
	}
}

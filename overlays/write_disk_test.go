package overlays

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/fsys"
)

// diskFiles reads every regular file below dir, without following links.
func diskFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantUnsafe checks that err refuses the path rel of the tree for reason.
func wantUnsafe(t *testing.T, err error, rel string, reason fsys.Reason) {
	t.Helper()
	var ue *fsys.UnsafeError
	if !errors.As(err, &ue) {
		t.Fatalf("error %v, want the tree path %s refused", err, rel)
	}
	if ue.Path != rel || ue.Reason != reason {
		t.Fatalf("refused %q for reason %d, want %q for %d: %v", ue.Path, ue.Reason, rel, reason, err)
	}
	if rel != "" && !strings.Contains(err.Error(), "remove "+rel+" from ") {
		t.Errorf("the message does not say what to remove: %v", err)
	}
}

// TestWriteNeverGoesThroughLinks puts a symbolic link where the writer
// reads, writes or prunes, in a real directory, and checks that it refuses
// to go on and that nothing outside the tree (or elsewhere in it) changed.
func TestWriteNeverGoesThroughLinks(t *testing.T) {
	for _, c := range []struct {
		name string
		// plant changes the rendered old tree in out; victim is a
		// directory outside it holding a copy of the old tree.
		plant func(t *testing.T, out, victim string)
		link  string
	}{
		{"overlay directory", func(t *testing.T, out, victim string) {
			os.RemoveAll(filepath.Join(out, "overlays/dev"))
			symlink(t, filepath.Join(victim, "overlays/dev"), filepath.Join(out, "overlays/dev"))
		}, "overlays/dev"},
		{"directory link inside the tree", func(t *testing.T, out, victim string) {
			symlink(t, "../base", filepath.Join(out, "overlays/prod"))
		}, "overlays/prod"},
		{"state directory", func(t *testing.T, out, victim string) {
			os.RemoveAll(filepath.Join(out, ".ydpgen"))
			symlink(t, filepath.Join(victim, ".ydpgen"), filepath.Join(out, ".ydpgen"))
		}, ".ydpgen"},
		{"owned file", func(t *testing.T, out, victim string) {
			os.Remove(filepath.Join(out, "base/a.yaml"))
			symlink(t, filepath.Join(victim, "base/a.yaml"), filepath.Join(out, "base/a.yaml"))
		}, "base/a.yaml"},
		{"directory of a pruned file", func(t *testing.T, out, victim string) {
			os.RemoveAll(filepath.Join(out, "overlays/old"))
			symlink(t, filepath.Join(victim, "overlays/old"), filepath.Join(out, "overlays/old"))
		}, "overlays/old"},
		{"pruned file", func(t *testing.T, out, victim string) {
			os.Remove(filepath.Join(out, "base/gone.yaml"))
			symlink(t, filepath.Join(victim, "base/gone.yaml"), filepath.Join(out, "base/gone.yaml"))
		}, "base/gone.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, victim := filepath.Join(t.TempDir(), "out"), filepath.Join(t.TempDir(), "victim")
			for _, d := range []string{out, victim} {
				if _, err := Write(fsys.OnDisk{}, d, tree(t, oldFiles)); err != nil {
					t.Fatal(err)
				}
			}
			wantVictim := diskFiles(t, victim)
			c.plant(t, out, victim)
			wantOut := diskFiles(t, out)

			_, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
			wantUnsafe(t, err, c.link, fsys.Link)
			if d := cmp.Diff(wantVictim, diskFiles(t, victim)); d != "" {
				t.Errorf("the write reached outside the tree (-before +after):\n%s", d)
			}
			if d := cmp.Diff(wantOut, diskFiles(t, out)); d != "" {
				t.Errorf("the refused write changed the tree (-before +after):\n%s", d)
			}
			if fi, err := os.Lstat(filepath.Join(out, filepath.FromSlash(c.link))); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
				t.Errorf("the link itself was moved or removed: %v", err)
			}
		})
	}
}

func TestWriteRefusesLinkedOutputDirectory(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if _, err := Write(fsys.OnDisk{}, real, tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	symlink(t, real, filepath.Join(dir, "deploy"))
	t.Chdir(dir)
	_, err := Write(fsys.OnDisk{}, "deploy", tree(t, newFiles))
	wantUnsafe(t, err, "", fsys.Link)
	if !strings.HasPrefix(err.Error(), "deploy is a symbolic link") {
		t.Errorf("message %q does not start with the link", err)
	}
	// Nor through a linked directory on the way to it.
	_, err = Write(fsys.OnDisk{}, "deploy/overlays", tree(t, newFiles))
	wantUnsafe(t, err, "", fsys.Link)
}

// TestPruneOnlyWhatYdpgenWrote checks that prune deletes a file only while
// it holds the content the manifest recorded, and keeps and reports the
// others.
func TestPruneOnlyWhatYdpgenWrote(t *testing.T) {
	out := t.TempDir()
	if _, err := Write(fsys.OnDisk{}, out, tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(out, "base/gone.yaml"), "edited by hand")
	rep, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"overlays/old/only-here.yaml"}, rep.Pruned); d != "" {
		t.Errorf("pruned (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]KeptFile{{"base/gone.yaml", "it changed since ydpgen wrote it"}}, rep.Kept); d != "" {
		t.Errorf("kept (-want +got):\n%s", d)
	}
	want := maps.Clone(newFiles)
	want["base/gone.yaml"] = "edited by hand"
	got := diskFiles(t, out)
	delete(got, ManifestPath)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("tree (-want +got):\n%s", d)
	}
	if _, err := os.Stat(filepath.Join(out, "overlays/old")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the emptied directory is left: %v", err)
	}
	// The kept file is no longer ydpgen's: the next render leaves it alone.
	rep, err = Write(fsys.OnDisk{}, out, tree(t, oldFiles))
	var conflict *ConflictError
	if !errors.As(err, &conflict) || !strings.HasSuffix(conflict.Path, filepath.FromSlash("base/gone.yaml")) {
		t.Errorf("rendering the file again: %v, want a conflict", err)
	}
}

// TestPruneWithOldManifest reads a manifest of an old version, without
// hashes: nothing it lists is pruned, and each such file is reported.
func TestPruneWithOldManifest(t *testing.T) {
	out := t.TempDir()
	if _, err := Write(fsys.OnDisk{}, out, tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"generator": "ydpgen", "files": [`)
	for i, p := range []string{"base/a.yaml", "base/gone.yaml", "base/kustomization.yaml", "overlays/dev/x.yaml", "overlays/old/only-here.yaml"} {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"path": "` + p + `"}`)
	}
	b.WriteString("]}\n")
	writeFile(t, filepath.Join(out, ManifestPath), b.String())
	rep, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Pruned) != 0 {
		t.Errorf("pruned %v with a manifest that records no hashes", rep.Pruned)
	}
	var kept []string
	for _, k := range rep.Kept {
		kept = append(kept, k.Path)
	}
	if d := cmp.Diff([]string{"base/gone.yaml", "overlays/old/only-here.yaml"}, kept); d != "" {
		t.Errorf("kept (-want +got):\n%s", d)
	}
	got := diskFiles(t, out)
	if got["base/gone.yaml"] != oldFiles["base/gone.yaml"] || got["overlays/old/only-here.yaml"] == "" {
		t.Errorf("a file without a recorded hash was removed")
	}
	// The new manifest records a hash for every file.
	m, err := ReadManifest(fsys.OnDisk{}, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		if len(f.SHA256) != 64 {
			t.Errorf("%s has no hash in the new manifest", f.Path)
		}
	}
}

// TestManifestRefusesForeignPaths checks entries that no render writes.
func TestManifestRefusesForeignPaths(t *testing.T) {
	for _, p := range []string{"/etc/passwd", "../outside.yaml", "base/../../x", ".git/config", "sub/.git/hooks/pre-commit", ".GIT/config", ".ydpgen/lock", ".ydpgen/txn/plan.json", `base\a.yaml`, "base//a.yaml"} {
		out := t.TempDir()
		writeFile(t, filepath.Join(out, ManifestPath), `{"generator": "ydpgen", "files": [{"path": "`+strings.ReplaceAll(p, `\`, `\\`)+`", "sha256": ""}]}`)
		_, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
		var me *ManifestError
		if !errors.As(err, &me) {
			t.Errorf("manifest listing %q: %v, want a manifest error", p, err)
		}
	}
	// Twice the same path.
	out := t.TempDir()
	writeFile(t, filepath.Join(out, ManifestPath), `{"generator": "ydpgen", "files": [{"path": "a", "sha256": ""}, {"path": "a", "sha256": ""}]}`)
	var me *ManifestError
	if _, err := Write(fsys.OnDisk{}, out, tree(t, newFiles)); !errors.As(err, &me) {
		t.Errorf("a path listed twice: %v", err)
	}

	// A listed path that is a directory is never pruned.
	out = t.TempDir()
	if _, err := Write(fsys.OnDisk{}, out, tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(out, "base/gone.yaml"))
	writeFile(t, filepath.Join(out, "base/gone.yaml/inside.yaml"), "someone's")
	_, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "base/gone.yaml, which is a directory") {
		t.Errorf("pruning a directory: %v", err)
	}
	if got := diskFiles(t, out)["base/gone.yaml/inside.yaml"]; got != "someone's" {
		t.Errorf("the directory's file is gone")
	}
}

// TestWriteRefusesLargeFiles checks that an owned file larger than
// MaxFileSize is not read whole.
func TestWriteRefusesLargeFiles(t *testing.T) {
	out := t.TempDir()
	if _, err := Write(fsys.OnDisk{}, out, tree(t, oldFiles)); err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk space needed.
	if err := os.Truncate(filepath.Join(out, "base/kustomization.yaml"), fsys.MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	_, err := Write(fsys.OnDisk{}, out, tree(t, newFiles))
	wantUnsafe(t, err, "base/kustomization.yaml", fsys.TooLarge)
}

package charttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/chart"
	"github.com/ydpgen/ydpgen/hydrate"
	"github.com/ydpgen/ydpgen/internal/toolcache"
)

// ChartsDirEnv names a directory holding airflow-1.19.0.tgz, for machines
// where it is not at ../shared/charts from the repository.
const ChartsDirEnv = "YDPGEN_CHARTS_DIR"

// airflowArchive is the file name of the chart archive the examples lock.
const airflowArchive = "airflow-1.19.0.tgz"

// ChartCache is a chart cache directory (as chart.Resolver.CacheDir) that
// holds the Airflow chart the examples' ydpgen.lock pins: the user's
// ~/.cache/ydpgen/charts when it has it (make chart seeds it), else a
// temporary directory seeded from the shared archive. ok is false, with
// why in one line, when neither has it.
func ChartCache(tb testing.TB) (dir string, ok bool, why string) {
	tb.Helper()
	entry := Locked(tb)
	hexDigest := strings.TrimPrefix(entry.Digest, "sha256:")
	if user, err := chart.DefaultCacheDir(); err == nil {
		if _, err := os.Stat(filepath.Join(user, hexDigest+".tgz")); err == nil {
			return user, true, ""
		}
	}
	var dirs []string
	if d := os.Getenv(ChartsDirEnv); d != "" {
		dirs = append(dirs, d)
	}
	root := moduleRoot(tb)
	dirs = append(dirs, filepath.Join(root, "..", "shared", "charts"))
	if main := mainWorktree(root); main != "" {
		dirs = append(dirs, filepath.Join(main, "..", "shared", "charts"))
	}
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, airflowArchive))
		if err != nil {
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != hexDigest {
			tb.Fatalf("%s has digest sha256:%s, but the examples' %s pins %s", filepath.Join(d, airflowArchive), got, chart.LockFileName, entry)
		}
		tmp := tb.TempDir()
		if err := os.WriteFile(filepath.Join(tmp, hexDigest+".tgz"), data, 0o644); err != nil {
			tb.Fatal(err)
		}
		return tmp, true, ""
	}
	return "", false, fmt.Sprintf("the Airflow chart %s %s (%s) is neither in ~/.cache/ydpgen/charts nor in %s: run make chart (hack/chart.sh --seed), or set %s",
		entry.Name, entry.Version, entry.Digest, strings.Join(dirs, ", "), ChartsDirEnv)
}

// Charts is the chart source the examples render with in tests: their
// ydpgen.lock, the chart from ChartCache, offline, with the user's render
// cache. It skips the test in one line when the chart is nowhere.
func Charts(tb testing.TB) *hydrate.Charts {
	tb.Helper()
	dir, ok, why := ChartCache(tb)
	if !ok {
		tb.Skip(why)
	}
	lock, err := chart.ReadLock(filepath.Join(moduleRoot(tb), "examples", "pi-lab", chart.LockFileName))
	if err != nil {
		tb.Fatal(err)
	}
	// A render cache that cannot be located only makes tests slower.
	rc, _ := chart.DefaultRenderCacheDir()
	return &hydrate.Charts{
		Resolver:       &chart.Resolver{CacheDir: dir, Offline: true, BaseDir: filepath.Join(moduleRoot(tb), "examples", "pi-lab")},
		Lock:           lock,
		RenderCacheDir: rc,
	}
}

// Locked is the Airflow chart entry every example's lock holds; the
// examples must agree.
func Locked(tb testing.TB) chart.LockEntry {
	tb.Helper()
	root := moduleRoot(tb)
	paths, err := filepath.Glob(filepath.Join(root, "examples", "*", chart.LockFileName))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no %s under examples/: %v", chart.LockFileName, err)
	}
	var first chart.LockEntry
	for i, p := range paths {
		l, err := chart.ReadLock(p)
		if err != nil {
			tb.Fatal(err)
		}
		e, ok := l.Find("airflow", "https://airflow.apache.org")
		if !ok {
			tb.Fatalf("%s has no entry for the Airflow chart", p)
		}
		if i > 0 && e != first {
			tb.Fatalf("%s pins %s, %s pins %s: the examples must lock the same chart", p, e, paths[0], first)
		}
		first = e
	}
	return first
}

func moduleRoot(tb testing.TB) string {
	tb.Helper()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return root
}

// mainWorktree reads a linked worktree's .git file ("gitdir:
// <main>/.git/worktrees/<name>") and returns <main>, or "" when root is not
// a linked worktree.
func mainWorktree(root string) string {
	data, err := os.ReadFile(filepath.Join(root, ".git"))
	if err != nil {
		return ""
	}
	gitdir, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
	if !ok {
		return ""
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(gitdir)))
}

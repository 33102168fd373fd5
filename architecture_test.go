// The repository's own checks: ARCHITECTURE.md's package table must match
// the folders, one row per Go package and one package (or folder) per row.
package ydpgen_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tableRow is a row of ARCHITECTURE.md's package table: "| `name` | ... |".
var tableRow = regexp.MustCompile("^\\| `([^`]+)` \\|")

func TestArchitectureTableMatchesFolders(t *testing.T) {
	doc, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tableRows(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := packageDirs(".")
	if err != nil {
		t.Fatal(err)
	}
	missing, extra := compareTable(rows, pkgs, func(dir string) bool {
		fi, err := os.Stat(dir)
		return err == nil && fi.IsDir()
	})
	for _, p := range missing {
		t.Errorf("ARCHITECTURE.md has no row for the package %s", p)
	}
	for _, r := range extra {
		t.Errorf("ARCHITECTURE.md has a row for %s, which is no folder", r)
	}
}

// tableRows returns the first cell of every row of the package table, as
// folder paths (a trailing / dropped).
func tableRows(doc string) ([]string, error) {
	var out []string
	for _, line := range strings.Split(doc, "\n") {
		if m := tableRow.FindStringSubmatch(line); m != nil {
			out = append(out, strings.TrimSuffix(m[1], "/"))
		}
	}
	if len(out) == 0 {
		return nil, fs.ErrNotExist
	}
	return out, nil
}

// packageDirs lists the folders below root that hold Go files, in slash
// form; root itself (this test) and testdata are not packages of the tool.
func packageDirs(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		if dir != "." && !slices.Contains(out, dir) {
			out = append(out, dir)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// compareTable returns the packages without a row and the rows that name
// neither a package nor an existing folder.
func compareTable(rows, pkgs []string, isDir func(string) bool) (missing, extra []string) {
	for _, p := range pkgs {
		if !slices.Contains(rows, p) {
			missing = append(missing, p)
		}
	}
	for _, r := range rows {
		if !slices.Contains(pkgs, r) && !isDir(r) {
			extra = append(extra, r)
		}
	}
	return missing, extra
}

func TestCompareTable(t *testing.T) {
	dirs := map[string]bool{"examples": true}
	missing, extra := compareTable(
		[]string{"spec", "examples", "gone"},
		[]string{"spec", "internal/new"},
		func(d string) bool { return dirs[d] })
	if !slices.Equal(missing, []string{"internal/new"}) || !slices.Equal(extra, []string{"gone"}) {
		t.Errorf("missing %v, extra %v; want [internal/new] and [gone]", missing, extra)
	}
	rows, err := tableRows("| package | job |\n| --- | --- |\n| `spec` | x |\n| `testdata/crds/` | y |\nnot a row\n")
	if err != nil || !slices.Equal(rows, []string{"spec", "testdata/crds"}) {
		t.Errorf("rows %v (%v)", rows, err)
	}
}

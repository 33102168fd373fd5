package main

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ydpgen/ydpgen/render"
)

// drySource reads, with git, the commit the spec file was read from, for
// hydrator.metadata. It needs no clock: the commit, its subject and the
// remote are what the repository holds. Not in git (or no git): nothing.
// With uncommitted changes to the spec or its lock file, the commit does
// not describe the input, so drySha and subject are left out. They are left
// out too when the tree is written into the spec's own repository: the
// commit that holds the tree is then the one it comes from, which no file
// in it can name (naming HEAD would change the tree at every commit, and
// render --check would never be clean).
func drySource(specFile, outDir string) *render.DrySource {
	if specFile == "-" {
		return nil
	}
	dir := filepath.Dir(specFile)
	run := func(args ...string) (string, bool) {
		cmd := exec.Command("git", append([]string{"-C", dir, "--no-pager"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0")
		var out bytes.Buffer
		cmd.Stdout = &out
		if cmd.Run() != nil {
			return "", false
		}
		return strings.TrimSpace(out.String()), true
	}
	sha, ok := run("rev-parse", "--verify", "HEAD")
	if !ok {
		return nil
	}
	ds := &render.DrySource{}
	if u, ok := run("config", "--get", "remote.origin.url"); ok {
		ds.RepoURL = withoutUserinfo(u)
	}
	if top, ok := run("rev-parse", "--show-toplevel"); ok && inside(outDir, top) {
		return ds
	}
	base := filepath.Base(specFile)
	status, ok := run("status", "--porcelain", "--", base, "ydpgen.lock")
	if ok && status == "" {
		ds.DrySHA = sha
		ds.Subject, _ = run("log", "-1", "--format=%s", "HEAD")
	}
	return ds
}

// inside reports whether directory dir (which need not exist yet) lies in
// the work tree at top.
func inside(dir, top string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	// The nearest existing parent resolves links as git resolved top.
	rest := ""
	for {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = filepath.Join(real, rest)
			break
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			break
		}
		rest = filepath.Join(filepath.Base(abs), rest)
		abs = parent
	}
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	rel, err := filepath.Rel(top, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// withoutUserinfo drops a user and password from a URL: the file is
// committed, and a remote URL may carry a token.
func withoutUserinfo(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil || p.Scheme == "" {
		return u
	}
	p.User = nil
	return p.String()
}

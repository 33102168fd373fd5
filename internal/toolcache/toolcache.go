// Package toolcache finds the servers the end-to-end tests run
// (kube-apiserver and etcd, Flux's controllers). They are built from the Go
// module proxy by the scripts under hack/, which cache them per machine and
// print KEY=path lines; a directory of prebuilt binaries named by an
// environment variable skips the script. Both test harnesses share this so
// that they find, build and report their tools the same way.
package toolcache

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Tool is one program: the KEY its build script prints and its file name
// in a prebuilt directory.
type Tool struct {
	Key  string
	File string
}

// Find returns the absolute path of every tool, keyed by Tool.Key: from the
// directory in the environment variable dirEnv when it is set, else by
// running script (relative to the module root), whose progress goes to
// stderr.
func Find(dirEnv, script string, tools []Tool) (map[string]string, error) {
	if dir := os.Getenv(dirEnv); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, t := range tools {
			p := filepath.Join(abs, t.File)
			if err := checkExecutable(p); err != nil {
				return nil, fmt.Errorf("%s=%s: %w", dirEnv, dir, err)
			}
			out[t.Key] = p
		}
		return out, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, script)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("locating the build script: %w (or set %s)", err, dirEnv)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", path)
	cmd.Dir = root
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	cmd.SysProcAttr = scriptAttrs()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s failed: %w\n%s", script, err, LastLines(stderr.String(), 40))
	}
	printed := map[string]string{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			printed[key] = val
		}
	}
	out := map[string]string{}
	for _, t := range tools {
		p := printed[t.Key]
		if p == "" {
			return nil, fmt.Errorf("%s did not print a %s= line; stdout was:\n%s", script, t.Key, stdout.String())
		}
		if err := checkExecutable(p); err != nil {
			return nil, err
		}
		out[t.Key] = p
	}
	return out, nil
}

func checkExecutable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// ModuleRoot walks up from the working directory (the package directory
// under go test) to the first directory that holds a go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}

// LastLines returns at most n trailing lines of s.
func LastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

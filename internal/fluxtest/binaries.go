package fluxtest

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
	"syscall"
)

// BinDirEnv names the environment variable that, when set, points at a
// directory holding prebuilt source-controller and kustomize-controller
// binaries; build.sh is then not run.
const BinDirEnv = "YDPGEN_FLUX_BIN_DIR"

// binaries are the absolute paths of the two controllers.
type binaries struct {
	source    string
	kustomize string
}

// findBinaries returns the controllers from BinDirEnv or from
// hack/flux/build.sh. The script takes about a second when its cache is
// warm and serialises concurrent builds itself, so it is simply run on
// every Start.
func findBinaries(root string) (binaries, error) {
	if dir := os.Getenv(BinDirEnv); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return binaries{}, err
		}
		b := binaries{
			source:    filepath.Join(abs, "source-controller"),
			kustomize: filepath.Join(abs, "kustomize-controller"),
		}
		for _, p := range []string{b.source, b.kustomize} {
			if err := checkExecutable(p); err != nil {
				return binaries{}, fmt.Errorf("%s=%s: %w", BinDirEnv, dir, err)
			}
		}
		return b, nil
	}
	return buildBinaries(root)
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

// moduleRoot walks up from the working directory (the package directory
// under go test) to the first directory that holds a go.mod.
func moduleRoot() (string, error) {
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

// buildBinaries runs hack/flux/build.sh, streaming its progress to stderr,
// and parses the KEY=path lines it prints on stdout.
func buildBinaries(root string) (binaries, error) {
	script := filepath.Join(root, "hack", "flux", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return binaries{}, fmt.Errorf("locating the build script: %w (or set %s)", err, BinDirEnv)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	// If the test binary dies, let the script's own trap clean up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Run(); err != nil {
		return binaries{}, fmt.Errorf("%s failed: %w\n%s", script, err, lastLines(stderr.String(), 40))
	}
	var b binaries
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		switch key {
		case "SOURCE_CONTROLLER":
			b.source = val
		case "KUSTOMIZE_CONTROLLER":
			b.kustomize = val
		}
	}
	if b.source == "" || b.kustomize == "" {
		return binaries{}, fmt.Errorf("%s did not print SOURCE_CONTROLLER= and KUSTOMIZE_CONTROLLER= lines; stdout was:\n%s", script, stdout.String())
	}
	for _, p := range []string{b.source, b.kustomize} {
		if err := checkExecutable(p); err != nil {
			return binaries{}, err
		}
	}
	return b, nil
}

// lastLines returns at most n trailing lines of s.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

package kubetest

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
	"sync"
	"syscall"
)

// BinDirEnv names the environment variable that, when set, points at a
// directory holding prebuilt kube-apiserver and etcd binaries; build.sh is
// then not run.
const BinDirEnv = "YDPGEN_KUBE_BIN_DIR"

// binaries are the absolute paths of the two programs the harness runs.
type binaries struct {
	apiserver string
	etcd      string
}

var (
	binMu     sync.Mutex
	binCached *binaries
)

// findBinaries returns the binaries, running hack/kube/build.sh at most once
// per test process (the script itself serialises across processes).
func findBinaries() (binaries, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if binCached != nil {
		return *binCached, nil
	}
	var (
		b   binaries
		err error
	)
	if dir := os.Getenv(BinDirEnv); dir != "" {
		b, err = binariesIn(dir)
	} else {
		b, err = buildBinaries()
	}
	if err != nil {
		return binaries{}, err
	}
	binCached = &b
	return b, nil
}

func binariesIn(dir string) (binaries, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return binaries{}, err
	}
	b := binaries{
		apiserver: filepath.Join(abs, "kube-apiserver"),
		etcd:      filepath.Join(abs, "etcd"),
	}
	for _, p := range []string{b.apiserver, b.etcd} {
		if err := checkExecutable(p); err != nil {
			return binaries{}, fmt.Errorf("%s=%s: %w", BinDirEnv, dir, err)
		}
	}
	return b, nil
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

// buildBinaries runs hack/kube/build.sh, streaming its progress to stderr,
// and parses the KEY=path lines it prints on stdout.
func buildBinaries() (binaries, error) {
	root, err := moduleRoot()
	if err != nil {
		return binaries{}, err
	}
	script := filepath.Join(root, "hack", "kube", "build.sh")
	if _, err := os.Stat(script); err != nil {
		return binaries{}, fmt.Errorf("locating the build script: %w (or set %s)", err, BinDirEnv)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Dir = root
	cmd.Stdin = nil // /dev/null
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
		case "KUBE_APISERVER":
			b.apiserver = val
		case "ETCD":
			b.etcd = val
		}
	}
	if b.apiserver == "" || b.etcd == "" {
		return binaries{}, fmt.Errorf("%s did not print KUBE_APISERVER= and ETCD= lines; stdout was:\n%s", script, stdout.String())
	}
	for _, p := range []string{b.apiserver, b.etcd} {
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

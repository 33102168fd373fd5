package fluxtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/internal/toolcache"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// RuntimeNamespace is the namespace the controllers consider their own
// (RUNTIME_NAMESPACE); Start creates it.
const RuntimeNamespace = "flux-system"

const (
	readyTimeout = 90 * time.Second // the machine is shared; the controllers need ~3 s alone
	stopTimeout  = 15 * time.Second
	pollInterval = 250 * time.Millisecond
	logTailLines = 80
)

// Controllers are a running source-controller and kustomize-controller.
type Controllers struct {
	runDir string
	// StorageURL is where source-controller serves artifacts,
	// http://127.0.0.1:<port>.
	StorageURL string
	procs      []*process
}

// Start installs the CRDs, creates RuntimeNamespace, starts both controllers
// against kube and waits until both answer /readyz. On any failure it logs
// the tail of the controllers' logs and calls t.Fatal. t.Cleanup stops the
// processes; when the test failed it first logs the tail of their logs.
func Start(t testing.TB, kube *kubetest.Server) *Controllers {
	t.Helper()
	ctx := context.Background()
	root, err := toolcache.ModuleRoot()
	if err != nil {
		t.Fatalf("fluxtest: %v", err)
	}
	bins, err := findBinaries()
	if err != nil {
		t.Fatalf("fluxtest: getting the Flux controllers: %v", err)
	}
	for _, dir := range []string{
		filepath.Join(root, "testdata", "crds"),
		filepath.Join(root, "testdata", "crds", "flux"),
	} {
		if err := kube.InstallCRDs(ctx, dir); err != nil {
			t.Fatalf("fluxtest: installing CRDs from %s: %v", dir, err)
		}
	}
	ns := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": RuntimeNamespace},
	}}
	if _, err := kube.Apply(ctx, []*unstructured.Unstructured{ns}, kubetest.ApplyOptions{}); err != nil {
		t.Fatalf("fluxtest: creating namespace %s: %v", RuntimeNamespace, err)
	}

	// t.TempDir registers its removal first, so it runs after the process
	// cleanups registered below (cleanups run last-in, first-out).
	c := &Controllers{runDir: t.TempDir()}
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t)
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		c.logTails(t)
		c.procs = nil // already logged
		t.Fatalf("fluxtest: "+format, args...)
	}

	ports, err := freePorts(5)
	if err != nil {
		t.Fatalf("fluxtest: picking free ports: %v", err)
	}
	loop := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	srcMetrics, srcHealth, storage, ksMetrics, ksHealth := ports[0], ports[1], ports[2], ports[3], ports[4]
	c.StorageURL = "http://" + loop(storage)

	env := controllerEnv(kube.KubeconfigPath())
	common := []string{
		"--enable-leader-election=false",
		"--watch-all-namespaces=true",
		"--log-encoding=console",
	}
	storageDir := filepath.Join(c.runDir, "storage")
	if err := os.MkdirAll(storageDir, 0o755); err != nil {
		t.Fatalf("fluxtest: %v", err)
	}
	src, err := c.start(t, "source-controller", bins.source, env, append(common,
		"--metrics-addr="+loop(srcMetrics),
		"--health-addr="+loop(srcHealth),
		"--storage-path="+storageDir,
		"--storage-addr="+loop(storage),
		// Artifact URLs name this address; the default is the host name.
		"--storage-adv-addr="+loop(storage),
	)...)
	if err != nil {
		fail("starting source-controller: %v", err)
	}
	ks, err := c.start(t, "kustomize-controller", bins.kustomize, env, append(common,
		"--metrics-addr="+loop(ksMetrics),
		"--health-addr="+loop(ksHealth),
		// Check a waiting stage's dependencies every second, not every 30.
		"--requeue-dependency=1s",
		"--no-remote-bases=true",
	)...)
	if err != nil {
		fail("starting kustomize-controller: %v", err)
	}
	for _, w := range []struct {
		p      *process
		health int
	}{{src, srcHealth}, {ks, ksHealth}} {
		url := "http://" + loop(w.health) + "/readyz"
		if err := waitFor(readyTimeout, w.p, func() error { return probe(url) }); err != nil {
			fail("%s did not become ready at %s within %s: %v", w.p.name, url, readyTimeout, err)
		}
	}
	t.Logf("fluxtest: source-controller (pid %d) and kustomize-controller (pid %d) ready; artifacts at %s; logs in %s",
		src.cmd.Process.Pid, ks.cmd.Process.Pid, c.StorageURL, c.runDir)
	return c
}

// controllerEnv is the test's environment without anything that would
// point the controllers elsewhere, plus the kubeconfig (the controllers have
// no flag for it) and the runtime namespace.
func controllerEnv(kubeconfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "KUBECONFIG", "RUNTIME_NAMESPACE", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "METRICS_ADDR", "EVENTS_ADDR":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "KUBECONFIG="+kubeconfig, "RUNTIME_NAMESPACE="+RuntimeNamespace)
}

// RunDir holds the controllers' logs and source-controller's storage; it is
// removed when the test ends.
func (c *Controllers) RunDir() string { return c.runDir }

// PIDs returns the process IDs of the controllers, by name.
func (c *Controllers) PIDs() map[string]int {
	out := map[string]int{}
	for _, p := range c.procs {
		out[p.name] = p.cmd.Process.Pid
	}
	return out
}

// LogPath returns the log file of a controller ("source-controller" or
// "kustomize-controller"), or "" if there is none.
func (c *Controllers) LogPath(name string) string {
	for _, p := range c.procs {
		if p.name == name {
			return p.logPath
		}
	}
	return ""
}

// PeakRSS reports the peak resident memory of each controller so far, in
// bytes (from /proc; zero where it cannot be read), by process name.
func (c *Controllers) PeakRSS() map[string]int64 {
	out := map[string]int64{}
	for _, p := range c.procs {
		out[p.name] = peakRSS(p.cmd.Process.Pid)
	}
	return out
}

func (c *Controllers) logTails(t testing.TB) {
	for _, p := range c.procs {
		t.Logf("fluxtest: last lines of %s:\n%s", p.logPath, tailFile(p.logPath, logTailLines))
	}
}

// process is one controller process started by Start.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// start runs bin with args and env, its output going to <runDir>/<name>.log,
// and registers a t.Cleanup that stops it by PID.
func (c *Controllers) start(t testing.TB, name, bin string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(c.runDir, name+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = c.runDir
	// Should the test binary itself be killed (for example by an
	// interrupt), take the controller with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	fmt.Fprintf(logFile, "# %s %s\n", bin, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	t.Cleanup(func() { p.stop(t) })
	return p, nil
}

// stop ends the process by PID: SIGTERM, then SIGKILL if it has not exited
// after stopTimeout. It logs the peak memory the process used.
func (p *process) stop(t testing.TB) {
	if done, _ := p.exited(); done {
		return
	}
	pid := p.cmd.Process.Pid
	if rss := peakRSS(pid); rss > 0 {
		t.Logf("fluxtest: stopping %s (pid %d), peak RSS %d MiB", p.name, pid, rss>>20)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("fluxtest: SIGTERM %s (pid %d): %v", p.name, pid, err)
	}
	select {
	case <-p.done:
		return
	case <-time.After(stopTimeout):
	}
	t.Logf("fluxtest: %s (pid %d) still running %s after SIGTERM; sending SIGKILL", p.name, pid, stopTimeout)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("fluxtest: SIGKILL %s (pid %d): %v", p.name, pid, err)
	}
	<-p.done
}

// peakRSS reads VmHWM of a process from /proc, in bytes; 0 if unavailable.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 2 && f[1] == "kB" {
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err == nil {
				return n << 10
			}
		}
	}
	return 0
}

// waitFor polls check until it returns nil, the process exits, or timeout.
func waitFor(timeout time.Duration, p *process, check func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited early (%v); last check error: %v", p.name, err, last)
		}
		if last = check(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return last
		}
		time.Sleep(pollInterval)
	}
}

func probe(url string) error {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1. The
// listeners are held until all are picked so the ports differ.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tailFile returns the last n lines of a file, or a note why it cannot.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	return toolcache.LastLines(string(b), n)
}

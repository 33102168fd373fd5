package fluxtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
	"github.com/ydpgen/ydpgen/internal/proc"
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

	ports, err := proc.FreePorts(5)
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
			fail("%s did not become ready at %s within %s: %v", w.p.Name, url, readyTimeout, err)
		}
	}
	t.Logf("fluxtest: source-controller (pid %d) and kustomize-controller (pid %d) ready; artifacts at %s; logs in %s",
		src.PID(), ks.PID(), c.StorageURL, c.runDir)
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
		out[p.Name] = p.PID()
	}
	return out
}

// LogPath returns the log file of a controller ("source-controller" or
// "kustomize-controller"), or "" if there is none.
func (c *Controllers) LogPath(name string) string {
	for _, p := range c.procs {
		if p.Name == name {
			return p.LogPath
		}
	}
	return ""
}

// PeakRSS reports the peak resident memory of each controller so far, in
// bytes (from /proc; zero where it cannot be read), by process name.
func (c *Controllers) PeakRSS() map[string]int64 {
	out := map[string]int64{}
	for _, p := range c.procs {
		out[p.Name] = peakRSS(p.PID())
	}
	return out
}

func (c *Controllers) logTails(t testing.TB) {
	for _, p := range c.procs {
		t.Logf("fluxtest: last lines of %s:\n%s", p.LogPath, proc.TailFile(p.LogPath, logTailLines))
	}
}

// process is one controller process started by Start.
type process = proc.Process

// start runs bin with args and env, its output going to <runDir>/<name>.log,
// and registers a t.Cleanup that stops it by PID.
func (c *Controllers) start(t testing.TB, name, bin string, env []string, args ...string) (*process, error) {
	p, err := proc.Start(name, bin, filepath.Join(c.runDir, name+".log"), proc.Options{Env: env, Dir: c.runDir}, args...)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, p)
	t.Cleanup(func() {
		if done, _ := p.Exited(); !done {
			if rss := peakRSS(p.PID()); rss > 0 {
				t.Logf("fluxtest: stopping %s (pid %d), peak RSS %d MiB", p.Name, p.PID(), rss>>20)
			}
		}
		p.Stop(t.Logf, "fluxtest", stopTimeout)
	})
	return p, nil
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

func waitFor(timeout time.Duration, p *process, check func() error) error {
	return proc.WaitFor(timeout, pollInterval, p, check)
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

package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ydpgen/ydpgen/internal/proc"
)

const (
	// AdminUser is the user the harness authenticates as; it is in the
	// system:masters group, so RBAC allows it everything.
	AdminUser = "kubetest-admin"

	readyTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	pollInterval = 250 * time.Millisecond
	logTailLines = 60
)

// Server is a running kube-apiserver with its etcd, both started by Launch
// (or Start) and stopped by Stop.
type Server struct {
	logf       func(format string, args ...any)
	runDir     string
	kubeconfig string
	cacheDir   string
	cfg        *rest.Config
	warnings   *warningRecorder

	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper

	stopOnce sync.Once
	stopErr  error
	procs    []*process // in start order; stopped in reverse
}

// Start launches a server for one test (see Launch) and registers a
// t.Cleanup that stops it, which also runs when the test fails or panics.
// It calls t.Fatal if the server cannot be started. When the test has
// failed, the cleanup logs the tail of both process logs first.
//
// Under -short (make unit) it skips the test instead: the fast suites
// start no API server, whichever package the test is in.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: this test needs a kube-apiserver (make test runs it)")
	}
	s, err := Launch(t.Logf)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubetest: %s", s.LogTails())
		}
		if err := s.Stop(); err != nil {
			t.Errorf("kubetest: %v", err)
		}
	})
	return s
}

// Launch builds (or reuses) the binaries, starts etcd and kube-apiserver on
// free 127.0.0.1 ports in a fresh run directory, waits until /readyz
// answers ok, and writes a kubeconfig. logf (may be nil) receives progress
// lines. The caller must call Stop; a SIGINT, SIGTERM, SIGHUP or SIGPIPE
// (output nobody reads any more) to the test process also stops every
// running server before the process dies, and should the test process be
// killed outright (SIGKILL, or the panic of go test's -timeout), the kernel
// kills the children (Pdeathsig), leaving only the run directory behind.
// Launch does not need a testing.TB, so one server can serve a whole
// package from TestMain.
func Launch(logf func(format string, args ...any)) (_ *Server, err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("getting kube-apiserver and etcd: %w", err)
	}
	runDir, err := os.MkdirTemp("", "ydpgen-kubetest-")
	if err != nil {
		return nil, err
	}
	s := &Server{logf: logf, runDir: runDir, warnings: &warningRecorder{}}
	track(s)
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, s.LogTails())
			if stopErr := s.Stop(); stopErr != nil {
				err = errors.Join(err, stopErr)
			}
		}
	}()

	ports, err := proc.FreePorts(3)
	if err != nil {
		return nil, fmt.Errorf("picking free ports: %w", err)
	}
	etcdClientPort, etcdPeerPort, apiPort := ports[0], ports[1], ports[2]

	// etcd.
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeerPort)
	etcd, err := s.startProcess("etcd", bins.etcd, filepath.Join(runDir, "etcd.log"),
		"--name=kubetest",
		"--data-dir="+filepath.Join(runDir, "etcd-data"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubetest="+peerURL,
		"--initial-cluster-state=new",
		// Test data is thrown away; skipping fsync keeps the tests quick.
		"--unsafe-no-fsync=true",
	)
	if err != nil {
		return nil, fmt.Errorf("starting etcd: %w", err)
	}
	if err := waitFor(readyTimeout, etcd, func() error { return etcdHealthy(etcdURL) }); err != nil {
		return nil, fmt.Errorf("etcd did not become healthy: %w", err)
	}

	// Credentials: a static admin token and a service-account key pair.
	token, err := randomHex(32)
	if err != nil {
		return nil, err
	}
	tokenFile := filepath.Join(runDir, "tokens.csv")
	tokenLine := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", token, AdminUser, AdminUser)
	if err := os.WriteFile(tokenFile, []byte(tokenLine), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub, err := writeServiceAccountKeys(runDir)
	if err != nil {
		return nil, fmt.Errorf("service-account keys: %w", err)
	}

	// kube-apiserver.
	certDir := filepath.Join(runDir, "certs")
	apiserver, err := s.startProcess("kube-apiserver", bins.apiserver, filepath.Join(runDir, "kube-apiserver.log"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+certDir,
		"--token-auth-file="+tokenFile,
		"--anonymous-auth=false",
		"--authorization-mode=RBAC",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--endpoint-reconciler-type=none",
		// As on kubeadm, k3s and managed clusters: privileged containers
		// are a matter for Pod Security admission, not refused outright.
		"--allow-privileged=true",
		"--profiling=false",
	)
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver: %w", err)
	}

	host := "https://127.0.0.1:" + strconv.Itoa(apiPort)
	certFile := filepath.Join(certDir, "apiserver.crt")
	var cfg *rest.Config
	err = waitFor(readyTimeout, apiserver, func() error {
		if cfg == nil {
			// The server writes its self-signed serving certificate (with
			// the CA that signed it) before it starts serving; that file is
			// the CA bundle clients trust.
			ca, err := os.ReadFile(certFile)
			if err != nil {
				return err
			}
			cfg = &rest.Config{
				Host:            host,
				BearerToken:     token,
				TLSClientConfig: rest.TLSClientConfig{CAData: ca},
				QPS:             100,
				Burst:           200,
				UserAgent:       "ydpgen-kubetest",
				WarningHandler:  s.warnings,
			}
		}
		return apiserverReady(cfg)
	})
	if err != nil {
		return nil, fmt.Errorf("kube-apiserver did not become ready at %s/readyz within %s: %w", host, readyTimeout, err)
	}
	s.cfg = cfg

	s.kubeconfig = filepath.Join(runDir, "kubeconfig")
	if err := writeKubeconfig(s.kubeconfig, cfg); err != nil {
		return nil, fmt.Errorf("writing kubeconfig: %w", err)
	}
	// kubectl keeps its discovery and HTTP caches here instead of in
	// ~/.kube/cache, where a server of the same address from an earlier
	// run could have left stale discovery.
	s.cacheDir = filepath.Join(runDir, "kube-cache")
	if err := os.MkdirAll(s.cacheDir, 0o755); err != nil {
		return nil, err
	}

	dc, err := discovery.NewDiscoveryClientForConfig(s.Config())
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	s.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	s.dyn, err = dynamic.NewForConfig(s.Config())
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	logf("kubetest: kube-apiserver ready at %s (kubeconfig %s; etcd pid %d, kube-apiserver pid %d)",
		host, s.kubeconfig, etcd.PID(), apiserver.PID())
	return s, nil
}

// Stop stops exactly the processes this server started, by PID and in
// reverse order of start (kube-apiserver, then etcd): SIGTERM, then SIGKILL
// after a grace period. Then it removes the run directory. It may be called
// more than once; later calls return the first call's result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		untrack(s)
		for i := len(s.procs) - 1; i >= 0; i-- {
			s.procs[i].Stop(s.logf, "kubetest", stopTimeout)
		}
		if err := os.RemoveAll(s.runDir); err != nil {
			s.stopErr = fmt.Errorf("removing run directory: %w", err)
		}
	})
	return s.stopErr
}

// LogTails returns the last lines of each process log, for failure reports.
func (s *Server) LogTails() string {
	var b strings.Builder
	for _, p := range s.procs {
		fmt.Fprintf(&b, "last lines of %s:\n%s\n", p.LogPath, proc.TailFile(p.LogPath, logTailLines))
	}
	return b.String()
}

// Env returns the environment variables that point kubectl at this server:
// KUBECONFIG at the admin kubeconfig and KUBECACHEDIR at a cache directory
// inside the run directory.
func (s *Server) Env() []string {
	return []string{"KUBECONFIG=" + s.kubeconfig, "KUBECACHEDIR=" + s.cacheDir}
}

// live holds the servers that are running, so that a signal stops them all
// before the process dies.
var live struct {
	sync.Mutex
	servers  map[*Server]bool
	watching bool
}

func track(s *Server) {
	live.Lock()
	defer live.Unlock()
	if live.servers == nil {
		live.servers = map[*Server]bool{}
	}
	live.servers[s] = true
	if !live.watching {
		live.watching = true
		ch := make(chan os.Signal, 1)
		// SIGPIPE too: when whoever reads the test output goes away (go
		// test piped into head), the next write would end the process
		// without a cleanup.
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
		go stopOnSignal(ch)
	}
}

func untrack(s *Server) {
	live.Lock()
	defer live.Unlock()
	delete(live.servers, s)
}

// stopOnSignal waits for an interrupt, stops every live server, then lets
// the signal do what it would have done without the handler: end the
// process.
func stopOnSignal(ch chan os.Signal) {
	sig := <-ch
	fmt.Fprintf(os.Stderr, "kubetest: %v: stopping kube-apiserver and etcd\n", sig)
	live.Lock()
	var servers []*Server
	for s := range live.servers {
		servers = append(servers, s)
	}
	live.Unlock()
	for _, s := range servers {
		_ = s.Stop()
	}
	signal.Reset(sig)
	reraise(sig)
	os.Exit(1)
}

// Config returns a copy of the client configuration for the admin user. Its
// WarningHandler records every warning the server returns; see Warnings.
func (s *Server) Config() *rest.Config { return rest.CopyConfig(s.cfg) }

// KubeconfigPath returns the path of a kubeconfig file for the admin user.
// It verifies the server with its own self-signed certificate.
func (s *Server) KubeconfigPath() string { return s.kubeconfig }

// RunDir returns the directory holding the process logs, certificates,
// kubeconfig, kubectl cache and etcd data of this server. Stop removes it.
func (s *Server) RunDir() string { return s.runDir }

// Dynamic returns a dynamic client for the admin user. Warnings it receives
// are recorded in Warnings.
func (s *Server) Dynamic() dynamic.Interface { return s.dyn }

// RESTMapper returns the discovery-backed RESTMapper the helpers use.
func (s *Server) RESTMapper() meta.RESTMapper { return s.mapper }

// ResetRESTMapper drops cached discovery so that newly added kinds (for
// example from CRDs applied through Apply) can be found. InstallCRDs does
// this itself.
func (s *Server) ResetRESTMapper() { s.mapper.Reset() }

// Warnings returns every warning any client made from Config, Dynamic or the
// helpers has received from this server so far.
func (s *Server) Warnings() []string { return s.warnings.all() }

// warningRecorder is a rest.WarningHandler that keeps the warnings it sees
// and hands them on to a parent recorder, if any.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
	parent   *warningRecorder
}

func (w *warningRecorder) HandleWarningHeader(code int, agent, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	w.warnings = append(w.warnings, text)
	w.mu.Unlock()
	if w.parent != nil {
		w.parent.HandleWarningHeader(code, agent, text)
	}
}

func (w *warningRecorder) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.warnings...)
}

// startProcess starts bin with args, its output going to logPath, and
// records it for Stop.
func (s *Server) startProcess(name, bin, logPath string, args ...string) (*process, error) {
	p, err := proc.Start(name, bin, logPath, proc.Options{Dir: filepath.Dir(logPath), OwnGroup: true}, args...)
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p)
	return p, nil
}

// process is one child process started by the harness.
type process = proc.Process

func waitFor(timeout time.Duration, p *process, check func() error) error {
	return proc.WaitFor(timeout, pollInterval, p, check)
}

var probeClient = &http.Client{Timeout: 5 * time.Second}

func etcdHealthy(url string) error {
	resp, err := probeClient.Get(url + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"health":"true"`) {
		return fmt.Errorf("etcd /health: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func apiserverReady(cfg *rest.Config) error {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	hc.Timeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func randomHex(nBytes int) (string, error) {
	b := make([]byte, nBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writeServiceAccountKeys generates an RSA key pair for signing
// service-account tokens and writes it as PEM files.
func writeServiceAccountKeys(dir string) (keyPath, pubPath string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	keyPath = filepath.Join(dir, "sa.key")
	pubPath = filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644); err != nil {
		return "", "", err
	}
	return keyPath, pubPath, nil
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kubetest"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.TLSClientConfig.CAData,
	}
	kc.AuthInfos[AdminUser] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: AdminUser, Namespace: "default"}
	kc.CurrentContext = "kubetest"
	return clientcmd.WriteToFile(*kc, path)
}

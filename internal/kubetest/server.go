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
	"net"
	"net/http"
	"os"
	"os/exec"
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

// Server is a running kube-apiserver with its etcd, both started by Start
// and stopped by the t.Cleanup that Start registers.
type Server struct {
	t          testing.TB
	runDir     string
	kubeconfig string
	cfg        *rest.Config
	warnings   *warningRecorder

	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// Start builds (or reuses) the binaries, starts etcd and kube-apiserver on
// free 127.0.0.1 ports, waits until /readyz answers ok, and writes a
// kubeconfig. It calls t.Fatal if any of that fails, after logging the tail
// of the process logs. The processes are stopped in t.Cleanup, which also
// runs when the test fails or panics.
func Start(t testing.TB) *Server {
	t.Helper()
	bins, err := findBinaries()
	if err != nil {
		t.Fatalf("kubetest: getting kube-apiserver and etcd: %v", err)
	}

	// t.TempDir registers its removal first, so it runs after the process
	// cleanups registered below (cleanups run last-in, first-out).
	runDir := t.TempDir()
	s := &Server{t: t, runDir: runDir, warnings: &warningRecorder{}}

	var procs []*process
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range procs {
				t.Logf("kubetest: last lines of %s:\n%s", p.logPath, tailFile(p.logPath, logTailLines))
			}
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		for _, p := range procs {
			t.Logf("kubetest: last lines of %s:\n%s", p.logPath, tailFile(p.logPath, logTailLines))
		}
		procs = nil // already logged
		t.Fatalf("kubetest: "+format, args...)
	}

	ports, err := freePorts(3)
	if err != nil {
		t.Fatalf("kubetest: picking free ports: %v", err)
	}
	etcdClientPort, etcdPeerPort, apiPort := ports[0], ports[1], ports[2]

	// etcd.
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(etcdClientPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeerPort)
	etcd, err := startProcess(t, "etcd", bins.etcd, filepath.Join(runDir, "etcd.log"),
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
		fail("starting etcd: %v", err)
	}
	procs = append(procs, etcd)
	if err := waitFor(readyTimeout, etcd, func() error { return etcdHealthy(etcdURL) }); err != nil {
		fail("etcd did not become healthy: %v", err)
	}

	// Credentials: a static admin token and a service-account key pair.
	token, err := randomHex(32)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	tokenFile := filepath.Join(runDir, "tokens.csv")
	tokenLine := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", token, AdminUser, AdminUser)
	if err := os.WriteFile(tokenFile, []byte(tokenLine), 0o600); err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	saKey, saPub, err := writeServiceAccountKeys(runDir)
	if err != nil {
		t.Fatalf("kubetest: service-account keys: %v", err)
	}

	// kube-apiserver.
	certDir := filepath.Join(runDir, "certs")
	apiserver, err := startProcess(t, "kube-apiserver", bins.apiserver, filepath.Join(runDir, "kube-apiserver.log"),
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
		"--profiling=false",
	)
	if err != nil {
		fail("starting kube-apiserver: %v", err)
	}
	procs = append(procs, apiserver)

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
		fail("kube-apiserver did not become ready at %s/readyz within %s: %v", host, readyTimeout, err)
	}
	s.cfg = cfg

	s.kubeconfig = filepath.Join(runDir, "kubeconfig")
	if err := writeKubeconfig(s.kubeconfig, cfg); err != nil {
		t.Fatalf("kubetest: writing kubeconfig: %v", err)
	}

	dc, err := discovery.NewDiscoveryClientForConfig(s.Config())
	if err != nil {
		t.Fatalf("kubetest: discovery client: %v", err)
	}
	s.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	s.dyn, err = dynamic.NewForConfig(s.Config())
	if err != nil {
		t.Fatalf("kubetest: dynamic client: %v", err)
	}
	t.Logf("kubetest: kube-apiserver ready at %s (kubeconfig %s)", host, s.kubeconfig)
	return s
}

// Config returns a copy of the client configuration for the admin user. Its
// WarningHandler records every warning the server returns; see Warnings.
func (s *Server) Config() *rest.Config { return rest.CopyConfig(s.cfg) }

// KubeconfigPath returns the path of a kubeconfig file for the admin user.
// It verifies the server with its own self-signed certificate.
func (s *Server) KubeconfigPath() string { return s.kubeconfig }

// RunDir returns the directory holding the process logs, certificates and
// etcd data of this server. It is removed when the test ends.
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

// process is one child process started by the harness.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	waitErr error
}

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// startProcess starts bin with args, its output going to logPath, and
// registers a t.Cleanup that stops it by PID: SIGTERM, then SIGKILL if it
// has not exited after stopTimeout.
func startProcess(t testing.TB, name, bin, logPath string, args ...string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = nil
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = filepath.Dir(logPath)
	// Should the test binary itself be killed, take the child with it.
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
	t.Cleanup(func() { p.stop(t) })
	return p, nil
}

func (p *process) stop(t testing.TB) {
	if done, _ := p.exited(); done {
		return
	}
	pid := p.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("kubetest: SIGTERM %s (pid %d): %v", p.name, pid, err)
	}
	select {
	case <-p.done:
		return
	case <-time.After(stopTimeout):
	}
	t.Logf("kubetest: %s (pid %d) still running %s after SIGTERM; sending SIGKILL", p.name, pid, stopTimeout)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Logf("kubetest: SIGKILL %s (pid %d): %v", p.name, pid, err)
	}
	<-p.done
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

// tailFile returns the last n lines of a file, or a note why it cannot.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	return lastLines(string(b), n)
}

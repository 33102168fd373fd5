package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ydpgen/ydpgen/internal/kubetest"
)

// shared is the one API server of this package: starting it (and
// installing the CRDs) is most of the suite's time, so every test uses the
// same one, each example in namespaces of its own. It starts on first use,
// so that `go test -short` and -run filters that select nothing here do not
// pay for it, and TestMain stops it.
var shared struct {
	once       sync.Once
	srv        *kubetest.Server
	err        error
	started    time.Duration
	crdsLoaded time.Duration
}

// crdDir holds the CRDs of every custom kind ydpgen emits.
var crdDir = filepath.Join("..", "testdata", "crds")

func stderrf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// server returns the package's API server with the CRDs installed, starting
// it the first time.
func server(t *testing.T) *kubetest.Server {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the end-to-end suite needs a kube-apiserver")
	}
	shared.once.Do(func() {
		begin := time.Now()
		srv, err := kubetest.Launch(stderrf)
		if err != nil {
			shared.err = err
			return
		}
		shared.srv = srv
		shared.started = time.Since(begin)
		begin = time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := srv.InstallCRDs(ctx, crdDir); err != nil {
			shared.err = fmt.Errorf("installing the CRDs of %s: %w", crdDir, err)
			return
		}
		shared.crdsLoaded = time.Since(begin)
		t.Logf("API server up in %s (binaries, etcd, kube-apiserver to /readyz), CRDs installed in %s",
			shared.started.Round(time.Millisecond), shared.crdsLoaded.Round(time.Millisecond))
	})
	if shared.err != nil {
		t.Fatalf("kubetest: %v", shared.err)
	}
	return shared.srv
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		if code != 0 {
			stderrf("kubetest: %s", shared.srv.LogTails())
		}
		if err := shared.srv.Stop(); err != nil {
			stderrf("kubetest: %v", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

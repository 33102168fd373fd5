package kubetest

import (
	"sync"

	"github.com/ydpgen/ydpgen/internal/toolcache"
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
	found, err := toolcache.Find(BinDirEnv, "hack/kube/build.sh",
		[]toolcache.Tool{{Key: "KUBE_APISERVER", File: "kube-apiserver"}, {Key: "ETCD", File: "etcd"}})
	if err != nil {
		return binaries{}, err
	}
	b := binaries{apiserver: found["KUBE_APISERVER"], etcd: found["ETCD"]}
	binCached = &b
	return b, nil
}

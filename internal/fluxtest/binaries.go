package fluxtest

import "github.com/ydpgen/ydpgen/internal/toolcache"

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
func findBinaries() (binaries, error) {
	found, err := toolcache.Find(BinDirEnv, "hack/flux/build.sh",
		[]toolcache.Tool{{Key: "SOURCE_CONTROLLER", File: "source-controller"}, {Key: "KUSTOMIZE_CONTROLLER", File: "kustomize-controller"}})
	if err != nil {
		return binaries{}, err
	}
	return binaries{source: found["SOURCE_CONTROLLER"], kustomize: found["KUSTOMIZE_CONTROLLER"]}, nil
}

// Package fluxtest runs Flux's source-controller and kustomize-controller
// as local processes against an internal/kubetest API server, for use from
// Go tests only.
//
// Why it exists: ydpgen's Flux output (a GitRepository and one Kustomization
// per stage, ordered by dependsOn) is only proven when Flux itself fetches
// the committed tree and applies every stage in that order. Schema checks
// and a plain apply cannot show how the controllers order stages, wait on
// health checks, recreate forced Jobs or prune removed objects.
//
// The binaries come from hack/flux/build.sh, which builds both controllers
// from source through the Go module proxy (about ten minutes the first time
// on a two-core machine) and caches them under
// ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/flux/. Setting YDPGEN_FLUX_BIN_DIR
// to a directory holding source-controller and kustomize-controller skips
// the script.
//
// Start installs the CRDs the controllers watch (testdata/crds and
// testdata/crds/flux), creates the runtime namespace, and starts both
// controllers with every listener on 127.0.0.1 and a free port: the
// defaults bind all interfaces and clash between concurrent tests. The
// t.Cleanup it registers stops exactly the processes it started, by PID.
// No helm-controller, kubelet or kube-controller-manager runs: Jobs never
// complete and HelmReleases never become Ready unless the test says so
// (see MarkJobComplete and MarkReady), and finished Jobs never expire
// unless the test runs the TTL-after-finished controller's stand-in
// (ExpireJobs).
package fluxtest

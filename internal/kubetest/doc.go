// Package kubetest starts a real kube-apiserver backed by a real etcd on the
// loopback interface, for use from Go tests only.
//
// Why it exists: ydpgen emits Kubernetes manifests, including custom
// resources of Flux, External Secrets and Argo CD. Schema checks done in
// process cannot see what the API server actually enforces — built-in
// validation (for example a Job's restartPolicy), CRD OpenAPI schemas and CEL
// rules, strict field validation, defaulting, and the warnings the server
// sends back. This package lets a test send generated objects to the real
// server, with server-side apply and optionally server-side dry-run, and
// assert that they are accepted, that re-applying them changes nothing, and
// that the server returned no warnings.
//
// The binaries come from hack/kube/build.sh, which builds kube-apiserver and
// etcd from source through the Go module proxy (about six minutes the first
// time on a two-core machine) and caches them under
// ${XDG_CACHE_HOME:-$HOME/.cache}/ydpgen/kube/. Setting YDPGEN_KUBE_BIN_DIR
// to a directory holding kube-apiserver and etcd skips the script. Tests are
// not skipped when the binaries are missing: they are built.
//
// Everything listens on 127.0.0.1 only, on ports picked at start. Start
// gives one server to one test and stops it in a t.Cleanup; Launch gives a
// server that a package shares (from TestMain) and stops with Stop. Either
// way exactly the processes the harness started are stopped, by PID, and an
// interrupt of the test process (SIGINT, SIGTERM, SIGHUP, SIGPIPE) stops
// them too.
// There is no controller manager and no scheduler: objects are stored and
// validated, never reconciled.
package kubetest

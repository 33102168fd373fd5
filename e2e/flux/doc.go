// Package flux is the GitOps loop test (make e2e-flux): Flux's own
// source-controller and kustomize-controller sync a committed ydpgen tree
// into a real kube-apiserver, and then a second commit that changes a Job,
// a ConfigMap and drops an object, and then a third round: days later,
// with the TTL-after-finished controller's stand-in running throughout,
// every Kustomization reconciles twice more and nothing may be created or
// changed (a Job created again is a Job run again); the Jobs round 2
// renamed ran once. A control then gives one live Job a time to live, lets
// it expire and shows kustomize-controller creating it again, which the
// same check reports.
//
// Why it exists: golden files and a plain apply prove the objects, not the
// wiring. Only a real GitOps engine shows that the staged Kustomizations
// apply in their dependsOn order, that health checks pass, that a Job with
// a changed input is replaced rather than rejected as immutable, and that
// removed objects are pruned.
//
// The tree comes from `ydpgen render` of every example whose spec sets
// gitops.engine: flux, with the repository URL and the Airflow chart
// repository pointed at loopback stand-ins in the loaded model; the second
// commit renders the same spec after changeSpec. Should no example use Flux,
// the test syncs the hand-written tree in testdata/tree-v1 and tree-v2
// instead (the same shape: a GitRepository and one Kustomization per stage
// under gitops/, chained with dependsOn, force on the Jobs' stages); the
// helper tests use it too.
//
// The test plays the user: it applies the objects under gitops/ once, as
// `kubectl apply -k gitops/<env>` or a flux bootstrap would, and for the
// second commit applies the changed ones after source-controller has
// fetched that commit, as the Kustomization syncing gitops/ would.
//
// No kubelet, kube-controller-manager or helm-controller runs. The test
// stands in for them (fluxtest.StandIn): it marks Jobs Complete, workloads
// available, claims Bound and HelmReleases Ready through the status
// subresource once the stage that holds them has applied them, and logs
// each time it does.
package flux

// Package e2e holds the end-to-end suite that proves rendered trees against
// a real kube-apiserver: every example, every environment and every GitOps
// engine is rendered in memory, built with kustomize and applied with
// server-side apply (dry-run, real, and again to show nothing changes), then
// rendered again after a spec change and applied with pruning. A second
// test (TestE2EArgoCDJobLifecycle) plays Argo CD's syncs of every example
// over several days (waves, hooks, pruning, self-heal, the TTL controller)
// and proves that no Job runs twice for the same content, with controls
// that show the wiring it replaced running Jobs again.
//
// Golden files prove that output is stable; only a real API server proves
// that a cluster accepts it: built-in validation, CRD schemas, strict field
// validation, Pod Security admission and the warnings users would see. In
// every rendered namespace the server refuses a privileged pod and admits a
// pod shaped like the task pods DataSurface's own DAG starts (no security
// context, the default service account, the git cache), warning that
// "restricted" would not. The
// suite lives in its own package so that `make e2e` can run it alone; it
// has no code outside its tests. The server comes from internal/kubetest.
package e2e

// Package lint holds ydpgen's operational rules: the mistakes the seed
// deployments made that a schema cannot see because they span fields,
// environments or the rendered objects (a ReadWriteOnce volume mounted by two
// pods, requests that do not fit the nodes, a service address that points at
// nothing). Each rule has a stable ID, a severity, a one-line message with
// the spec position, a fix and a page of explanation for `ydpgen explain`.
//
// A rule belongs here, rather than in the CUE schema or among the loader's
// checks, when it reads the rendered environment (objects, Helm values,
// capacity) or when a team could have a reason to accept what it reports:
// only lint rules can be suppressed, and only with a written reason. What
// is wrong whatever the cluster is refused when the spec loads instead
// (ARCHITECTURE.md, "Rules"). Findings are placed as the loader's are, by
// model.Origins.Place.
package lint

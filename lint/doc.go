// Package lint holds ydpgen's operational rules: the mistakes the seed
// deployments made that a schema cannot see because they span fields,
// environments or the rendered objects (a ReadWriteOnce volume mounted by two
// pods, requests that do not fit the nodes, a service address that points at
// nothing). Each rule has a stable ID, a severity, a one-line message with
// the spec position, a fix and a page of explanation for `ydpgen explain`.
package lint

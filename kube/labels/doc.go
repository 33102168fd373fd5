// Package labels gives every generated object the same recommended
// app.kubernetes.io labels, so that a reviewer, kubectl and GitOps engines
// can select ydpgen's objects by component.
package labels

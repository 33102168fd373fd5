// Package namespace renders the environment's Namespace with its Pod
// Security Admission labels, so that the cluster itself refuses workloads
// that do not meet the level the spec asks for.
package namespace

// Package namespace renders the environment's Namespace with its Pod
// Security Admission labels, so that the cluster itself refuses workloads
// that do not meet the level the spec asks for, and the namespace's guard
// rails: a LimitRange so that no container runs without requests and
// limits, an optional ResourceQuota, and a default-deny NetworkPolicy with
// the few allows the platform needs.
package namespace

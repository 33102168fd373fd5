// Package namespace renders the environment's Namespace with its Pod
// Security Admission labels, so that the cluster itself refuses workloads
// that do not meet the level the spec asks for (baseline by default, which
// DataSurface's own task pods meet; restricted for warnings and the audit
// log), the namespace's default ServiceAccount with the environment's image
// pull secrets, and the namespace's guard
// rails: a LimitRange so that no container runs without requests and
// limits, an optional ResourceQuota, and a default-deny NetworkPolicy with
// the few allows the platform needs.
package namespace

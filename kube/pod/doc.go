// Package pod holds the pieces of pod specs that every generator writing a
// workload shares (security contexts, resources, pull secrets), so that the
// generators and the lint rules that read their output agree on them.
package pod

// Package objset is the canonical set of Kubernetes objects ydpgen renders
// and the only place that turns anything into YAML. Objects are kept in a
// fixed order (kind, then namespace, then name) so that output never depends
// on the order generators ran in or on map iteration; duplicates are refused;
// every file starts with the same "generated, do not edit" header.
package objset

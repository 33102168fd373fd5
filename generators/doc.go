// Package generators defines what a generator is: Generate turns one
// resolved model.Environment into typed Kubernetes objects and files, and
// nothing else (no YAML, no disk, no other generator's output). Each concern
// (namespace, RBAC, Airflow values, ...) is a sub-package; render.Generators
// lists them. The order they run in decides nothing in the output, since the
// object set sorts objects and the tree sorts files by path; it only decides
// which error is reported first.
package generators

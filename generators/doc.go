// Package generators defines what a generator is and lists them in the
// order they run. Each concern (namespace, RBAC, Airflow values, ...) lives
// in a sub-package that turns one resolved model.Environment into typed
// Kubernetes objects and files; none of them writes YAML or touches a disk.
package generators

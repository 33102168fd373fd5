// Package stages decides in which step of a deployment each rendered object
// is applied: the namespace and its guard rails, RBAC, Secrets, the database
// server, the database bootstrap, what Airflow needs before it starts,
// the publish Job of DataSurface's infrastructure DAG, ring1-init, the
// model merge, everything else, and last the smoke test. DataSurface's install
// fails when these run out of order (a Job before its service account,
// Airflow before its database), and each GitOps engine spells the order
// differently: Argo CD as sync waves, Flux as Kustomizations that depend on
// each other, the plain tree as a README. They all read it from here, by
// kind and component label, so a new generator's objects get their place
// without touching the engines.
package stages

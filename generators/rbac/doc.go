// Package rbac renders the Role and RoleBinding that let Airflow's
// components read the credentials Secrets of their namespace: DataSurface's
// DAGs look Secrets up through the Kubernetes API at parse and run time, and
// without this grant the infrastructure DAG fails to import. The binding
// names only the accounts the chart creates for the environment's executor
// and components (Readers).
package rbac

// Package database renders the platform's PostgreSQL side: where the spec
// asks for an in-cluster server (the k3s-pi default), a dedicated
// PostgreSQL (the official multi-arch postgres image, a StatefulSet with a
// ReadWriteOnce claim and a Service, placed next to the Airflow scheduler);
// and, for in-cluster and external servers alike, an idempotent bootstrap
// Job that creates Airflow's metadata database, DataSurface's merge
// database and every database the spec declares, their owners and
// DataTransformer users, and the grants DataSurface needs.
//
// It exists because the seed installs did all of this by hand with psql,
// with passwords on command lines, and because the chart's embedded Bitnami
// PostgreSQL cannot run the image small ARM clusters need. The SQL is
// generated here (SQL) and tested against a real server; user names and
// passwords reach it only at run time, from Secrets, through psql variables.
package database
